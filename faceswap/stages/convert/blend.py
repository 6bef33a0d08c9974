"""The convert mask: which pixels of the swapped face are pasted over the frame, and how softly.

Every function works in the aligned face's pixel space at the model's output size and returns a
float32 (S, S, 1) mask in [0, 1]. The steps follow upstream faceswap's ``mask_blend``:

1. the source mask: a landmark hull (``extended``, ``components``), the model's learned mask
   (``predicted``) or all ones (``none``);
2. thresholding: values within ``threshold`` % of 0 or 1 snap to 0 or 1, which removes the
   anti-aliased halo and near-white noise before the blur spreads them;
3. a multi-pass blur (``normalized`` box or ``gaussian``), each pass with a smaller kernel so
   the edge gets a wide, smooth falloff without washing out the interior;
4. optional erosion / dilation, in the centre or from one side only;
5. ``min`` with the box mask, so the patch always fades to exactly zero before its own edge and
   no seam shows where the warped square ends.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from faceswap.lib.align.masks import (
    CONVERT_MASK_TYPES,
    FACE_MASK_TYPES,
    LEARNED_MASK_TYPES,
    landmark_mask,
)
from faceswap.lib.errors import FaceswapError

BLUR_TYPES = ("normalized", "gaussian", "none")

# Each further blur pass uses the previous kernel times this: a gaussian is already soft at its
# edge so it shrinks slowly; a box blur needs a faster shrink to round off its linear ramps.
_PASS_FACTOR = {"gaussian": 0.8, "normalized": 0.5}
# kernel_size is in pixels of a face at upstream's default model output (Original, 64 px),
# where upstream blurs at the output size: 4 box passes of 3 px there, sigma ~1.6 px. At any
# other output size the blur is that one scaled with the face, so the seam is equally soft
# relative to the face at 64, 128 or 256 px.
_KERNEL_REFERENCE_SIZE = 64
_BOX_BLUR_PERCENT = 6.0


class MaskError(FaceswapError, ValueError):
    """A bad mask request: a ValueError for callers, a clean message for the CLI."""


@dataclass(frozen=True)
class MaskSettings:
    """How the convert mask is blurred, thresholded and eroded (upstream ``[mask.mask_blend]``).

    ``kernel_size`` is the first blur kernel's diameter in pixels of a 64 px face (upstream's
    default output; other sizes get the same blur scaled with the face); ``threshold``
    and the erosions are percentages. Erosions are a % of the mask radius ``sqrt(sum(mask)) / 2``
    (so they scale with the face, not the patch); positive shrinks, negative grows.
    """

    type: str = "normalized"
    kernel_size: int = 3
    passes: int = 4
    threshold: float = 4.0
    erosion: float = 0.0
    erosion_top: float = 0.0
    erosion_bottom: float = 0.0
    erosion_left: float = 0.0
    erosion_right: float = 0.0

    def __post_init__(self) -> None:
        if self.type not in BLUR_TYPES:
            raise MaskError(
                f"Unknown mask blur type '{self.type}'. Choose one of: {', '.join(BLUR_TYPES)}."
            )
        if int(self.kernel_size) < 1:
            raise MaskError(f"Mask blur kernel_size must be at least 1, got {self.kernel_size}.")
        if int(self.passes) < 1:
            raise MaskError(f"Mask blur passes must be at least 1, got {self.passes}.")
        if not 0.0 <= float(self.threshold) < 50.0:
            raise MaskError(f"Mask threshold must be in [0, 50) %, got {self.threshold}.")
        for name in ("erosion", "erosion_top", "erosion_bottom", "erosion_left", "erosion_right"):
            value = float(getattr(self, name))
            if not -100.0 <= value <= 100.0:
                raise MaskError(f"Mask {name} must be between -100 and 100 %, got {value}.")

    @property
    def erodes(self) -> bool:
        """Whether any erosion or dilation is asked for."""
        return any(
            (self.erosion, self.erosion_top, self.erosion_bottom,
             self.erosion_left, self.erosion_right)
        )


DEFAULT_SETTINGS = MaskSettings()


def _as_mask(mask: np.ndarray) -> np.ndarray:
    """A float32 (H, W) copy of a (H, W) or (H, W, 1) mask; uint8 masks are scaled from 255."""
    array = np.asarray(mask)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 2:
        raise MaskError(f"expected a (H, W) or (H, W, 1) mask, got shape {np.shape(mask)}")
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    return np.array(array, dtype=np.float32, copy=True)


def _odd(value: float) -> int:
    """The odd kernel size OpenCV needs, rounding ``value`` down then up to odd, at least 1."""
    size = max(1, int(value))
    return size if size % 2 else size + 1


def threshold_mask(mask: np.ndarray, threshold: float) -> np.ndarray:
    """``mask`` (H, W, 1) with values below ``threshold`` % set to 0 and above 100 - it to 1."""
    out = _as_mask(mask)
    if threshold > 0:
        limit = threshold / 100.0
        out[out < limit] = 0.0
        out[out > 1.0 - limit] = 1.0
    return out[..., None]


def _upstream_kernels(blur_type: str, kernel_size: int, passes: int) -> list[int]:
    """Upstream's kernel of every pass at the reference size: each the last times the pass
    factor, rounded (half to even), then made odd."""
    kernels, kernel = [], _odd(kernel_size)
    for _ in range(passes):
        kernels.append(kernel)
        kernel = _odd(round(kernel * _PASS_FACTOR[blur_type]))
    return kernels


def _variance(kernel: np.ndarray) -> float:
    taps = np.arange(len(kernel)) - (len(kernel) - 1) / 2.0
    return float(np.sum(kernel * taps**2) / np.sum(kernel))


def _box_kernel(variance: float) -> np.ndarray:
    """A normalised box whose width may be fractional (its two end taps weigh less than 1),
    with exactly ``variance``. Whole odd widths ``w`` are the plain box, variance (w² - 1)/12."""
    radius = int((math.sqrt(1.0 + 12.0 * variance) - 1.0) // 2)  # widest whole box that fits
    while radius * (radius + 1) / 3.0 > variance:
        radius -= 1
    while (radius + 1) * (radius + 2) / 3.0 <= variance:
        radius += 1
    inner = 2 * radius + 1
    squares = radius * (radius + 1) * (2 * radius + 1) / 3.0  # sum of j² over the inner taps
    end = (variance * inner - squares) / (2.0 * (radius + 1) ** 2 - 2.0 * variance)
    if end < 1e-9:
        return np.full(inner, 1.0 / inner)
    kernel = np.r_[end, np.ones(inner), end]
    return kernel / kernel.sum()


def _gaussian_kernel(size: int, variance: float) -> np.ndarray:
    """OpenCV's gaussian of odd ``size`` taps whose (truncated) variance is ``variance``."""
    while _variance(np.full(size, 1.0)) <= variance:  # too short even when flat: widen
        size += 2
    low, high = 1e-3, 4.0 * size
    for _ in range(60):
        sigma = (low + high) / 2.0
        if _variance(cv2.getGaussianKernel(size, sigma)[:, 0]) < variance:
            low = sigma
        else:
            high = sigma
    return cv2.getGaussianKernel(size, (low + high) / 2.0)[:, 0]


