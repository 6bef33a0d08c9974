"""DFL-SAE and Phaze-A: parameter counts pinned to the spec sheet, names, tiny trainable builds.

Full-size models are built inside ``keras.StatelessScope``: variables get their shapes but no
values, so a 130M-parameter count costs a fraction of a second and no memory.
"""

import keras
import pytest
from fstest import REPO

from faceswap.lib.errors import FaceswapError
from faceswap.lib.model import nn_blocks
from faceswap.plugins.train.model._base import create_model, model_class

TINY = {"width_scale": 1 / 64}


@pytest.fixture(autouse=True)
def _forget_uninitialised_variables():
    yield
    # _net's variables are never initialised; clearing the session drops Keras' list of them,
    # so no later scope initialises (allocates) them. Without gc: that costs ~1 s a test.
    keras.backend.clear_session(free_memory=False)


def _net(tmp_path, name, **config):
    """The plugin's training graph, built without weights (counts and names only)."""
    model = model_class(name)(tmp_path / name, config)
    nn_blocks.reset_naming()
    nn_blocks.configure(icnr_init=False, conv_aware_init=False, reflect_padding=False)
    with keras.StatelessScope(initialize_variables=False):
        inputs = [keras.Input(model.input_shape, name=f"face_in_{s}") for s in "ab"]
        return model, model.build_model(inputs)


def _names(net):
    return {part.name: [layer.name for layer in part.layers]
            for part in net.layers if isinstance(part, keras.Model)}


def _tiny(tmp_path, name, **config):
    return create_model(name, tmp_path / "m", {**TINY, **config}, seed=0)


# ---------------------------------------------------------------------------------- DFL-SAE
@pytest.mark.parametrize(("config", "expected", "parts"), [
    ({}, 130_008_718, {"encoder_df": 75_961_012, "decoder_a": 27_023_853,
                       "decoder_b": 27_023_853}),
    ({"multiscale_decoder": True}, 130_122_130, {"decoder_a": 27_023_853 + 56_706}),
    ({"learn_mask": True}, 137_476_404, {}),
    ({"architecture": "liae"}, 121_746_593, {
        "encoder_liae": 16_681_140, "intermediate_both": 34_375_936,
        "intermediate_b": 34_375_936, "decoder_both": 36_313_581}),
    ({"architecture": "liae", "multiscale_decoder": True}, 121_803_299, {}),
    ({"architecture": "liae", "learn_mask": True}, 128_577_012, {}),
])
def test_dfl_sae_counts(tmp_path, config, expected, parts):
    _, net = _net(tmp_path, "dfl_sae", **config)
    assert net.count_params() == expected
    for part, count in parts.items():
        assert net.get_layer(part).count_params() == count


def test_dfl_sae_names(tmp_path):
    model, net = _net(tmp_path, "dfl_sae", multiscale_decoder=True)
    assert (net.name, model.freeze_layers, model.load_layers) == (
        "dfl_sae_df", ["encoder_df"], ["encoder_df"])
    names = _names(net)
    assert list(names) == ["encoder_df", "decoder_a", "decoder_b"]
    for layer in ("conv_126_0_conv2d", "conv_1008_0_leakyrelu", "dense", "dense_1",
                  "upscale_512_0_conv2d_conv2d"):
        assert layer in names["encoder_df"]
    for layer in ("upscale_504_1_pixelshuffler", "upscale_504_1_leakyrelu", "residual_504_2_add",
                  "residual_126_3_conv2d_1", "face_out_32_b_0", "face_out_128_b_0_conv2d"):
        assert layer in names["decoder_b"]
    # Names follow the published widths, so a tiny model's weights line up with a full one's.
    _, tiny = _net(tmp_path / "tiny", "dfl_sae", multiscale_decoder=True, **TINY)
    assert _names(tiny) == names

    model, net = _net(tmp_path / "liae", "dfl_sae", architecture="liae", learn_mask=True)
    assert net.name == "dfl_sae_liae" and model.load_layers == ["encoder_liae"]
    names = _names(net)
    assert list(names) == ["encoder_liae", "intermediate_both", "intermediate_b", "decoder_both"]
    assert "upscale_512_1_conv2d_conv2d" in names["intermediate_b"]
    assert {"face_out_128_both_0", "mask_out_both_0",
            "upscale_168_0_conv2d_conv2d"} <= set(names["decoder_both"])


