"""Match each colour channel's histogram inside the mask to the original face's.

Per channel, every masked pixel of the new face is mapped through its quantile to the value at
the same quantile of the original face (upstream ``match-hist``). ``threshold`` (99 %) scales
the new face's quantiles down, so its brightest pixels land on the original's 99th percentile
rather than its single brightest pixel, which is often a specular highlight or noise. Pixels
outside the mask (mask == 0) are left as they are.
"""

from __future__ import annotations

import numpy as np

from faceswap.plugins.convert.color._common import as_face, as_mask

OPTIONS: dict[str, object] = {"threshold": 99.0}


def _match(values: np.ndarray, reference: np.ndarray, threshold: float) -> np.ndarray:
    """``values`` remapped so their distribution follows ``reference``'s."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ref_values, ref_counts = np.unique(reference, return_counts=True)
    quantiles = np.cumsum(counts, dtype=np.float64)
    quantiles *= threshold / quantiles[-1]
    ref_quantiles = np.cumsum(ref_counts, dtype=np.float64)
    ref_quantiles /= ref_quantiles[-1]
    mapped = np.interp(quantiles, ref_quantiles, ref_values.astype(np.float64))
    return mapped[inverse.reshape(-1)].astype(np.float32)


def adjust(old: np.ndarray, new: np.ndarray, mask: np.ndarray, **options) -> np.ndarray:
    """``new`` with each channel's masked histogram matched to ``old``'s, clipped to [0, 1]."""
    threshold = float({**OPTIONS, **options}["threshold"])
    if not 0.0 < threshold <= 100.0:
        raise ValueError(f"match-hist threshold must be in (0, 100] %, got {threshold}")
    old, out = as_face(old), as_face(new)
    inside = as_mask(mask, out.shape)[..., 0] > 0
    if not inside.any():
        return np.clip(out, 0.0, 1.0)
    for channel in range(3):
        plane = out[..., channel]
        plane[inside] = _match(plane[inside], old[..., channel][inside], threshold / 100.0)
    return np.clip(out, 0.0, 1.0)
