"""Training losses, written with ``keras.ops`` only so they run on every Keras backend.

Every loss takes ``(y_true, y_pred)``: NHWC float tensors with values in [0, 1] (the colour order
does not matter). Inputs are cast to float32 first, so a float16 ``y_pred`` from a mixed-precision
model still gives a float32 loss. A loss returns either

* a **spatial** map ``(N, H, W, C)`` (``ssim``, ``gmsd``, ``mae``, ``mse``, ``logcosh``,
  ``laploss``), which :class:`FaceLoss` can weight pixel by pixel with the face, eye and mouth
  masks, or
* one value **per item** ``(N,)`` (``ms_ssim``, ``l_inf_norm``, ``ffl``), which :class:`FaceLoss`
  masks by masking its inputs instead.

:data:`LOSSES` maps the config names to the functions and :data:`SPATIAL_LOSSES` tells the two
kinds apart (see :func:`is_spatial`). Height and width must be static (known when the train step
is traced), because filter sizes and pyramid depths are chosen from them; nothing branches on
tensor values, so every function works inside a compiled train step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from faceswap.lib.align.masks import MASK_CHANNELS

LossFunction = Callable[[Any, Any], Any]

# SSIM constants (Wang et al. 2004, as used by upstream and by skimage's gaussian mode).
SSIM_FILTER_SIZE = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03
SSIM_MAX_VAL = 1.0
# MS-SSIM per-scale exponents (Wang, Simoncelli & Bovik 2003), finest scale first.
MS_SSIM_POWER_FACTORS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
GMSD_EPSILON = 0.0025
LAPLOSS_LEVELS = 5
LAPLOSS_SIGMA = 1.0
LAPLOSS_FILTER_SIZE = 5

MASK_NAMES = MASK_CHANNELS  # the mask channels FaceLoss understands, in target order
DEFAULT_SLOTS: tuple[tuple[str, float], ...] = (("ssim", 1.0), ("mse", 1.0))

# Farid & Simoncelli (2004) 5-tap matched prefilter / first-derivative pair. Their outer products
# are rotation-accurate 5x5 gradient kernels (the same family as Scharr's), and as separable
# filters they cost two 1-D passes instead of one 5x5 pass.
_DERIV_SMOOTH_5 = np.array([0.037659, 0.249153, 0.426375, 0.249153, 0.037659], dtype="float32")
_DERIV_5 = np.array([-0.109604, -0.276691, 0.0, 0.276691, 0.109604], dtype="float32")


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _f32(x: Any) -> Any:
    return ops.cast(x, "float32")


def _static_hw(x: Any) -> tuple[int, int]:
    height, width = x.shape[1], x.shape[2]
    if height is None or width is None:
        raise ValueError("losses need a static image height and width")
    return int(height), int(width)


def gaussian_kernel_1d(size: int, sigma: float) -> np.ndarray:
    """Normalised 1-D Gaussian of ``size`` taps (``size`` odd), as float32 numpy."""
    centre = (size - 1) / 2.0
    taps = np.exp(-((np.arange(size, dtype="float64") - centre) ** 2) / (2.0 * sigma**2))
    return (taps / taps.sum()).astype("float32")


def _slice_axis(x: Any, axis: int, start: int, stop: int) -> Any:
    index = (slice(None),) * axis + (slice(start, stop),)
    return x[index]


def _pad_axis(x: Any, before: int, after: int, axis: int, mode: str) -> Any:
    """Pad one axis by slicing and concatenating.

    ``keras.ops.pad`` does not offer every mode on every backend, and slices, flips and
    concatenations do, so the padding behaves the same everywhere. Modes follow numpy:
    ``symmetric`` repeats the edge pixel (``cba|abc``), ``reflect`` does not (``dcb|abc``),
    ``edge`` replicates it.
    """
    if before == 0 and after == 0:
        return x
    size = x.shape[axis]
    if mode == "edge":
        first = _slice_axis(x, axis, 0, 1)
        last = _slice_axis(x, axis, size - 1, size)
        parts = [first] * before + [x] + [last] * after
        return ops.concatenate(parts, axis=axis)
    if mode == "symmetric":
        if max(before, after) > size:
            raise ValueError(f"symmetric padding of {max(before, after)} on a size-{size} axis")
        left = _slice_axis(x, axis, 0, before)
        right = _slice_axis(x, axis, size - after, size)
    elif mode == "reflect":
        if max(before, after) >= size:
            raise ValueError(f"reflect padding of {max(before, after)} on a size-{size} axis")
        left = _slice_axis(x, axis, 1, before + 1)
        right = _slice_axis(x, axis, size - after - 1, size - 1)
    else:
        raise ValueError(f"unknown padding mode {mode!r}")
    parts = []
    if before:
        parts.append(ops.flip(left, axis=axis))
    parts.append(x)
    if after:
        parts.append(ops.flip(right, axis=axis))
    return ops.concatenate(parts, axis=axis)


def _separable_filter(x: Any, taps_h: np.ndarray, taps_w: np.ndarray, pad_mode: str) -> Any:
    """Correlate every channel of NHWC ``x`` with ``outer(taps_h, taps_w)``; output keeps H, W."""
    channels = x.shape[-1]
    size_h, size_w = len(taps_h), len(taps_w)
    pad_h, pad_w = (size_h - 1) // 2, (size_w - 1) // 2
    x = _pad_axis(x, pad_h, size_h - 1 - pad_h, 1, pad_mode)
    x = _pad_axis(x, pad_w, size_w - 1 - pad_w, 2, pad_mode)
    if size_h > 1:
        kernel = np.tile(taps_h.reshape(size_h, 1, 1, 1), (1, 1, channels, 1))
        x = ops.depthwise_conv(x, ops.convert_to_tensor(kernel, "float32"), 1, "valid")
    if size_w > 1:
        kernel = np.tile(taps_w.reshape(1, size_w, 1, 1), (1, 1, channels, 1))
        x = ops.depthwise_conv(x, ops.convert_to_tensor(kernel, "float32"), 1, "valid")
    return x


def _ssim_parts(
    y_true: Any, y_pred: Any, taps: np.ndarray, pad_mode: str = "symmetric"
) -> tuple[Any, Any]:
    """Luminance and contrast-structure SSIM maps, both ``(N, H, W, C)``."""
    channels = y_true.shape[-1]
    # One filter call on the five stacked statistics instead of five separate convolutions.
    stats = ops.concatenate(
        [y_true, y_pred, y_true * y_true, y_pred * y_pred, y_true * y_pred], axis=-1
    )
    stats = _separable_filter(stats, taps, taps, pad_mode)
    mu_t, mu_p, e_tt, e_pp, e_tp = (stats[..., i * channels : (i + 1) * channels] for i in range(5))
    var_t = e_tt - mu_t * mu_t
    var_p = e_pp - mu_p * mu_p
    cov = e_tp - mu_t * mu_p
    c1 = (SSIM_K1 * SSIM_MAX_VAL) ** 2
    c2 = (SSIM_K2 * SSIM_MAX_VAL) ** 2
    luminance = (2.0 * mu_t * mu_p + c1) / (mu_t * mu_t + mu_p * mu_p + c1)
    contrast_structure = (2.0 * cov + c2) / (var_t + var_p + c2)
    return luminance, contrast_structure


def _avg_pool2(x: Any) -> Any:
    return ops.average_pool(x, pool_size=2, strides=2, padding="valid")


# --------------------------------------------------------------------------------------------
# loss functions
# --------------------------------------------------------------------------------------------
def ssim(y_true: Any, y_pred: Any) -> Any:
    """``1 - SSIM`` map per channel, ``(N, H, W, C)``.

    Gaussian window 11x11, sigma 1.5, k1 0.01, k2 0.03, data range 1. The statistics are
    filtered with *symmetric* padding (edge pixel repeated) so the map keeps the input size and
    can be weighted by the masks pixel by pixel. Upstream reflect-pads (edge not repeated); the
    two differ only in the 5-pixel border ring. Symmetric was chosen because it is exactly what
    ``skimage.metrics.structural_similarity(gaussian_weights=True, ...)`` does (scipy's
    ``mode="reflect"``), so the whole map, border included, can be checked against it.
    """
    y_true, y_pred = _f32(y_true), _f32(y_pred)
    taps = gaussian_kernel_1d(SSIM_FILTER_SIZE, SSIM_SIGMA)
    luminance, contrast_structure = _ssim_parts(y_true, y_pred, taps)
    return 1.0 - luminance * contrast_structure


def ms_ssim(y_true: Any, y_pred: Any) -> Any:
    """``1 - MS-SSIM`` per item, ``(N,)``; images must be at least 16 px on each side.

    Five scales (each half the previous by 2x2 average pooling) with the standard power factors;
    contrast-structure at the four finer scales, full SSIM at the coarsest, per channel, then
    averaged over channels. The 11-tap window cannot fit the coarse scales of 32/64-px faces
    (a 32-px face is 2 px wide at scale 5), so at each scale the window shrinks to the largest
    odd size that fits, with sigma scaled by the same ratio, and the statistics are
    symmetric-padded so no scale collapses to nothing. Each scale's value is floored at 1e-6
    before the fractional power, because a negative base gives NaN and zero an infinite gradient.
    """
    y_true, y_pred = _f32(y_true), _f32(y_pred)
    height, width = _static_hw(y_true)
    scales = len(MS_SSIM_POWER_FACTORS)
    if min(height, width) < 2 ** (scales - 1):
        raise ValueError(f"ms_ssim needs images of at least {2 ** (scales - 1)} px")
    result = None
    for scale, power in enumerate(MS_SSIM_POWER_FACTORS):
        size = min(SSIM_FILTER_SIZE, height, width)
        size -= 1 - size % 2
        taps = gaussian_kernel_1d(size, SSIM_SIGMA * size / SSIM_FILTER_SIZE)
        luminance, contrast_structure = _ssim_parts(y_true, y_pred, taps)
        value_map = contrast_structure if scale < scales - 1 else luminance * contrast_structure
        value = ops.maximum(ops.mean(value_map, axis=(1, 2)), 1e-6) ** power
        result = value if result is None else result * value
        if scale < scales - 1:
            y_true, y_pred = _avg_pool2(y_true), _avg_pool2(y_pred)
            height, width = height // 2, width // 2
    return 1.0 - ops.mean(result, axis=-1)


def _gradient_magnitude_sq(x: Any) -> Any:
    grad_x = _separable_filter(x, _DERIV_SMOOTH_5, _DERIV_5, "reflect")
    grad_y = _separable_filter(x, _DERIV_5, _DERIV_SMOOTH_5, "reflect")
    return grad_x * grad_x + grad_y * grad_y


def gmsd(y_true: Any, y_pred: Any) -> Any:
    """Gradient-magnitude similarity loss map ``1 - GMS``, ``(N, H, W, C)``.

    GMS = (2 m_t m_p + c) / (m_t^2 + m_p^2 + c), c = 0.0025, with m the gradient magnitude from
    5x5 Farid-Simoncelli derivative kernels on reflect-padded channels. Like upstream this is
    spatial, so masks can weight it; the mean of the map is ``1 - mean GMS``. (Xue et al.'s
    GMSD takes the standard deviation of GMS instead, which cannot be masked per pixel.)
    """
    y_true, y_pred = _f32(y_true), _f32(y_pred)
    channels = y_true.shape[-1]
    mag_sq = _gradient_magnitude_sq(ops.concatenate([y_true, y_pred], axis=-1))
    mag_t_sq, mag_p_sq = mag_sq[..., :channels], mag_sq[..., channels:]
    # The epsilon keeps sqrt's gradient finite where a gradient magnitude is exactly zero (flat
    # areas); it is small enough (sqrt 1e-10) not to move GMS measurably.
    product = ops.sqrt(mag_t_sq * mag_p_sq + 1e-20)
    gms = (2.0 * product + GMSD_EPSILON) / (mag_t_sq + mag_p_sq + GMSD_EPSILON)
    return 1.0 - gms


def mae(y_true: Any, y_pred: Any) -> Any:
    """Absolute error map, ``(N, H, W, C)``."""
    return ops.abs(_f32(y_pred) - _f32(y_true))


def mse(y_true: Any, y_pred: Any) -> Any:
    """Squared error map, ``(N, H, W, C)``."""
    return ops.square(_f32(y_pred) - _f32(y_true))


def logcosh(y_true: Any, y_pred: Any) -> Any:
    """``log(cosh(error))`` map, ``(N, H, W, C)``.

    Uses the identity ``log cosh x = x + softplus(-2x) - log 2`` because ``cosh`` overflows
    float32 for large errors.
    """
    error = _f32(y_pred) - _f32(y_true)
    return error + ops.softplus(-2.0 * error) - math.log(2.0)


def l_inf_norm(y_true: Any, y_pred: Any) -> Any:
    """Largest absolute error per item, ``(N,)``: max over H, W per channel, mean over channels.

    Taking the max per channel keeps a gradient on each channel's worst pixel rather than on a
    single pixel of one channel.
    """
    error = ops.abs(_f32(y_pred) - _f32(y_true))
    return ops.mean(ops.max(error, axis=(1, 2)), axis=-1)


def laplacian_pyramid(x: Any, levels: int = LAPLOSS_LEVELS) -> list[Any]:
    """``levels`` band-pass images plus the low-pass residual, finest first.

    Each band is ``current - blur(current)`` (Gaussian 5x5, sigma 1, edge-replicated), and the
    next level is the blurred image 2x2 average-pooled.
    """
    taps = gaussian_kernel_1d(LAPLOSS_FILTER_SIZE, LAPLOSS_SIGMA)
    pyramid = []
    current = x
    for _ in range(levels):
        blurred = _separable_filter(current, taps, taps, "edge")
        pyramid.append(current - blurred)
        current = _avg_pool2(blurred)
    pyramid.append(current)
    return pyramid


def laploss(y_true: Any, y_pred: Any) -> Any:
    """Laplacian-pyramid L1 loss map, ``(N, H, W, C)``.

    The absolute difference of each pyramid level (5 bands plus the low-pass residual; fewer
    bands when the image is smaller than 32 px) is weighted by ``2^(-2 * level)`` and resized
    back to the input size bilinearly (half-pixel centres), and the levels are summed, so the map
    can be weighted by the masks. Its mean equals the per-level weighted L1 sum up to the
    small difference between a bilinear upsample's mean and the coarse map's mean.
    """
    y_true, y_pred = _f32(y_true), _f32(y_pred)
    height, width = _static_hw(y_true)
    channels = y_true.shape[-1]
    levels = min(LAPLOSS_LEVELS, int(math.log2(min(height, width))))
    pyramid = laplacian_pyramid(ops.concatenate([y_true, y_pred], axis=-1), levels)
    total = None
    for level, band in enumerate(pyramid):
        diff = ops.abs(band[..., :channels] - band[..., channels:]) * 2.0 ** (-2 * level)
        if level:
            diff = ops.image.resize(diff, (height, width), interpolation="bilinear")
        total = diff if total is None else total + diff
    return total


def ffl(y_true: Any, y_pred: Any) -> Any:
    """Focal frequency loss (Jiang et al. 2021) per item, ``(N,)``.

    Orthonormal 2-D FFT per channel; the squared spectrum distance is weighted by its own square
    root (alpha 1) divided by the per-image, per-channel maximum, clipped to [0, 1] and treated as
    a constant. Upstream feeds this frequency-domain map to the mask weighting as if it were
    spatial; a frequency bin has no pixel position, so here it is per item and :class:`FaceLoss`
    masks the images before the transform instead.
    """
    y_true, y_pred = _f32(y_true), _f32(y_pred)
    height, width = _static_hw(y_true)
    # fft2 works on the last two axes.
    diff = ops.transpose(y_pred - y_true, (0, 3, 1, 2))
    # The FFT is linear, so transforming the difference equals differencing the transforms.
    real, imag = ops.fft2((diff, ops.zeros_like(diff)))
    scale = 1.0 / math.sqrt(height * width)
    distance = (ops.square(real) + ops.square(imag)) * (scale * scale)
    # The focal weight is a constant, so no gradient flows through sqrt (infinite at zero).
    weight = ops.sqrt(ops.stop_gradient(distance))
    peak = ops.max(weight, axis=(2, 3), keepdims=True)
    weight = ops.clip(weight / ops.maximum(peak, 1e-12), 0.0, 1.0)
    return ops.mean(weight * distance, axis=(1, 2, 3))


LOSSES: dict[str, LossFunction] = {
    "ssim": ssim,
    "ms_ssim": ms_ssim,
    "gmsd": gmsd,
    "mae": mae,
    "mse": mse,
    "logcosh": logcosh,
    "l_inf_norm": l_inf_norm,
    "laploss": laploss,
    "ffl": ffl,
}
"""Config name -> loss function."""

SPATIAL_LOSSES: frozenset[str] = frozenset({"ssim", "gmsd", "mae", "mse", "logcosh", "laploss"})
"""Names in :data:`LOSSES` that return an ``(N, H, W, C)`` map; the others return ``(N,)``."""


def is_spatial(name: str) -> bool:
    """Whether loss ``name`` returns a spatial map (else one value per item)."""
    if name not in LOSSES:
        raise KeyError(f"unknown loss {name!r}; choose from {sorted(LOSSES)}")
    return name in SPATIAL_LOSSES


def get_loss(name: str) -> LossFunction:
    """The loss function registered as ``name``."""
    if name not in LOSSES:
        raise KeyError(f"unknown loss {name!r}; choose from {sorted(LOSSES)}")
    return LOSSES[name]


# --------------------------------------------------------------------------------------------
# composed losses
# --------------------------------------------------------------------------------------------
def _normalise_slots(slots: Iterable[Sequence[Any]]) -> list[tuple[str, float]]:
    """Validate ``(name, weight)`` slots, dropping ``none``/``None`` names and zero weights."""
    slots = [tuple(slot) for slot in slots]
    if len(slots) > 4:
        raise ValueError(f"at most 4 loss slots, got {len(slots)}")
    active = []
    for slot in slots:
        if len(slot) != 2:
            raise ValueError(f"a loss slot is (name, weight), got {slot!r}")
        name, weight = slot
        if name is None or str(name).lower() == "none":
            continue
        weight = float(weight)
        if weight < 0:
            raise ValueError(f"loss weight must not be negative, got {weight} for {name!r}")
        if weight == 0:
            continue
        get_loss(str(name))
        active.append((str(name), weight))
    if not active:
        raise ValueError("no active loss slot")
    return active


@keras.saving.register_keras_serializable(package="faceswap")
class FaceLoss(keras.losses.Loss):
    """Weighted sum of up to four face losses with upstream's mask weighting.

    ``y_true`` carries the masks in extra channels: ``y_true[..., :3]`` is the target face, then
    one channel per entry of ``mask_channels`` in that order (each in [0, 1]). ``y_pred`` is the
    3-channel face. Per item and per active slot ``(name, weight)``:

    * spatial loss: ``L = map; L *= face`` (if ``penalized``); ``L += L * eye * eye_multiplier``
      (if ``eye_multiplier > 1``); ``L += L * mouth * mouth_multiplier`` (if
      ``mouth_multiplier > 1``); then the mean over H, W, C;
    * per-item loss: ``f(true*face, pred*face) + f(true*eye, pred*eye) * eye_multiplier +
      f(true*mouth, pred*mouth) * mouth_multiplier`` with each term under the same condition
      (``f(true, pred)`` stands in for the face term when not penalized);

    and the item's loss is the weight-scaled sum over slots. A mask that ``mask_channels`` does
    not list is simply not applied. The Keras reduction then averages over the batch.

    Args:
        slots: ``(name, weight)`` pairs, at most four; weights are fractions (upstream's
            percentages / 100); a ``"none"`` name or a zero weight skips the slot.
        mask_channels: which of ``"face"``, ``"eye"``, ``"mouth"`` follow the 3 face channels.
        penalized: multiply the loss by the face mask (upstream ``penalized_mask_loss``).
        eye_multiplier: extra weight of the eye region (upstream default 3).
        mouth_multiplier: extra weight of the mouth region (upstream default 2).
    """

    def __init__(
        self,
        slots: Iterable[Sequence[Any]] = DEFAULT_SLOTS,
        mask_channels: Iterable[str] = MASK_NAMES,
        penalized: bool = True,
        eye_multiplier: float = 3.0,
        mouth_multiplier: float = 2.0,
        name: str = "face_loss",
        reduction: str = "sum_over_batch_size",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.slots = _normalise_slots(slots)
        self.mask_channels = tuple(str(mask) for mask in mask_channels)
        unknown = set(self.mask_channels) - set(MASK_NAMES)
        if unknown or len(set(self.mask_channels)) != len(self.mask_channels):
            raise ValueError(f"mask_channels must be distinct names from {MASK_NAMES}")
        self.penalized = bool(penalized)
        self.eye_multiplier = float(eye_multiplier)
        self.mouth_multiplier = float(mouth_multiplier)

    @property
    def expected_channels(self) -> int:
        """Channels ``y_true`` must have: 3 face channels plus one per mask."""
        return 3 + len(self.mask_channels)

    def _mask(self, y_true: Any, name: str) -> Any:
        index = 3 + self.mask_channels.index(name)
        return y_true[..., index : index + 1]

    def _active_masks(self, y_true: Any) -> tuple[Any, Any, Any]:
        face = eye = mouth = None
        if self.penalized and "face" in self.mask_channels:
            face = self._mask(y_true, "face")
        if self.eye_multiplier > 1 and "eye" in self.mask_channels:
            eye = self._mask(y_true, "eye")
        if self.mouth_multiplier > 1 and "mouth" in self.mask_channels:
            mouth = self._mask(y_true, "mouth")
        return face, eye, mouth

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = _f32(y_true), _f32(y_pred)
        channels = y_true.shape[-1]
        if channels is not None and channels != self.expected_channels:
            raise ValueError(
                f"{self.name}: y_true has {channels} channels, expected {self.expected_channels} "
                f"(3 face + masks {self.mask_channels})"
            )
        target = y_true[..., :3]
        y_pred = y_pred[..., :3]
        face, eye, mouth = self._active_masks(y_true)
        total = None
        for name, weight in self.slots:
            function = LOSSES[name]
            if name in SPATIAL_LOSSES:
                value = function(target, y_pred)
                if face is not None:
                    value = value * face
                # Sequential, as upstream: the mouth term sees the eye-weighted map.
                if eye is not None:
                    value = value + value * eye * self.eye_multiplier
                if mouth is not None:
                    value = value + value * mouth * self.mouth_multiplier
                value = ops.mean(value, axis=(1, 2, 3))
            else:
                if face is not None:
                    value = function(target * face, y_pred * face)
                else:
                    value = function(target, y_pred)
                if eye is not None:
                    value = value + function(target * eye, y_pred * eye) * self.eye_multiplier
                if mouth is not None:
                    value = value + function(target * mouth, y_pred * mouth) * (
                        self.mouth_multiplier
                    )
            value = value * weight
            total = value if total is None else total + value
        return total

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "slots": [list(slot) for slot in self.slots],
            "mask_channels": list(self.mask_channels),
            "penalized": self.penalized,
            "eye_multiplier": self.eye_multiplier,
            "mouth_multiplier": self.mouth_multiplier,
        }


@keras.saving.register_keras_serializable(package="faceswap")
class MaskLoss(keras.losses.Loss):
    """Loss of a learned mask (``learn_mask``) against the face mask, per item ``(N,)``.

    ``y_pred`` is the predicted mask ``(N, H, W, 1)``. The target mask is read from ``y_true``:
    if ``y_true`` has a single channel it is the mask itself, otherwise it is channel
    ``channel`` -- by default 3, the first channel after the face, which is where
    :class:`FaceLoss` reads the face mask when ``mask_channels`` starts with ``"face"`` -- so the
    mask output can be given the same ``y_true`` as the face output.

    Args:
        function: ``"mse"`` (upstream default) or ``"mae"``.
        channel: index of the face-mask channel in a multi-channel ``y_true``.
    """

    def __init__(
        self,
        function: str = "mse",
        channel: int = 3,
        name: str = "mask_loss",
        reduction: str = "sum_over_batch_size",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if function not in ("mse", "mae"):
            raise ValueError(f"mask loss must be 'mse' or 'mae', got {function!r}")
        self.function = function
        self.channel = int(channel)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = _f32(y_true), _f32(y_pred)
        if y_true.shape[-1] != 1:
            y_true = y_true[..., self.channel : self.channel + 1]
        error = LOSSES[self.function](y_true, y_pred[..., :1])
        return ops.mean(error, axis=(1, 2, 3))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "function": self.function, "channel": self.channel}


__all__ = [
    "DEFAULT_SLOTS",
    "LOSSES",
    "MASK_NAMES",
    "MS_SSIM_POWER_FACTORS",
    "SPATIAL_LOSSES",
    "FaceLoss",
    "LossFunction",
    "MaskLoss",
    "ffl",
    "gaussian_kernel_1d",
    "get_loss",
    "gmsd",
    "is_spatial",
    "l_inf_norm",
    "laplacian_pyramid",
    "laploss",
    "logcosh",
    "mae",
    "ms_ssim",
    "mse",
    "ssim",
]
