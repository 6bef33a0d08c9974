"""Train-step speed and peak memory of every model plugin at its defaults, on this machine.

Each model runs in its own process (so its peak RSS is its own): built with the factory at its
default options, then ``train_on_batch`` on fixed random batches of 16 faces per side at the
model's input and output sizes (one target per output, as the trainer gives them), a few
warm-up steps, then timed steps. One line per model:

    models: dfaker: 64->128 px, 113,330,822 params, 1.23 examples/s per side, peak RSS 2.1 GB

    python bench/models.py [--models original,dfaker] [--batch 16] [--warmup 2] [--steps 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, tempfile, time
import numpy as np
sys.path.insert(0, {repo!r})
import keras
from faceswap.stages.train.trainer import _targets_per_output
from faceswap.plugins.train.model import create_model

keras.utils.set_random_seed(0)
model = create_model({name!r}, tempfile.mkdtemp(prefix="fs_models_bench_"), {{}})
rng = np.random.default_rng(0)
batch = {batch}
inputs = [rng.random((batch, size, size, 3), dtype=np.float32) for size in model.input_sizes]
channels = 3 + len(model.mask_channels)
size = model.output_size
targets = [rng.random((batch, size, size, channels), dtype=np.float32) for _ in range(2)]
per_output = _targets_per_output(model, targets)
for _ in range({warmup}):
    model.model.train_on_batch(inputs, per_output)
start = time.perf_counter()
for _ in range({steps}):
    model.model.train_on_batch(inputs, per_output)
seconds = time.perf_counter() - start
print("RESULT " + json.dumps({{
    "inputs": model.input_sizes, "output": model.output_size,
    "params": int(model.model.count_params()),
    "rate": batch * {steps} / seconds,
    "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}}))
"""


def measure(name: str, batch: int, warmup: int, steps: int, timeout: float) -> str:
    """One model's result line (or why it failed), measured in a fresh process."""
    code = CHILD.format(repo=str(REPO), name=name, batch=batch, warmup=warmup, steps=steps)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    try:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                env=env, timeout=timeout, cwd=REPO)
    except subprocess.TimeoutExpired:
        return f"models: {name}: FAILED (over {timeout:.0f} s)"
    found = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    if result.returncode or not found:
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return f"models: {name}: FAILED ({tail[:160]})"
    data = json.loads(found[-1][len("RESULT "):])
    inputs = "/".join(str(s) for s in sorted(set(data["inputs"])))
    return (f"models: {name}: {inputs}->{data['output']} px, {data['params']:,} params, "
            f"{data['rate']:.2f} examples/s per side, peak RSS {data['rss_kb'] / 2**20:.1f} GB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", help="comma-separated plugin names (default: every plugin)")
    parser.add_argument("--batch", type=int, default=16, help="faces per side (default 16)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps (default 2)")
    parser.add_argument("--steps", type=int, default=3, help="timed steps (default 3)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per model")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from faceswap.lib import registry
    from faceswap.lib.system import cpu_name

    names = args.models.split(",") if args.models else registry.list_plugins("model")
    print(f"# {cpu_name()}, {os.cpu_count()} logical CPUs; batch {args.batch} per side, "
          f"{args.warmup} warm-up + {args.steps} timed train steps per model", flush=True)
    for name in names:
        start = time.perf_counter()
        line = measure(name, args.batch, args.warmup, args.steps, args.timeout)
        print(f"{line} [{time.perf_counter() - start:.0f} s]", flush=True)


if __name__ == "__main__":
    main()
