"""The convert mask: blur, threshold, erosion, box, mask kinds (faceswap.stages.convert.blend)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap.lib.align.reference import MEAN_FACE
from faceswap.lib.errors import FaceswapError
from faceswap.stages.convert.blend import (
    MaskError,
    MaskSettings,
    blur_mask,
    box_mask,
    convert_mask,
    erode_mask,
    threshold_mask,
)

SIZE = 64


def _landmarks(size: int = SIZE) -> np.ndarray:
    """The mean face's 68 points scaled into a ``size`` px aligned face."""
    return MEAN_FACE * (size * 0.56) + (size * 0.22, size * 0.12)


def _square(size: int = SIZE, top: int = 20, bottom: int = 44, left: int = 16,
            right: int = 40) -> np.ndarray:
    mask = np.zeros((size, size, 1), np.float32)
    mask[top:bottom, left:right] = 1.0
    return mask


def _bounds(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the pixels more than half inside."""
    ys, xs = np.nonzero(mask[..., 0] > 0.5)
    return ys.min(), ys.max(), xs.min(), xs.max()


def test_mask_settings_defaults_match_upstream():
    settings = MaskSettings()
    assert (settings.type, settings.kernel_size, settings.passes, settings.threshold) == (
        "normalized", 3, 4, 4.0)
    assert not settings.erodes
    assert MaskSettings(erosion_left=-5).erodes


@pytest.mark.parametrize("bad", [{"type": "box"}, {"passes": 0}, {"kernel_size": 0},
                                 {"threshold": 60}, {"erosion_top": 150}])
def test_mask_settings_reject_bad_values(bad):
    with pytest.raises(MaskError) as error:
        MaskSettings(**bad)
    # A ValueError for code, a FaceswapError so the CLI prints it without a traceback.
    assert isinstance(error.value, ValueError)
    assert isinstance(error.value, FaceswapError)


@pytest.mark.parametrize("blur_type", ["gaussian", "normalized"])
def test_blur_keeps_values_in_range_and_softens_edges(blur_type):
    mask = _square(128, 30, 100, 30, 100)
    blurred = blur_mask(mask, MaskSettings(type=blur_type, kernel_size=9))
    assert blurred.shape == (128, 128, 1) and blurred.dtype == np.float32
    assert blurred.min() >= 0.0 and blurred.max() <= 1.0
    soft = (blurred > 0.01) & (blurred < 0.99)
    assert soft.sum() > 0, "the edge should have intermediate values"
    assert blurred[64, 64, 0] == pytest.approx(1.0)  # the interior stays solid
    # A normalised blur moves mass around the edge but keeps roughly the same area.
    assert abs(blurred.sum() - mask.sum()) / mask.sum() < 0.05


@pytest.mark.parametrize("blur_type", ["gaussian", "normalized"])
@pytest.mark.parametrize("size", [32, 64])
def test_default_blur_softens_small_masks(blur_type, size):
    """The blur scales with the face, so small masks are still softened (not rounded to 1 px)."""
    mask = np.zeros((size, size, 1), np.float32)
    mask[size // 4: 3 * size // 4, size // 4: 3 * size // 4] = 1.0
    blurred = blur_mask(mask, MaskSettings(type=blur_type))
    assert blurred.shape == mask.shape
    assert blurred.min() >= 0.0 and blurred.max() <= 1.0
    assert ((blurred > 0.01) & (blurred < 0.99)).any()
    assert blurred[size // 2, size // 2, 0] == pytest.approx(1.0)


def test_blur_gaussian_passes_shrink_the_kernel():
    """Later passes use smaller kernels, so extra passes soften less than the first did."""
    mask = _square(128, 30, 100, 30, 100)
    one, two, four = (blur_mask(mask, MaskSettings(type="gaussian", kernel_size=9, passes=p))
                      for p in (1, 2, 4))
    step_one = np.abs(one - mask).sum()
    assert np.abs(two - one).sum() < step_one
    assert np.abs(four - two).sum() < step_one


def test_blur_none_leaves_the_mask_binary():
    mask = _square()
    out = blur_mask(mask, MaskSettings(type="none"))
    assert np.array_equal(out, mask)
    assert set(np.unique(out)) <= {0.0, 1.0}


def test_threshold_snaps_near_black_and_white():
    mask = np.array([[0.01, 0.03, 0.05, 0.5], [0.95, 0.97, 0.99, 1.0]], np.float32)
    out = threshold_mask(mask, 4.0)[..., 0]
    np.testing.assert_allclose(out, [[0, 0, 0.05, 0.5], [0.95, 1, 1, 1]])


def test_erosion_shrinks_and_negative_erosion_grows_the_mask():
    mask = _square()
    eroded = erode_mask(mask, MaskSettings(erosion=40))
    dilated = erode_mask(mask, MaskSettings(erosion=-40))
    assert eroded.sum() < mask.sum() < dilated.sum()
    # Erosion stays inside the original outline and dilation contains it.
    assert np.all(eroded <= mask) and np.all(dilated >= mask)
    assert np.array_equal(erode_mask(mask, MaskSettings()), mask)


@pytest.mark.parametrize("side", ["top", "bottom", "left", "right"])
@pytest.mark.parametrize("sign", [1, -1])
def test_side_erosion_moves_only_that_side(side, sign):
    mask = _square()
    out = erode_mask(mask, MaskSettings(type="none", **{f"erosion_{side}": 40 * sign}))
    before, after = _bounds(mask), _bounds(out)
    index = ("top", "bottom", "left", "right").index(side)
    # Eroding the top/left raises the min bound; eroding bottom/right lowers the max bound.
    inward = 1 if side in ("top", "left") else -1
    moved = (after[index] - before[index]) * inward * sign
    assert moved > 0, f"{side} should move {'in' if sign > 0 else 'out'}"
    for other in range(4):
        if other != index:
            assert after[other] == before[other], "only the chosen side may move"


@pytest.mark.parametrize("size", [32, 64, 256])
def test_box_mask_border_is_zero(size):
    edge = size // 32 + 1
    hard = box_mask(size, blur=False)
    assert hard.shape == (size, size, 1) and hard.dtype == np.float32
    assert not hard[:edge].any() and not hard[-edge:].any()
    assert not hard[:, :edge].any() and not hard[:, -edge:].any()
    assert np.all(hard[edge:-edge, edge:-edge] == 1.0)

    soft = box_mask(size)
    ring = np.concatenate([soft[0], soft[-1], soft[:, 0], soft[:, -1]])
    assert not ring.any(), "the patch edge must be fully transparent"
    assert soft.min() >= 0.0 and soft.max() <= 1.0
    assert soft[size // 2, size // 2, 0] == pytest.approx(1.0)
    # The fade is monotonic from the edge inwards.
    row = soft[size // 2, : size // 2, 0]
    assert np.all(np.diff(row) >= -1e-6)


@pytest.mark.parametrize("kind", ["extended", "components", "none"])
def test_convert_mask_kinds(kind):
    mask = convert_mask(kind, SIZE, landmarks=_landmarks())
    assert mask.shape == (SIZE, SIZE, 1) and mask.dtype == np.float32
    assert mask.min() >= 0.0 and mask.max() <= 1.0
    assert mask[SIZE // 2, SIZE // 2, 0] == pytest.approx(1.0)
    assert np.all(mask <= box_mask(SIZE) + 1e-6), "the box always caps the mask"


def test_convert_mask_extended_reaches_higher_than_components():
    extended = convert_mask("extended", SIZE, landmarks=_landmarks())
    components = convert_mask("components", SIZE, landmarks=_landmarks())
    assert extended.sum() > components.sum()
    assert _bounds(extended)[0] < _bounds(components)[0]


def test_convert_mask_none_with_no_blur_is_binary_box():
    mask = convert_mask("none", SIZE, settings=MaskSettings(type="none"))
    assert set(np.unique(mask)) == {0.0, 1.0}
    assert np.array_equal(mask, box_mask(SIZE, blur=False))


def test_convert_mask_predicted_uses_the_given_mask():
    predicted = np.zeros((32, 32), np.float32)  # another size than the output: resized to it
    predicted[8:24, 8:24] = 1.0
    mask = convert_mask("predicted", SIZE, predicted=predicted, settings=MaskSettings(type="none"))
    assert mask.shape == (SIZE, SIZE, 1)
    top, bottom, left, right = _bounds(mask)
    assert abs(top - 16) <= 1 and abs(bottom - 47) <= 1
    assert abs(left - 16) <= 1 and abs(right - 47) <= 1
    # (S, S, 1) and uint8 masks are accepted too.
    as_u8 = (predicted[..., None] * 255).astype(np.uint8)
    np.testing.assert_allclose(
        convert_mask("predicted", SIZE, predicted=as_u8, settings=MaskSettings(type="none")),
        mask, atol=1e-6)


def test_convert_mask_predicted_without_mask_raises():
    with pytest.raises(ValueError, match="predicted"):
        convert_mask("predicted", SIZE)


@pytest.mark.parametrize(("kind", "match"), [("extended", "landmarks"),
                                             ("bisenet-fp_face", "Unknown mask type")])
def test_convert_mask_bad_requests_raise(kind, match):
    with pytest.raises(ValueError, match=match):
        convert_mask(kind, SIZE)


def test_convert_mask_erosion_applies():
    plain = convert_mask("extended", SIZE, landmarks=_landmarks())
    eroded = convert_mask("extended", SIZE, landmarks=_landmarks(),
                          settings=MaskSettings(erosion=20))
    assert eroded.sum() < plain.sum()


def test_sharpen_adds_detail_and_keeps_flat_areas():
    from faceswap.stages.convert.blend import sharpen

    rng = np.random.default_rng(0)
    face = cv2.GaussianBlur(rng.random((64, 64, 3)).astype(np.float32), (0, 0), 2)
    face = 0.25 + 0.5 * (face - face.min()) / (face.max() - face.min())

    def detail(image):
        return float(np.var(cv2.Laplacian(image, cv2.CV_32F)))

    assert sharpen(face, "none") is face
    for method in ("box", "gaussian", "unsharp"):
        out = sharpen(face, method, amount=150, radius=2.0)
        assert out.shape == face.shape and out.dtype == np.float32
        assert detail(out) > 1.5 * detail(face), method
        assert abs(float(out.mean()) - float(face.mean())) < 0.01  # detail, not brightness
    flat = np.full((32, 32, 3), 0.5, np.float32)
    np.testing.assert_allclose(sharpen(flat, "gaussian"), flat, atol=1e-6)
    # An unsharp mask with a threshold above every detail changes nothing.
    np.testing.assert_array_equal(sharpen(face, "unsharp", radius=2.0, threshold=255), face)
    with pytest.raises(FaceswapError, match="radius > 0"):
        sharpen(face, "box", radius=0)
