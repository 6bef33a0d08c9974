"""One tagged image per frame (<name>.png or <name>.jpg) in the output folder."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from faceswap.lib import atomic, provenance
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import encode_image
from faceswap.plugins.convert.writer._base import WriterBase, check_frame

logger = logging.getLogger(__name__)

OPTIONS = {"format": "png", "jpg_quality": 95}
FORMATS = ("png", "jpg", "jpeg")


class Writer(WriterBase):
    """Writes ``OUTPUT/<name>.<format>``, each file atomically and tagged as synthetic."""

    OPTIONS = OPTIONS
    NAME = "images"

    def __init__(self, output: Path, **kwargs) -> None:
        super().__init__(output, **kwargs)
        self.format = str(self.options["format"]).lower().lstrip(".")
        if self.format not in FORMATS:
            raise FaceswapError(
                f"The images writer cannot write '{self.options['format']}'. "
                f"Use -O format=png or -O format=jpg."
            )
        quality = self.options["jpg_quality"]
        if not isinstance(quality, int) or not 1 <= quality <= 100:
            raise FaceswapError(f"jpg_quality must be a whole number 1-100, got {quality!r}.")
        if self.output.exists() and not self.output.is_dir():
            raise FaceswapError(
                f"The images writer needs a folder for its output, but '{self.output}' is a "
                "file. Pass a folder path (it will be created)."
            )
        atomic.check_writable(self.output)
        self.written: list[Path] = []

    def write(self, name: str, frame: np.ndarray) -> None:
        frame = check_frame(frame)
        target = self.output / f"{name}.{self.format}"
        if self.format == "png":
            data = provenance.tag_png(encode_image(frame, ".png"), self.info)
        else:
            if frame.ndim == 3 and frame.shape[2] == 4:  # JPEG has no alpha
                frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
            quality = int(self.options["jpg_quality"])
            data = provenance.tag_jpeg(encode_image(frame, ".jpg", quality), self.info)
        atomic.write_bytes(target, data)
        self.written.append(target)

    def close(self) -> list[Path]:
        return list(self.written)

    def abort(self) -> None:
        # Each image was renamed into place only when complete, so there is nothing half-written
        # to remove; the frames already written stay (they are valid, tagged images).
        logger.debug("images writer aborted after %d files", len(self.written))
