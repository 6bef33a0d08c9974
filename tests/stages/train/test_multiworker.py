"""Two `faceswap train --distributed` workers on 127.0.0.1 under one TF_CONFIG.

The workers are real processes talking over TCP (TensorFlow's gRPC collectives, JAX's Gloo), as
on two machines; each sees its own model folder, so anything the non-chief writes into "the
shared folder" shows up as a file there.
"""

import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import time

import pytest
from fstest import REPO, TINY, write_extracted_faces

TIMEOUT = 240  # seconds for both workers together; a run takes 20-40 s on 2 cores
ITERATIONS = 3


def _free_ports(count: int) -> list[int]:
    # Bound at the same time so the ports differ; TensorFlow binds them moments later.
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _run_cluster(faces, model_dirs, backend: str) -> list[tuple[int, str, str]]:
    ports = _free_ports(len(model_dirs))
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    processes = []
    try:
        for index, model_dir in enumerate(model_dirs):
            env = {**os.environ, "KERAS_BACKEND": backend, "TF_CONFIG": json.dumps(
                {"cluster": cluster, "task": {"type": "worker", "index": index}})}
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "faceswap.cli.main", "train", "--distributed",
                 "-A", str(faces / "a"), "-B", str(faces / "b"), "-m", str(model_dir),
                 "-bs", "4", "-it", str(ITERATIONS), "--seed", "3", "-w",
                 *[f"-O{key}={value}" for key, value in TINY.items()]],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env,
            ))
        deadline = time.monotonic() + TIMEOUT
        results = []
        for process in processes:
            out, err = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
            results.append((process.returncode, out, err))
        return results
    finally:
        # A worker whose peer died waits on the collective until its own timeout: end it here.
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()


def _checksum(stdout: str) -> str:
    found = re.findall(r"^weights checksum: ([0-9a-f]{64})$", stdout, re.MULTILINE)
    assert len(found) == 1, stdout[-2000:]
    return found[0]


def _final_losses(stdout: str) -> str:
    found = re.findall(r"^Final loss A: .*$", stdout, re.MULTILINE)
    assert len(found) == 1, stdout[-2000:]
    return found[0]


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
    root = tmp_path_factory.mktemp("faces")
    write_extracted_faces(root / "a", 8, seed=1)
    write_extracted_faces(root / "b", 8, seed=2)
    return root


@pytest.mark.parametrize("backend", [
    "tensorflow",
    pytest.param("jax", marks=pytest.mark.skipif(
        importlib.util.find_spec("jax") is None, reason="jax not installed")),
])
def test_two_workers_train_one_model(faces, tmp_path, backend):
    chief_dir, other_dir = tmp_path / "shared_model", tmp_path / "worker1_view"
    (chief, chief_out, chief_err), (other, other_out, other_err) = _run_cluster(
        faces, [chief_dir, other_dir], backend)
    assert chief == 0, chief_err[-3000:]
    assert other == 0, other_err[-3000:]
    cluster_line = "2 replicas" if backend == "tensorflow" else "2 devices in 2 process(es)"
    assert cluster_line in chief_err and cluster_line in other_err

    # The workers draw different batches (seed + worker index), so equal weights after three
    # steps mean the gradients really were all-reduced, and equal losses that the logged loss
    # is the cluster's mean rather than each worker's own.
    assert _checksum(chief_out) == _checksum(other_out)
    assert _final_losses(chief_out) == _final_losses(other_out)

    state = json.loads((chief_dir / "original_state.json").read_text())
    assert state["iterations"] == ITERATIONS
    assert (chief_dir / "training_preview.png").is_file()
    assert list((chief_dir / "original_logs").glob("session_1/events.out.tfevents.*"))
    from faceswap.plugins.train.model._base.io import load_model_file
    from faceswap.plugins.train.model._base.settings import weights_checksum

    saved = load_model_file(chief_dir / "original.keras", "original")
    assert weights_checksum(saved) == _checksum(chief_out)

    # The non-chief wrote nothing at all into its model folder: no model, state, logs, preview.
    assert not other_dir.exists(), sorted(p.name for p in other_dir.rglob("*"))


def test_weights_checksum_sees_every_weight():
    import keras
    import numpy as np

    from faceswap.plugins.train.model._base.settings import weights_checksum

    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2, name="dense")(inputs))
    model.get_layer("dense").set_weights([np.ones((3, 2), "float32"), np.zeros(2, "float32")])
    before = weights_checksum(model)
    assert re.fullmatch(r"[0-9a-f]{64}", before)
    assert weights_checksum(model) == before
    model.get_layer("dense").set_weights([np.ones((3, 2), "float32"),
                                          np.array([0.0, 1e-7], "float32")])
    assert weights_checksum(model) != before
