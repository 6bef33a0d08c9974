"""Swapped face patches (<name>_<index>.png, BGRA) plus patches.json with their matrices."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from faceswap.lib import atomic, provenance
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import encode_image
from faceswap.plugins.convert.writer._base import WriterBase, check_frame

logger = logging.getLogger(__name__)

OPTIONS: dict[str, Any] = {}
JSON_NAME = "patches.json"


class Writer(WriterBase):
    """Writes each face patch as a tagged BGRA PNG and all matrices to ``patches.json``.

    The matrix is stored exactly as convert passed it (the affine transform between frame and
    patch coordinates used to warp the face back), so another program can composite the patch.
    """

    OPTIONS = OPTIONS
    NAME = "patch"

    def __init__(self, output: Path, **kwargs) -> None:
        super().__init__(output, **kwargs)
        if self.output.exists() and not self.output.is_dir():
            raise FaceswapError(
                f"The patch writer needs a folder for its output, but '{self.output}' is a file. "
                "Pass a folder path (it will be created)."
            )
        atomic.check_writable(self.output)
        self.written: list[Path] = []
        self.records: list[dict[str, Any]] = []

    def write(self, name: str, frame: np.ndarray) -> None:
        """Full frames are not part of this writer's output."""

    def write_patch(
        self, name: str, index: int, patch_bgra: np.ndarray, matrix: np.ndarray
    ) -> None:
        """Write face ``index`` of frame ``name`` and remember its matrix for ``patches.json``."""
        patch = check_frame(patch_bgra)
        if patch.ndim != 3 or patch.shape[2] != 4:
            raise FaceswapError(
                f"Face patches must be BGRA (H x W x 4); got shape {patch.shape}. "
                "This is a bug in the convert loop; please report it."
            )
        matrix = np.asarray(matrix, dtype=np.float64)
        file_name = f"{name}_{index}.png"
        target = self.output / file_name
        atomic.write_bytes(target, provenance.tag_png(encode_image(patch, ".png"), self.info))
        self.written.append(target)
        self.records.append({
            "file": file_name,
            "frame": name,
            "index": int(index),
            "size": [int(patch.shape[1]), int(patch.shape[0])],  # width, height
            "matrix": matrix.tolist(),
        })

    def close(self) -> list[Path]:
        target = self.output / JSON_NAME
        atomic.write_json(target, {"provenance": self.info, "patches": self.records})
        return [*self.written, target]

    def abort(self) -> None:
        # Patches are complete files already; patches.json is written only by close(), so an
        # aborted run leaves no index that claims patches which are missing.
        logger.debug("patch writer aborted after %d patches", len(self.written))
