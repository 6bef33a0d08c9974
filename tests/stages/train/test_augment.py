"""Training augmentation on fixed seeds: shapes, ranges, determinism and geometry."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap.stages.train.augment import (
    FLIP_68,
    WARP_SCALE,
    AugmentConfig,
    apply_flip,
    apply_lab_shift,
    apply_transform,
    augment_batch,
    coverage_crop,
    coverage_offset,
    coverage_size,
    random_clahe,
    random_flip,
    random_lab_shift,
    random_transform,
    random_warp,
    random_warp_maps,
)

SIZE = 128


def _faces(count: int = 8, size: int = SIZE, seed: int = 0) -> np.ndarray:
    """Smooth, face-like test images: gradients plus blobs, so resizes and warps are visible."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    out = np.empty((count, size, size, 3), dtype=np.uint8)
    for idx in range(count):
        img = np.empty((size, size, 3), dtype=np.float32)
        for ch in range(3):
            fx, fy, ph = rng.uniform(1.0, 4.0), rng.uniform(1.0, 4.0), rng.uniform(0, 6.3)
            img[..., ch] = 128 + 80 * np.sin(fx * 6.28 * xx + ph) * np.cos(fy * 6.28 * yy)
        out[idx] = np.clip(img, 0, 255).astype(np.uint8)
    return out


