"""Shared parts of the convert writers: option checking, provenance payload, context manager."""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

import numpy as np

from faceswap.lib import provenance
from faceswap.lib.errors import FaceswapError
from faceswap.lib.video import is_video_file

logger = logging.getLogger(__name__)


class WriterBase:
    """Stores the common arguments; subclasses implement ``write``, ``close`` and ``abort``."""

    OPTIONS: ClassVar[dict[str, Any]] = {}
    NAME = "writer"

    def __init__(
        self,
        output: Path,
        *,
        fps: float | None = None,
        source: Path | None = None,
        reference_video: Path | None = None,
        options: dict | None = None,
        info: dict | None = None,
    ) -> None:
        self.output = Path(output)
        self.fps = fps
        self.source = Path(source) if source is not None else None
        self.reference_video = Path(reference_video) if reference_video is not None else None
        self.options = self._merge_options(options or {})
        # One payload (one creation time) for every file of this run.
        self.info = provenance.make_info(info)

    def _merge_options(self, given: dict) -> dict[str, Any]:
        unknown = sorted(set(given) - set(self.OPTIONS))
        if unknown:
            known = ", ".join(f"{key} (default {value!r})" for key, value in self.OPTIONS.items())
            raise FaceswapError(
                f"The {self.NAME} writer has no option {', '.join(unknown)}. "
                f"Its options are: {known or 'none'}."
            )
        return {**self.OPTIONS, **given}

    def video_rate(self) -> Fraction | None:
        """The exact average frame rate of ``source`` (or else ``reference_video``), if a video."""
        for path in (self.source, self.reference_video):
            if path is not None and is_video_file(path) and path.is_file():
                rate = average_rate(path)
                if rate:
                    return rate
        return None

    def frame_rate(self, default: Fraction = Fraction(25)) -> Fraction:
        """The output frame rate: ``fps`` if given, else the source's exact rate, else default.

        A float ``fps`` equal to the source's rate is replaced by the source's exact fraction
        (29.97 is really 30000/1001), so timestamps do not drift over a long video.
        """
        exact = self.video_rate()
        if self.fps:
            if exact and abs(float(exact) - self.fps) < 1e-3:
                return exact
            return Fraction(self.fps).limit_denominator(1001)
        return exact or default

    def write(self, name: str, frame: np.ndarray) -> None:
        raise NotImplementedError

    def close(self) -> list[Path]:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> WriterBase:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def average_rate(path: Path) -> Fraction | None:
    """The average frame rate of the first video stream of ``path`` as an exact fraction."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return None
            rate = container.streams.video[0].average_rate
            return Fraction(rate) if rate else None
    except (av.error.FFmpegError, ValueError):
        return None


def check_frame(frame: np.ndarray) -> np.ndarray:
    """``frame`` as a C-contiguous uint8 BGR/BGRA array; a clear error for anything else."""
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim not in (2, 3):
        raise FaceswapError(
            "Writers take uint8 BGR frames (H x W x 3); got "
            f"{getattr(frame, 'dtype', type(frame).__name__)} {getattr(frame, 'shape', '')}. "
            "This is a bug in the convert loop; please report it."
        )
    return np.ascontiguousarray(frame)
