"""Training data augmentation: small, pure NumPy/OpenCV batch transforms.

Every function works on a batch and takes an explicit ``rng: numpy.random.Generator``: there is
no global random state, so the same seed always gives the same batch. Conventions:

* ``images``: ``(N, S, S, C)`` uint8, BGR in the first three channels. Colour functions touch only
  those three; geometric functions accept any channel count (mask channels travel along).
* ``landmarks``: ``(N, 68, 2)`` float32, ``(x, y)`` in pixels of the same ``S`` px image.
* Ranges given to the functions are fractions (``0.05`` for 5%) and rotation is in degrees;
  :class:`AugmentConfig` keeps upstream faceswap's percent units and converts.

:func:`augment_batch` chains everything in the order faceswap trains with: colour (LAB shift,
CLAHE) → random affine transform → horizontal flip → targets (unwarped, INTER_AREA) → random grid
warp of the network input only.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "FLIP_68",
    "WARP_SCALE",
    "AugmentConfig",
    "apply_flip",
    "apply_lab_shift",
    "apply_transform",
    "augment_batch",
    "coverage_crop",
    "coverage_offset",
    "coverage_size",
    "random_clahe",
    "random_flip",
    "random_lab_shift",
    "random_transform",
    "random_warp",
    "random_warp_maps",
    "transform_landmarks",
]

# Std of the warp control-point noise as a fraction of the image size (upstream: 5 px at 256).
WARP_SCALE = 5.0 / 256.0
_WARP_POINTS = 5
_CLAHE_CLIP = 2.0


def _mirror_68() -> np.ndarray:
    # After a horizontal mirror the subject's right eye is where the left eye was; re-indexing
    # keeps index 36 meaning "right eye, outer corner" so masks and losses built from landmark
    # groups still pick the right parts.
    pairs = [(i, 16 - i) for i in range(8)]  # jaw; 8 is the chin
    pairs += [(17 + i, 26 - i) for i in range(5)]  # eyebrows
    pairs += [(31, 35), (32, 34)]  # nostrils; 27-30 and 33 sit on the midline
    pairs += [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]  # eyes
    pairs += [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58)]  # outer lips; 51, 57 midline
    pairs += [(60, 64), (61, 63), (65, 67)]  # inner lips; 62, 66 midline
    perm = np.arange(68)
    for left, right in pairs:
        perm[left], perm[right] = right, left
    return perm


#: ``flipped[i] = mirrored[FLIP_68[i]]``: the 68-point index permutation of a horizontal flip.
FLIP_68: np.ndarray = _mirror_68()
FLIP_68.flags.writeable = False


@dataclass(frozen=True)
class AugmentConfig:
    """Augmentation settings, in upstream faceswap's units and with its defaults.

    Percentages are 0-100 and ``rotation_range`` is in degrees. ``warp``, ``flip`` and ``color``
    switch whole stages off (the CLI's ``--no-warp``, ``--no-flip``, ``--no-augment-color``).
    """

    rotation_range: float = 10.0
    zoom_amount: float = 5.0
    shift_range: float = 5.0
    flip_chance: float = 50.0
    color_lightness: float = 30.0
    color_ab: float = 8.0
    color_clahe_chance: float = 50.0
    color_clahe_max_size: int = 4
    warp: bool = True
    flip: bool = True
    color: bool = True

    def __post_init__(self) -> None:
        for name in ("zoom_amount", "shift_range", "flip_chance", "color_lightness", "color_ab",
                     "color_clahe_chance"):
            value = getattr(self, name)
            if not 0.0 <= value <= 100.0:
                raise ValueError(f"AugmentConfig.{name} must be within 0-100 (%), got {value}")
        if not 0.0 <= self.rotation_range <= 180.0:
            raise ValueError(
                f"AugmentConfig.rotation_range must be within 0-180 degrees, "
                f"got {self.rotation_range}"
            )
        if self.color_clahe_max_size < 0:
            raise ValueError(
                f"AugmentConfig.color_clahe_max_size must be >= 0, got {self.color_clahe_max_size}"
            )


# ---------------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------------
def _check_images(images: np.ndarray, min_channels: int = 1) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[1] != images.shape[2]:
        raise ValueError(f"expected a batch of square images (N, S, S, C), got {images.shape}")
    if images.shape[3] < min_channels:
        raise ValueError(f"expected at least {min_channels} channels, got {images.shape[3]}")
    return images


def _check_bgr(images: np.ndarray) -> np.ndarray:
    images = _check_images(images, 3)
    if images.dtype != np.uint8:
        # OpenCV's float LAB has other ranges, and the shift formulas assume 0-255.
        raise ValueError(f"colour augmentation needs uint8 BGR images, got {images.dtype}")
    return images


def _check_landmarks(landmarks: np.ndarray | None, count: int) -> np.ndarray | None:
    if landmarks is None:
        return None
    landmarks = np.asarray(landmarks, dtype=np.float32)
    if landmarks.ndim != 3 or landmarks.shape[0] != count or landmarks.shape[2] != 2:
        raise ValueError(f"expected landmarks of shape ({count}, P, 2), got {landmarks.shape}")
    return landmarks


def _check_fraction(name: str, value: float, high: float = 1.0) -> float:
    # Guards against passing config percents (30) where a fraction (0.3) is meant.
    if not 0.0 <= value <= high:
        raise ValueError(f"{name} must be a fraction within 0-{high:g}, got {value}")
    return float(value)


def _resize(image: np.ndarray, size: int, upscale: int = cv2.INTER_CUBIC) -> np.ndarray:
    if image.shape[0] == size:
        return image
    interp = cv2.INTER_AREA if image.shape[0] > size else upscale
    out = cv2.resize(image, (size, size), interpolation=interp)
    # cv2 drops a trailing channel axis of length 1.
    return out.reshape(size, size, *image.shape[2:])


# ---------------------------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------------------------
def coverage_size(size: int, coverage_ratio: float) -> int:
    """Side of the centre crop kept at ``coverage_ratio``: ``(size * ratio // 2) * 2``, even."""
    if not 0.0 < coverage_ratio <= 1.0:
        raise ValueError(f"coverage_ratio must be within (0, 1], got {coverage_ratio}")
    return int(size * coverage_ratio // 2) * 2


def coverage_offset(size: int, coverage_ratio: float) -> int:
    """Pixels cut from the left/top by :func:`coverage_crop`; subtract it from landmarks."""
    return (size - coverage_size(size, coverage_ratio)) // 2


def coverage_crop(image: np.ndarray, coverage_ratio: float) -> np.ndarray:
    """Centre crop of ``(size * coverage_ratio // 2) * 2`` pixels (a view, not a copy).

    ``image`` is ``(S, S)``, ``(S, S, C)`` or a batch ``(N, S, S, C)``.
    """
    image = np.asarray(image)
    axis = 1 if image.ndim == 4 else 0
    size = image.shape[axis]
    if image.ndim not in (2, 3, 4) or image.shape[axis + 1] != size:
        raise ValueError(f"expected square (S, S[, C]) or (N, S, S, C), got {image.shape}")
    start = coverage_offset(size, coverage_ratio)
    stop = start + coverage_size(size, coverage_ratio)
    window = (slice(None),) * axis + (slice(start, stop), slice(start, stop))
    return image[window]


# ---------------------------------------------------------------------------------------------
# Colour
# ---------------------------------------------------------------------------------------------
def _to_lab(images: np.ndarray) -> np.ndarray:
    n, s = images.shape[:2]
    # cvtColor is per pixel, so the whole batch converts in one call as a tall image.
    bgr = np.ascontiguousarray(images[..., :3]).reshape(n * s, s, 3)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB).reshape(n, s, s, 3)


def _from_lab(lab: np.ndarray, images: np.ndarray) -> np.ndarray:
    n, s = lab.shape[:2]
    bgr = cv2.cvtColor(lab.reshape(n * s, s, 3), cv2.COLOR_LAB2BGR).reshape(n, s, s, 3)
    if images.shape[3] == 3:
        return bgr
    out = images.copy()
    out[..., :3] = bgr
    return out


def _lab_shift(lab: np.ndarray, shifts: np.ndarray) -> None:
    pos = np.maximum(shifts, 0.0)
    neg = np.minimum(shifts, 0.0)
    # v > 0: x + (255 - x)·v ; v < 0: x·(1 + v). Both are x·gain + bias with one branch zero.
    gain = (1.0 - pos + neg).astype(np.float32)[:, None, None, :]
    bias = (255.0 * pos).astype(np.float32)[:, None, None, :]
    shifted = lab.astype(np.float32) * gain + bias
    np.rint(shifted, out=shifted)
    np.clip(shifted, 0, 255, out=shifted)
    lab[...] = shifted


def _draw_lab_shifts(rng: np.random.Generator, count: int, lightness: float, ab: float
                     ) -> np.ndarray:
    return rng.uniform(-1.0, 1.0, size=(count, 3)) * np.array([lightness, ab, ab])


def _draw_clahe(rng: np.random.Generator, count: int, size: int, chance: float, max_size: int
                ) -> tuple[np.ndarray, np.ndarray]:
    apply = rng.random(count) < chance
    # Drawn for every image, used or not, so one image's draw never shifts another's.
    steps = rng.integers(0, max_size + 1, size=count)
    base = max(2, size // 128)
    return apply, steps * (base // 2) + base


def _clahe(lab: np.ndarray, apply: np.ndarray, grids: np.ndarray) -> None:
    cache: dict[int, cv2.CLAHE] = {}
    for idx in np.flatnonzero(apply):
        grid = int(grids[idx])
        if grid not in cache:
            cache[grid] = cv2.createCLAHE(clipLimit=_CLAHE_CLIP, tileGridSize=(grid, grid))
        lab[idx, :, :, 0] = cache[grid].apply(np.ascontiguousarray(lab[idx, :, :, 0]))


def apply_lab_shift(images: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Shift L, a, b of each image by ``shifts`` (N, 3), fractions in [-1, 1].

    A positive shift ``v`` maps a channel value ``x → x + (255 − x)·v`` (towards 255), a negative
    one ``x → x·(1 + v)`` (towards 0), on OpenCV's 8-bit LAB. Returns a new uint8 batch; channels
    after the third are copied unchanged.
    """
    images = _check_bgr(images)
    shifts = np.asarray(shifts, dtype=np.float64)
    if shifts.shape != (images.shape[0], 3) or np.abs(shifts).max(initial=0.0) > 1.0:
        raise ValueError(f"shifts must be ({images.shape[0]}, 3) within [-1, 1]")
    lab = _to_lab(images)
    _lab_shift(lab, shifts)
    return _from_lab(lab, images)


def random_lab_shift(
    images: np.ndarray, rng: np.random.Generator, lightness: float = 0.30, ab: float = 0.08
) -> np.ndarray:
    """:func:`apply_lab_shift` with per-image uniform shifts in ±``lightness`` (L), ±``ab``."""
    images = _check_bgr(images)
    shifts = _draw_lab_shifts(rng, images.shape[0], _check_fraction("lightness", lightness),
                              _check_fraction("ab", ab))
    return apply_lab_shift(images, shifts)


def random_clahe(
    images: np.ndarray, rng: np.random.Generator, chance: float = 0.5, max_size: int = 4
) -> np.ndarray:
    """Contrast-limited histogram equalisation of L, on each image with probability ``chance``.

    clipLimit 2.0; the tile grid is ``k·(base // 2) + base`` with ``k`` uniform in
    ``0..max_size`` and ``base = max(2, S // 128)``. Returns a new uint8 batch; images not
    picked are bit-identical copies.
    """
    images = _check_bgr(images)
    chance = _check_fraction("chance", chance)
    if max_size < 0:
        raise ValueError(f"max_size must be >= 0, got {max_size}")
    apply, grids = _draw_clahe(rng, images.shape[0], images.shape[1], chance, max_size)
    out = images.copy()
    if apply.any():
        # Only the picked images go through LAB: the round trip alone is not lossless.
        lab = _to_lab(images[apply])
        _clahe(lab, np.ones(len(lab), dtype=bool), grids[apply])
        out[apply] = _from_lab(lab, images[apply])
    return out


# ---------------------------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------------------------
def transform_landmarks(landmarks: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """Apply per-image 2×3 affine ``matrices`` (N, 2, 3) to ``landmarks`` (N, P, 2)."""
    landmarks = np.asarray(landmarks, dtype=np.float32)
    matrices = np.asarray(matrices, dtype=np.float32)
    out = landmarks @ matrices[:, :, :2].transpose(0, 2, 1) + matrices[:, None, :, 2]
    return out.astype(np.float32, copy=False)


def apply_transform(
    images: np.ndarray, matrices: np.ndarray, interpolation: int = cv2.INTER_LINEAR
) -> np.ndarray:
    """``cv2.warpAffine`` each image with its matrix, BORDER_REPLICATE, any channel count/dtype.

    Use it to move extra arrays (masks) exactly as :func:`random_transform` moved the images.
    """
    images = _check_images(images)
    size = images.shape[1]
    out = np.empty_like(images)
    for idx, (image, matrix) in enumerate(zip(images, matrices, strict=True)):
        warped = cv2.warpAffine(image, np.asarray(matrix, dtype=np.float64), (size, size),
                                flags=interpolation, borderMode=cv2.BORDER_REPLICATE)
        out[idx] = warped.reshape(image.shape)
    return out


def random_transform(
    images: np.ndarray,
    rng: np.random.Generator,
    rotation: float = 10.0,
    zoom: float = 0.05,
    shift: float = 0.05,
    landmarks: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Random rotation (±``rotation`` degrees), scale (1 ± ``zoom``) and shift (±``shift``·S).

    Rotation and scale are about the centre ``((S − 1)/2, (S − 1)/2)``; edges are replicated.
    Returns ``(images, matrices (N, 2, 3) float32, landmarks or None)``, the landmarks moved by
    the same matrices.
    """
    images = _check_images(images)
    n, size = images.shape[:2]
    landmarks = _check_landmarks(landmarks, n)
    zoom = _check_fraction("zoom", zoom)
    shift = _check_fraction("shift", shift)
    angles = rng.uniform(-rotation, rotation, size=n)
    scales = rng.uniform(1.0 - zoom, 1.0 + zoom, size=n)
    shifts = rng.uniform(-shift, shift, size=(n, 2)) * size
    centre = ((size - 1) / 2.0, (size - 1) / 2.0)
    matrices = np.empty((n, 2, 3), dtype=np.float64)
    for idx in range(n):
        matrices[idx] = cv2.getRotationMatrix2D(centre, float(angles[idx]), float(scales[idx]))
    matrices[:, :, 2] += shifts
    out = apply_transform(images, matrices)
    if landmarks is not None:
        landmarks = transform_landmarks(landmarks, matrices)
    return out, matrices.astype(np.float32), landmarks


def apply_flip(
    images: np.ndarray, flipped: np.ndarray, landmarks: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Mirror the images where ``flipped`` (N,) is true; see :func:`random_flip`."""
    images = _check_images(images)
    n, size = images.shape[:2]
    flipped = np.asarray(flipped, dtype=bool)
    out = images.copy()
    out[flipped] = images[flipped, :, ::-1]
    landmarks = _check_landmarks(landmarks, n)
    if landmarks is not None:
        if landmarks.shape[1] != 68:
            raise ValueError(f"flip re-indexes the 68-point layout, got {landmarks.shape[1]}")
        landmarks = landmarks.copy()
        mirrored = landmarks[flipped]
        mirrored[..., 0] = (size - 1) - mirrored[..., 0]
        landmarks[flipped] = mirrored[:, FLIP_68]
    return out, landmarks


def random_flip(
    images: np.ndarray,
    rng: np.random.Generator,
    chance: float = 0.5,
    landmarks: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Horizontally mirror each image with probability ``chance``.

    Landmarks are mirrored (``x → S − 1 − x``) and re-indexed with :data:`FLIP_68` so each index
    keeps its meaning (36 stays the right eye's outer corner). Returns
    ``(images, flipped (N,) bool, landmarks or None)``.
    """
    images = _check_images(images)
    flipped = rng.random(images.shape[0]) < _check_fraction("chance", chance)
    out, landmarks = apply_flip(images, flipped, landmarks)
    return out, flipped, landmarks


def random_warp_maps(
    size: int, rng: np.random.Generator, count: int, scale: float = WARP_SCALE
) -> tuple[np.ndarray, np.ndarray]:
    """Dense ``cv2.remap`` maps ``(map_x, map_y)``, each ``(count, size, size)`` float32.

    A 5×5 control grid ``linspace(0, size, 5)`` gets N(0, ``scale``·size) noise, is resized
    (bilinear) to ``pad = int(1.25·size)`` and the middle ``size`` px kept from offset
    ``pad // 10``: that crop undoes the resize's edge clamping, so the map is the identity plus
    smooth noise. Unlike upstream, the grid is offset (by −0.5 px for sizes that are multiples of
    8) so that the noise-free map is exactly the identity rather than a half-pixel shift.
    """
    pad = int(1.25 * size)
    start = pad // 10
    # Upstream's grid is linspace(0, S, 5). cv2.resize samples at pixel centres, so for S a
    # multiple of 8 that map reads x + 0.5: a constant half-pixel shift between input and target
    # that the model would learn. Offsetting the grid makes a zero-noise map the identity.
    origin = -((start + 0.5) * (_WARP_POINTS / pad) - 0.5) * size / (_WARP_POINTS - 1)
    grid = np.linspace(0.0, size, _WARP_POINTS, dtype=np.float32) + np.float32(origin)
    base_x = np.broadcast_to(grid, (_WARP_POINTS, _WARP_POINTS))
    noise = rng.normal(0.0, scale * size, size=(count, 2, _WARP_POINTS, _WARP_POINTS))
    controls = noise.astype(np.float32)
    controls[:, 0] += base_x
    controls[:, 1] += base_x.T
    maps = np.empty((count, 2, size, size), dtype=np.float32)
    for idx in range(count):
        for axis in range(2):
            dense = cv2.resize(controls[idx, axis], (pad, pad), interpolation=cv2.INTER_LINEAR)
            # [start : start + size] equals upstream's [pad//10 : -pad//10] whenever that is
            # exactly `size` px (64, 128, 256 ...) and stays `size` px for any other size.
            maps[idx, axis] = dense[start:start + size, start:start + size]
    return maps[:, 0], maps[:, 1]


def random_warp(
    images: np.ndarray, rng: np.random.Generator, scale: float = WARP_SCALE
) -> np.ndarray:
    """Smooth random distortion (see :func:`random_warp_maps`), ``cv2.remap`` bilinear.

    Applied to the network input only, so the model learns to undo it. Edges are replicated
    rather than filled black: a black sliver exists in no target and would teach nothing.
    """
    images = _check_images(images)
    n, size = images.shape[:2]
    maps_x, maps_y = random_warp_maps(size, rng, n, scale)
    out = np.empty_like(images)
    for idx in range(n):
        warped = cv2.remap(images[idx], maps_x[idx], maps_y[idx], cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)
        out[idx] = warped.reshape(images.shape[1:])
    return out


# ---------------------------------------------------------------------------------------------
# The chain
# ---------------------------------------------------------------------------------------------
def _to_unit_float(images: np.ndarray) -> np.ndarray:
    if images.dtype == np.uint8:
        return images.astype(np.float32) * np.float32(1.0 / 255.0)
    return np.clip(images.astype(np.float32), 0.0, 1.0)


def _resize_batch(images: np.ndarray, size: int, upscale: int = cv2.INTER_CUBIC) -> np.ndarray:
    if images.shape[1] == size:
        return images
    return np.stack([_resize(image, size, upscale) for image in images])


def resize_batch(images: np.ndarray, size: int) -> np.ndarray:
    """``(N, S, S[, C])`` images at ``size`` px (INTER_AREA down, cubic up; any channel count)."""
    return _resize_batch(images, size)


def augment_batch(
    faces: np.ndarray,
    rng: np.random.Generator,
    config: AugmentConfig,
    input_size: int,
    output_size: int,
    landmarks: np.ndarray | None = None,
    masks: np.ndarray | None = None,
    *,
    coverage_ratio: float = 1.0,
    return_landmarks: bool = False,
) -> (
    tuple[np.ndarray, np.ndarray, np.ndarray | None]
    | tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]
):
    """Augment one side's batch the way faceswap trains.

    Args:
        faces: ``(N, S, S, 3)`` BGR uint8 aligned faces, any ``S``.
        rng: the only source of randomness; the same seed gives the same batch.
        config: which stages run and their ranges.
        input_size: side of the network input.
        output_size: side of the network output (targets and masks).
        landmarks: ``(N, 68, 2)`` float32 in ``S`` px, moved with the faces.
        masks: ``(N, S, S)`` or ``(N, S, S, K)``, uint8 0-255 or float 0-1, moved with the faces
            (transform and flip, never colour or warp).
        coverage_ratio: centre crop (:func:`coverage_crop`) applied first; 1.0 keeps all.
        return_landmarks: also return the landmarks, in ``output_size`` px (None if not given).

    Returns:
        ``(inputs, targets, masks)``: inputs ``(N, input_size, input_size, 3)`` float32 [0, 1],
        colour-augmented, transformed, flipped and warped; targets ``(N, output_size,
        output_size, 3)`` float32 [0, 1], the same without the warp; masks float32 [0, 1] at
        ``output_size`` in the shape they came in, or None. With ``return_landmarks`` a fourth
        item, the landmarks.

    Work happens at ``max(input_size, output_size)`` px (upstream's process size): the crop is
    resized there first (INTER_AREA down, cubic up). Each stage draws from its own child of
    ``rng``, so switching a stage off leaves the other stages' draws unchanged.
    """
    faces = _check_images(faces, 3)
    if faces.dtype != np.uint8 or faces.shape[3] != 3:
        raise ValueError(f"faces must be (N, S, S, 3) uint8, got {faces.shape} {faces.dtype}")
    n, size = faces.shape[:2]
    if n == 0:
        raise ValueError("augment_batch needs at least one face")
    landmarks = _check_landmarks(landmarks, n)
    if masks is not None:
        masks = np.asarray(masks)
        if masks.shape[:3] != faces.shape[:3] or masks.ndim not in (3, 4):
            raise ValueError(f"masks must be (N, S, S[, K]) like faces, got {masks.shape}")
    rng_color, rng_clahe, rng_transform, rng_flip, rng_warp = rng.spawn(5)
    process = max(input_size, output_size)

    # Crop to coverage and bring everything to the process size.
    crop = coverage_size(size, coverage_ratio)
    offset = coverage_offset(size, coverage_ratio)
    images = _resize_batch(coverage_crop(faces, coverage_ratio), process)
    mask_batch = None
    if masks is not None:
        mask_batch = masks[..., None] if masks.ndim == 3 else masks
        mask_batch = _resize_batch(coverage_crop(mask_batch, coverage_ratio), process,
                                   cv2.INTER_LINEAR)
    if landmarks is not None:
        # Pixel centres: x_new + 0.5 = (x_old - offset + 0.5) · process / crop.
        landmarks = (landmarks - offset + 0.5) * np.float32(process / crop) - 0.5

    if config.color:
        shifts = _draw_lab_shifts(rng_color, n, config.color_lightness / 100.0,
                                  config.color_ab / 100.0)
        apply, grids = _draw_clahe(rng_clahe, n, process, config.color_clahe_chance / 100.0,
                                   config.color_clahe_max_size)
        # One LAB round trip for both colour steps.
        lab = _to_lab(images)
        _lab_shift(lab, shifts)
        _clahe(lab, apply, grids)
        images = _from_lab(lab, images)

    images, matrices, landmarks = random_transform(
        images, rng_transform, config.rotation_range, config.zoom_amount / 100.0,
        config.shift_range / 100.0, landmarks)
    if mask_batch is not None:
        mask_batch = apply_transform(mask_batch, matrices)

    if config.flip:
        flipped = rng_flip.random(n) < config.flip_chance / 100.0
        images, landmarks = apply_flip(images, flipped, landmarks)
        if mask_batch is not None:
            mask_batch, _ = apply_flip(mask_batch, flipped)

    targets = _to_unit_float(_resize_batch(images, output_size))
    out_masks = None
    if mask_batch is not None:
        out_masks = _to_unit_float(_resize_batch(mask_batch, output_size, cv2.INTER_LINEAR))
        if masks is not None and masks.ndim == 3:
            out_masks = out_masks[..., 0]

    feed = random_warp(images, rng_warp) if config.warp else images
    inputs = _to_unit_float(_resize_batch(feed, input_size))

    if not return_landmarks:
        return inputs, targets, out_masks
    if landmarks is not None:
        landmarks = ((landmarks + 0.5) * np.float32(output_size / process) - 0.5).astype(
            np.float32)
    return inputs, targets, out_masks, landmarks