def _landmarks(count: int = 8, size: int = SIZE, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(0.2 * size, 0.8 * size, size=(count, 68, 2)).astype(np.float32)


def _dot_image(size: int, point: np.ndarray, radius: int = 3) -> np.ndarray:
    img = np.zeros((size, size, 3), dtype=np.uint8)
    cv2.circle(img, (round(float(point[0])), round(float(point[1]))), radius, (255, 255, 255), -1)
    return img


def _centroid(image: np.ndarray) -> np.ndarray:
    weight = image.astype(np.float64)
    if weight.ndim == 3:
        weight = weight.mean(axis=2)
    yy, xx = np.mgrid[0:weight.shape[0], 0:weight.shape[1]]
    total = weight.sum()
    return np.array([(xx * weight).sum() / total, (yy * weight).sum() / total])


# ---------------------------------------------------------------------------------------------
# Config and coverage
# ---------------------------------------------------------------------------------------------
def test_config_defaults_match_upstream() -> None:
    cfg = AugmentConfig()
    assert (cfg.rotation_range, cfg.zoom_amount, cfg.shift_range, cfg.flip_chance) == (
        10, 5, 5, 50)
    assert (cfg.color_lightness, cfg.color_ab, cfg.color_clahe_chance) == (30, 8, 50)
    assert cfg.color_clahe_max_size == 4
    assert cfg.warp and cfg.flip and cfg.color
    with pytest.raises(ValueError, match="flip_chance"):
        AugmentConfig(flip_chance=150)


@pytest.mark.parametrize(
    ("size", "ratio", "expected"),
    [(64, 0.875, 56), (64, 1.0, 64), (64, 0.8, 50), (128, 0.875, 112), (256, 0.625, 160),
     (256, 0.875, 224), (255, 1.0, 254), (100, 0.75, 74)],
)
def test_coverage_crop_sizes(size: int, ratio: float, expected: int) -> None:
    assert coverage_size(size, ratio) == expected == int(size * ratio // 2) * 2
    image = np.arange(size * size * 2, dtype=np.int32).reshape(size, size, 2)
    crop = coverage_crop(image, ratio)
    start = coverage_offset(size, ratio)
    assert crop.shape == (expected, expected, 2)
    np.testing.assert_array_equal(crop, image[start:start + expected, start:start + expected])
    assert coverage_crop(image[None], ratio).shape == (1, expected, expected, 2)
    assert coverage_crop(image[..., 0], ratio).shape == (expected, expected)


def test_coverage_crop_rejects_bad_ratio() -> None:
    with pytest.raises(ValueError):
        coverage_crop(np.zeros((64, 64, 3)), 87.5)


# ---------------------------------------------------------------------------------------------
# Colour
# ---------------------------------------------------------------------------------------------
def test_lab_shift_positive_raises_lightness_negative_lowers() -> None:
    faces = _faces(2)
    lab = cv2.cvtColor(faces.reshape(-1, SIZE, 3), cv2.COLOR_BGR2LAB).reshape(faces.shape)
    up = apply_lab_shift(faces, np.array([[0.3, 0, 0], [-0.3, 0, 0]]))
    up_lab = cv2.cvtColor(up.reshape(-1, SIZE, 3), cv2.COLOR_BGR2LAB).reshape(faces.shape)
    l_before = lab[..., 0].astype(np.float64)
    l_after = up_lab[..., 0].astype(np.float64)
    assert l_after[0].mean() > l_before[0].mean() + 10
    assert l_after[1].mean() < l_before[1].mean() - 10
    # The formulas themselves, within the BGR round trip's rounding and gamut clipping.
    for got, want in ((l_after[0], l_before[0] + (255 - l_before[0]) * 0.3),
                      (l_after[1], l_before[1] * 0.7)):
        error = np.abs(got - want)
        assert error.mean() < 1.0 and np.quantile(error, 0.99) <= 2.5


def test_random_lab_shift_ranges_and_extra_channels() -> None:
    grey = np.full((64, 16, 16, 4), 128, dtype=np.uint8)
    grey[..., 3] = 7
    out = random_lab_shift(grey, np.random.default_rng(3), lightness=0.3, ab=0.08)
    assert out.dtype == np.uint8 and out.shape == grey.shape
    assert (out[..., 3] == 7).all()
    lab = cv2.cvtColor(np.ascontiguousarray(out[..., :3]).reshape(-1, 16, 3), cv2.COLOR_BGR2LAB)
    lightness = lab[..., 0].reshape(64, -1).mean(axis=1)
    base = cv2.cvtColor(grey[:1, :1, :1, :3].reshape(1, 1, 3), cv2.COLOR_BGR2LAB)[0, 0, 0]
    low, high = base * 0.7, base + (255 - base) * 0.3
    assert (lightness >= low - 3).all() and (lightness <= high + 3).all()
    # Uniform over the range: both directions occur and the spread is wide.
    assert lightness.min() < base - 15 and lightness.max() > base + 15
    with pytest.raises(ValueError, match="fraction"):
        random_lab_shift(grey, np.random.default_rng(0), lightness=30)


def test_clahe_chance_zero_is_identity_and_one_adds_contrast() -> None:
    faces = (_faces(4).astype(np.int32) // 4 + 96).astype(np.uint8)  # low contrast
    same = random_clahe(faces, np.random.default_rng(0), chance=0.0)
    np.testing.assert_array_equal(same, faces)
    assert same is not faces
    boosted = random_clahe(faces, np.random.default_rng(0), chance=1.0, max_size=4)
    assert boosted.shape == faces.shape and boosted.dtype == np.uint8
    assert boosted.astype(np.float64).std() > faces.astype(np.float64).std() * 1.5


# ---------------------------------------------------------------------------------------------
# Transform and flip
# ---------------------------------------------------------------------------------------------
def test_transform_with_zero_ranges_is_identity() -> None:
    faces = _faces(4)
    landmarks = _landmarks(4)
    out, matrices, moved = random_transform(faces, np.random.default_rng(0), 0.0, 0.0, 0.0,
                                            landmarks)
    np.testing.assert_array_equal(out, faces)
    np.testing.assert_allclose(matrices, np.tile(np.eye(2, 3, dtype=np.float32), (4, 1, 1)),
                               atol=1e-7)
    assert moved is not None
    np.testing.assert_allclose(moved, landmarks, atol=1e-4)


def test_transform_moves_landmarks_with_the_pixels() -> None:
    rng = np.random.default_rng(5)
    points = rng.uniform(40, 88, size=(6, 68, 2)).astype(np.float32)
    dots = np.stack([_dot_image(SIZE, p[0]) for p in points])
    out, matrices, moved = random_transform(dots, np.random.default_rng(9), 10.0, 0.05, 0.05,
                                            points)
    assert moved is not None and matrices.shape == (6, 2, 3) and matrices.dtype == np.float32
    assert not np.allclose(matrices[:, :, 2], 0)
    for idx in range(6):
        # The dot was drawn at the rounded point; compare the centroid shift with the matrix.
        drawn = np.round(points[idx, 0])
        expected = matrices[idx, :, :2] @ drawn + matrices[idx, :, 2]
        np.testing.assert_allclose(_centroid(out[idx]), expected, atol=0.35)


def test_transform_accepts_any_channel_count_and_dtype() -> None:
    stack = np.random.default_rng(0).random((3, 32, 32, 7)).astype(np.float32)
    out, matrices, moved = random_transform(stack, np.random.default_rng(1))
    assert out.shape == stack.shape and out.dtype == np.float32 and moved is None
    single = apply_transform(stack[..., :1], matrices)
    np.testing.assert_allclose(single[..., 0], out[..., 0], atol=1e-6)


def test_flip_permutation_keeps_landmark_meaning() -> None:
    expected = {0: 16, 8: 8, 17: 26, 21: 22, 27: 27, 30: 30, 31: 35, 33: 33, 36: 45, 39: 42,
                37: 44, 41: 46, 48: 54, 51: 51, 57: 57, 55: 59, 60: 64, 62: 62, 66: 66, 65: 67}
    for index, partner in expected.items():
        assert FLIP_68[index] == partner and FLIP_68[partner] == index
    np.testing.assert_array_equal(FLIP_68[FLIP_68], np.arange(68))


def test_flip_twice_is_identity() -> None:
    faces = _faces(4)
    landmarks = _landmarks(4)
    once, flipped, lm_once = random_flip(faces, np.random.default_rng(0), 1.0, landmarks)
    assert flipped.all()
    assert not np.array_equal(once, faces)
    twice, _, lm_twice = random_flip(once, np.random.default_rng(1), 1.0, lm_once)
    np.testing.assert_array_equal(twice, faces)
    np.testing.assert_allclose(lm_twice, landmarks, atol=1e-4)
    none, flipped, lm_none = random_flip(faces, np.random.default_rng(0), 0.0, landmarks)
    assert not flipped.any()
    np.testing.assert_array_equal(none, faces)
    np.testing.assert_array_equal(lm_none, landmarks)


def test_flip_mirrors_landmarks_and_swaps_eyes() -> None:
    landmarks = _landmarks(1)
    landmarks[0, 36] = (30.0, 50.0)  # right eye outer corner: the image's left side
    landmarks[0, 45] = (96.0, 52.0)  # left eye outer corner
    image = _dot_image(SIZE, landmarks[0, 36])[None]
    out, moved = apply_flip(image, np.array([True]), landmarks)
    assert moved is not None
    # The dot (the old index 36) is now on the image's right, where the left eye was...
    np.testing.assert_allclose(_centroid(out[0]), (SIZE - 1 - 30.0, 50.0), atol=0.01)
    # ...and it is index 45 that points at it, while 36 took the mirrored old 45.
    np.testing.assert_allclose(moved[0, 45], (SIZE - 1 - 30.0, 50.0))
    np.testing.assert_allclose(moved[0, 36], (SIZE - 1 - 96.0, 52.0))
    assert abs(moved[0, 36, 0] - 30.0) < 5  # still near the image's left eye position


# ---------------------------------------------------------------------------------------------
# Warp
# ---------------------------------------------------------------------------------------------
def test_warp_grid_statistics() -> None:
    size, count = 256, 96
    maps_x, maps_y = random_warp_maps(size, np.random.default_rng(11), count)
    assert maps_x.shape == maps_y.shape == (count, size, size)
    assert maps_x.dtype == np.float32
    grid = np.arange(size, dtype=np.float32)
    disp = np.stack([maps_x - grid[None, None, :], maps_y - grid[None, :, None]])
    sigma = WARP_SCALE * size
    assert abs(disp.mean()) < 0.05 * sigma
    # At the interior control points the displacement is the raw N(0, σ) noise.
    controls = np.array([64, 128, 192])
    at_controls = disp[:, :, controls][:, :, :, controls]
    assert abs(at_controls.mean()) < 0.1 * sigma
    assert at_controls.std() == pytest.approx(sigma, rel=0.1)
    # Bilinear blending between independent points lowers the spread in between, never raises.
    assert 0.5 * sigma < disp.std() < sigma
    # Smooth: neighbouring pixels move together.
    assert np.abs(np.diff(disp, axis=-1)).max() < 0.5 * sigma
    zero_x, zero_y = random_warp_maps(size, np.random.default_rng(0), 2, scale=0.0)
    np.testing.assert_allclose(zero_x, np.broadcast_to(grid, zero_x.shape), atol=1e-4)
    np.testing.assert_allclose(zero_y, np.broadcast_to(grid[:, None], zero_y.shape), atol=1e-4)


def test_warp_zero_scale_is_identity_and_default_changes_image() -> None:
    faces = _faces(3, 64)
    np.testing.assert_array_equal(random_warp(faces, np.random.default_rng(0), 0.0), faces)
    warped = random_warp(faces, np.random.default_rng(0))
    assert warped.shape == faces.shape and warped.dtype == np.uint8
    assert not np.array_equal(warped, faces)


def test_warp_leaves_the_target_untouched() -> None:
    faces = _faces(6)
    masks = np.random.default_rng(2).integers(0, 256, (6, SIZE, SIZE), dtype=np.uint8)
    warped = augment_batch(faces, np.random.default_rng(4), AugmentConfig(), 64, 64,
                           masks=masks)
    plain = augment_batch(faces, np.random.default_rng(4), AugmentConfig(warp=False), 64, 64,
                          masks=masks)
    np.testing.assert_array_equal(warped[1], plain[1])
    np.testing.assert_array_equal(warped[2], plain[2])
    # Without warp the input is the target; with it, only the input moves.
    np.testing.assert_array_equal(plain[0], plain[1])
    assert np.abs(warped[0] - warped[1]).mean() > 0.005


# ---------------------------------------------------------------------------------------------
# The chain
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("input_size", "output_size"), [(64, 64), (64, 128), (96, 48)])
def test_augment_batch_shapes_dtypes_ranges(input_size: int, output_size: int) -> None:
    faces = _faces(5, 160)
    masks4 = np.random.default_rng(0).integers(0, 256, (5, 160, 160, 2), dtype=np.uint8)
    inputs, targets, masks = augment_batch(faces, np.random.default_rng(0), AugmentConfig(),
                                           input_size, output_size, masks=masks4)
    assert inputs.shape == (5, input_size, input_size, 3) and inputs.dtype == np.float32
    assert targets.shape == (5, output_size, output_size, 3) and targets.dtype == np.float32
    assert masks is not None
    assert masks.shape == (5, output_size, output_size, 2) and masks.dtype == np.float32
    for array in (inputs, targets, masks):
        assert array.min() >= 0.0 and array.max() <= 1.0
    float_masks = np.random.default_rng(1).random((5, 160, 160)).astype(np.float32)
    _, _, masks3 = augment_batch(faces, np.random.default_rng(0), AugmentConfig(), input_size,
                                 output_size, masks=float_masks)
    assert masks3 is not None and masks3.shape == (5, output_size, output_size)
    assert masks3.min() >= 0.0 and masks3.max() <= 1.0
    assert augment_batch(faces, np.random.default_rng(0), AugmentConfig(), 64, 64)[2] is None


def test_augment_batch_is_deterministic_per_seed() -> None:
    faces = _faces(6)
    landmarks = _landmarks(6)
    first = augment_batch(faces, np.random.default_rng(42), AugmentConfig(), 64, 64, landmarks,
                          return_landmarks=True)
    again = augment_batch(faces, np.random.default_rng(42), AugmentConfig(), 64, 64, landmarks,
                          return_landmarks=True)
    other = augment_batch(faces, np.random.default_rng(43), AugmentConfig(), 64, 64, landmarks,
                          return_landmarks=True)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])
    assert not np.array_equal(first[1], other[1])
    assert not np.array_equal(first[3], other[3])


