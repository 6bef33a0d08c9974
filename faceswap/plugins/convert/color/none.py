"""No colour adjustment: paste the model's face as it is."""

from __future__ import annotations

import numpy as np

from faceswap.plugins.convert.color._common import as_face

OPTIONS: dict[str, object] = {}


def adjust(old: np.ndarray, new: np.ndarray, mask: np.ndarray, **options) -> np.ndarray:
    """``new`` unchanged (a float32 copy, clipped to [0, 1])."""
    return np.clip(as_face(new), 0.0, 1.0)
