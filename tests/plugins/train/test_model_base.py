"""ModelBase: save/load, state, backups, snapshots, resume, load/freeze layers, inference."""

import json
import logging
import zipfile

import keras
import numpy as np
import pytest
from fstest import TINY, batch, digest, make_original, train_steps

from faceswap.lib.errors import FaceswapError
from faceswap.plugins.train.model._base import ModelBase
from faceswap.plugins.train.model.original import Model


def _predict(model, inputs):
    return [np.asarray(x) for x in model.model.predict(inputs, verbose=0)]


def test_save_load_round_trip_identical(tmp_path):
    model = make_original(tmp_path / "m")
    train_steps(model, 2)
    model.save()
    inputs, targets = batch(model, seed=42)
    before = _predict(model, inputs)
    reloaded = make_original(tmp_path / "m")
    assert reloaded.iterations == 2
    for a, b in zip(before, _predict(reloaded, inputs), strict=True):
        np.testing.assert_array_equal(a, b)
    # The optimizer state comes back too, so the next step is the same step.
    original_opt = model.model.optimizer.variables
    reloaded_opt = reloaded.model.optimizer.variables
    assert len(original_opt) == len(reloaded_opt) > 10
    for first, second in zip(original_opt, reloaded_opt, strict=True):
        np.testing.assert_array_equal(np.asarray(first), np.asarray(second))
    loss_a = model.model.train_on_batch(inputs, targets)
    loss_b = reloaded.model.train_on_batch(inputs, targets)
    assert loss_a == pytest.approx(loss_b, rel=1e-5)


def test_model_file_is_a_safe_keras_archive(tmp_path):
    model = make_original(tmp_path / "m")
    train_steps(model, 1)
    model.save()
    with zipfile.ZipFile(tmp_path / "m" / "original.keras") as archive:
        assert {"config.json", "model.weights.h5", "faceswap_optimizer.json"} <= set(
            archive.namelist())
    loaded = keras.saving.load_model(tmp_path / "m" / "original.keras", compile=False,
                                     safe_mode=True)
    assert loaded.name == "original"


def test_state_after_two_saves(tmp_path):
    model = make_original(tmp_path / "m", batch_size=4)
    train_steps(model, 3)
    model.save()
    train_steps(model, 2)
    model.save()
    state = json.loads((tmp_path / "m" / "original_state.json").read_text())
    assert state["name"] == "original"
    assert state["iterations"] == 5
    assert list(state["sessions"]) == ["1"]
    session = state["sessions"]["1"]
    assert session["iterations"] == 5 and session["batchsize"] == 4
    assert session["config"]["learning_rate"] == 5e-5
    assert "coverage" not in session["config"]  # fixed options live in the top-level config
    assert state["config"]["coverage"] == 100.0 and state["config"]["base_filters"] == 8
    assert isinstance(state["lowest_avg_loss"], float)
    # A second session is numbered 2 and the iteration count continues.
    resumed = make_original(tmp_path / "m", batch_size=8)
    train_steps(resumed, 1)
    resumed.save()
    state = json.loads((tmp_path / "m" / "original_state.json").read_text())
    assert state["iterations"] == 6
    assert state["sessions"]["2"] == {**state["sessions"]["2"], "iterations": 1, "batchsize": 8}


def test_backup_only_when_loss_improves(tmp_path):
    folder = tmp_path / "m"
    model = make_original(folder)
    bk = folder / "original.keras.bk"
    model.add_history(np.array([0.5, 0.5]))
    model.save()  # first save: baseline only
    assert not bk.exists()
    model.add_history(np.array([0.6, 0.6]))
    model.save()  # worse
    assert not bk.exists()
    model.add_history(np.array([0.2, 0.2]))
    model.save()  # better
    assert bk.exists() and (folder / "original_state.json.bk").exists()
    assert json.loads((folder / "original_state.json").read_text())["lowest_avg_loss"] == 0.4
    before = bk.stat().st_mtime_ns
    model.add_history(np.array([0.3, 0.3]))
    model.save()  # worse again: backup untouched
    assert bk.stat().st_mtime_ns == before


def test_snapshot_folder(tmp_path):
    folder = tmp_path / "m"
    model = make_original(folder, snapshot_interval=2)
    (folder / "original_logs" / "session_1").mkdir(parents=True)
    (folder / "original_logs" / "session_1" / "events").write_text("x")
    train_steps(model, 1)
    model.save()
    assert not (tmp_path / "m_snapshot_1_iters").exists()
    train_steps(model, 1)
    model.add_history(np.array([0.0, 0.0]))  # force an improving save so a .bk exists
    model.save()
    snapshot = tmp_path / "m_snapshot_2_iters"
    assert sorted(p.name for p in snapshot.iterdir()) == [
        "original.keras", "original_logs", "original_state.json"
    ]
    assert (snapshot / "original_logs" / "session_1" / "events").read_text() == "x"
    assert json.loads((snapshot / "original_state.json").read_text())["iterations"] == 2


