"""Throughput of the training augmentation chain, in batches per second.

One batch is one training iteration's data: two sides of 16 faces each, 256 px BGR faces with a
face-mask channel and 68 landmarks, through ``augment_batch`` with upstream's default settings to
64 px inputs and targets. Prints a single line.

    python bench/augment_speed.py [--seconds 5] [--threads N] [--batch 16] [--face 256] [--out 64]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import cv2
import numpy as np

from faceswap.stages.train.augment import AugmentConfig, augment_batch


def _faces(rng: np.random.Generator, count: int, size: int) -> np.ndarray:
    # Smooth random content rather than white noise, so CLAHE and resizes see image-like input.
    small = rng.integers(0, 256, size=(count, 8, 8, 3), dtype=np.uint8)
    return np.stack([cv2.resize(img, (size, size), interpolation=cv2.INTER_CUBIC)
                     for img in small])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="time to measure for")
    parser.add_argument("--threads", type=int, default=None,
                        help="cv2.setNumThreads (default: leave OpenCV's own choice)")
    parser.add_argument("--batch", type=int, default=16, help="faces per side")
    parser.add_argument("--face", type=int, default=256, help="stored face size, px")
    parser.add_argument("--out", type=int, default=64, help="model input and output size, px")
    args = parser.parse_args()
    if args.threads is not None:
        cv2.setNumThreads(args.threads)

    rng = np.random.default_rng(0)
    sides = []
    for _ in range(2):
        faces = _faces(rng, args.batch, args.face)
        masks = _faces(rng, args.batch, args.face)[..., 0]
        landmarks = rng.uniform(0.2, 0.8, (args.batch, 68, 2)).astype(np.float32) * args.face
        sides.append((faces, masks, landmarks))
    config = AugmentConfig()

    def one_batch() -> None:
        for faces, masks, landmarks in sides:
            augment_batch(faces, rng, config, args.out, args.out, landmarks, masks)

    for _ in range(3):  # warm caches and OpenCV's thread pool
        one_batch()
    count = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < args.seconds:
        one_batch()
        count += 1
    print(f"augment_speed: {count / elapsed:.1f} batches/s "
          f"({count / elapsed * 2 * args.batch:.0f} faces/s; 2 sides x {args.batch}, "
          f"{args.face} px -> {args.out} px, full chain + 1 mask; "
          f"cv2 threads {cv2.getNumThreads()}, {os.cpu_count()} cpus, {platform.machine()})")


if __name__ == "__main__":
    main()
