"""Convert's forward pass: every runtime matches the Keras inference model within tolerance."""

from __future__ import annotations

import importlib.util
import logging
import os

import keras
import numpy as np
import pytest
from fstest import make_original

from faceswap.lib.errors import FaceswapError
from faceswap.plugins.train.model.original import Model
from faceswap.stages.convert import inference

OPENVINO = importlib.util.find_spec("openvino") is not None and \
    keras.backend.backend() == "tensorflow"
needs_openvino = pytest.mark.skipif(
    not OPENVINO, reason="openvino is not installed (pip install -e \".[openvino]\") or the "
    "backend is not TensorFlow")


def _inference_model(folder, **config) -> keras.Model:
    keras.utils.set_random_seed(0)  # the bfloat16 difference depends on the weights
    make_original(folder, config).save()
    model = Model(folder, predict=True)
    model.build()
    return model.model


@pytest.fixture(scope="module")
def face_model(tmp_path_factory):
    return _inference_model(tmp_path_factory.mktemp("face") / "model")


@pytest.fixture(scope="module")
def mask_model(tmp_path_factory):
    # learn_mask: two outputs (face, mask) whose order a runtime must keep.
    return _inference_model(tmp_path_factory.mktemp("mask") / "model", learn_mask=True)


def _faces(model: keras.Model, count: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).random((count, *model.inputs[0].shape[1:]),
                                              dtype=np.float32)


def _keras(model: keras.Model, faces: np.ndarray) -> list[np.ndarray]:
    outputs = model.predict_on_batch(faces)
    return [np.asarray(o) for o in (outputs if isinstance(outputs, list) else [outputs])]


def _largest_difference(got: list[np.ndarray], want: list[np.ndarray]) -> float:
    assert [g.shape for g in got] == [w.shape for w in want]
    return max(float(np.abs(g - w).max()) for g, w in zip(got, want, strict=True))


def test_unknown_runtime_and_precision_are_refused():
    with pytest.raises(FaceswapError, match=r"runtime 'onnx'.*auto, keras, xla, openvino"):
        inference.check_inference("onnx", "auto")
    with pytest.raises(FaceswapError, match="precision 'f16'"):
        inference.check_inference("auto", "f16")


def test_keras_runtime_is_predict_on_batch(face_model):
    faces = _faces(face_model, 3)
    predictor = inference.make_predictor(face_model, "keras")
    assert predictor.label == "keras f32"
    np.testing.assert_array_equal(predictor(faces)[0], _keras(face_model, faces)[0])


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="XLA path is TensorFlow's")
def test_xla_pads_a_short_batch_and_matches_keras(face_model):
    predictor = inference.make_predictor(face_model, "xla", batch_size=4)
    for count in (4, 3, 1):  # the last batch of a clip is usually short
        faces = _faces(face_model, count, seed=count)
        got = predictor(faces)
        assert got[0].shape[0] == count
        assert _largest_difference(got, _keras(face_model, faces)) <= 1e-4


@needs_openvino
@pytest.mark.parametrize("precision", ["f32", "auto"])
def test_openvino_matches_keras_within_tolerance(mask_model, precision):
    predictor = inference.make_predictor(mask_model, "openvino", precision)
    assert predictor.runtime == "openvino"
    if precision == "f32":
        assert predictor.precision == "f32"
    # Faces it has not seen in the probe, in a batch size it was not probed with.
    faces = _faces(mask_model, 5)
    got, want = predictor(faces), _keras(mask_model, faces)
    assert len(got) == 2 and got[1].shape[-1] == 1  # face, then mask
    assert predictor.max_difference <= inference.TOLERANCE[precision]
    # The tolerance is checked on the probe; other faces get the same rounding, not a bound.
    assert _largest_difference(got, want) <= 2 * inference.TOLERANCE[precision]


@needs_openvino
def test_auto_prefers_openvino(face_model):
    assert inference.make_predictor(face_model).runtime == "openvino"


@needs_openvino
def test_a_runtime_outside_tolerance_falls_back_to_keras(face_model, monkeypatch, caplog):
    monkeypatch.setattr(inference, "TOLERANCE", {"auto": -1.0, "f32": -1.0})
    with caplog.at_level(logging.WARNING, logger="faceswap.stages.convert.inference"):
        predictor = inference.make_predictor(face_model, "openvino", "auto")
    assert predictor.label == "keras f32"
    assert "trying float32" in caplog.text and "using Keras" in caplog.text


def test_openvino_without_the_package_says_how_to_install(face_model, monkeypatch):
    monkeypatch.setattr(inference, "openvino_available", lambda: False)
    with pytest.raises(FaceswapError, match=r"faceswap\[openvino\]"):
        inference.make_predictor(face_model, "openvino")
    # auto quietly uses Keras instead.
    assert inference.make_predictor(face_model).label == "keras f32"


