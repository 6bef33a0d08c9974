"""The convert view's live preview: one frame swapped with the settings on screen.

It uses convert's own ``Converter`` (cut the faces, predict, mask, colour-match, sharpen,
paste), so the preview is what `faceswap convert` writes for that frame with those settings.
The model is loaded once per model file (and reloaded when a save changes it); a change of
mask, blur, erosion, colour or sharpening only swaps the settings the converter reads.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from faceswap.gui.options import convert_settings
from faceswap.lib import alignments as alignments_file
from faceswap.lib import registry
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import encode_image
from faceswap.stages.convert.blend import check_sharpening, mask_settings
from faceswap.stages.convert.pipeline import Converter, ConvertOptions


@dataclass
class FrameInfo:
    index: int
    key: str
    faces: int


def frames_with_faces(source: Path, alignments: Path | None) -> list[FrameInfo]:
    """Every frame of ``source`` with its face count from ``alignments`` (0 when absent)."""
    from faceswap.lib.sources import open_source

    src = open_source(source)
    table = {}
    if alignments is not None and alignments.is_file():
        table = alignments_file.load(alignments).frames
    keys = src.keys or [key for key in table]
    return [FrameInfo(i, key, len(table[key].faces) if key in table else 0)
            for i, key in enumerate(keys)]


def read_frame(source: Path, index: int) -> tuple[str, np.ndarray]:
    """Frame ``index`` of ``source`` and its alignments key."""
    from faceswap.lib.sources import open_source
    from faceswap.lib.video import frames as video_frames

    src = open_source(source)
    if src.is_video:
        for _, name, frame in video_frames(source, start=index):
            return name, frame
    else:
        for item in src.items():
            if item.index == index:
                return item.key, item.load()
    raise FaceswapError(f"'{source}' has no frame {index}.")


def convert_options(settings: dict[str, Any], **paths: Any) -> ConvertOptions:
    """``ConvertOptions`` from the convert view's settings (the project's ``convert`` dict)."""
    values = convert_settings(settings)
    values["mask_settings"] = mask_settings(**values["mask_settings"])
    return ConvertOptions(**values, **paths)


class ConvertPreview:
    """Renders preview frames; thread-safe (one render at a time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, float] | None = None
        self._converter = None

    def _converter_for(self, options):
        from faceswap.plugins.train.model import find_plugin_name

        model_dir = Path(options.model_dir)
        name = find_plugin_name(model_dir)
        model_file = model_dir / f"{name}.keras"
        key = (str(model_file.resolve()), model_file.stat().st_mtime)
        if self._key != key:
            self._converter = Converter(options)
            self._key = key
        # Same checks as Converter's, then only the settings change: no model reload.
        from faceswap.lib.align.masks import CONVERT_MASK_TYPES

        if options.mask not in CONVERT_MASK_TYPES:
            raise FaceswapError(f"Unknown mask '{options.mask}'; choose one of "
                                f"{', '.join(CONVERT_MASK_TYPES)}.")
        check_sharpening(options.sharpen, options.sharpen_amount, options.sharpen_radius)
        converter = copy.copy(self._converter)
        converter.options = options
        converter.color = registry.load_plugin("color", options.color)
        return converter

    def render(self, source: Path, index: int, model_dir: Path, alignments: Path | None,
               settings: dict[str, Any]) -> bytes:
        """Frame ``index`` of ``source`` with its faces swapped, as JPEG bytes."""
        if alignments is None or not alignments.is_file():
            raise FaceswapError("No alignments file for person A's source yet: run the extract "
                                "job for A first.")
        if not model_dir.is_dir():
            raise FaceswapError(f"Model folder '{model_dir}' does not exist yet: train first.")
        options = convert_options(settings, input=source, output=source, model_dir=model_dir,
                                  alignments=alignments, inference="keras")
        key, frame = read_frame(source, index)
        table = alignments_file.load(alignments).frames
        faces = table[key].faces if key in table else []
        with self._lock:
            converter = self._converter_for(options)
            if faces:
                found = converter.faces_of(frame, faces)
                swapped, masks = converter.predict(np.stack([f.crop for f in found]))
                frame, _ = converter.patch_frame(frame, found, swapped, masks)
        return encode_image(frame, ".jpg", quality=90)
