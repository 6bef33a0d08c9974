"""Training losses against references computed independently (numpy, scipy, skimage, cv2)."""

from __future__ import annotations

import cv2
import keras
import numpy as np
import pytest
from keras import ops
from scipy import ndimage
from skimage.metrics import structural_similarity

from faceswap.lib.model import losses

# float32 convolution sums of ~100 products per pixel, and SSIM divides variances by
# (var + c2) with c2 = 9e-4, so float32-vs-float64 differences of ~1e-7 in the statistics become
# ~1e-5 in the ratio; 1e-4 leaves headroom while still catching any formula or padding error
# (those show up at 1e-2 and above).
ATOL = 1e-4
# gmsd, laploss and ms_ssim agree to ~1e-6 (no variance cancellation, or averaged over a map).
ATOL_FINE = 1e-5


def _np(x) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(x))


def _images(n: int = 2, size: int = 32, seed: int = 0, noise: float = 0.1):
    """A smooth target (so SSIM/GMS are not all at their extremes) and a noisy prediction."""
    rng = np.random.default_rng(seed)
    base = rng.random((n, size // 4, size // 4, 3)).astype("float32")
    true = np.stack([cv2.resize(img, (size, size), interpolation=cv2.INTER_CUBIC) for img in base])
    true = np.clip(true + rng.normal(0, 0.02, true.shape), 0, 1).astype("float32")
    pred = np.clip(true + rng.normal(0, noise, true.shape), 0, 1).astype("float32")
    return true, pred


# ------------------------------------------------------------------------------------------
# single losses
# ------------------------------------------------------------------------------------------
def test_ssim_matches_skimage_whole_map():
    true, pred = _images(n=2, size=48)
    got = _np(losses.ssim(true, pred))
    assert got.shape == true.shape
    for i in range(len(true)):
        mean, full = structural_similarity(
            true[i].astype("float64"),
            pred[i].astype("float64"),
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
            data_range=1,
            channel_axis=-1,
            full=True,
        )
        # Symmetric padding == scipy's "reflect", so the border ring matches too.
        np.testing.assert_allclose(got[i], 1.0 - full, atol=ATOL)
        # skimage's mean excludes the 5-px border (the un-padded interior).
        np.testing.assert_allclose(got[i, 5:-5, 5:-5].mean(), 1.0 - mean, atol=ATOL)


def test_ssim_identical_is_zero():
    true, _ = _images()
    np.testing.assert_allclose(_np(losses.ssim(true, true)), 0.0, atol=1e-6)


def _np_ms_ssim(true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Per-item MS-SSIM loss with scipy filtering (scipy's "reflect" = symmetric padding)."""
    c1, c2 = 0.01**2, 0.03**2
    true, pred = true.astype("float64"), pred.astype("float64")
    out = np.ones((true.shape[0], true.shape[-1]))
    powers = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
    for scale, power in enumerate(powers):
        size = min(11, true.shape[1], true.shape[2])
        size = size if size % 2 else size - 1
        sigma = 1.5 * size / 11
        x = np.arange(size) - (size - 1) / 2
        taps = np.exp(-(x**2) / (2 * sigma**2))
        taps /= taps.sum()

        def blur(img, taps=taps):
            img = ndimage.correlate1d(img, taps, axis=1, mode="reflect")
            return ndimage.correlate1d(img, taps, axis=2, mode="reflect")

        mu_t, mu_p = blur(true), blur(pred)
        var_t = blur(true * true) - mu_t**2
        var_p = blur(pred * pred) - mu_p**2
        cov = blur(true * pred) - mu_t * mu_p
        cs = (2 * cov + c2) / (var_t + var_p + c2)
        lum = (2 * mu_t * mu_p + c1) / (mu_t**2 + mu_p**2 + c1)
        value = cs if scale < len(powers) - 1 else lum * cs
        out *= np.maximum(value.mean(axis=(1, 2)), 1e-6) ** power
        n, h, w, c = true.shape
        true = true.reshape(n, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))
        pred = pred.reshape(n, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))
    return 1.0 - out.mean(axis=-1)


@pytest.mark.parametrize("size", [32, 64])
def test_ms_ssim_zero_monotonic_and_matches_scipy(size):
    true, _ = _images(n=2, size=size)
    np.testing.assert_allclose(_np(losses.ms_ssim(true, true)), 0.0, atol=1e-6)
    values = []
    for noise in (0.02, 0.05, 0.1, 0.2):
        _, pred = _images(n=2, size=size, noise=noise)
        got = _np(losses.ms_ssim(true, pred))
        assert got.shape == (2,)
        np.testing.assert_allclose(got, _np_ms_ssim(true, pred), atol=ATOL_FINE)
        values.append(got)
    assert np.all(np.diff(np.stack(values), axis=0) > 0)


def test_pixel_losses_match_numpy():
    true, pred = _images()
    err = pred.astype("float64") - true
    np.testing.assert_allclose(_np(losses.mae(true, pred)), np.abs(err), atol=1e-6)
    np.testing.assert_allclose(_np(losses.mse(true, pred)), err**2, atol=1e-6)
    np.testing.assert_allclose(_np(losses.logcosh(true, pred)), np.log(np.cosh(err)), atol=1e-6)
    expected = np.abs(err).max(axis=(1, 2)).mean(axis=-1)
    np.testing.assert_allclose(_np(losses.l_inf_norm(true, pred)), expected, atol=1e-6)


def test_logcosh_stays_finite_for_large_errors():
    true = np.zeros((1, 4, 4, 3), "float32")
    pred = np.full((1, 4, 4, 3), 200.0, "float32")  # cosh(200) overflows float32
    np.testing.assert_allclose(_np(losses.logcosh(true, pred)), 200.0 - np.log(2.0), rtol=1e-6)


def _np_gmsd(true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """1 - GMS map with a direct 5x5 correlation over numpy reflect padding."""
    smooth = np.array([0.037659, 0.249153, 0.426375, 0.249153, 0.037659])
    deriv = np.array([-0.109604, -0.276691, 0.0, 0.276691, 0.109604])
    kernel_x = np.outer(smooth, deriv)
    kernel_y = kernel_x.T
    _, h, w, _ = true.shape

    def magnitude_sq(img):
        padded = np.pad(img.astype("float64"), ((0, 0), (2, 2), (2, 2), (0, 0)), mode="reflect")
        gx = np.zeros_like(img, dtype="float64")
        gy = np.zeros_like(gx)
        for i in range(5):
            for j in range(5):
                window = padded[:, i : i + h, j : j + w]
                gx += kernel_x[i, j] * window
                gy += kernel_y[i, j] * window
        return gx**2 + gy**2

    mt, mp = magnitude_sq(true), magnitude_sq(pred)
    gms = (2 * np.sqrt(mt * mp) + 0.0025) / (mt + mp + 0.0025)
    return 1.0 - gms


def test_gmsd_matches_numpy():
    true, pred = _images()
    got = _np(losses.gmsd(true, pred))
    assert got.shape == true.shape
    np.testing.assert_allclose(got, _np_gmsd(true, pred), atol=ATOL_FINE)
    np.testing.assert_allclose(_np(losses.gmsd(true, true)), 0.0, atol=1e-5)


def _cv2_laploss(true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    n, h, w, c = true.shape
    out = np.zeros(true.shape, "float64")
    for item in range(n):
        cur_t, cur_p = true[item], pred[item]
        bands = []
        for _ in range(5):
            blur_t = cv2.GaussianBlur(cur_t, (5, 5), 1.0, borderType=cv2.BORDER_REPLICATE)
            blur_p = cv2.GaussianBlur(cur_p, (5, 5), 1.0, borderType=cv2.BORDER_REPLICATE)
            bands.append((cur_t - blur_t, cur_p - blur_p))
            hh, ww = blur_t.shape[:2]
            cur_t = blur_t.reshape(hh // 2, 2, ww // 2, 2, c).mean(axis=(1, 3))
            cur_p = blur_p.reshape(hh // 2, 2, ww // 2, 2, c).mean(axis=(1, 3))
        bands.append((cur_t, cur_p))
        for level, (band_t, band_p) in enumerate(bands):
            diff = np.abs(band_t - band_p).astype("float32") * 2.0 ** (-2 * level)
            if level:
                diff = cv2.resize(diff, (w, h), interpolation=cv2.INTER_LINEAR)
                diff = diff.reshape(h, w, c)
            out[item] += diff
    return out


@pytest.mark.parametrize("size", [32, 64])
def test_laploss_matches_cv2_pyramid(size):
    true, pred = _images(size=size)
    got = _np(losses.laploss(true, pred))
    assert got.shape == true.shape
    np.testing.assert_allclose(got, _cv2_laploss(true, pred), atol=ATOL_FINE)


def test_ffl_matches_numpy_fft():
    true, pred = _images()
    f_true = np.fft.fft2(true.transpose(0, 3, 1, 2).astype("float64"), norm="ortho")
    f_pred = np.fft.fft2(pred.transpose(0, 3, 1, 2).astype("float64"), norm="ortho")
    distance = np.abs(f_pred - f_true) ** 2
    weight = np.sqrt(distance)
    weight = np.clip(weight / weight.max(axis=(2, 3), keepdims=True), 0, 1)
    expected = (weight * distance).mean(axis=(1, 2, 3))
    got = _np(losses.ffl(true, pred))
    assert got.shape == (2,)
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    np.testing.assert_allclose(_np(losses.ffl(true, true)), 0.0, atol=1e-9)


def test_registry_and_spatial_kinds():
    true, pred = _images(n=2, size=32)
    for name, function in losses.LOSSES.items():
        out = function(true, pred)
        expected = true.shape if losses.is_spatial(name) else (2,)
        assert tuple(out.shape) == expected, name
    assert losses.is_spatial("ssim") and not losses.is_spatial("ms_ssim")
    with pytest.raises(KeyError):
        losses.get_loss("nope")


def test_float16_inputs_give_float32():
    true, pred = _images()
    pred16 = pred.astype("float16")
    for name, function in losses.LOSSES.items():
        assert ops.dtype(function(true, pred16)) == "float32", name
    y_true = np.concatenate([true, np.ones((*true.shape[:3], 3), "float32")], axis=-1)
    out = losses.FaceLoss()(y_true, pred16)
    assert ops.dtype(out) == "float32" and np.isfinite(_np(out))


# ------------------------------------------------------------------------------------------
# composition
# ------------------------------------------------------------------------------------------
def _with_masks(true, face=1.0, eye=0.0, mouth=0.0):
    shape = (*true.shape[:3], 1)
    masks = [np.broadcast_to(np.asarray(m, "float32"), shape) for m in (face, eye, mouth)]
    return np.concatenate([true, *masks], axis=-1).astype("float32")


def _value(loss, y_true, y_pred) -> float:
    return float(_np(loss(y_true, y_pred)))


def test_zero_face_mask_zeroes_spatial_loss():
    true, pred = _images()
    y_true = _with_masks(true, face=0.0, eye=1.0, mouth=1.0)
    slots = [("ssim", 1.0), ("mse", 1.0), ("gmsd", 0.5), ("laploss", 0.5)]
    assert _value(losses.FaceLoss(slots), y_true, pred) == 0.0
    # Not penalized: the face mask is ignored and the loss is back.
    assert _value(losses.FaceLoss(slots, penalized=False), y_true, pred) > 0.0


def test_eye_and_mouth_weighting():
    true, _ = _images()
    pred = true.copy()
    region = np.zeros((*true.shape[:3], 1), "float32")
    region[:, 8:16, 8:24] = 1.0
    pred = np.where(region > 0, np.clip(true + 0.3, 0, 1), pred).astype("float32")
    plain = losses.FaceLoss([("mse", 1.0)], eye_multiplier=1, mouth_multiplier=1)
    base = _value(plain, _with_masks(true, eye=region), pred)
    assert base > 0
    eyes = losses.FaceLoss([("mse", 1.0)], eye_multiplier=3)
    np.testing.assert_allclose(_value(eyes, _with_masks(true, eye=region), pred), 4 * base, 1e-5)
    mouth = losses.FaceLoss([("mse", 1.0)], mouth_multiplier=2)
    np.testing.assert_allclose(
        _value(mouth, _with_masks(true, mouth=region), pred), 3 * base, rtol=1e-5
    )
    # Overlapping eye and mouth compound, because the mouth term sees the eye-weighted map.
    both = losses.FaceLoss([("mse", 1.0)], eye_multiplier=3, mouth_multiplier=2)
    np.testing.assert_allclose(
        _value(both, _with_masks(true, eye=region, mouth=region), pred), 12 * base, rtol=1e-5
    )


def test_slot_weights_add_linearly_and_skip():
    true, pred = _images()
    y_true = _with_masks(true, face=1.0, eye=0.5, mouth=0.25)
    ssim = _value(losses.FaceLoss([("ssim", 1.0)]), y_true, pred)
    mae = _value(losses.FaceLoss([("mae", 1.0)]), y_true, pred)
    ffl = _value(losses.FaceLoss([("ffl", 1.0)]), y_true, pred)
    combined = losses.FaceLoss([("ssim", 1.0), ("mae", 0.5), ("ffl", 2.0), ("none", 1.0)])
    np.testing.assert_allclose(
        _value(combined, y_true, pred), ssim + 0.5 * mae + 2.0 * ffl, rtol=1e-5
    )
    skipped = losses.FaceLoss([("ssim", 1.0), ("mae", 0.0)])
    np.testing.assert_allclose(_value(skipped, y_true, pred), ssim, rtol=1e-6)
    with pytest.raises(ValueError):
        losses.FaceLoss([("mse", 1.0)] * 5)
    with pytest.raises(KeyError):
        losses.FaceLoss([("nope", 1.0)])


def test_per_item_loss_masks_inputs():
    true, pred = _images()
    rng = np.random.default_rng(3)
    face, eye, mouth = (rng.random((*true.shape[:3], 1)).astype("float32") for _ in range(3))
    y_true = _with_masks(true, face, eye, mouth)

    def linf(a, b):
        return np.abs(a - b).max(axis=(1, 2)).mean(axis=-1)

    expected = (
        linf(true * face, pred * face)
        + 3 * linf(true * eye, pred * eye)
        + 2 * linf(true * mouth, pred * mouth)
    )
    loss = losses.FaceLoss([("l_inf_norm", 1.0)], reduction=None)
    np.testing.assert_allclose(_np(loss(y_true, pred)), expected, rtol=1e-5)
    unmasked = losses.FaceLoss([("l_inf_norm", 1.0)], mask_channels=(), reduction=None)
    np.testing.assert_allclose(_np(unmasked(true, pred)), linf(true, pred), rtol=1e-5)


def test_mask_channel_subset_and_validation():
    true, pred = _images()
    face = np.zeros((*true.shape[:3], 1), "float32")
    loss = losses.FaceLoss([("mae", 1.0)], mask_channels=("face",))
    assert _value(loss, np.concatenate([true, face], axis=-1), pred) == 0.0
    with pytest.raises(ValueError):
        loss(_with_masks(true), pred)  # 6 channels where 4 are expected
    with pytest.raises(ValueError):
        losses.FaceLoss(mask_channels=("face", "nose"))


def test_mask_loss():
    true, _ = _images()
    rng = np.random.default_rng(5)
    face = rng.random((*true.shape[:3], 1)).astype("float32")
    pred_mask = rng.random(face.shape).astype("float32")
    y_true = _with_masks(true, face=face)
    for name, expected in (
        ("mse", ((pred_mask - face) ** 2).mean()),
        ("mae", np.abs(pred_mask - face).mean()),
    ):
        loss = losses.MaskLoss(name)
        np.testing.assert_allclose(_value(loss, y_true, pred_mask), expected, rtol=1e-5)
        np.testing.assert_allclose(_value(loss, face, pred_mask), expected, rtol=1e-5)
    with pytest.raises(ValueError):
        losses.MaskLoss("ssim")


def test_config_round_trip():
    loss = losses.FaceLoss(
        [("ms_ssim", 1.0), ("mae", 0.25)], mask_channels=("face", "eye"), eye_multiplier=5
    )
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert isinstance(restored, losses.FaceLoss)
    assert restored.get_config() == loss.get_config()
    mask = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(losses.MaskLoss("mae"))
    )
    assert isinstance(mask, losses.MaskLoss) and mask.function == "mae"


def test_train_on_batch_every_loss_mixed_precision():
    """Compiled train step, float16 model outputs, all nine losses, learned mask, flat images.

    Flat images put SSIM variances and GMSD gradient magnitudes at exactly zero, where a careless
    sqrt or division would make the gradient NaN.
    """
    keras.utils.set_random_seed(0)
    size = 32
    inputs = keras.Input((size, size, 3))
    features = keras.layers.Conv2D(4, 3, padding="same", dtype="mixed_float16")(inputs)
    names = sorted(losses.LOSSES)
    groups = [names[i : i + 3] for i in range(0, len(names), 3)]
    outputs = [
        keras.layers.Conv2D(3, 1, activation="sigmoid", dtype="mixed_float16", name=f"face{i}")(
            features
        )
        for i in range(len(groups))
    ]
    mask_out = keras.layers.Conv2D(1, 1, activation="sigmoid", dtype="mixed_float16")(features)
    model = keras.Model(inputs, [*outputs, mask_out])
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=[losses.FaceLoss([(n, 1.0) for n in group]) for group in groups] + [losses.MaskLoss()],
    )
    rng = np.random.default_rng(0)
    x = rng.random((2, size, size, 3)).astype("float32")
    flat = np.full((2, size, size, 3), 0.5, "float32")
    face = np.zeros((2, size, size, 1), "float32")
    face[:, 4:28, 4:28] = 1.0
    y_true = _with_masks(flat, face=face, eye=face * 0.5, mouth=face * 0.25)
    for batch_x in (np.zeros_like(x), x):
        result = model.train_on_batch(batch_x, [y_true] * (len(groups) + 1), return_dict=True)
        assert np.isfinite(result["loss"]), result
    for weight in model.weights:
        assert bool(_np(ops.all(ops.isfinite(weight)))), weight.path


def test_train_on_batch_default_face_loss_learns():
    keras.utils.set_random_seed(1)
    size = 32
    inputs = keras.Input((size, size, 3))
    hidden = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    outputs = keras.layers.Conv2D(3, 3, padding="same", activation="sigmoid")(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=losses.FaceLoss())
    true, _ = _images(n=4, size=size)
    y_true = _with_masks(true, face=1.0, eye=0.0, mouth=0.0)
    first = float(model.train_on_batch(true, y_true))
    for _ in range(20):
        last = float(model.train_on_batch(true, y_true))
    assert np.isfinite(first) and np.isfinite(last)
    assert last < first
