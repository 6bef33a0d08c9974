"""Files in a model folder: load, save (atomic), backups, snapshots, layer weights.

``<name>.keras`` is a Keras 3 archive (``safe_mode`` loadable) that also carries the optimizer
state; faceswap adds one member, ``faceswap_optimizer.json``, listing the optimizer variables'
paths in the order Keras stored them, so the state can be restored by name even after layers
were frozen or mixed precision switched. ``<name>_state.json`` is the State.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import zipfile
from pathlib import Path

import keras
import numpy as np

from faceswap.lib import atomic
from faceswap.lib.errors import FaceswapError
from faceswap.plugins.train.model._base.state import State

logger = logging.getLogger(__name__)

OPTIMIZER_INDEX = "faceswap_optimizer.json"


def _slot_keys(paths: list[str]) -> list[tuple[str, int]]:
    """Stable keys for optimizer variables, whatever the optimizer object was called.

    The same Adam slot is "adam/x", "adam_1/x" (Keras uniquifies names within a process) or
    "loss_scale_optimizer/adam/x" (mixed precision); the key drops those prefixes. The loss
    scale optimizer's own variables get an "lso/" key. Slots of layers sharing a name in
    different sub-models share a key, so keys carry their occurrence number; the order is that
    of the trainable variables, which is deterministic.
    """
    keys, seen = [], {}
    for path in paths:
        parts = path.split("/")
        lso = parts[0].startswith("loss_scale_optimizer")
        if lso and len(parts) > 2:
            parts, lso = parts[1:], False
        key = ("lso/" if lso else "") + "/".join(parts[1:])
        seen[key] = seen.get(key, -1) + 1
        keys.append((key, seen[key]))
    return keys


def iter_layers(model: keras.Model, prefix: str = ""):
    """Yield ``(qualified_name, layer)`` for every layer, descending into sub-models."""
    for layer in model.layers:
        name = f"{prefix}{layer.name}"
        if isinstance(layer, keras.Model):
            yield from iter_layers(layer, f"{name}/")
        else:
            yield name, layer


def copy_layer_weights(source: keras.Model, target: keras.Model) -> tuple[list[str], list[str]]:
    """Copy weights layer by layer where names match and every weight's shape agrees.

    Returns the qualified names loaded and skipped (skips are logged as warnings).
    """
    available = dict(iter_layers(source))
    loaded, skipped = [], []
    for name, layer in iter_layers(target):
        if not layer.weights:
            continue
        other = available.get(name)
        if other is None:
            skipped.append(name)
            logger.warning("Not loading weights for layer '%s': the source has no such layer", name)
            continue
        weights = other.get_weights()
        shapes = [tuple(w.shape) for w in weights]
        if shapes != [tuple(w.shape) for w in layer.weights]:
            skipped.append(name)
            logger.warning("Not loading weights for layer '%s': shapes %s differ from %s",
                           name, shapes, [tuple(w.shape) for w in layer.weights])
            continue
        layer.set_weights(weights)
        loaded.append(name)
    return loaded, skipped


class IO:
    """Input/output of one model folder: the files of the model called ``name`` (a plugin name).

    It knows file names, not the plugin: :meth:`save` is handed what it writes. A folder holds
    exactly one model. ``history`` collects the total loss of each iteration
    since the last save; the average decides whether the save becomes the new backup.
    """

    def __init__(self, name: str, model_dir: Path, snapshot_interval: int = 0) -> None:
        self.name = name
        self.model_dir = Path(model_dir)
        self.snapshot_interval = snapshot_interval
        self.history: list[float] = []
        # Iterations at the previous save (ModelBase sets it to the loaded count). A snapshot is
        # due when a save crosses a multiple of the interval, so saves that do not fall on one
        # (an exit save at 1003, then a resume; -s not dividing -ss) never skip a snapshot.
        self.saved_iterations = 0
        self._check_folder()

    @property
    def model_path(self) -> Path:
        return self.model_dir / f"{self.name}.keras"

    @property
    def model_exists(self) -> bool:
        return self.model_path.is_file()

    def _check_folder(self) -> None:
        if self.model_dir.exists() and not self.model_dir.is_dir():
            raise FaceswapError(f"Model folder '{self.model_dir}' is a file, not a folder.")
        if not self.model_dir.is_dir():
            return
        for path in sorted(self.model_dir.iterdir()):
            other = None
            if path.name.endswith("_state.json"):
                other = path.name[: -len("_state.json")]
            elif path.suffix == ".keras" and not path.name.startswith("."):
                other = path.stem
            if other is not None and other != self.name and not other.startswith(f"{self.name}_"):
                raise FaceswapError(
                    f"Model folder '{self.model_dir}' holds a different model ('{path.name}'), "
                    f"not a '{self.name}' model. Use -t {other.replace('_', '-')} to continue "
                    "that model, or choose an empty folder for a new one. Nothing was changed."
                )

    # ---------------------------------------------------------------------------------- load
    def load(self, model_name: str) -> keras.Model:
        """Load ``<name>.keras`` (``safe_mode``), which must hold the Keras model ``model_name``."""
        return load_model_file(self.model_path, model_name)

    def restore_optimizer(self, model: keras.Model) -> int:
        """Assign the saved optimizer variables to ``model.optimizer`` by path.

        The learning rate is not restored: it is an updatable option. Returns the number of
        variables restored.
        """
        optimizer = model.optimizer
        optimizer.build(model.trainable_variables)
        try:
            with zipfile.ZipFile(self.model_path) as archive:
                if OPTIMIZER_INDEX not in archive.namelist():
                    logger.warning("'%s' has no optimizer state: the optimizer starts fresh.",
                                   self.model_path)
                    return 0
                paths = json.loads(archive.read(OPTIMIZER_INDEX))
                import h5py

                with archive.open("model.weights.h5") as raw, h5py.File(raw, "r") as store:
                    group = store["optimizer"]["vars"]
                    saved = {key: np.asarray(group[str(i)])
                             for i, key in enumerate(_slot_keys(paths))}
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as err:
            raise FaceswapError(
                f"Could not read the optimizer state in '{self.model_path}' ({err}). Restore "
                "the model from its .bk backup or a snapshot."
            ) from err
        restored = 0
        variables = optimizer.variables
        for variable, key in zip(variables, _slot_keys([v.path for v in variables]), strict=True):
            if key[0].endswith("learning_rate") or key not in saved:
                continue
            if tuple(saved[key].shape) != tuple(variable.shape):
                logger.warning("Optimizer slot '%s' changed shape; it starts fresh", key)
                continue
            variable.assign(saved[key])
            restored += 1
        logger.info("Restored %d optimizer variables", restored)
        return restored

    # ---------------------------------------------------------------------------------- save
    def save(self, model: keras.Model, state: State, is_chief: bool = True) -> float | None:
        """Save ``model`` (with its optimizer) and ``state`` atomically; back up when the loss
        improved. Only the chief of a cluster writes the folder.

        Returns the average total loss since the previous save (None with no new iterations).
        """
        average = float(np.mean(self.history)) if self.history else None
        if not is_chief:
            # In a cluster only the chief writes the shared folder, but every worker saves, as
            # TensorFlow's multi-worker guide asks: saving may run collective ops that wait for
            # all workers (on JAX it does: Keras checks replicated values across processes).
            # The others save into a scratch folder that is deleted at once.
            with tempfile.TemporaryDirectory(prefix="faceswap_worker_") as scratch:
                model.save(Path(scratch) / self.model_path.name)
            self.history.clear()
            return average
        improved = False
        if average is not None:
            if state.lowest_avg_loss is None:
                state.lowest_avg_loss = average  # the first save only sets the baseline
            elif average < state.lowest_avg_loss:
                state.lowest_avg_loss = average
                improved = True
        atomic.check_writable(self.model_dir)
        # The model is renamed into place before the state, so a state file never points at
        # iterations the model file does not have.
        with atomic.atomic_path(state.path) as state_tmp, \
                atomic.atomic_path(self.model_path) as model_tmp:
            model.save(model_tmp)
            if model.optimizer is not None and model.optimizer.built:
                paths = [v.path for v in model.optimizer.variables]
                with zipfile.ZipFile(model_tmp, "a") as archive:
                    archive.writestr(OPTIMIZER_INDEX, json.dumps(paths))
            state.save(state_tmp)
        self.history.clear()
        message = f"[Saved model] iterations: {state.iterations}"
        if average is not None:
            message += f", average total loss since last save: {average:.5f}"
        if improved:
            for path in (self.model_path, state.path):
                atomic.copy_file(path, path.with_name(path.name + ".bk"))
            message += " [Model backed up]"
        logger.info(message)
        previous, self.saved_iterations = self.saved_iterations, state.iterations
        interval = self.snapshot_interval
        if interval and state.iterations // interval > previous // interval:
            self.snapshot(state.iterations)
        return average

    def snapshot(self, iterations: int) -> Path:
        """Copy the model's files (no backups) and logs to ``<dir>_snapshot_<N>_iters``."""
        target = self.model_dir.with_name(f"{self.model_dir.name}_snapshot_{iterations}_iters")
        staging = target.with_name(f".{target.name}.partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for path in self.model_dir.iterdir():
            if not path.name.startswith(self.name) or path.name.endswith(".bk"):
                continue
            if path.is_dir():
                shutil.copytree(path, staging / path.name)
            else:
                shutil.copy2(path, staging / path.name)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
        logger.info("Saved snapshot to '%s'", target)
        return target


def load_model_file(path: Path, model_name: str) -> keras.Model:
    """Load a faceswap ``.keras`` file with ``safe_mode``; a clear error for anything else."""
    if not path.is_file():
        raise FaceswapError(f"No model file at '{path}'.")
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as err:  # Keras raises many types for truncated or foreign archives.
        raise FaceswapError(
            f"'{path}' is not a readable faceswap model file (it may be truncated or corrupt: "
            f"{type(err).__name__}: {err}). Nothing was changed. Restore it from "
            f"'{path.name}.bk' or a snapshot folder, or move it away to start a new model."
        ) from err
    if model.name != model_name:
        raise FaceswapError(
            f"'{path}' holds a Keras model called '{model.name}', not a '{model_name}' model. "
            "Use the matching -t plugin or another model folder. Nothing was changed."
        )
    return model