@functools.lru_cache(maxsize=32)
def blur_kernel(blur_type: str, kernel_size: int, passes: int, size: int) -> np.ndarray:
    """The 1-D kernel that ``blur_mask`` applies along each axis of a ``size`` px mask.

    Upstream's passes at 64 px (see ``_upstream_kernels``), each stretched to ``size / 64``
    times its width (its variance times the square of that), then composed into one kernel. At
    64 px this is exactly upstream's blur: the default is four 3-tap boxes. Read-only.
    """
    scale = size / _KERNEL_REFERENCE_SIZE
    total = np.ones(1)
    for kernel in _upstream_kernels(blur_type, kernel_size, passes):
        if blur_type == "gaussian":
            # sigma 0: OpenCV derives it from the kernel size, as upstream does.
            base = cv2.getGaussianKernel(kernel, 0)[:, 0]
            if scale == 1.0:
                step = base
            else:
                step = _gaussian_kernel(_odd(round(kernel * scale)),
                                        _variance(base) * scale**2)
        else:
            step = _box_kernel((kernel * kernel - 1) / 12.0 * scale**2)
        total = np.convolve(total, step)
    total = (total / total.sum()).astype(np.float32)
    total.flags.writeable = False
    return total


def blur_mask(mask: np.ndarray, settings: MaskSettings = DEFAULT_SETTINGS) -> np.ndarray:
    """``mask`` blurred as upstream blurs a 64 px mask, scaled to this one; (H, W, 1) float32.

    Upstream blurs at the model's output size in ``passes`` passes of ``type``, the first with
    ``kernel_size`` px, each further one with the last times 0.8 (gaussian) or 0.5 (normalized
    box), kept odd. Here that schedule is taken at 64 px (upstream's default output) and every
    kernel is widened by ``size / 64`` (``blur_kernel``), so the edge is as soft relative to the
    face at every output size and identical to upstream's at 64 px. The passes are composed
    into one separable kernel, which is the same blur: the kernels are symmetric and the border
    is reflected. Type ``none`` returns the mask unchanged. Values stay in [0, 1].
    """
    out = _as_mask(mask)
    if settings.type == "none":
        return out[..., None]
    kernel = blur_kernel(settings.type, int(settings.kernel_size), int(settings.passes),
                         max(out.shape))
    if len(kernel) > 1:
        out = cv2.sepFilter2D(out, cv2.CV_32F, kernel, kernel, borderType=cv2.BORDER_REFLECT_101)
    return np.clip(out, 0.0, 1.0)[..., None]


