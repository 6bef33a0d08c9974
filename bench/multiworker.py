"""Examples/s of one training worker against two (MultiWorkerMirroredStrategy) on this machine.

Each worker is a process pinned to its own core, standing in for a one-core machine; the two
workers talk over 127.0.0.1 under one TF_CONFIG, as `faceswap train --distributed` does on two
machines. Measured: one worker alone (no distribution), the two-worker cluster (the sum of both
workers' rates: the step is synchronous), the same without faceswap's gradient packing
(settings.GRADIENT_PACK_BYTES) and, for context, one process on both cores. The model is the
full Original (64 px) with the default losses, on real faces from two shared clips.

    python bench/multiworker.py [--batch 16] [--steps 6] [--base-filters 128]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 900

CHILD = r"""
import os, sys
cores = {cores!r}
if cores:
    os.sched_setaffinity(0, cores)  # before TensorFlow sizes its thread pools
sys.path.insert(0, {repo!r})
from pathlib import Path
from faceswap.plugins.train.model._base import settings
if {pack} is not None:
    settings.GRADIENT_PACK_BYTES = {pack}
from faceswap.stages.train.trainer import TrainOptions, train
summary = train(TrainOptions(
    input_a=Path({faces_a!r}), input_b=Path({faces_b!r}), model_dir=Path({model_dir!r}),
    batch_size={batch}, iterations={iterations}, save_interval=10**6, no_logs=True, seed=0,
    distributed={distributed}, config={{"base_filters": {base_filters}}}))
print("RESULT", summary.examples_per_second / 2)  # per side
"""


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _run(workers: list[set[int]], work: Path, faces: tuple[Path, Path], args,
         pack: int | None = None) -> float:
    """Start one process per core set; return the cluster's examples/s per side."""
    distributed = len(workers) > 1
    ports = _free_ports(len(workers))
    model_dir = Path(tempfile.mkdtemp(dir=work, prefix="model_"))
    processes = []
    try:
        for index, cores in enumerate(workers):
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
            env.pop("TF_CONFIG", None)
            if distributed:
                env["TF_CONFIG"] = json.dumps({
                    "cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]},
                    "task": {"type": "worker", "index": index}})
            code = CHILD.format(
                cores=cores, repo=str(REPO), faces_a=str(faces[0]), faces_b=str(faces[1]),
                model_dir=str(model_dir), batch=args.batch, iterations=args.steps + 1,
                distributed=distributed, base_filters=args.base_filters, pack=pack)
            processes.append(subprocess.Popen([sys.executable, "-c", code], env=env, text=True,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        rates = []
        for process in processes:
            out, err = process.communicate(timeout=TIMEOUT)
            lines = [line for line in out.splitlines() if line.startswith("RESULT")]
            if process.returncode or not lines:
                raise RuntimeError(f"worker failed: {err.strip().splitlines()[-1:]}")
            rates.append(float(lines[-1].split()[1]))
        return sum(rates)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16, help="faces per side per worker")
    parser.add_argument("--steps", type=int, default=6, help="timed steps (after one compile)")
    parser.add_argument("--base-filters", type=int, default=128)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(REPO / "bench"))
    from _faces import extract_pair

    from faceswap.lib.system import cpu_name

    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        print("multiworker: needs 2 cores")
        return
    work = Path(tempfile.mkdtemp(prefix="fs_bench_mw_"))
    faces = extract_pair(work)
    one = _run([{cores[0]}], work, faces, args)
    two = _run([{cores[0]}, {cores[1]}], work, faces, args)
    unpacked = _run([{cores[0]}, {cores[1]}], work, faces, args, pack=0)
    both = _run([set(cores[:2])], work, faces, args)
    # The step is synchronous: each worker's step takes batch / (its rate) seconds.
    step_one, step_two = args.batch / one, 2 * args.batch / two
    print(f"multiworker: 2 workers x 1 core {two:.2f} examples/s per side, 1 worker x 1 core "
          f"{one:.2f}, scaling x{two / one:.2f} (step {step_two:.2f} s vs {step_one:.2f} s); "
          f"2 workers without gradient packing {unpacked:.2f} (step "
          f"{2 * args.batch / unpacked:.2f} s); 1 process on 2 cores {both:.2f} (Original, "
          f"base_filters {args.base_filters}, 64 px, batch {args.batch} per side per worker, "
          f"{args.steps} steps, TensorFlow MultiWorkerMirroredStrategy over 127.0.0.1; "
          f"{cpu_name()}, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
