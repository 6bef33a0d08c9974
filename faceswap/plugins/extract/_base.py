"""What every extract plugin provides, and helpers they share.

Detector plugin (``faceswap/plugins/extract/detect/<name>.py``)::

    detect(image_bgr: np.ndarray) -> list[Detection]    # (box, score); box = (x, y, w, h) px

Aligner plugin (``faceswap/plugins/extract/align/<name>.py``)::

    landmarks(image_bgr: np.ndarray, box: Box) -> np.ndarray   # (68, 2) float32, frame px

Plugins must be safe to call from several threads at once (extract runs ``-j`` workers); keep
models in ``threading.local`` when the library's objects are not known to be thread-safe.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, Protocol

import cv2
import numpy as np

from faceswap.lib.errors import FaceswapError
from faceswap.lib.optional import import_dlib, package_file

__all__ = ["Box", "Detection", "downscale", "import_dlib", "package_file", "shipped_weights",
           "to_dlib_box"]

Box = tuple[int, int, int, int]  # x, y, width, height in frame pixels


class Detection(NamedTuple):
    box: Box
    score: float


class Detector(Protocol):
    def detect(self, image_bgr: np.ndarray) -> list[Detection]: ...


class Aligner(Protocol):
    def landmarks(self, image_bgr: np.ndarray, box: Box) -> np.ndarray: ...


WEIGHTS_DIR = Path(__file__).parent / "weights"


def shipped_weights(name: str) -> Path:
    """Path of a model file shipped inside faceswap (``weights/``; licences in NOTICE.md)."""
    path = WEIGHTS_DIR / name
    if not path.is_file():
        raise FaceswapError(
            f"The model file '{path}' is missing from this faceswap installation. Reinstall "
            "faceswap (pip install -e . from a full checkout); the file ships in the repository."
        )
    return path


def downscale(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """``image`` shrunk (INTER_AREA) so its longer side is at most ``max_side``; and the scale."""
    longest = max(image.shape[:2])
    if max_side <= 0 or longest <= max_side:
        return image, 1.0
    scale = max_side / longest
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), scale


def to_dlib_box(
    box: tuple[float, float, float, float], mapping: tuple[float, float, float, float]
) -> Box:
    """Map a detector's (x, y, w, h) box onto dlib-HOG's box convention.

    ``mapping`` = (centre shift x, centre shift y, width scale, height scale), shifts as
    fractions of the box size. dlib-68 initialises its landmarks from the box, so feeding it
    boxes shaped like the ones it was trained on keeps its landmarks accurate.
    """
    x, y, w, h = box
    dx, dy, sw, sh = mapping
    cx, cy = x + w / 2 + dx * w, y + h / 2 + dy * h
    nw, nh = w * sw, h * sh
    return (round(cx - nw / 2), round(cy - nh / 2), round(nw), round(nh))
