"""-l/--load-weights and -f/--freeze-weights by sub-model name, on the plugins that rename them.

``freeze_layers``/``load_layers`` name sub-models (``encoder_liae`` for DFL-SAE liae, IAE's
``inter_*``); they are found at any depth, and a weights file of another architecture is refused
by its model name.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from faceswap.lib import registry
from faceswap.lib.errors import FaceswapError
from faceswap.plugins.train.model._base import create_model
from faceswap.plugins.train.model._base.model import find_submodel, submodel_names

TINY = {"width_scale": 1 / 64}


def _needs(name: str) -> None:
    if name not in registry.list_plugins("model"):
        pytest.skip(f"no '{name}' model plugin yet")


def _same(a: keras.Layer, b: keras.Layer) -> bool:
    return all(np.array_equal(x, y)
               for x, y in zip(a.get_weights(), b.get_weights(), strict=True))


def test_submodels_are_found_at_any_depth():
    inner_in = keras.Input((4,))
    inner = keras.Model(inner_in, keras.layers.Dense(2, name="d")(inner_in), name="encoder")
    outer_in = keras.Input((4,))
    wrapper = keras.Model(outer_in, inner(outer_in), name="wrapper")
    top_in = keras.Input((4,))
    top = keras.Model(top_in, wrapper(top_in), name="top")
    assert find_submodel(top, "encoder") is inner
    assert find_submodel(top, "d") is inner.get_layer("d")
    assert find_submodel(top, "nothing") is None
    assert submodel_names(top) == ["wrapper", "encoder"]


def test_freeze_names_nothing_there_is_an_error(tmp_path, monkeypatch):
    from faceswap.plugins.train.model.original import Model

    monkeypatch.setattr(Model, "freeze_layers", property(lambda self: ["no_such_part"]))
    with pytest.raises(FaceswapError, match=r"found none of \['no_such_part'\].*decoder_a"):
        create_model("original", tmp_path / "m", {"input_size": 32, "base_filters": 8},
                     freeze_weights=True)


def test_dfl_sae_liae_loads_and_freezes_its_encoder(tmp_path):
    _needs("dfl-sae")
    config = {**TINY, "input_size": 64, "architecture": "liae"}
    donor = create_model("dfl-sae", tmp_path / "donor", config, seed=1)
    donor.save()
    fresh = create_model("dfl-sae", tmp_path / "fresh", config, seed=2, freeze_weights=True,
                         load_weights=donor.io.model_path)
    assert fresh.model.name == "dfl_sae_liae"
    assert _same(donor.model.get_layer("encoder_liae"), fresh.model.get_layer("encoder_liae"))
    assert not _same(donor.model.get_layer("intermediate_both"),
                     fresh.model.get_layer("intermediate_both"))
    assert fresh.model.get_layer("encoder_liae").trainable is False
    assert fresh.model.get_layer("decoder_both").trainable is True
    # A df file is another model: refused by its name, nothing written.
    other = create_model("dfl-sae", tmp_path / "df", {**config, "architecture": "df"})
    other.save()
    with pytest.raises(FaceswapError, match="'dfl_sae_df', not a 'dfl_sae_liae' model"):
        create_model("dfl-sae", tmp_path / "third", config, load_weights=other.io.model_path)
    assert not (tmp_path / "third").exists()


def test_iae_loads_named_intermediates(tmp_path, monkeypatch):
    _needs("iae")
    from faceswap.plugins.train.model.iae import Model

    donor = create_model("iae", tmp_path / "donor", TINY, seed=1)
    donor.save()
    monkeypatch.setattr(Model, "load_layers", property(lambda self: ["encoder", "inter_both"]))
    fresh = create_model("iae", tmp_path / "fresh", TINY, seed=2,
                         load_weights=donor.io.model_path)
    for name, loaded in (("encoder", True), ("inter_both", True), ("inter_a", False),
                         ("decoder", False)):
        assert _same(donor.model.get_layer(name), fresh.model.get_layer(name)) is loaded, name


def test_outputs_must_be_float32_under_mixed_precision(tmp_path):
    from faceswap.plugins.train.model._base import ModelBase

    class Plain(ModelBase):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.input_shape = (16, 16, 3)

        def build_model(self, inputs):
            conv = keras.layers.Conv2D(3, 3, padding="same", activation="sigmoid", name="out")
            return keras.Model(inputs, [conv(x) for x in inputs], name=self.model_name)

    with pytest.raises(FaceswapError, match=r"not float32.*Conv2DOutput"):
        Plain(tmp_path / "m", {"mixed_precision": True}).build()
    Plain(tmp_path / "m2").build()  # full precision: a plain sigmoid output is float32
