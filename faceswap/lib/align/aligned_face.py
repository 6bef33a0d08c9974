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


def paste_region(shape: tuple[int, ...], matrix: np.ndarray,
                 box: tuple[int, int, int, int], margin: int = 3) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)``: the part of a frame of ``shape`` that the aligned-space ``box``
    ``(x0, y0, x1, y1)`` (frame → aligned ``matrix``) lands on, grown by ``margin`` aligned
    pixels, which covers what cubic and area interpolation read past its edge. Empty when the
    box is off the frame."""
    inverse = cv2.invertAffineTransform(matrix)
    left, top = box[0] - margin, box[1] - margin
    right, bottom = box[2] - 1 + margin, box[3] - 1 + margin
    corners = np.array([[left, top], [right, top], [left, bottom], [right, bottom]], np.float64)
    points = corners @ inverse[:, :2].T + inverse[:, 2]
    height, width = shape[:2]
    x0, y0 = np.floor(points.min(axis=0)).astype(int) - 1
    x1, y1 = np.ceil(points.max(axis=0)).astype(int) + 2
    x0, x1 = int(np.clip(x0, 0, width)), int(np.clip(x1, 0, width))
    y0, y1 = int(np.clip(y0, 0, height)), int(np.clip(y1, 0, height))
    return x0, y0, max(x1, x0), max(y1, y0)


def paste_in_region(frame: np.ndarray, face: np.ndarray, matrix: np.ndarray,
                    mask: np.ndarray) -> None:
    """``paste_back`` into ``frame`` in place, over the region the mask covers only.

    Where the mask is 0 the blend keeps the frame's pixel, so only the frame region under the
    mask's bounding box (plus the interpolation margin) is warped and blended: on full frames
    that was most of convert's per-frame cost.
    """
    rows, cols = np.nonzero(mask > 0)
    if not len(rows):
        return
    box = (int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1)
    x0, y0, x1, y1 = paste_region(frame.shape, matrix, box)
    if x1 <= x0 or y1 <= y0:
        return
    # Frame pixel p is region pixel p - (x0, y0): fold the offset into the translation.
    shifted = matrix.astype(np.float64, copy=True)
    shifted[:, 2] += shifted[:, :2] @ np.array([x0, y0], np.float64)
    frame[y0:y1, x0:x1] = paste_back(frame[y0:y1, x0:x1], face, shifted, mask)


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

