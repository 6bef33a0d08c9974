"""`faceswap mask apply`: store a learned mask model's masks in face PNGs or an alignments file.

Faces are predicted in chunks, so folders of thousands of faces keep memory flat; face PNGs keep
their pixels (only the metadata changes) and alignments files are saved atomically with a
``.bk``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from faceswap.lib import alignments as alignments_file
from faceswap.lib import atomic
from faceswap.lib.errors import FaceswapError
from faceswap.lib.faces import face_image_landmarks, record_masks
from faceswap.lib.image import (
    encode_image,
    list_images,
    read_face_metadata,
    read_image,
    write_face_png,
)
from faceswap.lib.sources import open_source
from faceswap.tools.mask.draw import preview_image
from faceswap.tools.mask.model import CHUNK, MaskModel, load, network_crop, network_prior, to_stored

logger = logging.getLogger(__name__)


@dataclass
class ApplyOptions:
    """What `faceswap mask apply` takes (the CLI flag in brackets)."""

    input: str | Path  # a folder of faces from extract, or an alignments file (-i)
    model_dir: str | Path  # the trained mask model (-m)
    frames: str | Path | None = None  # --frames: the alignments file's source (default: recorded)
    only_missing: bool = False  # --only-missing
    preview: str | Path | None = None  # -p: write face | mask | masked face per face here


@dataclass
class ApplyResult:
    faces: int = 0
    updated: int = 0
    skipped: list[str] = field(default_factory=list)  # face files without faceswap metadata
    previews: list[Path] = field(default_factory=list)
    mask: str = ""
    seconds: float = 0.0


def _preview(options: ApplyOptions, result: ApplyResult, name: str, crop: np.ndarray,
             mask: np.ndarray) -> None:
    """``<name>_<mask>.png`` in the preview folder: the network's view of the face, the mask,
    and the face with everything outside the mask darkened."""
    if options.preview is None:
        return
    target = Path(options.preview) / f"{Path(name).stem}_{result.mask}.png"
    image = preview_image(crop, np.clip(np.rint(mask * 255.0), 0, 255).astype(np.uint8))
    atomic.write_bytes(target, encode_image(image, ".png"))
    result.previews.append(target)


def _chunks(items: Iterator[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _apply_folder(folder: Path, model: MaskModel, options: ApplyOptions, result: ApplyResult,
                  tick: Callable[[int, int], None]) -> None:
    paths = list_images(folder)
    if not paths:
        raise FaceswapError(f"The folder '{folder}' holds no face images.")

    def faces() -> Iterator[tuple[Path, dict[str, Any], np.ndarray, np.ndarray]]:
        for path in paths:
            try:
                metadata = read_face_metadata(path)
                points = face_image_landmarks(metadata["face"])
            except (FaceswapError, KeyError, TypeError, ValueError):
                result.skipped.append(path.name)
                continue
            if options.only_missing and model.plugin in metadata["face"].get("masks", {}):
                continue
            yield path, metadata, read_image(path), points

    done = 0
    for chunk in _chunks(faces()):
        crops = np.stack([network_crop(image, points, model.size)
                          for _, _, image, points in chunk])
        priors = np.stack([network_prior(points, model.size) for _, _, _, points in chunk])
        for (path, metadata, image, points), crop, mask in zip(
                chunk, crops, model.predict(crops, priors), strict=True):
            _preview(options, result, path.name, crop, mask)
            face_meta = metadata["face"]
            # The face PNG's own landmarks give the same alignment as the frame's: the face
            # image is a similarity warp of the frame.
            face_meta.setdefault("masks", {})[model.plugin] = to_stored(mask, points).to_dict()
            write_face_png(path, image, metadata)  # lossless: the pixels are unchanged
            result.updated += 1
        done += len(chunk)
        tick(done, len(paths))
    result.faces = len(paths)


def _apply_alignments(path: Path, model: MaskModel, options: ApplyOptions, result: ApplyResult,
                      tick: Callable[[int, int], None]) -> None:
    data = alignments_file.load(path)
    recorded = (data.source or {}).get("path")
    frames_path = options.frames or recorded
    if not frames_path:
        raise FaceswapError(f"'{path}' does not record its source: pass the video or frame "
                            "folder it was extracted from with --frames.")
    if not Path(frames_path).exists():
        raise FaceswapError(f"The source of '{path}', '{frames_path}', does not exist: pass the "
                            "video or frame folder with --frames.")
    source = open_source(Path(frames_path))
    wanted = {key: [face for face in frame.faces
                    if not (options.only_missing and model.plugin in face.masks)]
              for key, frame in data.frames.items()}
    total = sum(len(faces) for faces in wanted.values())
    result.faces = data.face_count
    if total == 0:
        return

    def faces() -> Iterator[tuple[alignments_file.Face, np.ndarray, str]]:
        for item in source.items():
            todo = wanted.pop(item.key, None)
            if not todo:
                continue
            frame = item.load()
            for face in todo:
                name = face.file or f"{item.stem}_{face.index}"
                yield face, network_crop(frame, face.landmarks, model.size), name

    done = 0
    for chunk in _chunks(faces()):
        priors = np.stack([network_prior(face.landmarks, model.size) for face, _, _ in chunk])
        masks = model.predict(np.stack([crop for _, crop, _ in chunk]), priors)
        for (face, crop, name), mask in zip(chunk, masks, strict=True):
            face.masks[model.plugin] = to_stored(mask, face.landmarks)
            _preview(options, result, name, crop, mask)
        done += len(chunk)
        result.updated = done
        tick(done, total)
    left = [key for key, faces in wanted.items() if faces]
    if left:
        raise FaceswapError(
            f"{len(left)} frames of '{path}' with faces are not in '{frames_path}' (first: "
            f"'{left[0]}'): is it the source the alignments were extracted from? Nothing was "
            "written.")

    record_masks(data, [model.plugin])
    alignments_file.save(data, path, backup=True)


def apply_masks(options: ApplyOptions,
                progress: Callable[[int, int], None] | None = None) -> ApplyResult:
    """Predict and store the mask model's mask for every face of a face folder (into each PNG's
    metadata, pixels untouched) or an alignments file (saved atomically, ``<name>.bk`` kept)."""
    start = time.perf_counter()
    path = Path(options.input)
    if not path.exists():
        raise FaceswapError(f"'{path}' does not exist. Pass a folder of faces written by "
                            "`faceswap extract`, or an alignments file.")
    model = load(options.model_dir)
    result = ApplyResult(mask=model.plugin)
    if options.preview is not None:
        atomic.check_writable(options.preview)

    def tick(done: int, total: int) -> None:
        if progress is not None:
            progress(done, total)

    if path.is_dir():
        _apply_folder(path, model, options, result, tick)
    else:
        _apply_alignments(path, model, options, result, tick)
    if result.skipped:
        logger.warning("%d file(s) have no faceswap metadata and were left alone, e.g. '%s'.",
                       len(result.skipped), result.skipped[0])
    result.seconds = time.perf_counter() - start
    return result