def test_switching_colour_off_keeps_the_geometry() -> None:
    faces = _faces(6)
    landmarks = _landmarks(6)
    with_colour = augment_batch(faces, np.random.default_rng(8), AugmentConfig(), 64, 64,
                                landmarks, return_landmarks=True)
    without = augment_batch(faces, np.random.default_rng(8), AugmentConfig(color=False), 64, 64,
                            landmarks, return_landmarks=True)
    np.testing.assert_array_equal(with_colour[3], without[3])
    assert not np.array_equal(with_colour[1], without[1])


def test_augment_batch_landmarks_follow_the_face_through_the_chain() -> None:
    # A dot at landmark 36 on a 256 px face; after crop, resize, transform and a certain flip,
    # the returned landmark 45 (36's mirror partner) sits on the dot in the 64 px target.
    size, out_size = 256, 64
    rng = np.random.default_rng(21)
    landmarks = rng.uniform(90, 166, size=(4, 68, 2)).astype(np.float32)
    landmarks[:, 36] = np.round(landmarks[:, 36])
    faces = np.stack([_dot_image(size, lm[36], radius=8) for lm in landmarks])
    config = AugmentConfig(color=False, flip_chance=100, warp=False)
    _, targets, _, moved = augment_batch(faces, np.random.default_rng(3), config, out_size,
                                         out_size, landmarks, coverage_ratio=0.875,
                                         return_landmarks=True)
    assert moved is not None and moved.shape == (4, 68, 2) and moved.dtype == np.float32
    for idx in range(4):
        np.testing.assert_allclose(_centroid(targets[idx]), moved[idx, 45], atol=0.35)


def test_augment_batch_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="uint8"):
        augment_batch(np.zeros((2, 64, 64, 3), np.float32), np.random.default_rng(0),
                      AugmentConfig(), 64, 64)
    with pytest.raises(ValueError, match="square"):
        augment_batch(np.zeros((2, 64, 32, 3), np.uint8), np.random.default_rng(0),
                      AugmentConfig(), 64, 64)
    with pytest.raises(ValueError, match="masks"):
        augment_batch(np.zeros((2, 64, 64, 3), np.uint8), np.random.default_rng(0),
                      AugmentConfig(), 64, 64, masks=np.zeros((2, 32, 32), np.uint8))
    with pytest.raises(ValueError, match="at least one"):
        augment_batch(np.zeros((0, 64, 64, 3), np.uint8), np.random.default_rng(0),
                      AugmentConfig(), 64, 64)
    with pytest.raises(ValueError, match="uint8"):
        random_lab_shift(np.zeros((2, 8, 8, 3), np.float32), np.random.default_rng(0))