@needs_openvino
def test_the_conversion_is_cached_per_model_file(tmp_path, monkeypatch):
    import openvino

    monkeypatch.setenv("FACESWAP_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "model"
    model = _inference_model(folder)
    model_file = Model(folder, predict=True).io.model_path
    first = inference.make_predictor(model, "openvino", "f32", model_file=model_file)
    assert first.runtime == "openvino" and not first.cached
    assert len(list((tmp_path / "cache" / "openvino").iterdir())) == 1

    def no_conversion(*_args, **_kwargs):
        raise RuntimeError("converted again")

    monkeypatch.setattr(openvino, "convert_model", no_conversion)
    again = inference.make_predictor(model, "openvino", "f32", model_file=model_file)
    faces = _faces(model, 3)
    assert again.runtime == "openvino" and again.cached  # no conversion
    assert _largest_difference(again(faces), _keras(model, faces)) <= inference.TOLERANCE["f32"]
    # The other swap direction is another graph: not served from this entry.
    other = inference.make_predictor(model, "openvino", "f32", model_file=model_file,
                                     cache_parts=("swap",))
    assert other.runtime == "keras"
    # A model saved again (new modification time) is converted again.
    model_file.touch()
    stat = model_file.stat()
    os.utime(model_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert inference.make_predictor(model, "openvino", "f32",
                                    model_file=model_file).runtime == "keras"


@needs_openvino
def test_the_cache_keeps_the_newest_entries(tmp_path, monkeypatch):
    monkeypatch.setenv("FACESWAP_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(inference, "CACHE_ENTRIES", 2)
    folder = tmp_path / "model"
    model = _inference_model(folder)
    model_file = Model(folder, predict=True).io.model_path
    for direction in ("a", "b", "c"):
        inference.make_predictor(model, "openvino", "f32", model_file=model_file,
                                 cache_parts=(direction,))
    kept = {inference.cache_key(model_file, d) for d in "abc"} & {
        p.name for p in (tmp_path / "cache" / "openvino").iterdir()}
    assert kept == {inference.cache_key(model_file, d) for d in "bc"}


@needs_openvino
def test_a_cached_conversion_needs_no_keras_model(tmp_path, monkeypatch):
    from faceswap.plugins.train.model._base import ModelBase
    from faceswap.stages.convert.pipeline import Converter, ConvertOptions

    monkeypatch.setenv("FACESWAP_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "model"
    _inference_model(folder, learn_mask=True)
    options = ConvertOptions(input=tmp_path, output=tmp_path / "out", model_dir=folder,
                             mask="predicted", inference="openvino", inference_precision="f32")
    first = Converter(options)  # converts and caches
    faces = np.random.default_rng(3).random((3, first.input_size, first.input_size, 3),
                                            dtype=np.float32)
    want = first.predict(faces)

    def no_build(self):
        raise AssertionError("the Keras model was loaded")

    monkeypatch.setattr(ModelBase, "build", no_build)
    second = Converter(options)
    assert second.predictor.cached and second.model.model is None
    assert (second.input_size, second.output_size) == (first.input_size, first.output_size)
    got = second.predict(faces)
    np.testing.assert_allclose(got[0], want[0], atol=1e-6)
    np.testing.assert_allclose(got[1], want[1], atol=1e-6)  # the learned mask, in its place


# A stand-in for the openvino_telemetry package that records what OpenVINO would send.
_RECORDER = """
import sys, types
EVENTS = []
class Telemetry:
    backend = types.SimpleNamespace(app_name="OpenVINO")
    def __init__(self, *args, **kwargs):
        pass
    def __getattr__(self, name):
        return lambda *args, **kwargs: EVENTS.append(name)
package = types.ModuleType("openvino_telemetry")
package.Telemetry = Telemetry
package.backend = types.ModuleType("openvino_telemetry.backend")
package.backend.backend_ga4 = types.ModuleType("openvino_telemetry.backend.backend_ga4")
sys.modules.update({"openvino_telemetry": package,
                    "openvino_telemetry.backend": package.backend,
                    "openvino_telemetry.backend.backend_ga4": package.backend.backend_ga4})
"""
_CONVERT = """
import keras, numpy as np
from faceswap.stages.convert import inference
inputs = keras.Input((8, 8, 3))
model = keras.Model(inputs, keras.layers.Conv2D(3, 3, padding="same")(inputs))
predictor = inference.make_predictor(model, "openvino", "f32")
assert predictor.runtime == "openvino"
"""


def _user_python(code: str, home):
    # As on a user's machine: CI unset (OpenVINO's telemetry is off only in CI), a home of its
    # own where OpenVINO would keep its client id.
    import subprocess
    import sys

    from fstest import REPO

    env = {k: v for k, v in os.environ.items() if k not in ("CI", "TF_BUILD", "JENKINS_URL")}
    env["HOME"] = str(home)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


@needs_openvino
def test_openvino_sends_no_telemetry_from_a_conversion(tmp_path):
    # OpenVINO imported by the caller first (its own import event is the caller's doing): the
    # conversion convert runs records nothing more.
    code = (_RECORDER + "import openvino\nbefore = len(EVENTS)\n" + _CONVERT
            + "print(before > 0, EVENTS[before:])\n")
    assert _user_python(code, tmp_path) == "True []"


@needs_openvino
def test_openvino_keeps_no_client_id_when_faceswap_imports_it(tmp_path):
    code = _CONVERT + "import sys\nprint(sys.modules['openvino_telemetry'])\n"
    assert _user_python(code, tmp_path) == "None"
    assert not (tmp_path / "intel").exists()
