"""Convert's forward pass: the Keras inference model, or the same graph in OpenVINO.

On CPU the 82M-parameter Original's forward pass is most of convert's time. OpenVINO runs the
same graph faster, and on CPUs with bfloat16 matrix units (AMX) about 5x faster, because it
computes in bfloat16 there. Whatever runs, ``make_predictor`` checks it against the Keras
model on a probe batch before convert uses it: a runtime or precision that strays further than
its tolerance is dropped for the next one (OpenVINO bfloat16 → OpenVINO float32 → Keras), with
a warning, so the output is always the Keras model's within a stated tolerance.

OpenVINO is optional (``pip install "faceswap[openvino]"``) and converts only TensorFlow
graphs here; other backends and a missing package use Keras. Converting the full-size
Original takes 1-2 s, so the converted graph is cached (with the Keras outputs it was checked
against) under ``$FACESWAP_CACHE`` or ``~/.cache/faceswap``, keyed by the model file's path,
size and modification time; the newest ``CACHE_ENTRIES`` are kept. With a cached conversion
convert does not load the Keras model at all (``cached_predictor``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from faceswap.lib.errors import FaceswapError

if TYPE_CHECKING:
    import keras

logger = logging.getLogger(__name__)

#: What ``--inference`` takes: auto picks OpenVINO when it is installed and usable, else keras.
#: xla: the Keras model in one XLA-compiled TensorFlow function (TensorFlow backend only).
RUNTIMES = ("auto", "keras", "xla", "openvino")
#: What ``--inference-precision`` takes: auto lets the runtime compute in bfloat16 where the CPU
#: has fast bfloat16 units (within ``TOLERANCE["auto"]``); f32 keeps float32 throughout.
PRECISIONS = ("auto", "f32")
#: Largest absolute difference from the Keras model's outputs (sigmoid faces and masks in
#: [0, 1]) on the probe batch. One 8-bit level for bfloat16: the face is written as 8-bit
#: pixels; float32 runtimes only reorder sums.
TOLERANCE = {"auto": 1.0 / 255.0, "f32": 1e-4}
PROBE_FACES = 4
CACHE_ENTRIES = 3  # converted models kept (about 330 MB each for the full-size Original)


@dataclass
class Predictor:
    """A batch of faces (N, H, W, C float32) → the model's outputs as float32 arrays."""

    runtime: str  # keras, xla, openvino
    precision: str  # f32, bf16
    run: Callable[[np.ndarray], list[np.ndarray]]
    max_difference: float = 0.0  # from the Keras model on the probe batch
    cached: bool = False  # the conversion came from the cache
    input_shape: tuple[int, ...] = ()  # one face; set by the OpenVINO path
    output_shapes: tuple[tuple[int, ...], ...] = ()

    def __call__(self, batch: np.ndarray) -> list[np.ndarray]:
        return self.run(np.ascontiguousarray(batch, dtype=np.float32))

    @property
    def label(self) -> str:
        return f"{self.runtime} {self.precision}" + (" (cached conversion)" if self.cached else "")


def check_inference(runtime: str, precision: str) -> None:
    """Refuse an unknown runtime or precision before the model loads."""
    if runtime not in RUNTIMES:
        raise FaceswapError(f"Unknown inference runtime '{runtime}'; choose one of "
                            f"{', '.join(RUNTIMES)}.")
    if precision not in PRECISIONS:
        raise FaceswapError(f"Unknown inference precision '{precision}'; choose one of "
                            f"{', '.join(PRECISIONS)}.")


def _openvino():
    """The openvino module, with OpenVINO's usage telemetry off: nothing phones home.

    ``openvino.convert_model`` sends usage events to Google Analytics from a forked process
    unless CI=true or a consent file in the user's home says no (and with no network the fork
    can hang the process's exit). Importing faceswap hides the telemetry package, so an
    OpenVINO imported after it uses its converter's do-nothing stub; one the caller imported
    earlier holds the real package, so its converter modules are pointed at the stub here.
    """
    import openvino

    try:
        from openvino.tools.ovc import telemetry_stub
    except ImportError:  # another OpenVINO layout: nothing of the converter to silence
        return openvino
    for name, module in list(sys.modules.items()):
        if name.startswith("openvino.tools.ovc") and hasattr(module, "tm"):
            module.tm = telemetry_stub
    return openvino


def openvino_available() -> bool:
    """Whether the OpenVINO path can run: the package is installed and the backend is TF."""
    import keras

    return (keras.backend.backend() == "tensorflow"
            and importlib.util.find_spec("openvino") is not None)


