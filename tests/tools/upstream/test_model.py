"""Upstream Original .keras models: weights carried over exactly, training resumes here."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from fstest import train_steps
from upstream_files import build_upstream_original, save_upstream_model

from faceswap.lib.errors import FaceswapError
from faceswap.tools.upstream.model import import_model

SIZE = 32


def _inputs(seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.random((2, SIZE, SIZE, 3), dtype=np.float32) for _ in range(2)]


@pytest.mark.parametrize(("lowmem", "learn_mask"), [(False, False), (True, False), (False, True)])
def test_imported_model_predicts_the_same_and_resumes_training(tmp_path, lowmem, learn_mask):
    from faceswap.plugins.train.model.original import Model

    upstream = build_upstream_original(SIZE, lowmem=lowmem, learn_mask=learn_mask)
    save_upstream_model(upstream, tmp_path / "upstream")
    inputs = _inputs()
    before = upstream.predict(inputs, verbose=0)

    result = import_model(tmp_path / "upstream", tmp_path / "model")
    assert result.layers == (14 if lowmem else 15) + (8 if learn_mask else 0)
    assert result.iterations == 1234
    assert result.options["lowmem"] is lowmem and result.options["learn_mask"] is learn_mask
    assert result.parameters == upstream.count_params()
    assert any("optimizer.pt" in note and "starts fresh" in note for note in result.notes)

    model = Model(tmp_path / "model")  # options come from the state file written by the import
    model.build()
    assert model.config["centering"] == "face" and model.config["coverage"] == 87.5
    assert model.config["learning_rate"] == 3e-5 and model.config["mask_type"] == "extended"
    after = model.model.predict(inputs, verbose=0)
    assert len(after) == (4 if learn_mask else 2)
    for old, new in zip(before, after, strict=True):
        np.testing.assert_allclose(new, old, atol=1e-6)
    if not lowmem and not learn_mask:
        train_steps(model, steps=2)
        model.save()
        state = json.loads((tmp_path / "model" / "original_state.json").read_text())
        assert state["iterations"] == 1236
        assert not np.allclose(model.model.predict(inputs, verbose=0)[0], after[0])


def _rewrite_config(path, change):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    change(config)
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _layers(config, submodel):
    top = config["config"]["layers"]
    return next(x for x in top if x["config"].get("name") == submodel)["config"]["layers"]


@pytest.fixture(scope="module")
def upstream_file(tmp_path_factory):
    return save_upstream_model(build_upstream_original(SIZE), tmp_path_factory.mktemp("up"))


def _copy(upstream_file, tmp_path):
    target = tmp_path / "src" / "original.keras"
    target.parent.mkdir(parents=True)
    target.write_bytes(upstream_file.read_bytes())
    return target


def test_other_models_and_layers_are_refused(tmp_path, upstream_file):
    other = _copy(upstream_file, tmp_path)
    _rewrite_config(other, lambda c: c["config"].update(name="villain"))
    with pytest.raises(FaceswapError, match="'villain' model; only the Original"):
        import_model(other, tmp_path / "a")

    def channels_first(config):
        for layer in _layers(config, "encoder"):
            if layer["class_name"] == "PixelShuffler":
                layer["config"]["data_format"] = "channels_first"

    other = _copy(upstream_file, tmp_path / "b")
    _rewrite_config(other, channels_first)
    with pytest.raises(FaceswapError, match="channels_first"):
        import_model(other, tmp_path / "b" / "out")

    def add_lambda(config):
        _layers(config, "encoder")[2]["class_name"] = "Lambda"

    other = _copy(upstream_file, tmp_path / "c")
    _rewrite_config(other, add_lambda)
    with pytest.raises(FaceswapError, match="is a Lambda"):
        import_model(other, tmp_path / "c" / "out")
    assert not any((tmp_path / name / "out").exists() for name in "bc")


def test_a_non_empty_destination_is_refused(tmp_path, upstream_file):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "notes.txt").write_text("mine")
    with pytest.raises(FaceswapError, match="not an empty folder"):
        import_model(upstream_file, tmp_path / "model")
