"""Trained mask models (plugin family ``mask``): their folder, creating, loading, predicting.

A mask model folder holds ``<plugin>_mask.keras`` (a Keras 3 archive, loaded with ``safe_mode``)
and ``<plugin>_mask.json`` (format, plugin, input size, options, iterations, loss history). The
network sees head-centred aligned faces (extract's ``CENTERING`` and ``COVERAGE``) at its size
and returns, per pixel, the probability that it is visible face. Applied masks are stored like
the landmark masks: a ``MASK_SIZE`` px PNG at ``MASK_CENTERING`` under the plugin's name, in the
face PNG metadata and/or the alignments file (tools/mask/apply.py), so convert
(``--mask-type xseg``) and the mask tool's previews read them with the same code.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from faceswap.lib import alignments as alignments_file
from faceswap.lib import atomic
from faceswap.lib.align import AlignedFace, landmark_mask
from faceswap.lib.errors import FaceswapError
from faceswap.lib.faces import (
    CENTERING,
    COVERAGE,
    MASK_CENTERING,
    MASK_SIZE,
)
from faceswap.lib.image import (
    encode_image,
    list_images,
)

logger = logging.getLogger(__name__)

FORMAT = "faceswap-mask-model"
VERSION = 1
_SUFFIX = "_mask"
# Faces predicted per call: bounds memory on folders of thousands of faces.
CHUNK = 64


def model_files(folder: Path, plugin: str) -> tuple[Path, Path]:
    """(the .keras file, the .json state) of a ``plugin`` mask model in ``folder``."""
    return folder / f"{plugin}{_SUFFIX}.keras", folder / f"{plugin}{_SUFFIX}.json"


def folder_plugin(folder: str | Path, plugin: str | None = None) -> str | None:
    """The mask plugin whose model ``folder`` holds (None: no model there yet).

    Raises FaceswapError when the folder holds something else: a face-swap model, or a mask
    model of another plugin than ``plugin``, so that neither is ever written over.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise FaceswapError(f"'{folder}' is a file, not a model folder. Pass a folder (-m).")
    if not folder.is_dir():
        return None
    states = sorted(folder.glob(f"*{_SUFFIX}.json"))
    face_models = sorted(p.name for p in folder.iterdir()
                         if p.name.endswith("_state.json")
                         or (p.suffix == ".keras" and not p.stem.endswith(_SUFFIX)))
    if face_models:
        raise FaceswapError(
            f"'{folder}' holds a face-swap model ('{face_models[0]}'), not a mask model. Give "
            "`faceswap mask train/apply` a folder of its own (-m). Nothing was changed.")
    images = [p.name for p in list_images(folder) if not p.name.endswith(f"{_SUFFIX}_preview.png")]
    if images:
        raise FaceswapError(
            f"'{folder}' holds images ('{images[0]}'...): is it a face folder? Give the mask "
            "model a folder of its own (-m). Nothing was changed.")
    if len(states) > 1:
        raise FaceswapError(f"'{folder}' holds {len(states)} mask models "
                            f"({', '.join(p.name for p in states)}); keep one per folder.")
    if not states:
        return None
    found = states[0].name[:-len(f"{_SUFFIX}.json")]
    if plugin is not None and found != plugin:
        raise FaceswapError(
            f"'{folder}' holds a '{found}' mask model, not a '{plugin}' one. Use --plugin "
            f"{found} to continue it, or another folder (-m). Nothing was changed.")
    return found


@dataclass
class MaskModel:
    """A mask network with what is saved beside it."""

    folder: Path
    plugin: str
    size: int  # the network's input side, px
    options: dict[str, int]
    model: Any  # keras.Model
    iterations: int = 0
    history: list[float] = field(default_factory=list)  # mean loss per save interval

    @property
    def files(self) -> tuple[Path, Path]:
        return model_files(self.folder, self.plugin)

    def save(self) -> None:
        """Write model then state atomically; the state never names iterations the model lacks."""
        keras_path, state_path = self.files
        atomic.check_writable(self.folder)
        state = {"format": FORMAT, "version": VERSION, "plugin": self.plugin, "size": self.size,
                 "options": self.options, "iterations": self.iterations,
                 "history": [round(float(v), 6) for v in self.history]}
        with atomic.atomic_path(keras_path) as keras_tmp:
            self.model.save(keras_tmp)
        atomic.write_json(state_path, state)

    @property
    def uses_prior(self) -> bool:
        """Whether the network takes the landmark mask as a fourth channel (xseg ``prior``)."""
        return int(self.model.input_shape[-1]) == 4

    def predict(self, faces: np.ndarray, priors: np.ndarray | None = None) -> np.ndarray:
        """(N, size, size) float32 masks in [0, 1] for (N, size, size, 3) BGR uint8 faces and,
        for a network that takes one, their (N, size, size) landmark masks in [0, 1]."""
        if faces.ndim != 4 or faces.shape[1:] != (self.size, self.size, 3):
            raise ValueError(f"expected (N, {self.size}, {self.size}, 3) faces, got {faces.shape}")
        if self.uses_prior and (priors is None or priors.shape != faces.shape[:3]):
            raise ValueError("this mask network needs each face's landmark mask (priors)")
        out = []
        for start in range(0, len(faces), CHUNK):
            batch = faces[start:start + CHUNK].astype(np.float32) / 255.0
            if self.uses_prior:
                prior = priors[start:start + CHUNK, ..., None].astype(np.float32)  # type: ignore[index]
                batch = np.concatenate([batch, prior], axis=-1)
            out.append(np.asarray(self.model.predict_on_batch(batch), dtype=np.float32)[..., 0])
        return np.concatenate(out) if out else np.zeros((0, self.size, self.size), np.float32)


