"""An animated GIF (Pillow) of all frames, tagged with a GIF comment."""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from faceswap.lib import atomic, provenance
from faceswap.lib.errors import FaceswapError
from faceswap.plugins.convert.writer._base import WriterBase, check_frame

logger = logging.getLogger(__name__)

# fps None: the source's frame rate, else 25. loop 0 = forever.
OPTIONS: dict[str, Any] = {"fps": None, "loop": 0, "palette_size": 256, "dither": True}


class Writer(WriterBase):
    """Collects frames (palettised as they arrive, to keep memory at 1 byte/pixel) and writes
    the GIF on ``close``."""

    OPTIONS = OPTIONS
    NAME = "gif"

    def __init__(self, output: Path, **kwargs) -> None:
        super().__init__(output, **kwargs)
        from PIL import Image

        self._image = Image
        if self.output.suffix.lower() != ".gif":
            raise FaceswapError(
                f"The gif writer writes one .gif file; '{self.output}' does not end in .gif. "
                "Pass an output such as out.gif."
            )
        fps = self.options["fps"]
        if fps is not None and (not isinstance(fps, int | float) or fps <= 0):
            raise FaceswapError(f"The gif fps option must be a positive number, got {fps!r}.")
        colours = self.options["palette_size"]
        if not isinstance(colours, int) or not 2 <= colours <= 256:
            raise FaceswapError(f"palette_size must be 2-256, got {colours!r}.")
        self.rate = Fraction(fps).limit_denominator(1001) if fps else self.frame_rate()
        atomic.check_writable(self.output.parent)
        self._frames: list = []
        self._size: tuple[int, int] | None = None

    def write(self, name: str, frame: np.ndarray) -> None:
        frame = check_frame(frame)
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGRA2RGB if frame.shape[2] == 4 else cv2.COLOR_BGR2RGB)
        size = (rgb.shape[1], rgb.shape[0])
        if self._size is None:
            self._size = size
        elif size != self._size:
            raise FaceswapError(
                f"Frame '{name}' is {size[0]}x{size[1]} but the GIF is {self._size[0]}x"
                f"{self._size[1]}; every frame of an animation must have the same size."
            )
        dither = self._image.Dither.FLOYDSTEINBERG if self.options["dither"] else (
            self._image.Dither.NONE
        )
        self._frames.append(
            self._image.fromarray(rgb).quantize(colors=self.options["palette_size"], dither=dither)
        )

    def _durations(self) -> list[int]:
        # GIF delays are whole centiseconds; rounding each frame's end time (not its length)
        # keeps the total duration right, e.g. 30 fps alternates 30/30/40 ms.
        ends = [round((i + 1) * 100 / self.rate) for i in range(len(self._frames))]
        return [10 * (end - start) for start, end in zip([0, *ends[:-1]], ends, strict=True)]

    def close(self) -> list[Path]:
        if not self._frames:
            logger.warning("No frames were written, so no GIF was made at '%s'.", self.output)
            return []
        first, *rest = self._frames
        comment = provenance.tag_text(self.info).encode("utf-8")
        with atomic.atomic_path(self.output) as tmp:
            first.save(
                tmp, format="GIF", save_all=True, append_images=rest, duration=self._durations(),
                loop=int(self.options["loop"]), comment=comment, optimize=False,
            )
        self._frames = []
        return [self.output]

    def abort(self) -> None:
        # Nothing is on disk until close(); dropping the frames is all there is to do.
        self._frames = []
