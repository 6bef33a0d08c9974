"""Model zoo: each plugin's parameter counts match the spec sheet, tiny versions run, names hold.

Expected counts are ../shared/research/upstream-models.md §0 (cross-checked against the §14
per-block subtotals). Full-size models are built inside a ``StatelessScope`` that never
initialises the variables: ``count_params`` reads only their shapes, so a 240M-parameter model
costs graph construction time and no memory.
"""

from __future__ import annotations

import functools
import importlib

import keras
import numpy as np
import pytest
from fstest import REPO

from faceswap.lib.errors import FaceswapError
from faceswap.lib.model import nn_blocks

ZOO = ("lightweight", "dfaker", "dfl_h128", "iae", "realface", "unbalanced", "villain", "dlight")
SUB_MODELS = {"iae": {"encoder", "inter_a", "inter_b", "inter_both", "decoder"}}
# model: (input size, output size) at the default options.
SIZES = {"lightweight": (64, 64), "dfaker": (64, 128), "dfl_h128": (128, 128), "iae": (64, 64),
         "realface": (64, 128), "unbalanced": (128, 128), "villain": (128, 128),
         "dlight": (128, 256)}

# Spec §14 per-sub-model subtotals at the default options.
SUBTOTALS = {
    "lightweight": {"encoder": 29_806_336, "decoder_a": 10_630_019, "decoder_b": 10_630_019},
    "dfaker": {"encoder": 69_662_976, "decoder_a": 21_833_923, "decoder_b": 21_833_923},
    "dfl_h128": {"encoder": 77_018_880, "decoder_a": 15_348_611, "decoder_b": 15_348_611},
    "iae": {"encoder": 17_214_720, "inter_a": 25_175_040, "inter_b": 25_175_040,
            "inter_both": 25_175_040, "decoder": 25_076_163},
    "realface": {"encoder": 29_604_608, "decoder_a": 64_196_041, "decoder_b": 144_441_027},
    "unbalanced": {"encoder": 83_964_932, "decoder_a": 43_633_827, "decoder_b": 79_447_427},
    "villain": {"encoder": 112_027_904, "decoder_a": 21_543_555, "decoder_b": 21_543_555},
    "dlight": {"encoder": 61_783_296, "decoder_a": 6_869_523, "decoder_b": 74_961_187},
}

COUNTS = [  # (model, options, spec §0 count); every one agrees with §14 and with this build
    ("lightweight", {}, 51_066_374),
    ("dfaker", {}, 113_330_822),
    ("dfaker", {"output_size": 256}, 258_046_598),
    ("dfl_h128", {}, 107_716_102),
    ("dfl_h128", {"lowmem": True}, 48_244_102),
    ("iae", {}, 117_816_003),
    ("realface", {}, 238_241_676),
    ("unbalanced", {}, 207_046_186),
    ("unbalanced", {"lowmem": True}, 107_962_506),
    ("villain", {}, 155_115_014),
    ("villain", {"lowmem": True}, 118_660_614),
    ("dlight", {}, 143_614_006),
    ("dlight", {"features": "lowmem"}, 104_503_318),
    ("dlight", {"details": "fast"}, 163_706_006),
    ("lightweight", {"learn_mask": True}, 72_313_608),
    ("dfaker", {"learn_mask": True}, 144_602_376),
    ("dfl_h128", {"learn_mask": True}, 138_400_520),
    ("iae", {"learn_mask": True}, 142_888_964),
    ("realface", {"learn_mask": True}, 268_800_878),
    ("unbalanced", {"learn_mask": True}, 247_538_316),
    ("villain", {"learn_mask": True}, 185_799_432),
    ("dlight", {"learn_mask": True}, 148_523_528),
]


def _plugin(name: str, config: dict, folder):
    module = importlib.import_module(f"faceswap.plugins.train.model.{name}")
    return module.Model(folder / name, config)


def _network(plugin) -> keras.Model:
    nn_blocks.reset_naming()
    nn_blocks.configure(**{key: bool(plugin.config[key]) for key in nn_blocks.OPTIONS})
    inputs = [keras.Input(plugin.input_shape, name=f"face_in_{side}") for side in "ab"]
    return plugin.build_model(inputs)


def _layer_names(net: keras.Model) -> dict[str, set[str]]:
    return {part.name: {layer.name for layer in part.layers} for part in _parts(net)}


def _parts(net: keras.Model) -> list[keras.Model]:
    return [layer for layer in net.layers if isinstance(layer, keras.Model)]