def _plugin_module(plugin: str):
    from faceswap.lib.registry import load_plugin

    return load_plugin("mask", plugin)


def create(folder: str | Path, plugin: str, size: int, options: dict[str, int] | None = None,
           learning_rate: float = 5e-4) -> MaskModel:
    """A new, compiled mask model for ``folder`` (nothing written until ``save``)."""
    module = _plugin_module(plugin)
    try:
        network = module.build(size, options or {})
        config = module.check_options(size, options or {})
    except ValueError as err:
        raise FaceswapError(f"{err}.") from None
    module.compile_model(network, learning_rate)
    return MaskModel(Path(folder), module.MODEL_NAME, size, config, network)


def _read_state(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if state.get("format") != FORMAT:
            raise ValueError("not a faceswap mask model state")
        if int(state.get("version", 0)) > VERSION:
            raise ValueError(f"written by a newer faceswap (version {state['version']})")
        state["size"] = int(state["size"])
        state["iterations"] = int(state.get("iterations", 0))
        state["options"] = {str(k): int(v) for k, v in dict(state.get("options", {})).items()}
        state["history"] = [float(v) for v in state.get("history", [])]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise FaceswapError(f"'{path}' is not a readable mask model state ({err}). Nothing was "
                            "changed; train a new mask model in another folder.") from err
    return state


def load(folder: str | Path, plugin: str | None = None, *, learning_rate: float | None = None
         ) -> MaskModel:
    """The mask model saved in ``folder``; compiled (to train on) when ``learning_rate`` is set."""
    import keras

    folder = Path(folder)
    found = folder_plugin(folder, plugin)
    if found is None:
        raise FaceswapError(f"No mask model in '{folder}'. Train one first: `faceswap mask train "
                            f"-i FACES -m {folder}`.")
    module = _plugin_module(found)  # registers the plugin's loss before the archive is read
    keras_path, state_path = model_files(folder, found)
    state = _read_state(state_path)
    try:
        network = keras.saving.load_model(keras_path, compile=False, safe_mode=True)
    except Exception as err:  # Keras raises many types for truncated or foreign archives
        raise FaceswapError(f"'{keras_path}' is not a readable mask model ({type(err).__name__}: "
                            f"{err}). Nothing was changed.") from err
    if network.name != module.MODEL_NAME or tuple(network.input_shape[1:3]) != (
            state["size"], state["size"]) or network.input_shape[-1] not in (3, 4):
        raise FaceswapError(f"'{keras_path}' does not match its state file '{state_path.name}' "
                            "(another network or size). Nothing was changed.")
    if learning_rate is not None:
        module.compile_model(network, learning_rate)
    return MaskModel(folder, found, state["size"], state["options"], network,
                     state["iterations"], state["history"])


# --- geometry ---------------------------------------------------------------------------------
def network_crop(image: np.ndarray, landmarks: np.ndarray, size: int) -> np.ndarray:
    """The face the network sees: head-centred, ``size`` px, cut from ``image`` (a frame or an
    aligned face) whose face has ``landmarks`` (in ``image`` pixels)."""
    aligned = AlignedFace.from_landmarks(landmarks)
    # Faces are usually bigger than the network: cut at the image's own scale, then shrink with
    # INTER_AREA (warpAffine alone would alias a 4x reduction).
    scale = float(np.sqrt(abs(np.linalg.det(aligned.matrix(size, CENTERING, COVERAGE)[:, :2]))))
    native = max(size, min(4 * size, round(size / max(scale, 1e-6))))
    crop = aligned.crop(image, native, CENTERING, COVERAGE)
    if native != size:
        crop = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    return crop


def network_prior(landmarks: np.ndarray, size: int) -> np.ndarray:
    """The ``extended`` landmark mask, float32 [0, 1], in the pixels of
    ``network_crop(image, landmarks, size)``."""
    points = AlignedFace.from_landmarks(landmarks).aligned_landmarks(size, CENTERING, COVERAGE)
    return landmark_mask(points, size, "extended").astype(np.float32) / 255.0


def to_stored(prediction: np.ndarray, landmarks: np.ndarray) -> alignments_file.Mask:
    """A network output (head crop, any size) as a stored mask (``MASK_SIZE`` at
    ``MASK_CENTERING``), for the face whose frame (or face image) landmarks are ``landmarks``."""
    size = prediction.shape[0]
    aligned = AlignedFace.from_landmarks(landmarks)
    to_net = np.vstack([aligned.matrix(size, CENTERING, COVERAGE), [0, 0, 1]])
    to_mask = np.vstack([aligned.matrix(MASK_SIZE, MASK_CENTERING, COVERAGE), [0, 0, 1]])
    matrix = (to_mask @ np.linalg.inv(to_net))[:2]
    mask = np.clip(np.rint(prediction * 255.0), 0, 255).astype(np.uint8)
    mask = cv2.warpAffine(mask, matrix, (MASK_SIZE, MASK_SIZE), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT)
    return alignments_file.Mask(png=encode_image(mask, ".png"), size=MASK_SIZE,
                                centering=MASK_CENTERING, coverage=COVERAGE)
