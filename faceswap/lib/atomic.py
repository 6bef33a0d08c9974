"""Crash-safe file writes: every file faceswap saves goes through here.

A save writes a temporary file beside the target, fsyncs it, then renames it over the target, so
a crash, a full disk or Ctrl-C leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from faceswap.lib.errors import FaceswapError

# mkstemp creates 0600 files; finished files get the permissions a plain open() would give.
_UMASK = os.umask(0)
os.umask(_UMASK)
_FILE_MODE = 0o666 & ~_UMASK


def _fsync_dir(folder: Path) -> None:
    # The rename is only durable once the directory entry is on disk.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def check_writable(folder: str | Path) -> Path:
    """Create ``folder`` if needed and make sure files can be written in it."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".faceswap_check_"):
            pass
    except OSError as err:
        raise FaceswapError(
            f"Cannot write to folder '{folder}': {err.strerror or err}. "
            "Choose a folder you can write to, or fix its permissions."
        ) from err
    return folder


@contextlib.contextmanager
def atomic_path(target: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` atomically.

    The caller writes the temporary file by any means (a library's ``save(path)`` included). If
    the block raises (KeyboardInterrupt too) the temporary file is removed and ``target`` is left
    exactly as it was.
    """
    target = Path(target)
    suffix = target.suffix if suffix is None else suffix
    try:
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    except OSError as err:
        raise FaceswapError(
            f"Cannot write '{target}': {err.strerror or err}. "
            "Check the folder exists and you can write to it."
        ) from err
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException as err:
        tmp.unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise FaceswapError(
                f"Could not save '{target}': {err.strerror or err}. The previous file, if any, "
                "is untouched. Free some disk space or check permissions, then try again."
            ) from err
        raise


def write_bytes(target: str | Path, data: bytes) -> None:
    """Atomically write ``data`` to ``target``."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_json(target: str | Path, obj: Any) -> None:
    """Atomically write ``obj`` as indented JSON."""
    write_bytes(target, (json.dumps(obj, indent=2, sort_keys=False) + "\n").encode("utf-8"))


def write_with(target: str | Path, writer: Callable[[Path], None]) -> None:
    """Atomically create ``target`` with ``writer(tmp_path)``."""
    with atomic_path(target) as tmp:
        writer(tmp)


def copy_file(source: str | Path, target: str | Path) -> None:
    """Atomically copy ``source`` to ``target`` (used for backups and snapshots)."""
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


def move_files(plan: dict[Path, Path]) -> None:
    """Move each file of ``plan`` (source -> target), where a target may be another source.

    Files move one by one as soon as their target is free; a cycle of names (a <-> b) parks one
    file under a visible ``<stem>.moving<suffix>`` name first, so an interrupted run leaves every
    file findable (and re-running the job finishes it). Targets must not exist outside the plan.
    """
    pending = dict(plan)
    try:
        while pending:
            progressed = False
            for source, target in list(pending.items()):
                if not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.move(source, target)  # a rename, or copy + delete across devices
                    del pending[source]
                    progressed = True
            if not progressed:
                source, target = next(iter(pending.items()))
                parked = source.with_name(f"{source.stem}.moving{source.suffix}")
                os.rename(source, parked)
                del pending[source]
                pending[parked] = target
    except OSError as err:
        raise FaceswapError(
            f"Could not move '{err.filename}': {err.strerror or err}. {len(plan) - len(pending)} "
            f"of {len(plan)} files were moved; run the job again once the folder is writable "
            "to finish."
        ) from err
