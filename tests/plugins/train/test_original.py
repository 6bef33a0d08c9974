"""The Original plugin keeps the seed's contract: names, shapes and parameter counts."""

import keras
import numpy as np
import pytest
from fstest import TINY, make_original

from faceswap.lib.model import nn_blocks
from faceswap.plugins.train.model.original import Model


def _full_model(tmp_path, **config):
    model = Model(tmp_path / "m", config)
    nn_blocks.reset_naming()
    inputs = [keras.Input(model.input_shape, name=f"face_in_{s}") for s in "ab"]
    return model.build_model(inputs)


@pytest.mark.parametrize(
    ("config", "expected"),
    [({}, 82_062_470), ({"lowmem": True}, 60_565_126), ({"learn_mask": True}, 94_455_560)],
)
def test_parameter_counts(tmp_path, config, expected):
    assert _full_model(tmp_path, **config).count_params() == expected


def test_layer_and_sub_model_names(tmp_path):
    net = _full_model(tmp_path)
    assert net.name == "original"
    assert [layer.name for layer in net.layers] == [
        "face_in_a", "face_in_b", "encoder", "decoder_a", "decoder_b"
    ]
    encoder = net.get_layer("encoder")
    assert encoder.count_params() == 69_662_976
    assert net.get_layer("decoder_a").count_params() == 6_199_747
    names = [layer.name for layer in encoder.layers]
    for expected in ("conv_128_0_conv2d", "conv_1024_0_leakyrelu", "dense", "dense_1",
                     "upscale_512_0_conv2d_conv2d", "upscale_512_0_pixelshuffler"):
        assert expected in names
    assert "face_out_a_0" in [layer.name for layer in net.get_layer("decoder_a").layers]
    assert "face_out_b_0" in [layer.name for layer in net.get_layer("decoder_b").layers]
    assert [t.shape for t in net.outputs] == [(None, 64, 64, 3), (None, 64, 64, 3)]


def test_lowmem_drops_last_conv(tmp_path):
    names = [layer.name for layer in _full_model(tmp_path, lowmem=True).get_layer("encoder").layers]
    assert "conv_1024_0_conv2d" not in names
    assert "conv_512_0_conv2d" in names


def test_learn_mask_outputs(tmp_path):
    model = make_original(tmp_path / "m", {"learn_mask": True})
    assert model.output_shapes == [(None, 32, 32, 3), (None, 32, 32, 1)] * 2
    assert model.input_shapes == [(None, 32, 32, 3)] * 2


def test_outputs_float32_under_mixed_precision(tmp_path):
    model = make_original(tmp_path / "m", {"mixed_precision": True})
    encoder = model.model.get_layer("encoder")
    assert encoder.get_layer("conv_8_0_conv2d").compute_dtype == "float16"
    assert isinstance(model.model.optimizer, keras.optimizers.LossScaleOptimizer)
    faces = model.model.predict([np.zeros((1, 32, 32, 3))] * 2, verbose=0)
    assert [np.asarray(f).dtype for f in faces] == [np.float32, np.float32]


def test_tiny_is_small(tmp_path):
    model = make_original(tmp_path / "m")
    assert model.model.count_params() < 300_000
    assert model.name == "original" and model.model_name == "original"
    assert model.coverage_ratio == 1.0
    assert model.freeze_layers == ["encoder"] and model.load_layers == ["encoder"]
    assert TINY["input_size"] == model.input_shape[0]


def test_input_size_must_divide_by_16(tmp_path):
    with pytest.raises(ValueError, match="multiple of 16"):
        Model(tmp_path / "m", {"input_size": 40})