def _as_list(outputs) -> list[np.ndarray]:
    if isinstance(outputs, (list, tuple)):
        return [np.asarray(o, np.float32) for o in outputs]
    return [np.asarray(outputs, np.float32)]


def keras_predictor(model: keras.Model) -> Predictor:
    # predict_on_batch reuses keras' compiled predict function (a tf.function on TensorFlow).
    return Predictor("keras", "f32", lambda batch: _as_list(model.predict_on_batch(batch)))


def xla_predictor(model: keras.Model, batch_size: int) -> Predictor:
    """The model in an XLA-compiled tf.function; batches are padded to one size (one compile)."""
    import tensorflow as tf

    function = tf.function(lambda x: model(x, training=False), jit_compile=True)

    def run(batch: np.ndarray) -> list[np.ndarray]:
        count = len(batch)
        if count < batch_size:
            pad = np.zeros((batch_size - count, *batch.shape[1:]), batch.dtype)
            batch = np.concatenate([batch, pad])
        outputs = _as_list(function(batch))
        return [out[:count] for out in outputs]

    return Predictor("xla", "f32", run)


def _threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _concrete_function(model: keras.Model):
    """The model's forward pass as one traced TensorFlow graph, any batch size."""
    import tensorflow as tf

    spec = [tf.TensorSpec((None, *t.shape[1:]), tf.float32) for t in model.inputs]
    function = tf.function(lambda *x: model(list(x) if len(x) > 1 else x[0], training=False))
    return function.get_concrete_function(*spec)


def openvino_predictor(converted, precision: str = "auto") -> Predictor:
    """``converted`` (an ``openvino.Model``) compiled for the CPU at ``precision``."""
    ov = _openvino()

    config: dict[str, object] = {"INFERENCE_NUM_THREADS": _threads(),
                                 "PERFORMANCE_HINT": "LATENCY"}
    if precision == "f32":
        config["INFERENCE_PRECISION_HINT"] = "f32"
    compiled = ov.Core().compile_model(converted, "CPU", config)
    used = str(compiled.get_property("INFERENCE_PRECISION_HINT"))
    outputs = compiled.outputs
    request = compiled.create_infer_request()

    def face_shape(port) -> tuple[int, ...]:
        return tuple(int(d.get_length()) for d in list(port.get_partial_shape())[1:])

    def run(batch: np.ndarray) -> list[np.ndarray]:
        # One request reused: convert predicts from one thread. share_inputs skips a copy of
        # the batch (alive until infer returns); the outputs are copied out of the request.
        result = request.infer(batch, share_inputs=True)
        return [np.asarray(result[out], np.float32) for out in outputs]

    return Predictor("openvino", "bf16" if "bf16" in used or "bfloat16" in used else "f32", run,
                     input_shape=face_shape(compiled.inputs[0]),
                     output_shapes=tuple(face_shape(out) for out in outputs))


def _max_difference(predictor: Predictor, probe: np.ndarray, want: list[np.ndarray]) -> float:
    got = predictor(probe)
    if len(got) != len(want) or any(g.shape != w.shape for g, w in zip(got, want, strict=True)):
        return float("inf")
    return max(float(np.max(np.abs(g - w))) for g, w in zip(got, want, strict=True))