@pytest.mark.parametrize("arch", ["df", "liae"])
def test_dfl_sae_tiny_multiscale_outputs(tmp_path, arch):
    _, net = _net(tmp_path, "dfl_sae", input_size=64, architecture=arch,
                  multiscale_decoder=True, learn_mask=True, **TINY)
    side = [(None, 16, 16, 3), (None, 32, 32, 3), (None, 64, 64, 3), (None, 64, 64, 1)]
    assert [tuple(t.shape) for t in net.outputs] == side * 2
    assert [tuple(t.shape) for t in net.inputs] == [(None, 64, 64, 3)] * 2
    assert net.count_params() < 200_000


def test_dfl_sae_input_size_must_divide_by_16(tmp_path):
    with pytest.raises(FaceswapError, match="multiple of 16"):
        model_class("dfl_sae")(tmp_path / "m", {"input_size": 72})


# ---------------------------------------------------------------------------------- Phaze-A
PRESET_COUNTS = {  # spec §12.8 (the first five equal the dedicated plugins' §0 counts)
    "original": 82_062_470, "lightweight": 51_066_374, "dfaker": 113_330_822,
    "dfl-h128": 107_716_102, "iae": 117_816_003, "dfl-sae-df": 129_755_834,
    "dfl-sae-liae": 121_620_151, "dfl-saehd-df": 52_897_926, "dfl-saehd-liae": 87_777_027,
    "dny256": 29_885_750, "dny512": 39_324_982, "dny1024": 53_483_830,
}
PHAZE_PARTS = {"encoder": 33_992_960, "fc_a": 16_793_600, "fc_b": 16_793_600,  # §12.7
               "fc_gblock": 1_050_112, "g_block_both": 23_864_832, "decoder_both": 31_271_107}


@pytest.mark.parametrize(("config", "expected"), [
    ({}, 123_766_211), ({"learn_mask": True}, 148_839_172),
    *[({"preset": name}, count) for name, count in PRESET_COUNTS.items()],
])
def test_phaze_a_counts(tmp_path, config, expected):
    _, net = _net(tmp_path, "phaze_a", **config)
    assert net.count_params() == expected
    if not config:
        assert {part: net.get_layer(part).count_params() for part in PHAZE_PARTS} == PHAZE_PARTS
        assert [tuple(t.shape) for t in net.outputs] == [(None, 128, 128, 3)] * 2


def test_phaze_a_names(tmp_path):
    model, net = _net(tmp_path, "phaze_a")
    assert model.input_shape == (64, 64, 3)
    assert (model.freeze_layers, model.load_layers) == ([], ["encoder"])  # fs_original: none
    names = _names(net)
    assert set(names) == set(PHAZE_PARTS)
    assert {"fs_enc_convblk_3_conv2d", "bottleneck_dense"} <= set(names["encoder"])
    assert {"dropout_1", "dense_1", "reshape", "upsampling2d"} <= set(names["fc_b"])
    decoder = names["decoder_both"]
    assert {"upscale_512_0_conv2d_conv2d", "upscale_512_0_noise", "residual_128_0_add",
            "upscale_64_0_lrelu", "face_out_both_0"} <= set(decoder)
    assert "residual_64_0_add" not in decoder  # dec_skip_last_residual
    _, tiny = _net(tmp_path / "tiny", "phaze_a", **TINY)
    assert _names(tiny) == names
    # learn_mask adds a "mask_" branch and renames no face layer
    _, masked = _net(tmp_path / "mask", "phaze_a", learn_mask=True)
    added = set(_names(masked)["decoder_both"]) - set(decoder)
    assert set(decoder) < set(_names(masked)["decoder_both"])
    assert "mask_upscale_512_0_pixelshuffler" in added and "mask_out_both_0" in added


