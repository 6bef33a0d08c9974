"""Throughput of the training data feeder alone, in batches per second.

Writes two folders of synthetic aligned faces the way ``faceswap extract`` stores them (256 px,
head-centred PNGs with landmark metadata), loads them with ``load_face_folder`` and pulls batches
from ``BatchFeeder`` as fast as it delivers them: 16 faces per side, 64 px input and output,
face/eye/mouth mask channels, upstream's default augmentation. One batch is one training
iteration's data (both sides). The first epoch (faces decoded from disk) and the cached steady
state are timed separately; the line reports both. Prints a single line.

    python bench/data_speed.py [--seconds 5] [--workers 2] [--faces 200] [--batch 16] [--size 64]

The issue's target: the data side alone at least 3x faster than the train step (Original,
batch 16, 64 px: roughly 1-3 s per step on a 2-core CPU, so >= 1-3 batches/s).
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from faceswap.lib.align.aligned_face import AlignedFace
from faceswap.lib.align.reference import MEAN_FACE
from faceswap.lib.image import write_face_png
from faceswap.stages.train.data import BatchFeeder, load_face_folder

EXTRACT_SIZE = 256


def _write_faces(folder: Path, count: int, seed: int) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for idx in range(count):
        # A 512 px "frame": smooth random background, a drawn face on the mean-face landmarks.
        small = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
        frame = cv2.resize(small, (512, 512), interpolation=cv2.INTER_CUBIC)
        angle = np.radians(rng.uniform(-15, 15))
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        points = (MEAN_FACE - 0.5) @ rot.T * rng.uniform(150, 190) + 256
        points += rng.normal(0, 1.5, points.shape)
        hull = cv2.convexHull(np.rint(points).astype(np.int32))
        cv2.fillConvexPoly(frame, hull, tuple(int(v) for v in rng.integers(90, 230, 3)))
        aligned = AlignedFace.from_landmarks(points)
        meta = {"format": "faceswap-face", "version": 1,
                "face": {"size": EXTRACT_SIZE, "centering": "head", "coverage": 1.0,
                         "aligned_landmarks":
                             aligned.aligned_landmarks(EXTRACT_SIZE, "head").tolist()}}
        write_face_png(folder / f"frame_{idx:05d}_0.png",
                       aligned.crop(frame, EXTRACT_SIZE, "head"), meta)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="steady-state time to measure")
    parser.add_argument("--workers", type=int, default=2, help="feeder threads")
    parser.add_argument("--prefetch", type=int, default=4, help="batches prepared ahead")
    parser.add_argument("--faces", type=int, default=200, help="faces per side")
    parser.add_argument("--batch", type=int, default=16, help="faces per side per batch")
    parser.add_argument("--size", type=int, default=64, help="model input and output size, px")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="faceswap-data-speed-") as tmp:
        root = Path(tmp)
        _write_faces(root / "a", args.faces, 1)
        _write_faces(root / "b", args.faces, 2)
        start = time.perf_counter()
        face_a, face_b = load_face_folder(root / "a"), load_face_folder(root / "b")
        scan = time.perf_counter() - start
        with BatchFeeder(face_a, face_b, args.batch, args.size, args.size,
                         workers=args.workers, prefetch=args.prefetch) as feeder:
            # First epoch: every face is decoded, sub-cropped and masked on first use.
            first_epoch = -(-args.faces // args.batch)
            start = time.perf_counter()
            for _ in range(first_epoch):
                next(feeder)
            cold = first_epoch / (time.perf_counter() - start)
            count = 0
            start = time.perf_counter()
            while (elapsed := time.perf_counter() - start) < args.seconds:
                next(feeder)
                count += 1
    rate = count / elapsed
    print(f"data_speed: {rate:.1f} batches/s steady, {cold:.1f} batches/s first epoch "
          f"(2 sides x {args.batch}, {EXTRACT_SIZE} px extracts -> {args.size} px, 3 mask "
          f"channels, default augmentation; workers={args.workers} prefetch={args.prefetch}; "
          f"scan {2 * args.faces} faces {scan:.1f} s; {os.cpu_count()} cpus, "
          f"cv2 threads {cv2.getNumThreads()}, {platform.machine()})")


if __name__ == "__main__":
    main()
