"""The convert mask's edge is as soft relative to the face at every output size as upstream's
default blur is at its default 64 px output (faceswap.stages.convert.blend.blur_mask)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap.lib.align.reference import MEAN_FACE
from faceswap.stages.convert.blend import (
    MaskSettings,
    blur_mask,
    box_mask,
    convert_mask,
    threshold_mask,
)

REFERENCE = 64  # upstream's default model output: its blur is defined there


def _rise(profile: np.ndarray) -> float:
    """Pixels between the 10 % and 90 % crossings of a rising profile (linear interpolation)."""
    def crossing(level: float) -> float:
        i = int(np.nonzero(profile >= level)[0][0])
        return i - 1 + (level - profile[i - 1]) / (profile[i] - profile[i - 1])
    return crossing(0.9) - crossing(0.1)


def _upstream_blur(mask: np.ndarray, passes: int = 4) -> np.ndarray:
    """Upstream's default: ``passes`` 3x3 normalised box blurs at the output size (the 0.5 shrink
    per pass rounds back to 3)."""
    out = mask.astype(np.float32)
    for _ in range(passes):
        out = cv2.blur(out, (3, 3))
    return out


def _step(size: int) -> np.ndarray:
    step = np.zeros((size, size), np.float32)
    step[:, size // 2:] = 1.0
    return step


# 10-90 % rise of upstream's default blur across a straight edge at 64 px: 4.38 px (sigma 1.63).
UPSTREAM_STEP = _rise(_upstream_blur(_step(REFERENCE))[REFERENCE // 2])


def _landmarks(size: int) -> np.ndarray:
    return MEAN_FACE * (size * 0.56) + (size * 0.22, size * 0.12)


def test_default_blur_is_upstreams_at_64_px():
    """At 64 px the default blur is exactly upstream's four 3x3 box passes."""
    mask = np.zeros((REFERENCE, REFERENCE), np.float32)
    cv2.fillConvexPoly(mask, np.array([[14, 10], [50, 12], [44, 54], [18, 50]]), 1.0)
    np.testing.assert_allclose(blur_mask(mask)[..., 0], _upstream_blur(mask), atol=1e-6)
    gaussian = mask.copy()
    for _ in range(4):  # 3, then round(3 * 0.8) = 2 -> odd 3, ...
        gaussian = cv2.GaussianBlur(gaussian, (3, 3), 0)
    np.testing.assert_allclose(blur_mask(mask, MaskSettings(type="gaussian"))[..., 0], gaussian,
                               atol=1e-6)


def _edge_sigma(profile: np.ndarray) -> float:
    """The spread (standard deviation, px) of a blurred straight edge: its slope is the kernel."""
    slope = np.diff(profile.astype(np.float64))
    taps = np.arange(len(slope))
    centre = np.sum(taps * slope) / slope.sum()
    return float(np.sqrt(np.sum((taps - centre) ** 2 * slope) / slope.sum()))


@pytest.mark.parametrize("blur_type", ["normalized", "gaussian"])
@pytest.mark.parametrize("kernel_size", [3, 9])
def test_blur_of_a_straight_edge_scales_with_the_output(blur_type, kernel_size):
    settings = MaskSettings(type=blur_type, kernel_size=kernel_size)
    reference = _edge_sigma(blur_mask(_step(REFERENCE), settings)[REFERENCE // 2, :, 0])
    for size in (32, 128, 256, 512):
        sigma = _edge_sigma(blur_mask(_step(size), settings)[size // 2, :, 0])
        assert sigma == pytest.approx(reference * size / REFERENCE, rel=0.01)
    if (blur_type, kernel_size) == ("normalized", 3):
        assert reference == pytest.approx(np.sqrt(4 * 8 / 12), rel=1e-4)  # 4 boxes of 3: 1.63


@pytest.mark.parametrize(("size", "expected"), [(64, 4.38), (128, 8.76), (256, 17.52)])
def test_default_convert_mask_edge_width(size, expected):
    """10-90 % edge width of the default (extended, normalized) convert mask across the cheek.

    Expected: upstream's default blur width at 64 px scaled to the output size. The hull's own
    anti-aliased edge (~1.4 px at any size) adds in quadrature, so it is taken out first.
    Before this rule the widths were 2.2 / 2.8 / 6.0 px (upstream itself: 4.5 px at all three).
    """
    assert expected == pytest.approx(UPSTREAM_STEP * size / REFERENCE, abs=0.01)
    row = round(size * 0.4)  # the side of the face, clear of the patch's own faded border
    landmarks = _landmarks(size)
    mask = convert_mask("extended", size, landmarks=landmarks)[row, :size // 2, 0]
    hull = threshold_mask(convert_mask("extended", size, landmarks=landmarks,
                                       settings=MaskSettings(type="none")), 4.0)
    measured, source = _rise(mask), _rise(hull[row, :size // 2, 0])
    assert np.sqrt(measured**2 - source**2) == pytest.approx(expected, rel=0.05)
    # and upstream's pipeline at 64 px gives the same edge as ours there
    if size == REFERENCE:
        up = np.minimum(_upstream_blur(hull[..., 0]), box_mask(size)[..., 0])
        assert _rise(up[row, :size // 2]) == pytest.approx(measured, abs=1e-3)
