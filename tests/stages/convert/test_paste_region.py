"""Convert pastes each face over its region only: the same picture as a full-frame paste."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap.lib.align.aligned_face import paste_back, paste_in_region, paste_region

SIZE = 64


def _smooth(rng, shape) -> np.ndarray:
    # Camera frames are smooth at the pixel scale; noise would magnify OpenCV's 1/32 px
    # coordinate grid, which a shifted origin rounds differently.
    noise = rng.integers(0, 256, shape, dtype=np.uint8)
    return cv2.GaussianBlur(noise, (0, 0), 3)


def _matrix(scale: float, angle: float, centre: tuple[float, float]) -> np.ndarray:
    """Frame → aligned: a face of SIZE / scale px centred on ``centre``, rolled by ``angle``."""
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    shift = np.array([SIZE / 2, SIZE / 2]) - rotation @ np.asarray(centre)
    return np.hstack([rotation, shift[:, None]])


@pytest.mark.parametrize(("scale", "angle", "centre"), [
    (0.25, 0.3, (250, 240)),   # a large face, shrunk into the model: cubic back out
    (1.4, -0.5, (100, 300)),   # a small face, enlarged: area-like back out
    (0.4, 0.0, (500, 20)),     # half off the frame's corner
])
def test_region_paste_matches_full_frame_paste(scale, angle, centre):
    rng = np.random.default_rng(0)
    frame = _smooth(rng, (480, 512, 3))
    face = _smooth(rng, (SIZE, SIZE, 3))
    mask = np.zeros((SIZE, SIZE), np.float32)
    mask[12:-8, 10:-10] = 1.0
    mask = cv2.GaussianBlur(mask, (0, 0), 1.5)
    mask[mask < 1e-3] = 0  # blend masks end: the region follows where the mask is non-zero
    matrix = _matrix(scale, angle, centre)

    want = paste_back(frame, face, matrix, mask)
    got = frame.copy()
    paste_in_region(got, face, matrix, mask)

    difference = np.abs(got.astype(int) - want.astype(int))
    assert difference.max() <= 2
    assert (difference > 0).mean() < 0.01
    assert not np.array_equal(got, frame)  # the face did land
    rows, cols = np.nonzero(mask)
    box = (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1)
    x0, y0, x1, y1 = paste_region(frame.shape, matrix, box)
    assert (x1 - x0) * (y1 - y0) < frame.shape[0] * frame.shape[1]
    outside = np.ones(frame.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    np.testing.assert_array_equal(got[outside], frame[outside])


def test_face_off_the_frame_changes_nothing():
    rng = np.random.default_rng(1)
    frame = _smooth(rng, (120, 160, 3))
    matrix = _matrix(1.0, 0.0, (900, 900))
    x0, y0, x1, y1 = paste_region(frame.shape, matrix, (0, 0, SIZE, SIZE))
    assert (x1, y1) == (x0, y0)
    got = frame.copy()
    paste_in_region(got, _smooth(rng, (SIZE, SIZE, 3)), matrix, np.ones((SIZE, SIZE), np.float32))
    np.testing.assert_array_equal(got, frame)


def test_an_empty_mask_changes_nothing():
    rng = np.random.default_rng(2)
    frame = _smooth(rng, (120, 160, 3))
    got = frame.copy()
    paste_in_region(got, _smooth(rng, (SIZE, SIZE, 3)), _matrix(1.0, 0.0, (80, 60)),
                    np.zeros((SIZE, SIZE), np.float32))
    np.testing.assert_array_equal(got, frame)
