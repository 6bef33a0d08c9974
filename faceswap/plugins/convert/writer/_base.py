"""Shared parts of the convert writers: option checking, provenance payload, context manager."""

from __future__ import annotations

import logging
import numbers
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

import numpy as np

from faceswap.lib import provenance
from faceswap.lib.errors import FaceswapError

logger = logging.getLogger(__name__)


class WriterBase:
    """Stores the common arguments; subclasses implement ``write``, ``close`` and ``abort``."""

    OPTIONS: ClassVar[dict[str, Any]] = {}
    NAME = "writer"

    def __init__(
        self,
        output: Path,
        *,
        fps: Fraction | float | None = None,
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

    def frame_rate(self, default: Fraction = Fraction(25)) -> Fraction:
        """The output frame rate: ``fps`` if given, else ``default``.

        An int or Fraction is used exactly. A float becomes the nearest fraction with a
        denominator up to 1001, which recovers the NTSC rates (29.97... is 30000/1001); callers
        that know the exact rate (``Source.rate``) pass the Fraction so nothing is rounded.
        """
        if not self.fps:
            return default
        if isinstance(self.fps, numbers.Rational):
            return Fraction(self.fps)
        return Fraction(self.fps).limit_denominator(1001)

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


def check_frame(frame: np.ndarray) -> np.ndarray:
    """``frame`` as a C-contiguous uint8 BGR/BGRA array; a clear error for anything else."""
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim not in (2, 3):
        raise FaceswapError(
            "Writers take uint8 BGR frames (H x W x 3); got "
            f"{getattr(frame, 'dtype', type(frame).__name__)} {getattr(frame, 'shape', '')}. "
            "This is a bug in the convert loop; please report it."
        )
    return np.ascontiguousarray(frame)