def _kernel_length(percent: float, radius: float) -> int:
    """Kernel length in px for an erosion of ``percent`` of ``radius``; 0 means nothing to do."""
    return round(abs(percent) / 100.0 * radius)


def erode_mask(mask: np.ndarray, settings: MaskSettings = DEFAULT_SETTINGS) -> np.ndarray:
    """``mask`` eroded (positive %) or dilated (negative %) as ``settings`` asks; (H, W, 1).

    ``erosion`` uses an ellipse kernel of that many % of the mask radius, so the whole outline
    moves evenly. Each side uses a 1 px wide line kernel anchored at one end, so only that edge
    moves: e.g. eroding the top keeps a pixel only if the pixels above it are inside too.
    Kernel sizes are all taken from the mask as it came in, so the order of the steps does not
    change how far each edge moves.
    """
    out = _as_mask(mask)
    if not settings.erodes:
        return out[..., None]
    radius = math.sqrt(float(out.sum())) / 2.0
    if radius == 0:
        return out[..., None]

    steps: list[tuple[float, np.ndarray, tuple[int, int]]] = []
    size = _kernel_length(settings.erosion, radius)
    if size > 0:
        ellipse = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
        steps.append((settings.erosion, ellipse, (-1, -1)))
    # (percent, vertical kernel?, anchor at the far end when eroding?). The anchor (x, y) is the
    # kernel cell that lands on the output pixel, so an anchor at the kernel's last cell makes
    # it look back (up / left) and one at its first cell makes it look forward (down / right).
    # Dilation spreads the other way round, so the anchor flips.
    sides = (
        (settings.erosion_top, True, True),
        (settings.erosion_bottom, True, False),
        (settings.erosion_left, False, True),
        (settings.erosion_right, False, False),
    )
    for percent, vertical, look_back in sides:
        size = _kernel_length(percent, radius)
        if size == 0:
            continue
        kernel = np.ones((size, 1) if vertical else (1, size), dtype=np.uint8)
        far = look_back if percent > 0 else not look_back
        offset = size - 1 if far else 0
        steps.append((percent, kernel, (0, offset) if vertical else (offset, 0)))

    for percent, kernel, anchor in steps:
        operation = cv2.erode if percent > 0 else cv2.dilate
        out = operation(out, kernel, anchor=anchor, iterations=1)
    return np.clip(out, 0.0, 1.0)[..., None]


def box_mask(size: int, blur: bool = True) -> np.ndarray:
    """An (S, S, 1) mask of ones with a zero border ``size // 32 + 1`` px wide.

    With ``blur`` the box is gaussian-blurred with a kernel radius of 6 % of its diameter, then
    rescaled so the outermost ring of pixels is exactly 0 again (the blur's tail would leave a
    few % there, which shows as a faint seam where the warped patch ends) and the centre is 1.
    """
    return _box_mask(int(size), bool(blur)).copy()


@functools.lru_cache(maxsize=16)
def _box_mask(size: int, blur: bool) -> np.ndarray:
    """box_mask, cached: convert needs the same box for every face. Read-only, never handed out."""
    edge = size // 32 + 1
    box = np.zeros((size, size), dtype=np.float32)
    box[edge:-edge, edge:-edge] = 1.0
    if blur and box.any():
        diameter = math.sqrt(float(box.sum()))
        kernel = 2 * round(max(1.0, diameter * _BOX_BLUR_PERCENT / 100.0)) + 1
        # Zero outside the patch: there is no face beyond its edge to blur in.
        box = cv2.GaussianBlur(box, (kernel, kernel), 0, borderType=cv2.BORDER_CONSTANT)
        ring = max(box[0].max(), box[-1].max(), box[:, 0].max(), box[:, -1].max())
        top = box.max()
        if top > ring:
            box = (box - ring) / (top - ring)
        box = np.clip(box, 0.0, 1.0)
    box = box[..., None]
    box.flags.writeable = False
    return box


