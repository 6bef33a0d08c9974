"""Least-squares similarity transform between two point sets (Umeyama, 1991).

S. Umeyama, "Least-squares estimation of transformation parameters between two point patterns",
IEEE TPAMI 13(4), 1991. Written here from the paper's closed form (eqs. 40-42).
"""

from __future__ import annotations

import numpy as np


def umeyama(src: np.ndarray, dst: np.ndarray, estimate_scale: bool = True) -> np.ndarray:
    """The 3x3 similarity matrix ``T`` minimising ``sum |dst_i - T(src_i)|^2``.

    ``src`` and ``dst`` are (N, 2) arrays of matching points. With ``estimate_scale=False`` the
    result is a rigid transform (rotation + translation).
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[0] < 2:
        raise ValueError(
            f"umeyama needs two (N, D) arrays of equal shape, got {src.shape}, {dst.shape}"
        )
    dim = src.shape[1]
    src_mean = src.mean(axis=0)
    dst_mean = dst.mean(axis=0)
    src_c = src - src_mean
    dst_c = dst - dst_mean
    cov = dst_c.T @ src_c / src.shape[0]
    u, sing, vt = np.linalg.svd(cov)
    # The sign correction keeps the result a proper rotation (no reflection) when the best
    # orthogonal fit would otherwise mirror the points.
    sign = np.ones(dim)
    if np.linalg.det(cov) < 0:
        sign[-1] = -1.0
    rotation = u @ np.diag(sign) @ vt
    scale = float(sing @ sign) / src_c.var(axis=0).sum() if estimate_scale else 1.0
    matrix = np.eye(dim + 1)
    matrix[:dim, :dim] = scale * rotation
    matrix[:dim, dim] = dst_mean - scale * rotation @ src_mean
    return matrix
