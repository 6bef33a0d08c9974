"""Progress output: a bar on a terminal with log lines above it, nothing of it in logs."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios

import cv2
import numpy as np
import pytest
from fstest import REPO


@pytest.fixture
def folder(tmp_path):
    """Twelve face-less images and one broken file (a warning in the middle of the run)."""
    images = tmp_path / "in"
    images.mkdir()
    rng = np.random.default_rng(0)
    for index in range(12):
        image = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
        cv2.imwrite(str(images / f"frame_{index:02d}.png"), image)
    (images / "frame_05b.png").write_bytes(b"not a png")
    return images


def _extract_args(folder, tmp_path, *extra):
    return [sys.executable, "-m", "faceswap.cli.main", "extract", "-i", str(folder),
            "-o", str(tmp_path / "faces"), "-j", "1", *extra]


def _run_in_terminal(args) -> str:
    """Run ``args`` with stdout and stderr on a pseudo-terminal; return what it showed."""
    main, child = pty.openpty()
    # A new pseudo-terminal is 0x0 characters: give it a real size, as a terminal window has.
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(args, stdout=child, stderr=child, cwd=REPO)
    os.close(child)
    shown = b""
    while True:
        ready, _, _ = select.select([main], [], [], 60)
        if not ready:
            process.kill()
            raise AssertionError("no output for 60 s")
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    assert process.wait(timeout=60) == 0, shown.decode(errors="replace")
    os.close(main)
    return shown.decode(errors="replace")


def test_terminal_gets_a_bar_and_log_lines_on_their_own(folder, tmp_path):
    shown = _run_in_terminal(_extract_args(folder, tmp_path))
    assert "\r" in shown and "13/13" in shown  # the bar redrew in place and finished
    lines = shown.replace("\r\n", "\n").split("\n")
    warning = next(line for line in lines if "Skipped unreadable 'frame_05b.png'" in line)
    # The log line starts its own line: the bar was cleared before it, not written into.
    assert warning.split("\r")[-1].lstrip().split(" ")[1] == "WARNING"
    assert "frame/s" not in warning.split("\r")[-1]


def test_pipes_and_files_get_no_bar(folder, tmp_path):
    result = subprocess.run(_extract_args(folder, tmp_path), capture_output=True, text=True,
                            cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stdout + result.stderr
    assert "Skipped unreadable 'frame_05b.png'" in result.stderr
    assert "Frames: 12 processed" in result.stdout


def test_no_progress_hides_the_bar_on_a_terminal(folder, tmp_path):
    shown = _run_in_terminal(_extract_args(folder, tmp_path, "--no-progress"))
    assert "13/13" not in shown and "Frames: 12 processed" in shown


@pytest.mark.parametrize("command", ["extract", "train", "convert", "evaluate", "demo"])
def test_every_long_command_has_no_progress(command):
    from faceswap.cli.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    assert any("--no-progress" in action.option_strings for action in sub._actions)
