"""Atomic writes: a failed or interrupted save leaves the previous file exactly as it was."""

import errno

import pytest

from faceswap.lib import atomic
from faceswap.lib.errors import FaceswapError


def test_write_replaces(tmp_path):
    target = tmp_path / "file.json"
    atomic.write_json(target, {"a": 1})
    atomic.write_json(target, {"a": 2})
    assert target.read_text().strip() == '{\n  "a": 2\n}'
    assert [p.name for p in tmp_path.iterdir()] == ["file.json"]


def test_interrupt_keeps_old_file(tmp_path):
    target = tmp_path / "model.keras"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), atomic.atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_full_disk_is_a_clear_error(tmp_path):
    target = tmp_path / "state.json"
    target.write_bytes(b"old")

    def full_disk(path):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(FaceswapError, match=r"No space left on device.*untouched"):
        atomic.write_with(target, full_disk)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FaceswapError, match="Cannot write"):
        atomic.write_bytes(tmp_path / "missing" / "x.bin", b"1")


def test_check_writable_refuses_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(FaceswapError, match="Cannot write to folder"):
        atomic.check_writable(tmp_path / "f" / "sub")


def test_files_get_normal_permissions(tmp_path):
    import os

    umask = os.umask(0o022)
    try:
        target = tmp_path / "out.png"
        atomic.write_bytes(target, b"x")
        assert target.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(umask)


def test_move_files_resolves_a_cycle_of_names(tmp_path):
    a, b, c = (tmp_path / name for name in ("a.png", "b.png", "c.png"))
    a.write_text("A")
    b.write_text("B")
    # a -> b, b -> a (a swap) and into a new sub-folder: c -> sub/c.
    c.write_text("C")
    atomic.move_files({a: b, b: a, c: tmp_path / "sub" / "c.png"})
    assert (a.read_text(), b.read_text(), (tmp_path / "sub" / "c.png").read_text()) == (
        "B", "A", "C")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png", "sub"]
