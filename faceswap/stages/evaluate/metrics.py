"""The measurements themselves: small pure functions of images, landmarks and embeddings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from faceswap.lib import alignments as alignments_file
from faceswap.lib.align.aligned_face import AlignedFace, legacy_matrix
from faceswap.lib.align.aligned_face import transform_points as _transform

#: Above this PSNR (dB) two faces are treated as identical (PSNR of identical images is infinite).
PSNR_CAP = 100.0
# Temporal crops: small and face-centred, so background motion barely counts.
TEMPORAL_SIZE = 64
_EYES = slice(36, 48)
_MOUTH = slice(48, 68)


def image_similarity(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(SSIM, PSNR dB) of two same-sized images (uint8, or float in [0, 1])."""
    from skimage.metrics import structural_similarity

    x, y = _unit_float(a), _unit_float(b)
    if x.shape != y.shape:
        raise ValueError(f"images differ in shape: {x.shape} vs {y.shape}")
    ssim = float(structural_similarity(x, y, data_range=1.0,
                                       channel_axis=-1 if x.ndim == 3 else None))
    mse = float(np.mean((x - y) ** 2))
    psnr = PSNR_CAP if mse <= 10 ** (-PSNR_CAP / 10) else float(10 * np.log10(1.0 / mse))
    return ssim, psnr


def _unit_float(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if np.issubdtype(image.dtype, np.integer):
        return image.astype(np.float64) / 255.0
    return image.astype(np.float64)


def pose_difference(source: np.ndarray, swapped: np.ndarray) -> tuple[float, float, float]:
    """|Δyaw|, |Δpitch|, |Δroll| (degrees) between two (68, 2) landmark sets."""
    a = AlignedFace.from_landmarks(source).pose
    b = AlignedFace.from_landmarks(swapped).pose
    return tuple(abs((x - y + 180.0) % 360.0 - 180.0)  # type: ignore[return-value]
                 for x, y in ((a.yaw, b.yaw), (a.pitch, b.pitch), (a.roll, b.roll)))


def expression_distance(source: np.ndarray, swapped: np.ndarray) -> tuple[float, float, float]:
    """(mouth, eyes, both) mean landmark distance in the source's inter-ocular distances.

    Each set is mapped to the reference face by its own similarity fit first, so a face that is
    only shifted, scaled or rolled has distance 0.
    """
    a = _transform(source, legacy_matrix(source))
    b = _transform(swapped, legacy_matrix(swapped))
    iod = float(np.linalg.norm(a[36:42].mean(axis=0) - a[42:48].mean(axis=0)))
    if iod <= 0:
        raise ValueError("degenerate landmarks: eyes coincide")
    dist = np.linalg.norm(a - b, axis=1) / iod
    both = np.r_[dist[_EYES], dist[_MOUTH]]
    return float(dist[_MOUTH].mean()), float(dist[_EYES].mean()), float(both.mean())


def identity_scores(swapped: np.ndarray, mean_a: np.ndarray, mean_b: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Distances of each row of ``swapped`` (N, 128) to A's and B's mean embeddings."""
    swapped = np.atleast_2d(swapped)
    return (np.linalg.norm(swapped - mean_a, axis=1), np.linalg.norm(swapped - mean_b, axis=1))


def sample_evenly(items: Sequence[Any], count: int) -> list[Any]:
    """``count`` items spread evenly over ``items`` (all of them when there are fewer)."""
    if count >= len(items):
        return list(items)
    picks = np.unique(np.linspace(0, len(items) - 1, max(count, 1)).round().astype(int))
    return [items[i] for i in picks]


def temporal_crop(frame: np.ndarray, face: alignments_file.Face) -> np.ndarray:
    aligned = AlignedFace.from_landmarks(face.landmarks)
    return aligned.crop(frame, TEMPORAL_SIZE, "face").astype(np.float32)
