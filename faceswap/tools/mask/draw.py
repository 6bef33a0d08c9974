"""(Re)generate the masks stored with faces, and draw previews of them.

Masks are stored twice by extract: in the alignments file (convert blends with them) and in each
aligned face PNG's metadata. Both hold the frame landmarks the masks are drawn from, so masks
can be added later (``-M eye mouth`` on a set extracted with the defaults), redrawn after a mask
kind changed, or filled in for faces that lack them, without extracting again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from faceswap.lib import alignments as alignments_file
from faceswap.lib import atomic
from faceswap.lib.align import FACE_MASK_TYPES, MASK_TYPES, AlignedFace
from faceswap.lib.errors import FaceswapError
from faceswap.lib.faces import landmark_masks, mask_in_face, record_masks
from faceswap.lib.image import (
    encode_image,
    list_images,
    read_face_metadata,
    read_image,
    write_face_png,
)

logger = logging.getLogger(__name__)


@dataclass
class MaskOptions:
    """Everything `faceswap mask` takes (the CLI flag in brackets)."""

    input: str | Path  # a folder of aligned faces, or an alignments file (-i)
    masks: Sequence[str] = FACE_MASK_TYPES  # -M: the kinds to (re)generate
    only_missing: bool = False  # --only-missing: leave faces that already have every kind
    preview: str | Path | None = None  # -p: write face | mask | masked face images here
    faces: str | Path | None = None  # -fc: the faces of an alignments file, for -p


@dataclass
class MaskResult:
    faces: int = 0  # faces seen
    updated: int = 0  # faces whose masks were written
    previews: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # face files without faceswap metadata
    seconds: float = 0.0


def preview_image(face: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """face | mask | face with everything outside the mask darkened, side by side."""
    weight = (mask.astype(np.float32) / 255.0)[..., None]
    masked = (face.astype(np.float32) * (0.25 + 0.75 * weight)).astype(np.uint8)
    return np.hstack([face, cv2.cvtColor(mask, cv2.COLOR_GRAY2BGR), masked])


def _check(options: MaskOptions) -> tuple[Path, tuple[str, ...]]:
    kinds = tuple(options.masks)
    unknown = [kind for kind in kinds if kind not in MASK_TYPES]
    if unknown or not kinds:
        raise FaceswapError(f"Unknown mask {', '.join(unknown) or '(none given)'}; choose from "
                            f"{', '.join(MASK_TYPES)}.")
    path = Path(options.input)
    if not path.exists():
        raise FaceswapError(f"'{path}' does not exist. Pass a folder of faces written by "
                            "`faceswap extract`, or an alignments file.")
    return path, kinds


def _write_preview(folder: Path, name: str, face: np.ndarray, mask: np.ndarray) -> Path:
    target = folder / f"{Path(name).stem}_mask.png"
    atomic.write_bytes(target, encode_image(preview_image(face, mask), ".png"))
    return target


def _face_folder(folder: Path, kinds: tuple[str, ...], options: MaskOptions,
                 result: MaskResult, tick: Callable[[int, int], None]) -> None:
    paths = list_images(folder)
    if not paths:
        raise FaceswapError(f"The folder '{folder}' holds no face images.")
    preview = None if options.preview is None else atomic.check_writable(options.preview)
    for done, path in enumerate(paths, 1):
        result.faces += 1
        try:
            metadata = read_face_metadata(path)
            face_meta: dict[str, Any] = metadata["face"]
            landmarks = np.asarray(face_meta["landmarks"], dtype=np.float64)
        except (FaceswapError, KeyError, TypeError):
            result.skipped.append(path.name)
            tick(done, len(paths))
            continue
        stored = {name: alignments_file.Mask.from_dict(value)
                  for name, value in face_meta.get("masks", {}).items()}
        image = None
        if not (options.only_missing and all(kind in stored for kind in kinds)):
            stored.update(landmark_masks(AlignedFace.from_landmarks(landmarks), kinds))
            face_meta["masks"] = {name: mask.to_dict() for name, mask in stored.items()}
            image = read_image(path)
            write_face_png(path, image, metadata)  # PNG is lossless: the pixels are unchanged
            result.updated += 1
        if preview is not None:
            image = read_image(path) if image is None else image
            mask = mask_in_face(stored[kinds[0]], landmarks, image.shape[0],
                                face_meta.get("centering", "head"),
                                float(face_meta.get("coverage", 1.0)))
            result.previews.append(_write_preview(preview, path.name, image, mask))
        tick(done, len(paths))


def _alignments_file(path: Path, kinds: tuple[str, ...], options: MaskOptions,
                     result: MaskResult, tick: Callable[[int, int], None]) -> None:
    data = alignments_file.load(path)
    faces = [face for frame in data.frames.values() for face in frame.faces]
    preview = None if options.preview is None else atomic.check_writable(options.preview)
    if preview is not None and options.faces is None:
        raise FaceswapError("Previews of an alignments file need its faces: pass -fc with the "
                            "folder `faceswap extract` wrote them to.")
    for done, face in enumerate(faces, 1):
        result.faces += 1
        if not (options.only_missing and all(kind in face.masks for kind in kinds)):
            face.masks.update(landmark_masks(AlignedFace.from_landmarks(face.landmarks), kinds))
            result.updated += 1
        image_path = None if options.faces is None or not face.file else \
            Path(options.faces) / face.file
        if preview is not None and image_path is not None and image_path.is_file():
            image = read_image(image_path)
            extract_info = data.extract or {}
            mask = mask_in_face(face.masks[kinds[0]], face.landmarks, image.shape[0],
                                str(extract_info.get("centering", "head")),
                                float(extract_info.get("coverage", 1.0)))
            result.previews.append(_write_preview(preview, face.file or "", image, mask))
        tick(done, len(faces))
    if result.updated:
        record_masks(data, kinds)
        alignments_file.save(data, path, backup=True)


def generate_masks(options: MaskOptions,
                   progress: Callable[[int, int], None] | None = None) -> MaskResult:
    """(Re)draw ``options.masks`` for every face of a face folder or an alignments file.

    A face folder's PNGs get the masks in their metadata (pixels untouched); an alignments
    file is saved atomically with the previous version kept as ``<name>.bk``. Masks of other
    kinds already stored are kept.
    """
    start = time.perf_counter()
    path, kinds = _check(options)
    result = MaskResult()

    def tick(done: int, total: int) -> None:
        if progress is not None:
            progress(done, total)

    if path.is_dir():
        _face_folder(path, kinds, options, result, tick)
    else:
        _alignments_file(path, kinds, options, result, tick)
    if result.skipped:
        logger.warning("%d file(s) have no faceswap metadata and were left alone, e.g. '%s'.",
                       len(result.skipped), result.skipped[0])
    result.seconds = time.perf_counter() - start
    return result
