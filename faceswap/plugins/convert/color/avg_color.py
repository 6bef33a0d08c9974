"""Shift the new face by the masked mean colour difference to the original face (default).

Upstream ``avg-color``: twice, add the per-channel mean of (old - new) over the mask. The face is
clipped to [0, 1] between the two passes, so the second pass restores what clipping took from
the first (without the clip the second pass would add nothing).
"""

from __future__ import annotations

import numpy as np

from faceswap.plugins.convert.color._common import as_face, as_mask

OPTIONS: dict[str, object] = {}

_PASSES = 2


def adjust(old: np.ndarray, new: np.ndarray, mask: np.ndarray, **options) -> np.ndarray:
    """``new`` plus the masked mean colour difference to ``old``, clipped to [0, 1]."""
    old, out = as_face(old), as_face(new)
    weights = as_mask(mask, out.shape)
    total = float(weights.sum())
    if total <= 0:  # nothing to compare: leave the face as the model made it
        return np.clip(out, 0.0, 1.0)
    for _ in range(_PASSES):
        difference = ((old - out) * weights).sum(axis=(0, 1)) / total
        out = np.clip(out + difference.astype(np.float32), 0.0, 1.0)
    return out
