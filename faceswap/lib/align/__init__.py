"""Face alignment geometry (pure NumPy/OpenCV, no file I/O): reference face, Umeyama fit,
aligned-face crop and paste back, head pose, landmark masks."""

from faceswap.lib.align.aligned_face import (
    CENTERINGS,
    EXTRACT_RATIOS,
    AlignedFace,
    aligned_matrix,
    invert_matrix,
    legacy_matrix,
    paste_back,
    transform_points,
    warp_face,
)
from faceswap.lib.align.masks import (
    CONVERT_MASK_TYPES,
    FACE_MASK_TYPES,
    MASK_CHANNELS,
    MASK_TYPES,
    TRAIN_MASK_TYPES,
    landmark_mask,
)
from faceswap.lib.align.pose import Pose, estimate_pose
from faceswap.lib.align.reference import MEAN_FACE, derive_mean_face
from faceswap.lib.align.umeyama import umeyama

__all__ = [
    "CENTERINGS",
    "CONVERT_MASK_TYPES",
    "EXTRACT_RATIOS",
    "FACE_MASK_TYPES",
    "MASK_CHANNELS",
    "MASK_TYPES",
    "MEAN_FACE",
    "TRAIN_MASK_TYPES",
    "AlignedFace",
    "Pose",
    "aligned_matrix",
    "derive_mean_face",
    "estimate_pose",
    "invert_matrix",
    "landmark_mask",
    "legacy_matrix",
    "paste_back",
    "transform_points",
    "umeyama",
    "warp_face",
]
