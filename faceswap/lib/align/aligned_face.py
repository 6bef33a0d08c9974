"""Alignment geometry: frame landmarks -> similarity matrix -> aligned face crop -> paste back.

Spaces:
- *frame*: pixel coordinates of the source image or video frame.
- *unit*: the reference face's space (``reference.MEAN_FACE``), core box = [0, 1]^2.
- *aligned*: pixels of an aligned face image of ``size`` x ``size``.

``legacy_matrix`` maps frame -> unit. For a centering (``legacy``, ``face``, ``head``) the unit
space is shifted by the pose-dependent offset, then scaled and padded to the output size:
``EXTRACT_RATIOS[centering]`` is the fraction of the output (at coverage 1.0) that lies outside
the shifted unit square, so legacy is the tightest crop and head the widest. ``coverage_ratio``
< 1 zooms in on the centre.

Re-cropping an extracted face: the PNG stores the landmarks in its own pixel space, and the
geometry is similarity-invariant, so ``AlignedFace.from_landmarks(png_landmarks).crop(face_png,
size, "face", coverage)`` cuts a face-centred sub-image straight out of a head-centred extract.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from faceswap.lib.align.pose import Pose, estimate_pose
from faceswap.lib.align.reference import CORE, MEAN_FACE
from faceswap.lib.align.umeyama import umeyama

CENTERINGS = ("legacy", "face", "head")
EXTRACT_RATIOS = {"legacy": 0.375, "face": 0.5, "head": 0.625}


def legacy_matrix(landmarks: np.ndarray) -> np.ndarray:
    """2x3 similarity matrix from frame coordinates to reference unit space (core points fit)."""
    landmarks = np.asarray(landmarks, dtype=np.float64)
    if landmarks.shape != (68, 2):
        raise ValueError(f"expected (68, 2) landmarks, got {landmarks.shape}")
    return umeyama(landmarks[CORE], MEAN_FACE[CORE])[:2]


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a 2x3 affine ``matrix`` to (N, 2) points."""
    points = np.asarray(points, dtype=np.float64)
    return points @ matrix[:, :2].T + matrix[:, 2]


def invert_matrix(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a 2x3 affine matrix (aligned -> frame when given frame -> aligned)."""
    return cv2.invertAffineTransform(np.asarray(matrix, dtype=np.float64))


def padding(size: int, centering: str, coverage_ratio: float = 1.0) -> int:
    """Pixels between the output edge and the (shifted) unit square for this crop."""
    ratio = EXTRACT_RATIOS[_check_centering(centering)]
    return round(size * (ratio + coverage_ratio - 1.0) / (2.0 * coverage_ratio))


def _check_centering(centering: str) -> str:
    if centering not in EXTRACT_RATIOS:
        raise ValueError(f"centering must be one of {CENTERINGS}, got {centering!r}")
    return centering


def aligned_matrix(
    legacy: np.ndarray,
    offset: tuple[float, float],
    size: int,
    centering: str = "head",
    coverage_ratio: float = 1.0,
    y_offset: float = 0.0,
) -> np.ndarray:
    """2x3 matrix from frame pixels to a ``size`` px aligned face."""
    pad = padding(size, centering, coverage_ratio)
    matrix = np.array(legacy, dtype=np.float64, copy=True)
    matrix[:, 2] -= offset
    matrix *= size - 2 * pad
    matrix[:, 2] += pad
    matrix[1, 2] += y_offset * (size - 2 * pad)
    return matrix


def interpolators(matrix: np.ndarray) -> tuple[int, int]:
    """(forward, inverse) interpolation flags: cubic when enlarging, area-like when shrinking."""
    scale = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
    return (cv2.INTER_CUBIC, cv2.INTER_AREA) if scale >= 1.0 else (cv2.INTER_AREA, cv2.INTER_CUBIC)


def warp_face(image: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """Cut the aligned face out of ``image`` (frame -> aligned), black outside the frame."""
    flags = interpolators(matrix)[0]
    return cv2.warpAffine(
        image, matrix, (size, size), flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )


def paste_back(
    frame: np.ndarray, face: np.ndarray, matrix: np.ndarray, mask: np.ndarray | None = None
) -> np.ndarray:
    """``frame`` with ``face`` (aligned by ``matrix``) warped back in, blended by ``mask``.

    ``mask`` is in aligned space, float in [0, 1] or uint8 0-255; without it the whole square is
    pasted. Works for any dtype and channel count the frame and face share.
    """
    height, width = frame.shape[:2]
    flags = interpolators(matrix)[1] | cv2.WARP_INVERSE_MAP
    back = cv2.warpAffine(
        face, matrix, (width, height), flags=flags, borderMode=cv2.BORDER_REPLICATE
    )
    if mask is None:
        mask = np.ones(face.shape[:2], dtype=np.float32)
    elif mask.dtype == np.uint8:
        mask = mask.astype(np.float32) / 255.0
    # Zero padding keeps the blend weight 0 outside the aligned square.
    alpha = cv2.warpAffine(
        mask.astype(np.float32), matrix, (width, height), flags=flags,
        borderMode=cv2.BORDER_CONSTANT, borderValue=0,
    )
    if frame.ndim == 3:
        alpha = alpha[..., None]
    out = frame.astype(np.float32) * (1.0 - alpha) + back.astype(np.float32) * alpha
    if np.issubdtype(frame.dtype, np.integer):
        out = np.clip(np.rint(out), np.iinfo(frame.dtype).min, np.iinfo(frame.dtype).max)
    return out.astype(frame.dtype)


@dataclass(frozen=True)
class AlignedFace:
    """One face's alignment: its frame landmarks, the frame->unit matrix and its pose."""

    landmarks: np.ndarray  # (68, 2) frame coordinates
    legacy: np.ndarray  # (2, 3) frame -> unit space
    pose: Pose

    @classmethod
    def from_landmarks(cls, landmarks: np.ndarray) -> AlignedFace:
        landmarks = np.asarray(landmarks, dtype=np.float64)
        legacy = legacy_matrix(landmarks)
        pose = estimate_pose(transform_points(landmarks, legacy))
        # The similarity fit already removes in-image rotation, so read roll from the matrix.
        roll = float(np.degrees(np.arctan2(-legacy[1, 0], legacy[0, 0])))
        pose = Pose(yaw=pose.yaw, pitch=pose.pitch, roll=roll, offsets=pose.offsets)
        return cls(landmarks=landmarks, legacy=legacy, pose=pose)

    def matrix(
        self, size: int, centering: str = "head", coverage_ratio: float = 1.0, y_offset: float = 0.0
    ) -> np.ndarray:
        """Frame -> aligned-face matrix for this face at ``size`` px."""
        offset = self.pose.offsets[_check_centering(centering)]
        return aligned_matrix(self.legacy, offset, size, centering, coverage_ratio, y_offset)

    def crop(
        self, image: np.ndarray, size: int, centering: str = "head", coverage_ratio: float = 1.0
    ) -> np.ndarray:
        """The aligned face image cut from ``image`` (the frame the landmarks belong to)."""
        return warp_face(image, self.matrix(size, centering, coverage_ratio), size)

    def aligned_landmarks(
        self, size: int, centering: str = "head", coverage_ratio: float = 1.0
    ) -> np.ndarray:
        """The landmarks in the pixel space of ``crop(size, centering, coverage_ratio)``."""
        return transform_points(self.landmarks, self.matrix(size, centering, coverage_ratio))

