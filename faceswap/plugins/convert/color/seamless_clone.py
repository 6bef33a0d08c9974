"""Poisson (seamless) cloning of the new face into the original face with OpenCV.

``cv2.seamlessClone`` (NORMAL_CLONE) keeps the new face's gradients inside the mask and takes
the colours at the mask's boundary from the original face, so the swap inherits the frame's
lighting. The original face is placed on a zero-padded canvas half a face wide on each side:
OpenCV rejects a clone region that reaches past the destination, and a mask touching the patch
edge (a face cut off by the frame) would otherwise do so. The mask is binarised (> 0), as
OpenCV treats any non-zero mask value as inside.
"""

from __future__ import annotations

import cv2
import numpy as np

from faceswap.plugins.convert.color._common import as_face, as_mask

OPTIONS: dict[str, object] = {}


def adjust(old: np.ndarray, new: np.ndarray, mask: np.ndarray, **options) -> np.ndarray:
    """``new`` Poisson-blended into ``old`` inside ``mask``, clipped to [0, 1]."""
    old, new = as_face(old), as_face(new)
    height, width = new.shape[:2]
    binary = np.where(as_mask(mask, new.shape)[..., 0] > 0, 255, 0).astype(np.uint8)
    # OpenCV zeroes the mask's outer pixel ring itself; do it here too so the bounding box
    # used to place the clone is the one OpenCV will use.
    binary[0, :] = binary[-1, :] = binary[:, 0] = binary[:, -1] = 0
    if not binary.any():
        return np.clip(new, 0.0, 1.0)
    x, y, box_width, box_height = cv2.boundingRect(binary)

    pad_y, pad_x = height // 2 + 1, width // 2 + 1
    canvas = np.pad(to_uint8(old), ((pad_y, pad_y), (pad_x, pad_x), (0, 0)))
    # OpenCV puts the mask's bounding box at centre - size // 2: choose the centre that lands
    # it exactly where it was in the face, so the clone is not shifted.
    centre = (pad_x + x + box_width // 2, pad_y + y + box_height // 2)
    blended = cv2.seamlessClone(to_uint8(new), canvas, binary, centre, cv2.NORMAL_CLONE)
    face = blended[pad_y:pad_y + height, pad_x:pad_x + width]
    return np.clip(face.astype(np.float32) / 255.0, 0.0, 1.0)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """A [0, 1] float image as the uint8 OpenCV's cloning works on."""
    return np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
