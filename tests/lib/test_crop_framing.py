"""The framing difference from upstream's crop that docs/formats.md documents (kept on purpose)."""

from __future__ import annotations

import numpy as np
import pytest

from faceswap.lib.align import CENTERINGS, MEAN_FACE, AlignedFace
from faceswap.tools.upstream.geometry import crop_matrix


def _scale(matrix: np.ndarray) -> float:
    return float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))


@pytest.mark.parametrize("centering", CENTERINGS)
def test_our_crop_shows_the_face_8_percent_larger_than_upstreams(centering):
    landmarks = (MEAN_FACE * 200 + 100).astype(np.float32)
    ours = AlignedFace.from_landmarks(landmarks).matrix(256, centering)
    upstream = crop_matrix(landmarks, 256, centering)
    assert _scale(upstream) / _scale(ours) == pytest.approx(0.920, abs=0.002)
    # Where the face's centre lands differs too, most for head (docs/formats.md).
    centre = landmarks.mean(axis=0)
    shift = (upstream[:, :2] @ centre + upstream[:, 2] - ours[:, :2] @ centre - ours[:, 2]) / 256
    expected = {"legacy": -0.020, "face": 0.008, "head": -0.076}[centering]
    assert shift[1] == pytest.approx(expected, abs=0.003) and abs(shift[0]) < 1e-3
