"""dlib's HOG + linear SVM frontal face detector: the fast CPU default.

About 30 ms for a 512 px frame on one core, and dlib releases the GIL so ``-j`` threads scale.
Finds frontal and moderately turned faces of at least ~80 px in the (downscaled) image; misses
profiles. Weights are compiled into dlib (package ``dlib-bin``).
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from faceswap.plugins.extract._base import Detection, downscale, import_dlib

NAME = "dlib-hog"
MAX_SIDE = 640  # frames are shrunk to this before detection: HOG cost grows with the pixel count
_local = threading.local()


def _detector():
    if not hasattr(_local, "detector"):
        _local.detector = import_dlib().get_frontal_face_detector()
    return _local.detector


def detect(image_bgr: np.ndarray) -> list[Detection]:
    """Faces in ``image_bgr`` as (box, score); box (x, y, w, h) in the image's pixels."""
    small, scale = downscale(image_bgr, MAX_SIDE)
    rgb = np.ascontiguousarray(cv2.cvtColor(small, cv2.COLOR_BGR2RGB))
    detector = _detector()
    rects, scores, _ = detector.run(rgb, 0, 0.0)
    if not rects:
        # Upsampling doubles the resolution (4x the cost), so only pay it when nothing was found:
        # it recovers faces smaller than the detector's 80 px window.
        rects, scores, _ = detector.run(rgb, 1, 0.0)
    return [
        Detection(
            (round(r.left() / scale), round(r.top() / scale),
             round(r.width() / scale), round(r.height() / scale)),
            float(score),
        )
        for r, score in zip(rects, scores, strict=True)
    ]
