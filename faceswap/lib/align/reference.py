"""The reference ("mean") face that every detected face is aligned to, and how it was made.

``MEAN_FACE`` holds the 68 dlib/iBUG landmark positions of an average upright, left-right
symmetric face. Units: the bounding box of points 17-67 (eyebrows, nose, eyes, mouth; the
"core" points used for the fit) spans exactly [0, 1] on both axes, y pointing down. The jaw
points 0-16 fall partly outside that box.

Derivation (reproducible with :func:`derive_mean_face`):

1. dlib HOG detection (upsample 1) + dlib 68-point landmarks on every still in
   ``../shared/face-data/stills`` (10 photos, 13 faces) and every 10th frame of the 7 clips in
   ``../shared/face-data/clips`` (302 faces); 315 landmark sets from 17 sources.
2. Generalised Procrustes analysis: each set is Umeyama-fitted (similarity, core points) onto
   the current mean; the new mean is the average of per-source means, so each photo and each
   clip weighs the same and the long clips do not dominate. The mean is re-fitted onto the
   previous one each round so it cannot drift or spin; 20 rounds.
3. Symmetrised: averaged with its own mirror image (left/right landmarks swapped), then rotated
   so the eye centres are level, then the core bounding box scaled to [0, 1].

The test ``tests/lib/test_align.py::test_mean_face_rederives`` re-runs this on a
subset of the shared data and checks that the constant below is reproduced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from faceswap.lib.align.umeyama import umeyama

CORE = slice(17, 68)  # eyebrows, nose, eyes, mouth: the points stable enough to fit

# Landmark index of each point's left/right mirror partner in the 68-point layout.
MIRROR = np.array(
    [16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,  # jaw
     26, 25, 24, 23, 22, 21, 20, 19, 18, 17,  # eyebrows
     27, 28, 29, 30, 35, 34, 33, 32, 31,  # nose
     45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,  # eyes
     54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55,  # outer lips
     64, 63, 62, 61, 60, 67, 66, 65],  # inner lips
)

# fmt: off
MEAN_FACE = np.array([
    [-0.117608, 0.263721], [-0.110374, 0.438758], [-0.092093, 0.614590], [-0.060679, 0.787258],
    [-0.003652, 0.950183], [0.089230, 1.092945], [0.207519, 1.213100], [0.342165, 1.306908],
    [0.500001, 1.335789], [0.657836, 1.306907], [0.792483, 1.213100], [0.910773, 1.092944],
    [1.003655, 0.950182], [1.060682, 0.787257], [1.092094, 0.614588], [1.110375, 0.438756],
    [1.117609, 0.263719], [0.000000, 0.119036], [0.072341, 0.033212], [0.180366, 0.000000],
    [0.295860, 0.007132], [0.403358, 0.049129], [0.596641, 0.049129], [0.704139, 0.007132],
    [0.819634, 0.000000], [0.927659, 0.033212], [1.000000, 0.119036], [0.499999, 0.185235],
    [0.499999, 0.296511], [0.500000, 0.406688], [0.500000, 0.521520], [0.366561, 0.612569],
    [0.431134, 0.632897], [0.500000, 0.651431], [0.568865, 0.632897], [0.633438, 0.612569],
    [0.121542, 0.223235], [0.188666, 0.180950], [0.265362, 0.179851], [0.335385, 0.229137],
    [0.263195, 0.244069], [0.186320, 0.245057], [0.664614, 0.229137], [0.734638, 0.179851],
    [0.811334, 0.180950], [0.878457, 0.223235], [0.813679, 0.245058], [0.736804, 0.244069],
    [0.246297, 0.851702], [0.335554, 0.793208], [0.430978, 0.765072], [0.500000, 0.782338],
    [0.569021, 0.765072], [0.664446, 0.793208], [0.753703, 0.851701], [0.667590, 0.947633],
    [0.575252, 0.991970], [0.500000, 1.000000], [0.424748, 0.991970], [0.332410, 0.947633],
    [0.282611, 0.852806], [0.430568, 0.825691], [0.500000, 0.831934], [0.569431, 0.825691],
    [0.717389, 0.852806], [0.571233, 0.900246], [0.500000, 0.909211], [0.428767, 0.900246],
])
# fmt: on


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:2, :2].T + matrix[:2, 2]


def _normalise(shape: np.ndarray) -> np.ndarray:
    low = shape[CORE].min(axis=0)
    high = shape[CORE].max(axis=0)
    return (shape - low) / (high - low)


def _symmetrise(shape: np.ndarray) -> np.ndarray:
    mirrored = shape[MIRROR] * np.array([-1.0, 1.0])
    mirrored = _apply(umeyama(mirrored, shape), mirrored)
    sym = (shape + mirrored) / 2.0
    # Level the eyes: rotate about the centroid so the two eye centres share one y.
    left, right = sym[36:42].mean(axis=0), sym[42:48].mean(axis=0)
    angle = np.arctan2(right[1] - left[1], right[0] - left[0])
    cos, sin = np.cos(-angle), np.sin(-angle)
    centre = sym.mean(axis=0)
    sym = (sym - centre) @ np.array([[cos, sin], [-sin, cos]]) + centre
    return _normalise(sym)


def derive_mean_face(
    sources: Sequence[Iterable[np.ndarray]], rounds: int = 20
) -> np.ndarray:
    """Re-derive a reference face from landmark sets grouped by source (see module docstring).

    ``sources``: one iterable of (68, 2) landmark arrays per photo or clip.
    """
    groups = [np.asarray(list(group), dtype=np.float64) for group in sources]
    groups = [group for group in groups if len(group)]
    if not groups:
        raise ValueError("derive_mean_face needs at least one landmark set")
    mean = _symmetrise(_normalise(groups[0][0]))
    for _ in range(rounds):
        source_means = []
        for group in groups:
            aligned = [_apply(umeyama(shape[CORE], mean[CORE]), shape) for shape in group]
            source_means.append(np.mean(aligned, axis=0))
        new = np.mean(source_means, axis=0)
        new = _apply(umeyama(new[CORE], mean[CORE]), new)  # pin pose and scale to the last mean
        mean = _normalise(new)
    return _symmetrise(mean)
