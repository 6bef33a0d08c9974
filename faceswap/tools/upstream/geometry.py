"""Upstream faceswap's alignment geometry, so its aligned faces can be located exactly.

Upstream cut every aligned face PNG with its own reference face and its own head model, which
differ from this project's (``faceswap.lib.align``): the same frame landmarks give a slightly
different crop. To know where a frame point sits in an upstream PNG we recompute upstream's
frame -> PNG matrix from the frame landmarks the PNG stores. The numbers below are the facts
that define that geometry (research/upstream-faceswap.md §6.2):

- legacy matrix: Umeyama similarity (with scale) from frame landmarks 17-67 onto
  ``MEAN_FACE_51`` (the 51 core points of upstream's mean face, bounding box [0, 1]);
- pose: ``cv2.solvePnP`` (iterative, no initial guess) of 26 of those unit-space landmarks
  (``POSE_POINTS``) against ``HEAD_3D`` with the camera ``[[4, 0, .5], [0, 4, .5], [0, 0, 1]]``;
- centering offset: the projection of ``CENTER_3D[c]`` minus (0.5, 0.5) (legacy: none);
- crop: ``(legacy - offset) * (size - 2 pad) + pad`` with ``pad = round(size (ratio + r - 1) /
  (2 r))`` and the padding ratios head 0.625 / face 0.5 / legacy 0.375 (the same rule as ours).

Only the data tables come from upstream's published reference geometry; the code is this
project's (``faceswap.lib.align.umeyama``, OpenCV).
"""

from __future__ import annotations

import cv2
import numpy as np

from faceswap.lib.align.aligned_face import EXTRACT_RATIOS, transform_points
from faceswap.lib.align.umeyama import umeyama

# Upstream's mean face, landmarks 17-67 (eyebrows, nose, eyes, mouth), unit space.
# fmt: off
MEAN_FACE_51 = np.array([
    [0.010086, 0.106454], [0.085135, 0.038915], [0.191003, 0.018748], [0.300643, 0.034489],
    [0.403270, 0.077391], [0.596729, 0.077391], [0.699356, 0.034489], [0.808997, 0.018748],
    [0.914864, 0.038915], [0.989913, 0.106454], [0.500000, 0.203352], [0.500000, 0.307009],
    [0.500000, 0.409805], [0.500000, 0.515625], [0.376753, 0.587326], [0.435909, 0.609345],
    [0.500000, 0.628106], [0.564090, 0.609345], [0.623246, 0.587326], [0.131610, 0.216423],
    [0.196995, 0.178758], [0.275698, 0.179852], [0.344479, 0.231733], [0.270791, 0.245099],
    [0.192616, 0.244077], [0.655520, 0.231733], [0.724301, 0.179852], [0.803005, 0.178758],
    [0.868389, 0.216423], [0.807383, 0.244077], [0.729208, 0.245099], [0.264022, 0.780233],
    [0.350858, 0.745405], [0.438731, 0.727388], [0.500000, 0.742578], [0.561268, 0.727388],
    [0.649141, 0.745405], [0.735977, 0.780233], [0.652032, 0.864805], [0.566594, 0.902192],
    [0.500000, 0.909281], [0.433405, 0.902192], [0.347967, 0.864805], [0.300252, 0.784792],
    [0.437969, 0.778746], [0.500000, 0.785343], [0.562030, 0.778746], [0.699747, 0.784792],
    [0.563237, 0.824182], [0.500000, 0.831803], [0.436763, 0.824182],
])

# Upstream's 3-D head (y up, z towards the camera), one row per POSE_POINTS landmark.
HEAD_3D = np.array([
    [4.056931, -11.432347, 1.636229], [1.833492, -12.542305, 4.061275],
    [0.0, -12.901019, 4.070434], [-1.833492, -12.542305, 4.061275],
    [-4.056931, -11.432347, 1.636229], [6.825897, 1.275284, 4.402142],
    [1.330353, 1.636816, 6.903745], [-1.330353, 1.636816, 6.903745],
    [-6.825897, 1.275284, 4.402142], [1.930245, -5.060977, 5.914376],
    [0.746313, -5.136947, 6.263227], [0.0, -5.485328, 6.76343],
    [-0.746313, -5.136947, 6.263227], [-1.930245, -5.060977, 5.914376],
    [5.311432, 0.0, 3.987654], [1.78993, -0.091703, 4.413414],
    [-1.78993, -0.091703, 4.413414], [-5.311432, 0.0, 3.987654],
    [2.774015, -7.566103, 5.048531], [0.509714, -7.056507, 6.566167],
    [0.0, -7.131772, 6.704956], [-0.509714, -7.056507, 6.566167],
    [-2.774015, -7.566103, 5.048531], [-0.589441, -8.443925, 6.109526],
    [0.0, -8.601736, 6.097667], [0.589441, -8.443925, 6.109526],
])
# fmt: on
POSE_POINTS = np.array([6, 7, 8, 9, 10, 17, 21, 22, 26, 31, 32, 33, 34, 35, 36, 39, 42, 45, 48,
                        50, 51, 52, 54, 56, 57, 58])
CAMERA = np.array([[4.0, 0.0, 0.5], [0.0, 4.0, 0.5], [0.0, 0.0, 1.0]])
CENTER_3D = {"face": (0.0, -1.5, 4.2), "head": (0.0, 0.0, -2.3)}


def legacy_matrix(landmarks: np.ndarray) -> np.ndarray:
    """Upstream's 2x3 frame -> unit matrix for 68 frame landmarks."""
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (68, 2):
        raise ValueError(f"expected (68, 2) landmarks, got {points.shape}")
    return umeyama(points[17:], MEAN_FACE_51)[:2]


def centering_offsets(landmarks: np.ndarray,
                      legacy: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Upstream's unit-space offset of each centering's crop centre for this face."""
    legacy = legacy_matrix(landmarks) if legacy is None else legacy
    unit = np.nan_to_num(transform_points(landmarks, legacy))
    ok, rvec, tvec = cv2.solvePnP(HEAD_3D, np.ascontiguousarray(unit[POSE_POINTS]), CAMERA,
                                  np.zeros((4, 1)), flags=cv2.SOLVEPNP_ITERATIVE)
    offsets = {"legacy": np.zeros(2)}
    if not ok:  # degenerate landmarks: upstream would crop them unshifted too
        offsets.update(face=np.zeros(2), head=np.zeros(2))
        return offsets
    for name, point in CENTER_3D.items():
        projected, _ = cv2.projectPoints(np.array([point]), rvec, tvec, CAMERA, np.zeros((4, 1)))
        offsets[name] = projected.reshape(2) - 0.5
    return offsets


def crop_matrix(landmarks: np.ndarray, size: int, centering: str = "head",
                coverage_ratio: float = 1.0) -> np.ndarray:
    """The frame -> pixel matrix of the ``size`` px face upstream cut for ``landmarks``."""
    if centering not in EXTRACT_RATIOS:
        raise ValueError(f"unknown centering {centering!r}")
    legacy = legacy_matrix(landmarks)
    offset = centering_offsets(landmarks, legacy)[centering]
    pad = round(size * (EXTRACT_RATIOS[centering] + coverage_ratio - 1.0) / (2.0 * coverage_ratio))
    matrix = legacy.copy()
    matrix[:, 2] -= offset
    matrix *= size - 2 * pad
    matrix[:, 2] += pad
    return matrix
