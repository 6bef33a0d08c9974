"""The faces view's file work: list a face folder, make thumbnails, delete faces.

Deleting goes through ``tools.alignments.remove_faces``, the function behind `faceswap
alignments remove-faces`: the selected PNGs are first moved into a hidden folder inside the
face folder (which face scans skip), the alignments file is updated, and only then are the PNGs
removed for good. If the alignments update refuses, the PNGs are moved back and nothing has
changed.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import cv2

from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import encode_image, is_image_file, read_image
from faceswap.tools.alignments import RemoveResult, remove_faces

THUMB_SIZE = 112


def list_faces(folder: Path) -> list[str]:
    """Face image names in ``folder`` and its visible sub-folders, relative, with ``/``."""
    if not folder.is_dir():
        return []
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and is_image_file(p)
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def face_path(folder: Path, name: str) -> Path:
    """``folder / name``, refusing names that leave the folder or are not face images."""
    path = (folder / name).resolve()
    if (folder.resolve() not in path.parents or not path.is_file() or not is_image_file(path)
            or any(part.startswith(".") for part in Path(name).parts)):
        raise FaceswapError(f"'{name}' is not a face image in '{folder}'.")
    return path


def thumbnail(path: Path, size: int = THUMB_SIZE) -> bytes:
    image = read_image(path)
    scale = size / max(image.shape[:2])
    if scale < 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return encode_image(image, ".jpg", quality=85)


@dataclass
class DeleteResult:
    deleted: list[str]
    alignments: RemoveResult | None  # None when the folder has no alignments file


def delete_faces(folder: Path, names: list[str], alignments: Path | None) -> DeleteResult:
    """Delete the faces ``names`` of ``folder`` and drop them from ``alignments``."""
    if not names:
        raise FaceswapError("Select at least one face to delete.")
    paths = [face_path(folder, name) for name in dict.fromkeys(names)]
    hold = folder / f".faceswap_deleting_{uuid.uuid4().hex[:8]}"
    hold.mkdir()
    moved: list[tuple[Path, Path]] = []
    try:
        for index, path in enumerate(paths):
            target = hold / f"{index}_{path.name}"
            path.rename(target)
            moved.append((target, path))
        result = None
        if alignments is not None and alignments.is_file():
            result = remove_faces(alignments, folder)
    except BaseException:
        for target, path in moved:
            target.rename(path)
        shutil.rmtree(hold, ignore_errors=True)
        raise
    shutil.rmtree(hold, ignore_errors=True)
    return DeleteResult([p.relative_to(folder.resolve()).as_posix() for p in paths], result)