@functools.cache
def _full_size(name: str, options: tuple) -> tuple[int, dict[str, int], dict, list]:
    """Parameter counts (total, per sub-model), layer names per sub-model and output shapes of
    a model built without initialising its weights (full size unless ``options`` say)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        plugin = _plugin(name, dict(options), Path(folder))
        with keras.StatelessScope(initialize_variables=False):
            net = _network(plugin)
            assert net.name == name
            result = (net.count_params(), {part.name: part.count_params() for part in _parts(net)},
                      _layer_names(net), [tuple(t.shape) for t in net.outputs])
    return result


@pytest.fixture(autouse=True, scope="module")
def _forget_models():
    yield
    # Also drops the never-initialised variables Keras keeps in a global list (once per module:
    # its garbage collection costs about a second).
    keras.backend.clear_session()


@pytest.mark.parametrize(("name", "options", "expected"), COUNTS,
                         ids=[f"{n}-{'-'.join(f'{k}={v}' for k, v in o.items()) or 'default'}"
                              for n, o, _ in COUNTS])
def test_parameter_count_matches_spec(name, options, expected):
    count, parts, _, _ = _full_size(name, tuple(options.items()))
    assert count == expected
    if not options:
        assert parts == SUBTOTALS[name]
    fast = options.get("details") == "fast"
    assert set(parts) == SUB_MODELS.get(
        name, {"encoder", "decoder_a", "decoder_b_fast" if fast else "decoder_b"})


@pytest.mark.parametrize("name", ZOO)
def test_tiny_model_runs_with_mask_and_keeps_layer_names(tmp_path, name):
    # Every global block option on at once: ICNR needs upscale widths divisible by 4 even at
    # the smallest width_scale, and reflect padding must keep every size.
    plugin = _plugin(name, {"width_scale": 1 / 64, "learn_mask": True, "icnr_init": True,
                            "reflect_padding": True, "conv_aware_init": True}, tmp_path)
    # Under mixed precision every output must still come out in float32 (Conv2DOutput).
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        net = _network(plugin)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    size_in, size_out = SIZES[name]
    assert plugin.input_shape == (size_in, size_in, 3)
    outputs = net([np.zeros((1, size_in, size_in, 3), np.float32)] * 2)
    assert [tuple(o.shape) for o in outputs] == [(1, size_out, size_out, 3),
                                                 (1, size_out, size_out, 1)] * 2
    assert [keras.backend.standardize_dtype(o.dtype) for o in outputs] == ["float32"] * 4
    assert all(0.0 <= float(keras.ops.min(o)) <= float(keras.ops.max(o)) <= 1.0 for o in outputs)
    # Width, the mask branch and padding rename nothing: -l loads by layer name.
    _, _, full, _ = _full_size(name, ())
    tiny = _layer_names(net)
    for part, names in full.items():
        assert names <= tiny[part], (part, sorted(names - tiny[part]))
        extras = tiny[part] - names
        assert all("mask" in extra or "reflectionpadding2d" in extra for extra in extras), part


@pytest.mark.parametrize("name", ZOO)
def test_any_width_scale_builds(name):
    # Widths that are not powers of two must still line up between encoder and decoders.
    count, _, _, shapes = _full_size(name, (("width_scale", 0.3), ("learn_mask", True)))
    size = SIZES[name][1]
    assert shapes == [(None, size, size, 3), (None, size, size, 1)] * 2
    assert 0.05 < count / _full_size(name, ())[0] < 0.2  # about 0.3² of the full model


@pytest.mark.parametrize(("name", "options", "size_in", "size_out"), [
    ("dfaker", {"output_size": 256}, 128, 256),
    ("dlight", {"output_size": 128, "details": "fast"}, 128, 128),
    ("realface", {"input_size": 128, "output_size": 256}, 128, 256),
    ("unbalanced", {"input_size": 64, "lowmem": True}, 64, 64),
])
def test_size_options(tmp_path, name, options, size_in, size_out):
    plugin = _plugin(name, {"width_scale": 1 / 64, **options}, tmp_path)
    net = _network(plugin)
    assert [tuple(t.shape) for t in net.inputs] == [(None, size_in, size_in, 3)] * 2
    assert [tuple(t.shape) for t in net.outputs] == [(None, size_out, size_out, 3)] * 2


@pytest.mark.parametrize(("name", "options", "message"), [
    ("dfaker", {"output_size": 192}, "choose one of: 128, 256"),
    ("dlight", {"output_size": 320}, "choose one of: 128, 256, 384"),
    ("dlight", {"features": "huge"}, "lowmem, fair, best"),
    ("realface", {"output_size": 80}, "multiple of 16 and output_size of 32"),
    ("realface", {"input_size": 72}, "multiple of 16"),
    ("unbalanced", {"input_size": 96}, "multiple of 64"),
    ("unbalanced", {"nodes": 256}, "outside its range"),
])
def test_bad_options_are_refused(tmp_path, name, options, message):
    with pytest.raises(FaceswapError, match=message):
        _plugin(name, options, tmp_path)


def _usage_row(name, option) -> str:
    if isinstance(option.default, bool):
        allowed = "true/false"
    elif option.choices is not None:
        allowed = ", ".join(map(str, option.choices))
    else:
        allowed = f"{option.min}–{option.max}"
    fixed = "yes" if option.fixed else "no"
    return f"| `{name}` | {option.default} | {fixed} | {allowed} | {option.help} |"


@pytest.mark.parametrize("name", ZOO)
def test_options_documented_in_own_subsection(name):
    usage = (REPO / "docs" / "usage.md").read_text(encoding="utf-8")
    options = importlib.import_module(f"faceswap.plugins.train.model.{name}").Model.options
    heading = f"#### `-t {name.replace('_', '-')}`\n"
    if not options:
        assert heading not in usage
        assert f"`{name}` and `iae` have none" in usage or f"and `{name}` have none" in usage
        return
    section = usage.split(heading, 1)[1].split("\n#", 1)[0]
    for option_name, option in options.items():
        assert _usage_row(option_name, option) in section, option_name