def test_resume_keeps_fixed_option_and_says_so(tmp_path, caplog):
    first = make_original(tmp_path / "m", {"coverage": 87.5})
    train_steps(first, 1)
    first.save()
    caplog.set_level(logging.WARNING)
    resumed = make_original(tmp_path / "m", {"coverage": 62.5, "learning_rate": 1e-5})
    assert resumed.config["coverage"] == 87.5
    assert resumed.coverage_ratio == 0.875
    assert "coverage" in caplog.text and "keeping the stored value 87.5" in caplog.text
    # Updatable options do change, and are recorded in this session.
    assert resumed.config["learning_rate"] == 1e-5
    assert float(resumed.model.optimizer.learning_rate) == pytest.approx(1e-5)
    assert resumed.state.sessions["2"]["config"]["learning_rate"] == 1e-5


def test_mixed_precision_switch_on_resume(tmp_path):
    model = make_original(tmp_path / "m")
    train_steps(model, 1)
    model.save()
    inputs, _ = batch(model, seed=3)
    before = _predict(model, inputs)
    mixed = make_original(tmp_path / "m", {"mixed_precision": True})
    assert mixed.model.get_layer("encoder").get_layer("conv_8_0_conv2d").compute_dtype == "float16"
    for a, b in zip(before, _predict(mixed, inputs), strict=True):
        np.testing.assert_allclose(a, b, atol=5e-3)
    train_steps(mixed, 1)
    mixed.save()
    keras.mixed_precision.set_dtype_policy("float32")
    back = make_original(tmp_path / "m", {"mixed_precision": False})
    assert back.model.get_layer("encoder").get_layer("conv_8_0_conv2d").compute_dtype == "float32"
    assert back.iterations == 2


