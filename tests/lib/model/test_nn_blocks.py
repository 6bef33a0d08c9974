"""Blocks and custom layers: shapes, TF padding and channel order, init, safe serialization."""

import keras
import numpy as np
import pytest

from faceswap.lib.model import nn_blocks
from faceswap.lib.model.initializers import ICNR
from faceswap.lib.model.layers import PixelShuffler


@pytest.fixture(autouse=True)
def _default_options():
    nn_blocks.configure(icnr_init=False, conv_aware_init=False, reflect_padding=False)
    yield
    nn_blocks.configure(icnr_init=False, conv_aware_init=False, reflect_padding=False)


def _icnr_on():
    nn_blocks.configure(icnr_init=True, conv_aware_init=False, reflect_padding=False)


def _run(block, shape, seed=0):
    nn_blocks.reset_naming()
    inputs = keras.Input(shape)
    model = keras.Model(inputs, block(inputs))
    data = np.random.default_rng(seed).random((2, *shape), dtype=np.float32)
    return model, np.asarray(model(data)), data


def _conv_reference(image, kernel, bias, stride, pad):
    """Plain NumPy cross-correlation with explicit (top, bottom, left, right) zero padding."""
    top, bottom, left, right = pad
    padded = np.pad(image, ((0, 0), (top, bottom), (left, right), (0, 0)))
    k = kernel.shape[0]
    out_h = (padded.shape[1] - k) // stride + 1
    out_w = (padded.shape[2] - k) // stride + 1
    out = np.zeros((image.shape[0], out_h, out_w, kernel.shape[-1]), np.float64)
    for i in range(out_h):
        for j in range(out_w):
            patch = padded[:, i * stride:i * stride + k, j * stride:j * stride + k, :]
            out[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    return out + bias


def test_conv_block_same_padding_follows_tensorflow():
    model, out, data = _run(nn_blocks.Conv2DBlock(4, activation=None), (8, 8, 3))
    assert out.shape == (2, 4, 4, 4)
    kernel, bias = model.get_layer("conv_4_0_conv2d").get_weights()
    # TF "same", 5x5 stride 2 on an even input: total pad 3 = 1 before, 2 after.
    expected = _conv_reference(data, kernel, bias, 2, (1, 2, 1, 2))
    np.testing.assert_allclose(out, expected, atol=1e-4)
    wrong = _conv_reference(data, kernel, bias, 2, (2, 1, 2, 1))
    assert not np.allclose(out, wrong, atol=1e-4)


def test_conv_block_names_and_activation():
    model, _, _ = _run(nn_blocks.Conv2DBlock(4), (8, 8, 3))
    assert [layer.name for layer in model.layers[1:]] == ["conv_4_0_conv2d", "conv_4_0_leakyrelu"]
    assert model.get_layer("conv_4_0_leakyrelu").negative_slope == pytest.approx(0.1)
    assert isinstance(model.get_layer("conv_4_0_conv2d").kernel_initializer,
                      keras.initializers.HeUniform)


def test_pixel_shuffler_uses_depth_to_space_order():
    r, c = 2, 3
    data = np.arange(1 * 2 * 2 * r * r * c, dtype=np.float32).reshape(1, 2, 2, r * r * c)
    out = np.asarray(PixelShuffler(r)(data))
    assert out.shape == (1, 4, 4, c)
    for h in range(2):
        for w in range(2):
            for i in range(r):
                for j in range(r):
                    first = (i * r + j) * c
                    np.testing.assert_array_equal(
                        out[0, h * r + i, w * r + j], data[0, h, w, first:first + c]
                    )
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        np.testing.assert_array_equal(out, tf.nn.depth_to_space(data, r).numpy())


def test_upscale_block_shape_and_names():
    model, out, _ = _run(nn_blocks.UpscaleBlock(8), (4, 4, 16))
    assert out.shape == (2, 8, 8, 8)
    assert [layer.name for layer in model.layers[1:]] == [
        "upscale_8_0_conv2d_conv2d", "upscale_8_0_conv2d_leakyrelu", "upscale_8_0_pixelshuffler"]
    assert model.get_layer("upscale_8_0_conv2d_conv2d").kernel.shape == (3, 3, 16, 32)


def test_icnr_gives_every_subpixel_the_same_kernel():
    kernel = np.asarray(ICNR(scale=2)((3, 3, 16, 32)))
    blocks = np.split(kernel, 4, axis=-1)
    for block in blocks[1:]:
        np.testing.assert_array_equal(block, blocks[0])
    # Upscaling a constant image then gives a constant 2x2 block per input pixel.
    nn_blocks.reset_naming()
    _icnr_on()
    inputs = keras.Input((4, 4, 16))
    model = keras.Model(inputs, nn_blocks.UpscaleBlock(8)(inputs))
    assert isinstance(model.get_layer("upscale_8_0_conv2d_conv2d").kernel_initializer, ICNR)
    out = np.asarray(model(np.random.default_rng(1).random((1, 4, 4, 16), dtype=np.float32)))
    np.testing.assert_allclose(out[0, 0::2, 0::2], out[0, 1::2, 1::2], atol=1e-6)
    fan_in = 3 * 3 * 16
    assert abs(kernel.mean()) < 0.02
    assert kernel.std() == pytest.approx(np.sqrt(2 / fan_in), rel=0.15)


def test_conv2d_output_is_float32_under_mixed_precision():
    keras.mixed_precision.set_dtype_policy("mixed_float16")
    model, out, _ = _run(nn_blocks.Conv2DOutput(3, 5, name="face_out_a"), (8, 8, 4))
    assert model.get_layer("face_out_a_0_conv2d").compute_dtype == "float16"
    assert model.get_layer("face_out_a_0").compute_dtype == "float32"
    assert out.dtype == np.float32 and out.min() >= 0 and out.max() <= 1


def test_residual_block_shape():
    model, out, data = _run(nn_blocks.ResidualBlock(3), (8, 8, 3))
    assert out.shape == data.shape
    assert "residual_3_0_add" in [layer.name for layer in model.layers]


def test_custom_layers_round_trip_with_safe_mode(tmp_path):
    nn_blocks.reset_naming()
    inputs = keras.Input((8, 8, 3))
    x = nn_blocks.Conv2DBlock(8, strides=1)(inputs)
    x = nn_blocks.ResidualBlock(8)(x)
    _icnr_on()
    x = nn_blocks.UpscaleBlock(4)(x)
    model = keras.Model(inputs, nn_blocks.Conv2DOutput(3, 5, name="out")(x), name="blocks")
    data = np.random.default_rng(2).random((2, 8, 8, 3), dtype=np.float32)
    model.save(tmp_path / "blocks.keras")
    loaded = keras.saving.load_model(tmp_path / "blocks.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(data)), np.asarray(model(data)), atol=1e-6)
    assert isinstance(loaded.get_layer("upscale_4_0_pixelshuffler"), PixelShuffler)


def test_naming_is_reproducible():
    names = []
    for _ in range(2):
        nn_blocks.reset_naming()
        inputs = keras.Input((8, 8, 3))
        x = nn_blocks.Conv2DBlock(4)(inputs)
        x = nn_blocks.Conv2DBlock(4)(x)
        names.append([layer.name for layer in keras.Model(inputs, x).layers])
    assert names[0][1:] == names[1][1:]  # the input layer is Keras-named
    assert "conv_4_1_conv2d" in names[0]
