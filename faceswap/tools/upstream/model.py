"""An upstream Original ``.keras`` model -> a model folder this project trains and converts.

Upstream's archive cannot be deserialised safely here: its custom layers are registered under
upstream's module (``lib.model.layers.PixelShuffler``, with a ``data_format`` argument), and
naming a module in a Keras config is how Keras would import code. So nothing in it is
deserialised: ``config.json`` is read as JSON to learn the architecture, and the weights are
read from ``model.weights.h5`` with h5py, by the paths Keras 3 gives them (each container's
layers are named after their class in snake case, numbered in order: ``layers/functional/layers/
conv2d_1/vars/0``). This project's Original is built with the matching options, every weighted
layer is paired with upstream's (same name; Keras's automatic ``dense_N`` names in order) and
shape-checked, and the folder is saved with our state file.

Upstream's optimizer state (``optimizer.pt``, a torch pickle) is never opened: the optimizer
starts fresh.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from faceswap.lib.errors import FaceswapError

logger = logging.getLogger(__name__)

MAX_CONFIG_BYTES = 64 << 20
MAX_WEIGHTS_BYTES = 8 << 30
PLUGIN = "original"
# Layer classes an upstream Original is made of; anything else is another architecture.
_KNOWN = {"InputLayer", "Conv2D", "LeakyReLU", "Flatten", "Dense", "Reshape", "PixelShuffler",
          "Activation", "Functional"}
_SUBMODELS = ("encoder", "decoder_a", "decoder_b")
# Upstream option name -> ours, where they differ (research/upstream-faceswap.md §3.7).
_RENAMED = {"ada_beta_1": "beta_1", "ada_beta_2": "beta_2"}
_OPTIMIZER_NAMES = {"rms-prop": "rmsprop"}
# Set from the architecture itself, or meaningless for a model that already exists.
_FROM_ARCHITECTURE = {"lowmem", "learn_mask", "input_size", "base_filters"}


@dataclass
class UpstreamLayer:
    """One upstream layer: where it sits, what it is, and its weights."""

    name: str
    class_name: str
    config: dict[str, Any]
    weights_path: str  # group in model.weights.h5
    weights: list[np.ndarray] = field(default_factory=list)


@dataclass
class UpstreamModel:
    """What was read from an upstream ``.keras`` archive (and its state file)."""

    path: Path
    name: str
    submodels: dict[str, list[UpstreamLayer]]
    input_shape: tuple[int, int, int]
    has_optimizer_file: bool
    state: dict[str, Any] | None


def _snake(name: str) -> str:
    # Keras 3's naming.to_snake_case, which the weights file uses for its group names.
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _walk(layers: list[Any], prefix: str) -> Iterator[tuple[dict[str, Any], str]]:
    used: dict[str, int] = {}
    for layer in layers:
        if not isinstance(layer, dict) or not isinstance(layer.get("class_name"), str):
            raise FaceswapError("The model's config.json has a damaged layer entry.")
        base = _snake(layer["class_name"])
        if base in used:
            used[base] += 1
            path = f"{prefix}/{base}_{used[base]}"
        else:
            used[base] = 0
            path = f"{prefix}/{base}"
        yield layer, path


def _read_archive(path: Path, workdir: Path) -> tuple[dict[str, Any], Path, bool]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "config.json" not in names or "model.weights.h5" not in names:
                raise FaceswapError(f"'{path}' is not a Keras 3 model archive (no config.json "
                                    "and model.weights.h5).")
            infos = {i.filename: i for i in archive.infolist()}
            if infos["config.json"].file_size > MAX_CONFIG_BYTES:
                raise FaceswapError(f"'{path}': config.json is larger than "
                                    f"{MAX_CONFIG_BYTES:,} bytes; refused.")
            if infos["model.weights.h5"].file_size > MAX_WEIGHTS_BYTES:
                raise FaceswapError(f"'{path}': the weights are larger than "
                                    f"{MAX_WEIGHTS_BYTES:,} bytes; refused.")
            config = json.loads(archive.read("config.json").decode("utf-8"))
            weights = workdir / "model.weights.h5"
            with archive.open("model.weights.h5") as src, weights.open("wb") as dst:
                copied = 0
                while chunk := src.read(1 << 22):
                    copied += len(chunk)
                    if copied > MAX_WEIGHTS_BYTES:  # the directory's size may lie
                        raise FaceswapError(f"'{path}': the weights are larger than "
                                            f"{MAX_WEIGHTS_BYTES:,} bytes; refused.")
                    dst.write(chunk)
            return config, weights, "optimizer.pt" in names
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise FaceswapError(f"'{path}' is not a readable .keras archive ({err}).") from None


def _check_layer(layer: UpstreamLayer) -> None:
    cfg = layer.config
    if layer.class_name == "PixelShuffler":
        size = cfg.get("size", (2, 2))
        size = [size, size] if isinstance(size, int) else list(size)
        if size != [2, 2] or cfg.get("data_format", "channels_last") != "channels_last":
            raise FaceswapError(f"Upstream layer '{layer.name}' shuffles by {size} in "
                                f"{cfg.get('data_format')}; an Original uses 2x2 channels_last.")
    elif layer.class_name == "LeakyReLU":
        slope = cfg.get("negative_slope", cfg.get("alpha"))
        if slope is None or abs(float(slope) - 0.1) > 1e-9:
            raise FaceswapError(f"Upstream layer '{layer.name}' has slope {slope}; this "
                                "project's Original uses 0.1.")
    elif layer.class_name in ("Conv2D", "Dense"):
        if cfg.get("activation", "linear") != "linear" or not cfg.get("use_bias", True):
            raise FaceswapError(f"Upstream layer '{layer.name}' has an activation or no bias; "
                                "not an Original layer.")
        if layer.class_name == "Conv2D" and cfg.get("padding") != "same":
            raise FaceswapError(f"Upstream layer '{layer.name}' uses '{cfg.get('padding')}' "
                                "padding (reflect padding?); this project's Original pads "
                                "'same'.")
    elif layer.class_name == "Activation" and cfg.get("activation") != "sigmoid":
        raise FaceswapError(f"Upstream layer '{layer.name}' is not a sigmoid output.")


def read_upstream_model(src: str | Path) -> UpstreamModel:
    """Read an upstream Original (``.keras`` file or its model folder) without executing it."""
    src = Path(src)
    path = src / f"{PLUGIN}.keras" if src.is_dir() else src
    if not path.is_file():
        others = sorted(p.name for p in src.glob("*.keras")) if src.is_dir() else []
        hint = (f" It holds {', '.join(others)}: only upstream's Original model is supported."
                if others else "")
        raise FaceswapError(f"No upstream '{PLUGIN}.keras' at '{src}'.{hint}")
    with tempfile.TemporaryDirectory(prefix="faceswap_upstream_") as tmp:
        config, weights_file, has_optimizer = _read_archive(path, Path(tmp))
        top = config.get("config") if isinstance(config, dict) else None
        if not isinstance(top, dict) or config.get("class_name") != "Functional":
            raise FaceswapError(f"'{path}' does not hold a functional Keras model.")
        name = top.get("name")
        if name != PLUGIN:
            raise FaceswapError(f"'{path}' holds upstream's '{name}' model; only the Original "
                                "model can be imported.")
        submodels: dict[str, list[UpstreamLayer]] = {}
        for layer, layer_path in _walk(top.get("layers", []), "layers"):
            if layer["class_name"] == "InputLayer":
                continue
            sub_cfg = layer.get("config", {})
            sub_name = sub_cfg.get("name") if isinstance(sub_cfg, dict) else None
            if layer["class_name"] != "Functional" or sub_name not in _SUBMODELS:
                raise FaceswapError(f"'{path}': unexpected top-level layer '{sub_name}' "
                                    f"({layer['class_name']}); not an upstream Original.")
            submodels[sub_name] = [
                UpstreamLayer(name=str(inner.get("config", {}).get("name", inner.get("name"))),
                              class_name=inner["class_name"], config=inner.get("config", {}),
                              weights_path=f"{layer_path}/{inner_path}")
                for inner, inner_path in _walk(sub_cfg.get("layers", []), "layers")
            ]
        missing = [s for s in _SUBMODELS if s not in submodels]
        if missing:
            raise FaceswapError(f"'{path}' has no {', '.join(missing)}: not an upstream Original.")
        _load_weights(weights_file, submodels, path)
    input_shape = _input_shape(submodels["encoder"], path)
    return UpstreamModel(path=path, name=name, submodels=submodels, input_shape=input_shape,
                         has_optimizer_file=has_optimizer, state=_read_state(path))


def _load_weights(weights_file: Path, submodels: dict[str, list[UpstreamLayer]],
                  path: Path) -> None:
    import h5py

    try:
        with h5py.File(weights_file, "r") as store:
            for layers in submodels.values():
                for layer in layers:
                    if layer.class_name not in _KNOWN:
                        raise FaceswapError(
                            f"'{path}': layer '{layer.name}' is a {layer.class_name}, which an "
                            "upstream Original does not have (another architecture or options "
                            "this project's Original lacks); not imported."
                        )
                    _check_layer(layer)
                    group = store.get(f"{layer.weights_path}/vars")
                    if group is None:
                        continue
                    for index in range(len(group)):
                        data = group.get(str(index))
                        if not isinstance(data, h5py.Dataset) or data.dtype.kind != "f":
                            raise FaceswapError(f"'{path}': weight {index} of layer "
                                                f"'{layer.name}' is not a float array.")
                        layer.weights.append(np.asarray(data, dtype=np.float32))
    except OSError as err:
        raise FaceswapError(f"'{path}': its model.weights.h5 is unreadable ({err}).") from None


def _input_shape(encoder: list[UpstreamLayer], path: Path) -> tuple[int, int, int]:
    for layer in encoder:
        shape = layer.config.get("batch_shape") or layer.config.get("batch_input_shape")
        if layer.class_name == "InputLayer" and isinstance(shape, list) and len(shape) == 4:
            return int(shape[1]), int(shape[2]), int(shape[3])
    raise FaceswapError(f"'{path}': the encoder has no input shape.")


def _read_state(path: Path) -> dict[str, Any] | None:
    state_path = path.with_name(f"{path.stem}_state.json")
    if not state_path.is_file():
        return None
    try:
        data = json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise FaceswapError(f"'{state_path}' is unreadable ({err}); move it away to import "
                            "the weights alone.") from None
    return data if isinstance(data, dict) else None


def architecture_options(model: UpstreamModel) -> dict[str, Any]:
    """This project's Original options that rebuild upstream's layer shapes."""
    encoder = model.submodels["encoder"]
    convs = [layer for layer in encoder if layer.class_name == "Conv2D"
             and list(layer.config.get("strides", [1, 1])) == [2, 2]]
    if not convs or not convs[0].weights:
        raise FaceswapError(f"'{model.path}': the encoder has no strided convolutions.")
    height, width, channels = model.input_shape
    if height != width or channels != 3:
        raise FaceswapError(f"'{model.path}': input {model.input_shape} is not a square colour "
                            "face.")
    learn_mask = any(layer.name.startswith("mask_out_")
                     for layer in model.submodels["decoder_a"])
    return {"lowmem": len(convs) == 3, "input_size": height,
            "base_filters": int(convs[0].weights[0].shape[-1]), "learn_mask": learn_mask}


def carried_options(model: UpstreamModel, notes: list[str]) -> dict[str, Any]:
    """Options for our Original: the architecture's, plus what upstream's state file says."""
    from faceswap.plugins.train.model import TRAIN_OPTIONS, model_class

    definitions = {**TRAIN_OPTIONS, **model_class("original").options}
    options = architecture_options(model)
    stored = (model.state or {}).get("config")
    if not isinstance(stored, dict):
        notes.append("No upstream state file: training options start at this project's "
                     "defaults (check --centering and --coverage match how it was trained).")
        return options
    # Upstream's own rule for state files from before these options existed.
    stored = {"centering": "legacy", "coverage": 62.5, **stored}
    ignored = []
    for key, value in stored.items():
        ours = _RENAMED.get(key, key)
        if ours in _FROM_ARCHITECTURE or ours == "mixed_precision":
            continue
        if ours not in definitions:
            ignored.append(key)
            continue
        if ours == "optimizer":
            value = _OPTIMIZER_NAMES.get(value, value)
        try:
            options[ours] = definitions[ours].validate(ours, value)
        except FaceswapError as err:
            notes.append(f"Upstream option {key}={value!r} not carried over: {err} Using "
                         f"{definitions[ours].default!r}.")
    if ignored:
        notes.append("Upstream options with no counterpart here (not carried over): "
                     + ", ".join(sorted(ignored)) + ".")
    return options


def _pair_layers(ours: list[tuple[str, Any]], theirs: list[UpstreamLayer],
                 submodel: str) -> list[tuple[Any, UpstreamLayer]]:
    # Our block names follow upstream's scheme, so most layers pair by name; Keras's automatic
    # names (dense, dense_1 ...) depend on what upstream built before, so the rest pair by
    # class in order.
    weighted = [layer for layer in theirs if layer.weights]
    by_name = {layer.name: layer for layer in weighted}
    used: set[int] = set()
    pairs = []
    unmatched = []
    for name, layer in ours:
        match = by_name.get(name)
        if match is not None and id(match) not in used:
            used.add(id(match))
            pairs.append((layer, match))
        else:
            unmatched.append((name, layer))
    for name, layer in unmatched:
        kind = type(layer).__name__
        match = next((up for up in weighted if id(up) not in used and up.class_name == kind),
                     None)
        if match is None:
            raise FaceswapError(f"{submodel}: no upstream layer for '{name}' ({kind}); the "
                                "models differ.")
        used.add(id(match))
        pairs.append((layer, match))
    left = [up.name for up in weighted if id(up) not in used]
    if left:
        raise FaceswapError(f"{submodel}: upstream layers {', '.join(left)} have no "
                            "counterpart here; the models differ.")
    return pairs


@dataclass
class ModelImportResult:
    """What importing an upstream model did."""

    model_dir: Path
    options: dict[str, Any]
    layers: int
    parameters: int
    iterations: int
    notes: list[str]


def import_model(src: str | Path, dst: str | Path) -> ModelImportResult:
    """Convert upstream Original ``src`` (folder or ``.keras``) into model folder ``dst``."""
    dst = Path(dst)
    if dst.exists() and (not dst.is_dir() or any(dst.iterdir())):
        raise FaceswapError(f"'{dst}' exists and is not an empty folder; choose a new model "
                            "folder (nothing was written).")
    upstream = read_upstream_model(src)
    notes: list[str] = []
    options = carried_options(upstream, notes)

    # Keras loads only for this job.
    from faceswap.plugins.train.model import create_model, iter_layers

    try:
        plugin = create_model("original", dst, options)
    except ValueError as err:
        raise FaceswapError(f"'{upstream.path}' cannot be rebuilt here: {err}.") from None
    model = plugin.model
    loaded = 0
    for submodel in _SUBMODELS:
        ours = [(name, layer) for name, layer in iter_layers(model.get_layer(submodel))
                if layer.weights]
        for layer, theirs in _pair_layers(ours, upstream.submodels[submodel], submodel):
            shapes = [tuple(w.shape) for w in layer.weights]
            if shapes != [w.shape for w in theirs.weights]:
                raise FaceswapError(
                    f"{submodel}: layer '{layer.name}' has shapes {shapes} here but "
                    f"{[w.shape for w in theirs.weights]} upstream ('{theirs.name}'); the "
                    "models differ. Nothing was written."
                )
            layer.set_weights(theirs.weights)
            loaded += 1
    state = upstream.state or {}
    iterations = state.get("iterations")
    plugin.state.iterations = int(iterations) if isinstance(iterations, int) else 0
    notes.append("Upstream's optimizer state"
                 + (" (optimizer.pt, a torch pickle)" if upstream.has_optimizer_file else "")
                 + " cannot be read here: the optimizer starts fresh, so expect the loss to "
                 "rise for a few hundred iterations.")
    notes.append("Loss history, backups, snapshots and TensorBoard logs are not carried over.")
    plugin.save()
    logger.info("Imported %d layers of '%s' into '%s'", loaded, upstream.path, dst)
    return ModelImportResult(model_dir=dst, options={k: plugin.config[k] for k in options},
                       layers=loaded, parameters=int(model.count_params()),
                       iterations=plugin.state.iterations, notes=notes)
