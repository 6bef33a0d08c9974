"""The Original model's compiled train step on every installed Keras backend, one line each.

Each backend runs in its own process (Keras binds its backend at import). The step is what
`faceswap train` compiles: ModelBase's optimizer and default losses (SSIM + MSE with face, eye
and mouth masks), batch 16 per side, random 64 px faces. Each line also gives the step's share
of the CPU's float32 peak: the model's convolution and dense FLOPs (3x forward for a train step,
from faceswap.lib.model.flops) per second, against the best float32 matmul measured in the same
process (bench/_peak.py).

    python bench/backends.py [--batch 16] [--steps 5] [--backends tensorflow,jax,torch]

A backend may carry environment settings: ``tensorflow:TF_ENABLE_ONEDNN_OPTS=0`` measures
TensorFlow with oneDNN off (faceswap turns it on by default).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import sys, time, tempfile
import numpy as np
sys.path.insert(0, {repo!r})
sys.path.insert(0, {repo!r} + "/bench")
from _peak import matmul_peak
from faceswap.lib.model.flops import train_flops
from faceswap.plugins.train.model import create_model
import keras
keras.utils.set_random_seed(0)
model = create_model("original", tempfile.mkdtemp(), {config!r})
rng = np.random.default_rng(0)
inputs = [rng.random((BATCH, 64, 64, 3), dtype=np.float32) for _ in range(2)]
channels = 3 + len(model.mask_channels)
targets = [rng.random((BATCH, 64, 64, channels), dtype=np.float32) for _ in range(2)]
for _ in range(2):
    model.model.train_on_batch(inputs, targets)
start = time.perf_counter()
for _ in range(STEPS):
    model.model.train_on_batch(inputs, targets)
elapsed = time.perf_counter() - start
achieved = train_flops(model.model) * BATCH * STEPS / elapsed / 1e9
peak, library = matmul_peak()
print(f"RESULT {{BATCH * STEPS / elapsed:.2f}} {{elapsed / STEPS:.3f}} {{achieved:.1f}} "
      f"{{peak:.1f}} {{library}}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--backends",
                        default="tensorflow,tensorflow:TF_ENABLE_ONEDNN_OPTS=0,torch,jax")
    parser.add_argument("--mixed", action="store_true", help="mixed_float16 (GPU)")
    args = parser.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, repo)
    from faceswap.lib.system import cpu_name
    modules = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
    for spec in args.backends.split(","):
        backend, _, setting = spec.partition(":")
        env = dict([setting.split("=", 1)]) if setting else {}
        label = f"{backend} ({setting})" if setting else backend
        if importlib.util.find_spec(modules[backend]) is None:
            print(f"backends: {label}: not installed")
            continue
        code = CHILD.format(repo=repo, config={"mixed_precision": args.mixed}).replace(
            "BATCH", str(args.batch)).replace("STEPS", str(args.steps))
        with tempfile.TemporaryDirectory():
            result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                    env={**os.environ, "KERAS_BACKEND": backend, **env})
        lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT")]
        if not lines:
            print(f"backends: {label}: failed: {result.stderr.strip().splitlines()[-1:]}")
            continue
        rate, step, achieved, peak, library = lines[-1].split()[1:]
        share = 100 * float(achieved) / float(peak)
        print(f"backends: {label}: {rate} examples/s per side ({step} s/step, Original, batch "
              f"{args.batch} per side, 64 px, default losses{', mixed' if args.mixed else ''}; "
              f"{achieved} GFLOP/s = {share:.0f}% of the measured float32 peak {peak} GFLOP/s "
              f"({library} matmul); {cpu_name()}, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
