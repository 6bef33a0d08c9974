"""Masks drawn from the 68 landmarks: ``components``, ``extended``, ``eye`` and ``mouth``.

All functions take landmarks already in the mask's pixel space (for example
``AlignedFace.aligned_landmarks(size, centering)``) and return a uint8 mask, 255 inside.

- components: union of filled convex hulls over eight overlapping landmark groups (each jaw half,
  each cheek, the nose ridge, each eye region, the nose), so concave outlines such as the jaw
  under the cheekbones are followed better than one hull of all points would.
- extended: the same after each eyebrow point is pushed away from its eye by half their
  distance, so the mask reaches up onto the forehead.
- eye: the two eye hulls (36-41, 42-47). mouth: the outer lip hull (48-59).
"""

from __future__ import annotations

import cv2
import numpy as np

# Every list of mask names lives here, once; the rest of faceswap imports them
# (tests/test_vocabulary.py fails when a module spells one out again).
FACE_MASK_TYPES = ("components", "extended")  # landmark masks that cover the whole face
MASK_TYPES = (*FACE_MASK_TYPES, "eye", "mouth")  # every landmark mask extract can store
# Masks predicted by a trained mask model (plugin family "mask", `faceswap mask train/apply`),
# stored beside the landmark masks; each name is also the plugin that makes it.
LEARNED_MASK_TYPES = ("xseg",)
STORED_MASK_TYPES = (*MASK_TYPES, *LEARNED_MASK_TYPES)  # every mask kind a face can carry
TRAIN_MASK_TYPES = (*FACE_MASK_TYPES, "none", *LEARNED_MASK_TYPES)  # weights the training loss
CONVERT_MASK_TYPES = (*FACE_MASK_TYPES, "none", "predicted", *LEARNED_MASK_TYPES)  # convert blends
MASK_CHANNELS = ("face", "eye", "mouth")  # mask channels a training target can carry

_JAW, _BROWS, _NOSE_BRIDGE, _NOSE_BASE = range(0, 17), range(17, 27), range(27, 31), range(31, 36)
COMPONENT_GROUPS: tuple[tuple[int, ...], ...] = (
    (*range(0, 9), 17),  # right jaw (image left) with the outer brow end
    (*range(8, 17), 26),  # left jaw
    (17, 18, 19, 8),  # right cheek: brow to chin
    (24, 25, 26, 8),  # left cheek
    (*range(19, 25), 8),  # nose ridge and forehead centre
    (*range(17, 22), 27, *_NOSE_BASE, 8),  # right eye region
    (*range(22, 27), 27, *_NOSE_BASE, 8),  # left eye region
    (*_NOSE_BRIDGE, *_NOSE_BASE),  # nose
)
EYE_GROUPS = (tuple(range(36, 42)), tuple(range(42, 48)))
MOUTH_GROUPS = (tuple(range(48, 60)),)

# The eye point each eyebrow point is pushed away from for the extended mask.
_BROW_ANCHORS = dict(zip(range(17, 27), (36, 37, 38, 39, 39, 42, 42, 43, 44, 45), strict=True))


def extend_brows(landmarks: np.ndarray, amount: float = 0.5) -> np.ndarray:
    """Landmarks with eyebrow points moved away from the eyes by ``amount`` x their distance."""
    points = np.array(landmarks, dtype=np.float64, copy=True)
    for brow, eye in _BROW_ANCHORS.items():
        points[brow] += amount * (points[brow] - points[eye])
    return points


def _draw_hulls(groups, landmarks: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    height, width = (size, size) if isinstance(size, int) else size
    mask = np.zeros((height, width), dtype=np.uint8)
    for group in groups:
        # Sub-pixel precision (shift 4) keeps small masks from jumping by whole pixels.
        hull = cv2.convexHull(np.rint(landmarks[list(group)] * 16).astype(np.int32))
        cv2.fillConvexPoly(mask, hull, 255, lineType=cv2.LINE_AA, shift=4)
    return mask


def landmark_mask(
    landmarks: np.ndarray, size: int | tuple[int, int], kind: str = "extended"
) -> np.ndarray:
    """A ``kind`` mask (see MASK_TYPES) of ``size`` (int or (height, width)) from (68, 2) points."""
    landmarks = np.asarray(landmarks, dtype=np.float64)
    if landmarks.shape != (68, 2):
        raise ValueError(f"expected (68, 2) landmarks, got {landmarks.shape}")
    if kind == "components":
        return _draw_hulls(COMPONENT_GROUPS, landmarks, size)
    if kind == "extended":
        return _draw_hulls(COMPONENT_GROUPS, extend_brows(landmarks), size)
    if kind == "eye":
        return _draw_hulls(EYE_GROUPS, landmarks, size)
    if kind == "mouth":
        return _draw_hulls(MOUTH_GROUPS, landmarks, size)
    raise ValueError(f"unknown mask type {kind!r}; choose one of {', '.join(MASK_TYPES)}")
