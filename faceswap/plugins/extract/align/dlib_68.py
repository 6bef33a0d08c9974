"""dlib's 68-point shape predictor (Kazemi & Sullivan regression trees): the default aligner.

About 1-3 ms per face. Weights: ``shape_predictor_68_face_landmarks.dat`` inside the PyPI package
``face_recognition_models``. Licence note: the model was trained on iBUG 300-W, whose terms
exclude commercial use.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from faceswap.plugins.extract._base import Box, import_dlib, package_file

NAME = "dlib-68"
# One predictor shared by all threads: its call is read-only (const in dlib) and loading the
# 100 MB model takes about a second, so per-thread copies would only cost time and memory.
_lock = threading.Lock()
_model: list = []


def model_path():
    return package_file(
        "face_recognition_models", "models/shape_predictor_68_face_landmarks.dat",
        "face_recognition_models",
    )


def _predictor():
    if not _model:
        with _lock:
            if not _model:
                _model.append(import_dlib().shape_predictor(str(model_path())))
    return _model[0]


def landmarks(image_bgr: np.ndarray, box: Box) -> np.ndarray:
    """(68, 2) float32 landmarks of the face in ``box`` (x, y, w, h), in image pixels."""
    dlib = import_dlib()
    x, y, w, h = (int(v) for v in box)
    # The predictor only reads pixels near the box: convert a padded crop, not the whole frame.
    pad = max(w, h) // 2
    height, width = image_bgr.shape[:2]
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(width, x + w + pad), min(height, y + h + pad)
    crop = np.ascontiguousarray(cv2.cvtColor(image_bgr[y0:y1, x0:x1], cv2.COLOR_BGR2RGB))
    rect = dlib.rectangle(x - x0, y - y0, x - x0 + w - 1, y - y0 + h - 1)
    shape = _predictor()(crop, rect)
    points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
    return points + np.array([x0, y0], dtype=np.float32)