def test_load_layers_copies_encoder_only(tmp_path):
    donor = make_original(tmp_path / "donor")
    train_steps(donor, 1)
    donor.save()
    fresh = make_original(tmp_path / "new", load_weights=tmp_path / "donor" / "original.keras")
    for name in ("encoder",):
        for a, b in zip(donor.model.get_layer(name).get_weights(),
                        fresh.model.get_layer(name).get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    for name in ("decoder_a", "decoder_b"):
        differs = [not np.array_equal(a, b) for a, b in zip(
            donor.model.get_layer(name).get_weights(), fresh.model.get_layer(name).get_weights(),
            strict=True) if a.size > 1]
        assert all(differs)


def test_load_layers_from_incompatible_model_is_an_error(tmp_path):
    donor = make_original(tmp_path / "donor", {"base_filters": 12})
    donor.save()
    with pytest.raises(FaceswapError, match="No weights could be loaded"):
        make_original(tmp_path / "new", load_weights=tmp_path / "donor" / "original.keras")


def test_freeze_layers_leaves_encoder_untrainable(tmp_path):
    model = make_original(tmp_path / "m", freeze_weights=True)
    assert model.model.get_layer("encoder").trainable is False
    assert model.model.get_layer("decoder_a").trainable is True
    before = [w.copy() for w in model.model.get_layer("encoder").get_weights()]
    decoder_before = [w.copy() for w in model.model.get_layer("decoder_a").get_weights()]
    train_steps(model, 2)
    for a, b in zip(before, model.model.get_layer("encoder").get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(
        decoder_before, model.model.get_layer("decoder_a").get_weights(), strict=True))


def test_inference_build_has_one_decoder(tmp_path):
    trained = make_original(tmp_path / "m")
    train_steps(trained, 1)
    trained.save()
    swap = make_original(tmp_path / "m", predict=True)
    names = [layer.name for layer in swap.model.layers]
    assert names == ["face_in_b", "encoder", "decoder_b"]
    assert getattr(swap.model, "optimizer", None) is None
    face_a = np.random.default_rng(0).random((2, 32, 32, 3), dtype=np.float32)
    expected = trained.model.get_layer("decoder_b")(trained.model.get_layer("encoder")(face_a))
    np.testing.assert_allclose(np.asarray(swap.model.predict(face_a, verbose=0)),
                               np.asarray(expected), atol=1e-6)
    reverse = make_original(tmp_path / "m", predict=True, swap=True)
    assert [layer.name for layer in reverse.model.layers] == ["face_in_a", "encoder", "decoder_a"]


def test_inference_without_model_is_clear(tmp_path):
    with pytest.raises(FaceswapError, match="Train one first"):
        Model(tmp_path / "empty", TINY, predict=True)


class _AsymmetricModel(ModelBase):
    """A plugin whose A and B faces differ in size (input_shape is a list of two)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.input_shape = [(32, 32, 3), (16, 16, 3)]

    def encoder(self):
        inputs = keras.Input((None, None, 3))
        x = keras.layers.Conv2D(4, 3, padding="same", name="conv")(inputs)
        x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
        return keras.Model(inputs, keras.layers.Dense(8, name="dense")(x), name="encoder")

    def decoder(self, side):
        size = 32 if side == "a" else 16
        inputs = keras.Input((8,))
        x = keras.layers.Dense(size * size * 3, activation="sigmoid", name="dense")(inputs)
        x = keras.layers.Reshape((size, size, 3), name="reshape")(x)
        return keras.Model(inputs, x, name=f"decoder_{side}")

    def build_model(self, inputs):
        encoder = self.encoder()
        outputs = [self.decoder("a")(encoder(inputs[0])), self.decoder("b")(encoder(inputs[1]))]
        return keras.Model(inputs, outputs, name=self.model_name)


def test_different_input_shapes_per_side(tmp_path):
    model = _AsymmetricModel(tmp_path / "m", {"penalized_mask_loss": False, "eye_multiplier": 1,
                                              "mouth_multiplier": 1})
    model.build()
    assert model.input_shapes == [(None, 32, 32, 3), (None, 16, 16, 3)]
    assert model.output_shapes == [(None, 32, 32, 3), (None, 16, 16, 3)]
    assert model.name == "test_model_base"
    train_steps(model, 1)
    model.save()
    again = _AsymmetricModel(tmp_path / "m")
    again.build()
    assert again.iterations == 1


def test_single_shape_is_shared(tmp_path):
    model = make_original(tmp_path / "m")
    assert model.input_shape == (32, 32, 3)
    assert model.input_shapes == [(None, 32, 32, 3), (None, 32, 32, 3)]


# --------------------------------------------------------------------------- bad inputs
def test_truncated_model_file_is_clear_and_untouched(tmp_path):
    model = make_original(tmp_path / "m")
    train_steps(model, 1)
    model.save()
    path = tmp_path / "m" / "original.keras"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    before = digest(tmp_path / "m")
    with pytest.raises(FaceswapError, match="truncated or corrupt"):
        make_original(tmp_path / "m")
    assert digest(tmp_path / "m") == before


def test_foreign_keras_file_is_clear(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    inputs = keras.Input((4,))
    keras.Model(inputs, keras.layers.Dense(1)(inputs), name="something").save(
        folder / "original.keras")
    before = digest(folder)
    with pytest.raises(FaceswapError, match="not a 'original' model"):
        make_original(folder)
    assert digest(folder) == before


def test_folder_of_another_model_type(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "dfaker_state.json").write_text(json.dumps({"name": "dfaker", "iterations": 3}))
    (folder / "dfaker.keras").write_bytes(b"PK")
    before = digest(folder)
    with pytest.raises(FaceswapError, match=r"different model.*-t dfaker"):
        Model(folder, TINY)
    assert digest(folder) == before


def test_state_file_of_wrong_plugin(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    # Same file name, other plugin inside: the state file itself says so.
    (folder / "original_state.json").write_text(json.dumps({"name": "villain", "iterations": 1}))
    with pytest.raises(FaceswapError, match="belongs to a 'villain' model"):
        Model(folder, TINY)


def test_unwritable_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    model = make_original(blocker / "m")
    with pytest.raises(FaceswapError, match="Cannot write"):
        model.save()
    assert blocker.read_text() == "not a folder"


def test_interrupted_save_keeps_previous_files(tmp_path, monkeypatch):
    model = make_original(tmp_path / "m")
    train_steps(model, 1)
    model.save()
    before = digest(tmp_path / "m")
    train_steps(model, 1)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(model.state, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model.save()
    assert digest(tmp_path / "m") == before
    assert not [p for p in (tmp_path / "m").iterdir() if p.name.startswith(".")]


def test_unknown_option(tmp_path):
    with pytest.raises(FaceswapError, match="Unknown training option"):
        Model(tmp_path / "m", {"colour": 3})


def test_option_out_of_range(tmp_path):
    with pytest.raises(FaceswapError, match="outside its range"):
        Model(tmp_path / "m", {"coverage": 10})


@pytest.mark.parametrize("optimizer", ["adamw", "nadam", "adamax", "rmsprop", "lion"])
def test_every_optimizer_trains(tmp_path, optimizer):
    model = make_original(tmp_path / "m", {"optimizer": optimizer})
    assert type(model.model.optimizer).__name__.lower() == optimizer
    assert np.isfinite(train_steps(model, 1)[0])


def test_gradient_accumulation_applies_every_n_steps(tmp_path):
    model = make_original(tmp_path / "m", {"gradient_accumulation": 2})
    decoder = model.model.get_layer("decoder_a")
    start = [w.copy() for w in decoder.get_weights()]
    train_steps(model, 1)
    assert all(np.array_equal(a, b) for a, b in zip(start, decoder.get_weights(), strict=True))
    train_steps(model, 1, seed=1)
    assert any(not np.array_equal(a, b) for a, b in zip(start, decoder.get_weights(),
                                                        strict=True))


@pytest.mark.parametrize(("clipping", "attribute"), [
    ("global_norm", "global_clipnorm"), ("norm", "clipnorm"), ("value", "clipvalue")])
def test_gradient_clipping_is_configured(tmp_path, clipping, attribute):
    model = make_original(tmp_path / "m", {"gradient_clipping": clipping,
                                           "clipping_value": 0.5})
    optimizer = model.model.optimizer
    assert getattr(optimizer, attribute) == 0.5
    others = {"global_clipnorm", "clipnorm", "clipvalue"} - {attribute}
    assert all(getattr(optimizer, name) is None for name in others)
