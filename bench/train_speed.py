"""Examples/s of `faceswap train` against a bare `train_on_batch` loop of the same model.

Both run in one process on the same compiled Original model (batch 16 per side, 64 px): ours
goes through the whole trainer (real faces extracted from a shared clip, augmentation, masks,
history and logging); the bare loop feeds fixed random tensors. The ratio shows what the
training program costs on top of the network step. The line ends with the bare step's share of
the CPU's float32 peak: convolution and dense FLOPs per second (3x forward, from
faceswap.lib.model.flops) against the best float32 matmul measured in the same process.

    python bench/train_speed.py [--backend tensorflow|jax|torch] [--steps 8] [--batch 16]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "tensorflow"))
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()
    os.environ["KERAS_BACKEND"] = args.backend
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(REPO / "bench"))
    import numpy as np
    from _faces import extract_pair
    from _peak import matmul_peak

    from faceswap.lib.model.flops import train_flops
    from faceswap.lib.system import cpu_name
    from faceswap.stages.train.trainer import TrainOptions, load_model, train

    work = Path(tempfile.mkdtemp(prefix="fs_bench_"))
    faces_a, faces_b = extract_pair(work)

    options = TrainOptions(input_a=faces_a, input_b=faces_b, model_dir=work / "model",
                           batch_size=args.batch, iterations=args.steps + 2,
                           save_interval=10**6, no_logs=True, seed=0)
    # Ours: the trainer's own examples/s (whole iterations, first compile step excluded).
    ours = train(options).examples_per_second / 2  # per side

    # Bare: the same compiled model, fixed random tensors, nothing else.
    bare_options = TrainOptions(**{**options.__dict__, "model_dir": work / "bare"})
    model = load_model(bare_options)
    rng = np.random.default_rng(0)
    size = model.input_sizes[0]
    channels = 3 + len(model.mask_channels)
    inputs = [rng.random((args.batch, size, size, 3), dtype=np.float32) for _ in range(2)]
    targets = [rng.random((args.batch, size, size, channels), dtype=np.float32)] * 2
    for _ in range(2):
        model.model.train_on_batch(inputs, targets)
    start = time.perf_counter()
    for _ in range(args.steps):
        model.model.train_on_batch(inputs, targets)
    bare = args.batch * args.steps / (time.perf_counter() - start)
    # examples/s per side are (face A, face B) pairs/s: the FLOPs below are per pair.
    achieved = train_flops(model.model) * bare / 1e9
    peak, library = matmul_peak()
    print(f"train_speed: {args.backend}: ours {ours:.2f} examples/s per side, bare "
          f"train_on_batch {bare:.2f}, ratio {ours / bare:.2f} (Original, batch {args.batch} "
          f"per side, 64 px, {args.steps} steps; bare step {achieved:.1f} GFLOP/s = "
          f"{100 * achieved / peak:.0f}% of the measured float32 peak {peak:.1f} GFLOP/s "
          f"({library} matmul); {cpu_name()}, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