def cache_folder() -> Path:
    root = os.environ.get("FACESWAP_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "faceswap"
    return Path(root) / "openvino"


def cache_key(model_file: Path, *parts: object) -> str | None:
    """A name for ``model_file``'s converted graph; ``parts`` tell apart what else differs
    (the swap direction). None when the file cannot be read."""
    import keras
    ov = _openvino()

    try:
        stat = Path(model_file).stat()
    except OSError:
        return None
    text = json.dumps([str(Path(model_file).resolve()), stat.st_size, stat.st_mtime_ns,
                       ov.__version__, keras.__version__, *map(str, parts)])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _load_cached(key: str):
    """``(openvino.Model, Keras outputs on the probe)`` from the cache, or None."""
    ov = _openvino()

    folder = cache_folder() / key
    try:
        with np.load(folder / "probe.npz") as stored:
            want = [stored[f"out{i}"] for i in range(len(stored.files))]
        converted = ov.Core().read_model(folder / "model.xml")
        os.utime(folder)  # recently used: kept by the pruning
    except Exception as err:  # absent, partial or from another version: convert again
        logger.debug("No usable OpenVINO cache entry %s (%s)", key, err)
        return None
    return converted, want


def _save_cached(key: str, converted, want: list[np.ndarray]) -> None:
    ov = _openvino()

    root = cache_folder()
    try:
        root.mkdir(parents=True, exist_ok=True)
        # Written in a scratch folder, then renamed: a reader sees a whole entry or none.
        scratch = Path(tempfile.mkdtemp(dir=root, prefix=".tmp_"))
        try:
            ov.save_model(converted, scratch / "model.xml", compress_to_fp16=False)
            np.savez(scratch / "probe.npz", **{f"out{i}": w for i, w in enumerate(want)})
            os.replace(scratch, root / key)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        entries = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                         key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[CACHE_ENTRIES:]:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as err:  # a full disk or a read-only home only costs the next conversion
        logger.info("Could not cache the OpenVINO model in '%s' (%s)", root, err)


def _checked(converted, precision: str, probe: np.ndarray, want: list[np.ndarray],
             cached: bool) -> Predictor | None:
    """``converted`` compiled at the fastest precision within tolerance on the probe, or None."""
    for attempt in (precision, "f32") if precision == "auto" else (precision,):
        try:
            candidate = openvino_predictor(converted, attempt)
            candidate.max_difference = _max_difference(candidate, probe, want)
        except Exception as err:  # the CPU plugin refused it: Keras still runs the model
            logger.warning("OpenVINO could not run this model (%s); using Keras.", err)
            return None
        candidate.cached = cached
        if candidate.max_difference <= TOLERANCE[attempt]:
            logger.info("Inference: %s (largest difference from Keras %.2g on a probe batch)",
                        candidate.label, candidate.max_difference)
            return candidate
        logger.warning("OpenVINO %s differs from the Keras model by %.3g (tolerance %.3g); %s.",
                       candidate.precision, candidate.max_difference, TOLERANCE[attempt],
                       "trying float32" if attempt == "auto" else "using Keras")
    return None


def _probe(face_shape: tuple[int, ...]) -> np.ndarray:
    # Random pixels, fixed: the check must not depend on the clip, and noise drives every unit.
    return np.random.default_rng(0).random((PROBE_FACES, *face_shape), dtype=np.float32)


def cached_predictor(runtime: str, precision: str, model_file: Path,
                     cache_parts: tuple[object, ...] = ()) -> Predictor | None:
    """The cached OpenVINO conversion of ``model_file``, checked against the Keras outputs
    stored with it, without loading the Keras model; None when there is none to use."""
    if runtime not in ("auto", "openvino") or not openvino_available():
        return None
    key = cache_key(model_file, *cache_parts)
    cached = _load_cached(key) if key else None
    if cached is None:
        return None
    converted, want = cached
    dims = list(converted.inputs[0].get_partial_shape())[1:]
    face_shape = tuple(int(d.get_length()) for d in dims)
    return _checked(converted, precision, _probe(face_shape), want, cached=True)


def make_predictor(model: keras.Model, runtime: str = "auto", precision: str = "auto",
                   batch_size: int = 16, model_file: Path | None = None,
                   cache_parts: tuple[object, ...] = ()) -> Predictor:
    """The fastest runtime for ``model`` that matches it within tolerance (see module doc).

    ``model_file`` (the ``.keras`` the model came from) and ``cache_parts`` name its cached
    OpenVINO conversion; without it the model is converted every time.
    """
    import keras

    check_inference(runtime, precision)
    backend = keras.backend.backend()
    if runtime == "keras" or (runtime == "auto" and not openvino_available()):
        return keras_predictor(model)
    if runtime == "xla":
        if backend != "tensorflow":
            raise FaceswapError(f"--inference xla needs the TensorFlow backend (backend: "
                                f"{backend}); use --inference keras.")
        return xla_predictor(model, batch_size)
    if not openvino_available():
        raise FaceswapError(
            "--inference openvino needs the openvino package and the TensorFlow backend "
            f"(backend: {backend}). Install it with `pip install \"faceswap[openvino]\"`, or "
            "use --inference keras."
        )
    ov = _openvino()

    start = time.perf_counter()
    probe = _probe(tuple(model.inputs[0].shape[1:]))
    key = cache_key(model_file, *cache_parts) if model_file is not None else None
    cached = _load_cached(key) if key else None
    if cached is not None:
        converted, want = cached
        logger.debug("OpenVINO: cached conversion %s", key)
    else:
        function = _concrete_function(model)
        # The traced graph is the Keras model's own forward pass (same layers, same kernels).
        want = _as_list(function(probe))
        try:
            converted = ov.convert_model(function)
        except Exception as err:  # a layer OpenVINO cannot convert: Keras still runs it
            logger.warning("OpenVINO could not convert this model (%s); using Keras.", err)
            return keras_predictor(model)
        logger.debug("OpenVINO: converted in %.1f s", time.perf_counter() - start)
        if key:
            _save_cached(key, converted, want)
    chosen = _checked(converted, precision, probe, want, cached is not None)
    return chosen if chosen is not None else keras_predictor(model)