def _source_mask(
    kind: str, size: int, landmarks: np.ndarray | None, predicted: np.ndarray | None
) -> np.ndarray:
    """The unprocessed (S, S) float32 mask of ``kind``."""
    if kind == "none":
        return np.ones((size, size), dtype=np.float32)
    if kind == "predicted":
        if predicted is None:
            raise MaskError(
                "The 'predicted' mask needs the model's learned mask, but none was given. "
                "Train with learn_mask enabled, or choose another mask type."
            )
        mask = _as_mask(predicted)
        if mask.shape != (size, size):
            interpolation = cv2.INTER_AREA if mask.shape[0] > size else cv2.INTER_CUBIC
            mask = cv2.resize(mask, (size, size), interpolation=interpolation)
        return np.clip(mask, 0.0, 1.0)
    if kind in LEARNED_MASK_TYPES:
        if predicted is None:
            raise MaskError(f"The '{kind}' mask is read from the alignments file, but none was "
                            "given. Store it with `faceswap mask apply`.")
        return np.clip(_as_mask(predicted), 0.0, 1.0)
    if kind in FACE_MASK_TYPES:
        if landmarks is None:
            raise MaskError(f"The '{kind}' mask needs the face's 68 landmarks at size {size}.")
        return landmark_mask(landmarks, size, kind).astype(np.float32) / 255.0
    raise MaskError(f"Unknown mask type '{kind}'. Choose one of: "
                    f"{', '.join(CONVERT_MASK_TYPES)}.")


def convert_mask(
    kind: str,
    size: int,
    *,
    landmarks: np.ndarray | None = None,
    predicted: np.ndarray | None = None,
    settings: MaskSettings = DEFAULT_SETTINGS,
) -> np.ndarray:
    """The (S, S, 1) float32 mask that blends a swapped face of ``size`` px into the frame.

    ``kind``: ``extended`` (default upstream), ``components`` (both need ``landmarks``: (68, 2)
    points in the ``size`` px aligned face), ``predicted`` (``predicted``: the model's learned
    mask for this face, (S, S) or (S, S, 1), resized if needed) or ``none`` (all ones). The
    result is threshold -> blur -> erode, then ``min`` with ``box_mask`` (blurred unless the blur
    type is ``none``). Raises MaskError (a ValueError) for a missing input or unknown kind.
    """
    mask = _source_mask(kind, int(size), landmarks, predicted)
    mask = threshold_mask(mask, float(settings.threshold))
    mask = blur_mask(mask, settings)
    mask = erode_mask(mask, settings)
    box = _box_mask(int(size), settings.type != "none")
    return np.minimum(mask, box).astype(np.float32)


def mask_settings(type: str | None = None, **options: float) -> MaskSettings:
    """MaskSettings from user-given KEY=VALUE options, refusing keys it does not have.

    ``type`` is the blur (None: MaskSettings' default)."""
    known = {f.name for f in dataclasses.fields(MaskSettings)} - {"type"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise MaskError(f"Unknown --mask-option {', '.join(unknown)}; known: "
                        f"{', '.join(sorted(known))}.")
    return MaskSettings(**({} if type is None else {"type": type}), **options)


SHARPEN_METHODS = ("none", "box", "gaussian", "unsharp")


def check_sharpening(method: str, amount: float, radius: float) -> None:
    """Raise a FaceswapError for settings :func:`sharpen` cannot use."""
    if method not in SHARPEN_METHODS:
        raise FaceswapError(
            f"Unknown sharpening '{method}'. Choose one of: {', '.join(SHARPEN_METHODS)}."
        )
    if amount < 0 or radius <= 0:
        raise FaceswapError(
            f"Sharpening needs amount >= 0 and radius > 0 (got {amount}, {radius})."
        )


def sharpen(face: np.ndarray, method: str = "none", amount: float = 150.0,
            radius: float = 0.3, threshold: float = 5.0) -> np.ndarray:
    """``face`` (float [0, 1], H×W×C) sharpened: face + amount·(face − blurred), clipped.

    Upstream's defaults: ``amount`` 150 %, ``radius`` 0.3 % of the face size (at least 1 px);
    ``unsharp`` (an unsharp mask) only sharpens where the detail exceeds ``threshold`` (0-255
    levels), so flat skin keeps its noise down. Off (``none``) by default: a model's output is
    soft, and sharpening it also sharpens its artefacts.
    """
    check_sharpening(method, amount, radius)
    if method == "none" or amount == 0:
        return face
    pixels = max(1.0, face.shape[0] * radius / 100.0)
    face = face.astype(np.float32)
    if method == "box":
        size = 2 * round(pixels) + 1
        blurred = cv2.blur(face, (size, size))
    else:
        blurred = cv2.GaussianBlur(face, (0, 0), pixels)
    detail = face - blurred
    if method == "unsharp":
        detail = np.where(np.abs(detail) * 255.0 >= threshold, detail, 0.0)
    return np.clip(face + amount / 100.0 * detail, 0.0, 1.0).astype(np.float32)
