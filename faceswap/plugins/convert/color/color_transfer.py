"""Reinhard colour transfer: match the new face's L*a*b* mean and spread to the original's.

Statistics are weighted by the mask, so only the face (not the background of the patch) sets
them; the result is blended back over ``new`` by the same mask. Options, as upstream:

- ``clip`` (True): clip out-of-range L*a*b* values; False rescales an overflowing channel
  linearly back into range instead, which keeps detail in highlights at some loss of contrast.
- ``preserve_paper`` (True): scale deviations by std(new) / std(old), the factor as upstream
  (after the ``color_transfer`` package) applies it; False uses the reciprocal,
  std(old) / std(new), which gives the new face exactly the original face's spread.
"""

from __future__ import annotations

import cv2
import numpy as np

from faceswap.plugins.convert.color._common import as_face, as_mask, to_bool

OPTIONS: dict[str, object] = {"clip": True, "preserve_paper": True}

# Float L*a*b* from OpenCV: L in [0, 100], a and b in about [-127, 127].
_LIMITS = ((0.0, 100.0), (-127.0, 127.0), (-127.0, 127.0))
_EPSILON = 1e-6


def _stats(lab: np.ndarray, weights: np.ndarray, total: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mask-weighted mean and standard deviation."""
    mean = (lab * weights).sum(axis=(0, 1)) / total
    variance = (((lab - mean) ** 2) * weights).sum(axis=(0, 1)) / total
    return mean, np.sqrt(np.maximum(variance, 0.0))


def _fit(channel: np.ndarray, inside: np.ndarray, low: float, high: float) -> np.ndarray:
    """``channel`` linearly squeezed into [low, high] if the face's values overflow it."""
    values = channel[inside]
    if values.size == 0:
        return channel
    lowest, highest = float(values.min()), float(values.max())
    if (lowest >= low and highest <= high) or highest - lowest < _EPSILON:
        return channel
    target_low, target_high = max(lowest, low), min(highest, high)
    return (channel - lowest) * (target_high - target_low) / (highest - lowest) + target_low


def adjust(old: np.ndarray, new: np.ndarray, mask: np.ndarray, **options) -> np.ndarray:
    """``new`` with its masked L*a*b* statistics moved to those of ``old``, clipped to [0, 1]."""
    settings = {**OPTIONS, **options}
    clip, preserve_paper = to_bool(settings["clip"]), to_bool(settings["preserve_paper"])
    old, new = as_face(old), as_face(new)
    weights = as_mask(mask, new.shape)
    total = float(weights.sum())
    if total <= 0:
        return np.clip(new, 0.0, 1.0)

    source = cv2.cvtColor(np.clip(old, 0.0, 1.0), cv2.COLOR_BGR2LAB)
    target = cv2.cvtColor(np.clip(new, 0.0, 1.0), cv2.COLOR_BGR2LAB)
    mean_source, std_source = _stats(source, weights, total)
    mean_target, std_target = _stats(target, weights, total)
    numerator, denominator = (
        (std_target, std_source) if preserve_paper else (std_source, std_target)
    )
    # A flat channel has no spread to scale: leave its deviations as they are.
    scale = np.where(denominator > _EPSILON, numerator / np.maximum(denominator, _EPSILON), 1.0)
    lab = (target - mean_target) * scale + mean_source

    if not clip:
        inside = weights[..., 0] > 0
        for index, (low, high) in enumerate(_LIMITS):
            lab[..., index] = _fit(lab[..., index], inside, low, high)
    # Clipping is the whole job with clip=True, and a no-op safety net after _fit.
    lows, highs = zip(*_LIMITS, strict=True)
    lab = np.clip(lab, lows, highs)
    transfer = cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_LAB2BGR)
    out = new * (1.0 - weights) + transfer * weights
    return np.clip(out, 0.0, 1.0).astype(np.float32)
