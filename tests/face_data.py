"""Where the shared real face data lives, for the tests that need real faces (never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]  # tests/ -> the repository
SHARED = REPO.parent / "shared"
FACE_DATA = SHARED / "face-data"
STILLS = FACE_DATA / "stills"
CLIPS = FACE_DATA / "clips"
D9 = CLIPS / "livePortrait_d9.mp4"

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is absent")


def link(folder: Path, *names: str) -> Path:
    """A folder of symlinks to shared stills (the media never leave ../shared)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).symlink_to(STILLS / name)
    return folder
