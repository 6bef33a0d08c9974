"""Custom layers, ConvolutionAware and the spec §2 blocks: values, shapes, params, safe reload."""

import keras
import numpy as np
import pytest

from faceswap.lib.model import nn_blocks
from faceswap.lib.model.initializers import ICNR, ConvolutionAware
from faceswap.lib.model.layers import (
    AdaInstanceNormalization,
    GroupNormalization,
    InstanceNormalization,
    KResizeImages,
    ReflectionPadding2D,
    RMSNormalization,
    Swish,
)

RNG = np.random.default_rng(0)


def _data(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


@pytest.fixture(autouse=True)
def _options():
    nn_blocks.reset_naming()
    nn_blocks.configure(icnr_init=False, conv_aware_init=False, reflect_padding=False)
    yield
    nn_blocks.configure(icnr_init=False, conv_aware_init=False, reflect_padding=False)


def _model(block, shape):
    inputs = keras.Input(shape)
    return keras.Model(inputs, block(inputs))


@pytest.mark.parametrize(("size", "stride", "kernel", "pads"),
                         [(8, 2, 5, (1, 2)), (7, 2, 5, (2, 2)), (8, 1, 3, (1, 1))])
def test_reflection_padding_matches_numpy(size, stride, kernel, pads):
    data = _data(1, size, size, 2)
    out = np.asarray(ReflectionPadding2D(stride, kernel)(data))
    np.testing.assert_array_equal(out, np.pad(data, ((0, 0), pads, pads, (0, 0)), mode="reflect"))


def test_reflect_padding_option_keeps_same_output_size():
    nn_blocks.configure(icnr_init=False, conv_aware_init=False, reflect_padding=True)
    model = _model(nn_blocks.Conv2DBlock(4), (8, 8, 3))
    assert model.output_shape == (None, 4, 4, 4)
    assert model.layers[1].name == "conv_4_0_reflectionpadding2d"
    assert model.get_layer("conv_4_0_conv2d").padding == "valid"
    res = _model(nn_blocks.ResidualBlock(4, name="residual_4_0"), (8, 8, 4))
    assert res.output_shape == (None, 8, 8, 4)
    assert "residual_4_0_reflectionpadding2d_1" in [layer.name for layer in res.layers]


def test_instance_norm_is_scalar_and_per_sample():
    data = _data(2, 4, 4, 3) * 3 + 1
    layer = InstanceNormalization()
    out = np.asarray(layer(data))
    assert [tuple(w.shape) for w in layer.weights] == [(1,), (1,)]
    flat = data.reshape(2, -1)
    expected = (flat - flat.mean(1, keepdims=True)) / (flat.std(1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(out.reshape(2, -1), expected, atol=1e-5)
    assert InstanceNormalization(axis=-1)(data).shape == data.shape


def test_adain_group_rms_and_swish_values():
    x, beta, gamma = _data(2, 4, 4, 3), _data(2, 1, 1, 3), _data(2, 1, 1, 3)
    mean, std = x.mean((1, 2), keepdims=True), x.std((1, 2), keepdims=True)
    np.testing.assert_allclose(np.asarray(AdaInstanceNormalization()([x, beta, gamma])),
                               (x - mean) / (std + 1e-3) * gamma + beta, atol=1e-5)

    data = _data(2, 3, 3, 64)
    group = GroupNormalization()
    grouped = data.reshape(2, 3, 3, 32, 2)
    expected = ((grouped - grouped.mean((1, 2, 4), keepdims=True))
                / np.sqrt(grouped.var((1, 2, 4), keepdims=True) + 1e-6)).reshape(data.shape)
    np.testing.assert_allclose(np.asarray(group(data)), expected, atol=1e-4)
    assert group.count_params() == 128
    with pytest.raises(ValueError, match="groups"):
        GroupNormalization()(_data(1, 2, 2, 16))

    rms = RMSNormalization(bias=True)
    expected = data / np.sqrt((data**2).mean(-1, keepdims=True) + 1e-8)
    np.testing.assert_allclose(np.asarray(rms(data)), expected, atol=1e-4)
    assert rms.count_params() == 128
    partial = np.asarray(RMSNormalization(partial=0.25)(data))
    ms = (data[..., :16] ** 2).mean(-1, keepdims=True)
    np.testing.assert_allclose(partial, data / np.sqrt(ms + 1e-8), rtol=1e-4, atol=1e-4)

    np.testing.assert_allclose(np.asarray(Swish(2.0)(x)), 2 * x / (1 + np.exp(-2 * x)),
                               atol=1e-5)


def test_resize_images_shape():
    out = np.asarray(KResizeImages(2, "nearest")(np.arange(4, dtype=np.float32)
                                                .reshape(1, 2, 2, 1)))
    assert out.shape == (1, 4, 4, 1)
    np.testing.assert_array_equal(out[0, :2, :2, 0], np.zeros((2, 2)))


def test_convolution_aware_statistics_and_reload():
    init = ConvolutionAware(seed=1)
    kernel = np.asarray(init((3, 3, 32, 64)))
    assert kernel.shape == (3, 3, 32, 64)
    assert abs(kernel.mean()) < 0.01
    assert kernel.std() == pytest.approx(np.sqrt(2 / (3 * 3 * 32)), rel=0.05)
    assert np.asarray(init((16, 8))).shape == (16, 8)  # orthogonal fallback
    reloaded = ConvolutionAware.from_config(init.get_config())
    assert reloaded.initialized  # a reload draws HeUniform instead of re-decomposing
    assert np.asarray(reloaded((3, 3, 4, 8))).shape == (3, 3, 4, 8)


def test_init_priority_conv_aware_then_model_then_he():
    normal = keras.initializers.RandomNormal(0.0, 0.02)
    assert isinstance(nn_blocks.Conv2D(4, 3, kernel_initializer=normal).kernel_initializer,
                      keras.initializers.RandomNormal)
    assert isinstance(nn_blocks.Conv2D(4, 3).kernel_initializer, keras.initializers.HeUniform)
    assert nn_blocks.Conv2D(4, 3).name == "conv2d_4_2"
    nn_blocks.configure(icnr_init=True, conv_aware_init=True, reflect_padding=False)
    conv = nn_blocks.Conv2D(4, 3, kernel_initializer=normal, is_upscale=True)
    assert isinstance(conv.kernel_initializer, ICNR)
    assert isinstance(conv.kernel_initializer.initializer, ConvolutionAware)
    res = nn_blocks.ResidualBlock(4)
    assert isinstance(res.layers[-1].kernel_initializer, ConvolutionAware)


def test_conv_block_norms_activations_depthwise():
    model = _model(nn_blocks.Conv2DBlock(8, 3, normalization="instance", activation="swish",
                                         name="conv_x"), (8, 8, 3))
    assert [layer.name for layer in model.layers[1:]] == [
        "conv_x_conv2d", "conv_x_instancenorm", "conv_x_swish"]
    assert model.count_params() == 3 * 3 * 3 * 8 + 8 + 2
    model = _model(nn_blocks.Conv2DBlock(8, 3, normalization="batch", activation="prelu",
                                         use_bias=False), (8, 8, 8))
    assert model.count_params() == 3 * 3 * 8 * 8 + 4 * 8 + 4 * 4 * 8
    model = _model(nn_blocks.Conv2DBlock(8, 3, use_depthwise=True, activation=None), (8, 8, 8))
    assert model.layers[1].name == "conv_8_1_dwconv2d" and model.output_shape == (None, 4, 4, 8)
    with pytest.raises(ValueError, match="activation"):
        nn_blocks.Conv2DBlock(8, activation="gelu")


def test_upscale_blocks_shapes_and_counts():
    # Counts from spec §14 (dlight decoder_a's first U2x(256) on 1024 channels), scaled down.
    hyb = _model(nn_blocks.Upscale2xBlock(16), (4, 4, 64))
    assert hyb.output_shape == (None, 8, 8, 16)
    assert hyb.count_params() == (9 * 64 * 32 + 32) + (9 * 64 * 8 + 8)
    assert "upscale_8_0_pixelshuffler" in [layer.name for layer in hyb.layers]
    fast = _model(nn_blocks.Upscale2xBlock(16, fast=True, scale_factor=4), (4, 4, 8))
    assert fast.output_shape == (None, 16, 16, 16)
    assert fast.count_params() == (9 * 8 * 256 + 256) + (9 * 8 * 16 + 16)
    resize = _model(nn_blocks.UpscaleResizeImagesBlock(8), (4, 4, 6))
    assert resize.output_shape == (None, 8, 8, 8)
    assert resize.count_params() == 2 * (9 * 6 * 8 + 8)
    dny = _model(nn_blocks.UpscaleDNYBlock(8), (4, 4, 6))
    assert dny.output_shape == (None, 8, 8, 8)
    assert dny.get_layer("upscale_dny_8_0_conv2d_2_leakyrelu").negative_slope == pytest.approx(0.2)
    sep = _model(nn_blocks.SeparableConv2DBlock(16), (8, 8, 8))
    assert sep.output_shape == (None, 4, 4, 16)
    assert sep.count_params() == 25 * 8 + 8 * 16 + 16
    up = _model(nn_blocks.UpscaleBlock(4, kernel_size=5, activation=None, name="upscale_4_0"),
                (4, 4, 8))
    assert [layer.name for layer in up.layers[1:]] == ["upscale_4_0_conv2d_conv2d",
                                                       "upscale_4_0_pixelshuffler"]


def test_all_custom_layers_reload_with_safe_mode(tmp_path):
    nn_blocks.configure(icnr_init=True, conv_aware_init=True, reflect_padding=True)
    inputs = keras.Input((8, 8, 32))
    x = nn_blocks.Conv2DBlock(32, 3, strides=1, normalization="instance", activation="swish")(
        inputs)
    x = GroupNormalization()(x)
    x = RMSNormalization(partial=0.5)(x)
    style = keras.layers.Reshape((1, 1, 32))(keras.layers.GlobalAveragePooling2D()(x))
    x = AdaInstanceNormalization()([x, style, style])
    x = nn_blocks.UpscaleResizeImagesBlock(8)(x)
    x = nn_blocks.Upscale2xBlock(8)(x)
    model = keras.Model(inputs, nn_blocks.Conv2DOutput(3, 5, name="out")(x), name="layers")
    data = _data(2, 8, 8, 32)
    model.save(tmp_path / "layers.keras")
    loaded = keras.saving.load_model(tmp_path / "layers.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(data)), np.asarray(model(data)), atol=1e-5)
    assert loaded.output_shape == (None, 32, 32, 3)