@pytest.mark.parametrize(("config", "parts", "out"), [
    ({"split_fc": False, "shared_fc": "full", "split_gblock": True, "split_decoders": True,
      "bottleneck_norm": "layer", "fc_upsampler": "upscale_hybrid", "fc_upsamples": 2,
      "output_size": 64, "dec_upscale_method": "upscale_fast", "dec_norm": "instance",
      "dec_res_blocks": 2, "learn_mask": True},
     ["encoder", "fc_both", "fc_shared", "fc_gblock", "g_block_a", "g_block_b", "decoder_a",
      "decoder_b"], 64),
    ({"shared_fc": "half", "enable_gblock": False, "bottleneck_type": "average_pooling",
      "bottleneck_in_encoder": False, "fc_upsamples": 2, "output_size": 256,
      "dec_upscale_method": "resize_images", "dec_norm": "rms", "dec_slope_mode": "cap_min",
      "dec_upscales_in_fc": 1},
     ["encoder", "fc_a", "fc_b", "decoder_both"], 256),
    ({"preset": "dny256", "reflect_padding": True},
     ["encoder", "fc_both", "decoder_a", "decoder_b"], 256),
    ({"output_size": 96}, list(PHAZE_PARTS), 96),  # fc filters rounded to 6² to reshape 8→6
    ({"enc_architecture": "mobilenet", "enc_load_weights": False, "enc_scaling": 4,
      "mobilenet_width": 0.25, "freeze_layers": "keras_encoder,fc_a"},
     ["encoder", "fc_a", "fc_b", "fc_gblock", "g_block_both", "decoder_both"], 128),
])
def test_phaze_a_options_build(tmp_path, config, parts, out):
    model, net = _net(tmp_path, "phaze_a", **TINY, **config)
    assert set(_names(net)) == set(parts)
    per_side = [(None, out, out, 3)] + [(None, out, out, 1)] * bool(config.get("learn_mask"))
    assert [tuple(t.shape) for t in net.outputs] == per_side * 2
    if "mobilenet" in config.values():
        assert model.input_shape == (32, 32, 3)
        assert model.freeze_layers == ["mobilenet", "fc_a"]
        assert "mobilenet" in _names(net)["encoder"]


def test_phaze_a_preset_and_overrides(tmp_path):
    model = model_class("phaze_a")(tmp_path / "m", {"preset": "dny512", "dec_min_filters": 32})
    assert (model.input_shape, model.config["output_size"]) == ((512, 512, 3), 512)
    assert model.config["dec_min_filters"] == 32 and model.config["fs_original_use_alt"]
    assert model.freeze_layers == ["encoder"]


@pytest.mark.parametrize(("config", "message"), [
    ({"preset": "sae"}, "choose one of"),
    ({"output_size": 72}, "multiple of 16"),
    ({"enc_architecture": "clipv_vit-b-16"}, "CLIP encoder"),
    ({"enc_architecture": "vgg16"}, "enc_load_weights=false"),
    ({"learn_mask": True, "dec_upscales_in_fc": 1}, "learn_mask"),
    ({"load_layers": "encoder,keras_encoder"}, "unknown sub-model"),
])
def test_phaze_a_bad_options(tmp_path, config, message):
    with pytest.raises(FaceswapError, match=message):
        model_class("phaze_a")(tmp_path / "m", config)


def test_phaze_a_resume_takes_new_dropout(tmp_path):
    model = _tiny(tmp_path, "phaze_a", shared_fc="full", learn_mask=True)
    assert model.output_shapes == [(None, 128, 128, 3), (None, 128, 128, 1)] * 2
    model.save()
    resumed = create_model("phaze_a", tmp_path / "m", {"fc_dropout": 0.25})
    rates = {part: [layer.rate for layer in resumed.model.get_layer(part).layers
                    if isinstance(layer, keras.layers.Dropout)]
             for part in ("fc_a", "fc_shared", "fc_gblock")}
    assert rates == {"fc_a": [0.25], "fc_shared": [0.25], "fc_gblock": [0.0] * 3}


@pytest.mark.parametrize("name", ["dfl_sae", "phaze_a"])
def test_options_documented_in_usage(name):
    usage = (REPO / "docs" / "usage.md").read_text(encoding="utf-8")
    section = usage.split(f"#### `-t {name.replace('_', '-')}`\n", 1)[1].split("\n#", 1)[0]
    for key, option in model_class(name).options.items():
        if isinstance(option.default, bool):
            allowed = "true/false"
        elif option.choices is not None:
            allowed = ", ".join(map(str, option.choices))
        elif isinstance(option.default, list):
            allowed = "sub-model names"
        else:
            allowed = f"{option.min}–{option.max}"
        default = ",".join(option.default) if isinstance(option.default, list) else option.default
        fixed = "yes" if option.fixed else "no"
        assert f"| `{key}` | {default} | {fixed} | {allowed} | {option.help} |" in section, key
