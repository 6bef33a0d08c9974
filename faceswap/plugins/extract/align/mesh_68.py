"""MediaPipe's face mesh (468 points) mapped onto the 68-point layout: the second aligner.

Runs Google's ``face_landmark.tflite`` (the MediaPipe Face Mesh model, Apache-2.0) through
``cv2.dnn``, so neither MediaPipe nor TensorFlow Lite is needed; the 2.4 MB model file ships
inside faceswap (``plugins/extract/weights/``, licence in its NOTICE.md). Unlike dlib-68's,
its weights are not bound to iBUG 300-W's non-commercial terms. Two passes: the first on a
square crop around the detector's box, the second on a crop rotated upright and centred on the
first pass's mesh (what MediaPipe's own tracker does between frames), which keeps a face rolled
by 35° at 0.10 inter-ocular distances from dlib-68 where one pass gives 0.25.
About 3 ms per face for both passes (``bench/mesh_68_accuracy.py``).

``MESH_TO_68`` picks, for each of the 68 points, the mesh vertex that lies closest to dlib-68's
point over a set of real faces (``python bench/mesh_68_accuracy.py --derive`` recomputes it and
``bench/mesh_68_accuracy.py`` measures the agreement). The jaw differs by definition: dlib's
points sit on the visible outline, the mesh's on the face surface.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from faceswap.plugins.extract._base import Box, shipped_weights

NAME = "mesh-68"
INPUT_SIZE = 192
FIRST_PASS_SCALE = 1.5  # crop side / detector box side
SECOND_PASS_SCALE = 1.5  # crop side / mesh extent
# Mesh vertices at the outer eye corners (MediaPipe's topology): used to turn the face upright.
OUTER_EYE_CORNERS = (33, 263)

MESH_TO_68 = (
    # jaw 0-16
    34, 93, 132, 58, 172, 136, 149, 148, 152, 377, 378, 379, 397, 288, 401, 323, 264,
    # brows 17-26
    70, 63, 105, 65, 55, 285, 295, 282, 293, 300,
    # nose 27-35
    168, 197, 5, 4, 240, 97, 2, 326, 305,
    # eyes 36-47
    7, 160, 158, 155, 153, 144, 382, 385, 386, 249, 373, 380,
    # mouth 48-59 (outer)
    146, 39, 37, 0, 267, 310, 375, 405, 314, 17, 84, 181,
    # mouth 60-67 (inner)
    77, 38, 13, 312, 307, 316, 15, 86,
)

_local = threading.local()  # cv2.dnn.Net objects must not be shared between threads


def model_path():
    return shipped_weights("face_landmark.tflite")


def _net() -> cv2.dnn.Net:
    net = getattr(_local, "net", None)
    if net is None:
        net = _local.net = cv2.dnn.readNetFromTFLite(str(model_path()))
    return net


def _run(image_bgr: np.ndarray, centre: tuple[float, float], side: float,
         angle: float) -> np.ndarray:
    """The (468, 2) mesh of the face in the square crop (centre, side, rotated by angle deg)."""
    scale = INPUT_SIZE / side
    matrix = cv2.getRotationMatrix2D(centre, angle, scale)
    matrix[:, 2] += np.array([INPUT_SIZE / 2, INPUT_SIZE / 2]) - np.array(centre)
    crop = cv2.warpAffine(image_bgr, matrix, (INPUT_SIZE, INPUT_SIZE), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT)
    blob = cv2.dnn.blobFromImage(crop, 1 / 255.0, swapRB=True)  # NCHW RGB in [0, 1]
    net = _net()
    net.setInput(blob)
    outputs = net.forward(net.getUnconnectedOutLayersNames())
    points = next(o for o in outputs if o.size == 468 * 3).reshape(468, 3)[:, :2]
    inverse = cv2.invertAffineTransform(matrix)
    return points @ inverse[:, :2].T + inverse[:, 2]


def mesh(image_bgr: np.ndarray, box: Box) -> np.ndarray:
    """(468, 2) float32 face-mesh vertices of the face in ``box`` (x, y, w, h), frame pixels."""
    x, y, w, h = box
    points = _run(image_bgr, (x + w / 2, y + h / 2), FIRST_PASS_SCALE * max(w, h), 0.0)
    right, left = points[OUTER_EYE_CORNERS[0]], points[OUTER_EYE_CORNERS[1]]
    # Rotating the crop by the eye line's angle makes the eyes level in the second pass.
    angle = float(np.degrees(np.arctan2(left[1] - right[1], left[0] - right[0])))
    low, high = points.min(axis=0), points.max(axis=0)
    centre = tuple(float(v) for v in (low + high) / 2)
    points = _run(image_bgr, centre, SECOND_PASS_SCALE * float(np.max(high - low)), angle)
    return points.astype(np.float32)


def landmarks(image_bgr: np.ndarray, box: Box) -> np.ndarray:
    """(68, 2) float32 landmarks of the face in ``box`` (x, y, w, h), in image pixels."""
    return mesh(image_bgr, box)[list(MESH_TO_68)]
