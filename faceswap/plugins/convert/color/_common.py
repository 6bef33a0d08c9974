"""Helpers shared by the colour plugins (private: the registry skips underscore modules)."""

from __future__ import annotations

import numpy as np


def as_face(image: np.ndarray) -> np.ndarray:
    """A float32 (S, S, 3) copy of a face, so plugins never write into the caller's array."""
    face = np.array(image, dtype=np.float32, copy=True)
    if face.ndim != 3 or face.shape[-1] != 3:
        raise ValueError(f"expected an (H, W, 3) face, got shape {np.shape(image)}")
    return face


def as_mask(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A float32 (H, W, 1) mask in [0, 1] matching a face of ``shape``; accepts (H, W) too."""
    array = np.asarray(mask, dtype=np.float32)
    if array.ndim == 2:
        array = array[..., None]
    if array.shape != (*shape[:2], 1):
        raise ValueError(f"mask shape {np.shape(mask)} does not match face shape {shape}")
    return np.clip(array, 0.0, 1.0)


def to_bool(value: object) -> bool:
    """Options may arrive as strings from the command line: 'false', '0', 'no' are False."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)
