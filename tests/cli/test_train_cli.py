"""`faceswap train` end to end on generated faces: run, interrupt, resume, bad input."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from fstest import REPO, TINY, digest, write_extracted_faces

TINY_FLAGS = [f"-O{key}={value}" for key, value in TINY.items()]


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
    root = tmp_path_factory.mktemp("faces")
    write_extracted_faces(root / "a", 12, seed=1)
    write_extracted_faces(root / "b", 12, seed=2)
    return root


def _train(*args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "faceswap.cli.main", "train", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, **kwargs,
    )


def _state(model_dir):
    return json.loads((model_dir / "original_state.json").read_text())


def test_train_command_runs_and_resumes(faces, tmp_path):
    model_dir = tmp_path / "model"
    args = ["-A", str(faces / "a"), "-B", str(faces / "b"), "-m", str(model_dir), "-bs", "4",
            "-it", "6", "-s", "3", "-w", "--seed", "3", *TINY_FLAGS]
    process = _train(*args)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-3000:]
    assert "[#00001] Loss A:" in out and "ex/s" in out and "ETA" in out
    assert "Training finished: 6 iterations this session, 6 in total" in out
    assert (model_dir / "training_preview.png").exists()
    assert (model_dir / "original_logs" / "loss.png").exists()
    assert _state(model_dir)["iterations"] == 6
    again = _train(*args[:-len(TINY_FLAGS) - 2], "-it", "2")
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err[-3000:]
    assert "2 iterations this session, 8 in total" in out
    assert _state(model_dir)["iterations"] == 8


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_signal_saves_and_exits_cleanly(faces, tmp_path, stop):
    model_dir = tmp_path / "model"
    process = _train("-A", str(faces / "a"), "-B", str(faces / "b"), "-m", str(model_dir),
                     "-bs", "4", "-it", "100000", "-s", "100000", "--seed", "3", *TINY_FLAGS)
    deadline = time.monotonic() + 240
    line = ""
    while "[#00001]" not in line and time.monotonic() < deadline:
        line = process.stdout.readline()
        assert line or process.poll() is None, process.stderr.read()[-3000:]
    time.sleep(1.0)
    os.kill(process.pid, stop)
    out, err = process.communicate(timeout=240)
    assert process.returncode == 0, err[-3000:]
    assert "stopped on request" in out
    saved = _state(model_dir)["iterations"]
    assert saved >= 1
    # The saved model loads and its iteration count is the saved one; resume continues it.
    resume = _train("-A", str(faces / "a"), "-B", str(faces / "b"), "-m", str(model_dir),
                    "-bs", "4", "-it", "1", "--seed", "3")
    out, err = resume.communicate(timeout=300)
    assert resume.returncode == 0, err[-3000:]
    assert _state(model_dir)["iterations"] == saved + 1


def test_train_into_another_models_folder_changes_nothing(faces, tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "dfaker_state.json").write_text('{"name": "dfaker", "iterations": 7}')
    before = digest(folder)
    process = _train("-A", str(faces / "a"), "-B", str(faces / "b"), "-m", str(folder),
                     *TINY_FLAGS)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 1
    assert "different model" in err and "Traceback" not in err
    assert digest(folder) == before


def test_empty_folder_is_a_clear_error(faces, tmp_path):
    (tmp_path / "empty").mkdir()
    process = _train("-A", str(tmp_path / "empty"), "-B", str(faces / "b"), "-m",
                     str(tmp_path / "model"), *TINY_FLAGS)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 1
    assert "empty" in err and "Traceback" not in err
    assert not (tmp_path / "model" / "original.keras").exists()


def test_missing_folder_is_a_clear_error(faces, tmp_path):
    process = _train("-A", str(tmp_path / "nope"), "-B", str(faces / "b"), "-m",
                     str(tmp_path / "model"), *TINY_FLAGS)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 1 and "nope" in err and "Traceback" not in err
