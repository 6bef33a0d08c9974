"""Colour plugins (faceswap.plugins.convert.color): each moves the new face toward the old."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap.lib import registry
from faceswap.lib.align.reference import MEAN_FACE
from faceswap.stages.convert.blend import MaskSettings, convert_mask

SIZE = 64
PLUGINS = ["avg-color", "color-transfer", "manual-balance", "match-hist", "none", "seamless-clone"]
MATCHING = ["avg-color", "color-transfer", "match-hist", "seamless-clone"]
RED, BLUE = np.array([0.0, 0.0, 0.25], np.float32), np.array([0.25, 0.0, 0.0], np.float32)


def _face(seed: int = 0) -> np.ndarray:
    """A textured, face-like BGR float image in [0, 0.75] (room for a tint)."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) / SIZE
    base = np.stack([0.35 + 0.2 * xs, 0.4 + 0.15 * ys, 0.5 - 0.1 * xs * ys], axis=-1)
    face = base + rng.normal(0, 0.04, base.shape).astype(np.float32)
    cv2.ellipse(face, (32, 40), (12, 5), 0, 0, 360, (0.2, 0.2, 0.45), -1)  # a mouth
    return np.clip(face, 0.0, 0.75).astype(np.float32)


def _mask() -> np.ndarray:
    """The raw extended landmark mask, as convert passes it to the colour plugins."""
    landmarks = MEAN_FACE * (SIZE * 0.56) + (SIZE * 0.22, SIZE * 0.12)
    return convert_mask("extended", SIZE, landmarks=landmarks, settings=MaskSettings(type="none"))


def _masked_mean(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return (image * mask).sum(axis=(0, 1)) / mask.sum()


@pytest.fixture(scope="module")
def faces():
    face = _face()
    return face + RED, face + BLUE, _mask()  # old (frame, reddish), new (model, bluish), mask


def test_registry_lists_exactly_the_six_plugins():
    assert registry.list_plugins("color") == PLUGINS


@pytest.mark.parametrize("name", PLUGINS)
def test_plugin_module_shape(name, faces):
    module = registry.load_plugin("color", name)
    assert module.__doc__ and module.__doc__.strip().splitlines()[0].endswith(".")
    assert isinstance(module.OPTIONS, dict)
    old, new, mask = faces
    copies = old.copy(), new.copy(), mask.copy()
    out = module.adjust(old, new, mask, **module.OPTIONS)
    assert out.shape == new.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    for before, after in zip(copies, (old, new, mask), strict=True):
        assert np.array_equal(before, after), "inputs must not be modified"


@pytest.mark.parametrize("name", MATCHING)
def test_plugin_moves_masked_mean_toward_old(name, faces):
    old, new, mask = faces
    out = registry.load_plugin("color", name).adjust(old, new, mask)
    target = _masked_mean(old, mask)
    before = np.abs(_masked_mean(new, mask) - target).sum()
    after = np.abs(_masked_mean(out, mask) - target).sum()
    assert after < 0.25 * before, f"{name}: {before:.3f} -> {after:.3f}"


@pytest.mark.parametrize("name", ["none", "manual-balance"])
def test_identity_plugins_return_new_unchanged(name, faces):
    old, new, mask = faces
    out = registry.load_plugin("color", name).adjust(old, new, mask)
    np.testing.assert_array_equal(out, new)


@pytest.mark.parametrize("name", ["avg-color", "color-transfer", "match-hist", "none"])
def test_empty_mask_leaves_new_unchanged(name, faces):
    old, new, mask = faces
    out = registry.load_plugin("color", name).adjust(old, new, np.zeros_like(mask))
    np.testing.assert_allclose(out, new)


def test_avg_color_matches_the_mean_exactly(faces):
    old, new, mask = faces
    out = registry.load_plugin("color", "avg-color").adjust(old, new, mask)
    np.testing.assert_allclose(_masked_mean(out, mask), _masked_mean(old, mask), atol=1e-4)


def test_seamless_clone_with_mask_touching_the_edge(faces):
    old, new, _ = faces
    clone = registry.load_plugin("color", "seamless-clone")
    for mask in (np.ones((SIZE, SIZE, 1), np.float32), np.zeros((SIZE, SIZE, 1), np.float32)):
        mask[:40, 10:50] = 1.0  # the second one only touches the top edge
        out = clone.adjust(old, new, mask)
        assert out.shape == (SIZE, SIZE, 3) and out.dtype == np.float32
        assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0
        assert np.abs(_masked_mean(out, mask) - _masked_mean(old, mask)).sum() < 0.1


def test_seamless_clone_is_not_shifted(faces):
    """Cloning a face into itself gives it back: the clone lands where it came from."""
    _, new, mask = faces
    out = registry.load_plugin("color", "seamless-clone").adjust(new, new, mask)
    assert np.abs(out - new).max() <= 2.5 / 255


def test_color_transfer_options(faces):
    old, new, mask = faces
    plugin = registry.load_plugin("color", "color-transfer")
    lab_old = cv2.cvtColor(old, cv2.COLOR_BGR2LAB)
    weights = mask[..., 0] > 0.5

    def std_l(image):
        return cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[..., 0][weights].std()

    # preserve_paper=False gives the new face the old face's spread.
    matched = plugin.adjust(old, new, mask, preserve_paper=False)
    assert std_l(matched) == pytest.approx(lab_old[..., 0][weights].std(), rel=0.1)
    for clip in (False, "false"):  # options may come as strings from the command line
        out = plugin.adjust(old, new * 1.3, mask, clip=clip)
        assert out.min() >= 0.0 and out.max() <= 1.0


def test_match_hist_threshold_changes_result(faces):
    old, new, mask = faces
    plugin = registry.load_plugin("color", "match-hist")
    assert not np.allclose(plugin.adjust(old, new, mask, threshold=99),
                           plugin.adjust(old, new, mask, threshold=80))
    with pytest.raises(ValueError, match="threshold"):
        plugin.adjust(old, new, mask, threshold=0)


@pytest.mark.parametrize("space", ["HSV", "RGB", "LAB", "YCrCb"])
def test_manual_balance_changes_colour(space, faces):
    old, new, mask = faces
    plugin = registry.load_plugin("color", "manual-balance")
    brighter = plugin.adjust(old, new, mask, colourspace=space, balance_1=0, brightness=30)
    assert brighter.mean() > new.mean()
    shifted = plugin.adjust(old, new, mask, colourspace=space, balance_2=-40, balance_3=25)
    assert shifted.shape == new.shape and shifted.min() >= 0.0 and shifted.max() <= 1.0
    assert not np.allclose(shifted, new)


def test_manual_balance_rgb_channels_and_contrast(faces):
    old, new, mask = faces
    plugin = registry.load_plugin("color", "manual-balance")
    # RGB balance_1 is red: raising it raises BGR channel 2 only.
    redder = plugin.adjust(old, new, mask, colourspace="RGB", balance_1=50)
    assert redder[..., 2].mean() > new[..., 2].mean()
    np.testing.assert_allclose(redder[..., :2], new[..., :2], atol=1e-6)
    flatter = plugin.adjust(old, new, mask, contrast=-50)
    assert flatter.std() < new.std()
    with pytest.raises(ValueError, match="colourspace"):
        plugin.adjust(old, new, mask, colourspace="XYZ")
