"""Trained mask models (plugin family ``mask``): their folder, predicting, `faceswap mask apply`.

A mask model folder holds ``<plugin>_mask.keras`` (a Keras 3 archive, loaded with ``safe_mode``)
and ``<plugin>_mask.json`` (format, plugin, input size, options, iterations, loss history). The
network sees head-centred aligned faces (extract's ``CENTERING`` and ``COVERAGE``) at its size
and returns, per pixel, the probability that it is visible face. Applied masks are stored like
the landmark masks: a ``MASK_SIZE`` px PNG at ``MASK_CENTERING`` under the plugin's name, in the
face PNG metadata and/or the alignments file, so convert (``--mask-type xseg``) and the mask
tool's previews read them with the same code.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from faceswap.lib import alignments as alignments_file
from faceswap.lib import atomic
from faceswap.lib.align import AlignedFace, landmark_mask
from faceswap.lib.align.masks import LEARNED_MASK_TYPES
from faceswap.lib.errors import FaceswapError
from faceswap.lib.extract import CENTERING, COVERAGE, MASK_CENTERING, MASK_SIZE
from faceswap.lib.image import (
    encode_image,
    list_images,
    read_face_metadata,
    read_image,
    write_face_png,
)

logger = logging.getLogger(__name__)

FORMAT = "faceswap-mask-model"
VERSION = 1
_SUFFIX = "_mask"
# Faces predicted per call: bounds memory on folders of thousands of faces.
_CHUNK = 64


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
        for start in range(0, len(faces), _CHUNK):
            batch = faces[start:start + _CHUNK].astype(np.float32) / 255.0
            if self.uses_prior:
                prior = priors[start:start + _CHUNK, ..., None].astype(np.float32)  # type: ignore[index]
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
def face_image_landmarks(face_meta: dict[str, Any]) -> np.ndarray:
    """The 68 landmarks in the pixels of a face PNG, from its metadata's ``face`` entry."""
    points = face_meta.get("aligned_landmarks")
    if points is None:
        matrix = np.asarray(face_meta["matrix"], dtype=np.float64)
        frame = np.asarray(face_meta["landmarks"], dtype=np.float64)
        points = frame @ matrix[:, :2].T + matrix[:, 2]
    points = np.asarray(points, dtype=np.float64)
    if points.shape != (68, 2):
        raise KeyError("landmarks")
    return points


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


def check_stored(alignments: alignments_file.Alignments, kind: str, path: Path) -> None:
    """Refuse to convert with a learned mask that some faces of ``alignments`` lack."""
    if kind not in LEARNED_MASK_TYPES:
        return
    missing = [(key, face.index) for key, frame in alignments.frames.items()
               for face in frame.faces if kind not in face.masks]
    if missing:
        total = alignments.face_count
        raise FaceswapError(
            f"{len(missing)} of {total} faces in '{path}' have no '{kind}' mask (first: face "
            f"{missing[0][1]} of frame '{missing[0][0]}'). Store it first: `faceswap mask apply "
            f"-i {path} -m MASK_MODEL_FOLDER`. Nothing was written.")


def face_png_mask(path: str | Path, kind: str, landmarks: np.ndarray, size: int, centering: str,
                  coverage: float = 1.0) -> np.ndarray:
    """The learned mask ``kind`` stored in a face PNG, as uint8 (size, size) in the pixels of
    ``AlignedFace.from_landmarks(landmarks).crop(image, size, centering, coverage)``, where
    ``landmarks`` are the face's landmarks in that PNG's pixels (what training cuts with).

    Raises FaceswapError naming the command to run when the face has no such mask.
    """
    from faceswap.lib.mask_tool import mask_in_face

    try:
        stored = read_face_metadata(path)["face"]["masks"][kind]
    except (FaceswapError, KeyError, TypeError) as err:
        raise FaceswapError(
            f"The face '{path}' has no stored '{kind}' mask. Store it for the whole folder with "
            f"`faceswap mask apply -i {Path(path).parent} -m MASK_MODEL_FOLDER`.") from err
    return mask_in_face(alignments_file.Mask.from_dict(stored), landmarks, size, centering,
                        coverage)


def faces_without(paths: list[Path], kind: str) -> list[Path]:
    """The face PNGs of ``paths`` that carry no stored ``kind`` mask (for a check up front)."""
    missing = []
    for path in paths:
        try:
            if kind not in read_face_metadata(path)["face"].get("masks", {}):
                missing.append(path)
        except (FaceswapError, KeyError, TypeError, AttributeError):
            missing.append(path)
    return missing


# --- apply ------------------------------------------------------------------------------------
@dataclass
class ApplyOptions:
    """What `faceswap mask apply` takes (the CLI flag in brackets)."""

    input: str | Path  # a folder of faces from extract, or an alignments file (-i)
    model_dir: str | Path  # the trained mask model (-m)
    frames: str | Path | None = None  # --frames: the alignments file's source (default: recorded)
    only_missing: bool = False  # --only-missing
    preview: str | Path | None = None  # -p: write face | mask | masked face per face here


@dataclass
class ApplyResult:
    faces: int = 0
    updated: int = 0
    skipped: list[str] = field(default_factory=list)  # face files without faceswap metadata
    previews: list[Path] = field(default_factory=list)
    mask: str = ""
    seconds: float = 0.0


def _preview(options: ApplyOptions, result: ApplyResult, name: str, crop: np.ndarray,
             mask: np.ndarray) -> None:
    """``<name>_<mask>.png`` in the preview folder: the network's view of the face, the mask,
    and the face with everything outside the mask darkened."""
    if options.preview is None:
        return
    from faceswap.lib.mask_tool import preview_image

    target = Path(options.preview) / f"{Path(name).stem}_{result.mask}.png"
    image = preview_image(crop, np.clip(np.rint(mask * 255.0), 0, 255).astype(np.uint8))
    atomic.write_bytes(target, encode_image(image, ".png"))
    result.previews.append(target)


def _chunks(items: Iterator[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _apply_folder(folder: Path, model: MaskModel, options: ApplyOptions, result: ApplyResult,
                  tick: Callable[[int, int], None]) -> None:
    paths = list_images(folder)
    if not paths:
        raise FaceswapError(f"The folder '{folder}' holds no face images.")

    def faces() -> Iterator[tuple[Path, dict[str, Any], np.ndarray, np.ndarray]]:
        for path in paths:
            try:
                metadata = read_face_metadata(path)
                points = face_image_landmarks(metadata["face"])
            except (FaceswapError, KeyError, TypeError, ValueError):
                result.skipped.append(path.name)
                continue
            if options.only_missing and model.plugin in metadata["face"].get("masks", {}):
                continue
            yield path, metadata, read_image(path), points

    done = 0
    for chunk in _chunks(faces()):
        crops = np.stack([network_crop(image, points, model.size)
                          for _, _, image, points in chunk])
        priors = np.stack([network_prior(points, model.size) for _, _, _, points in chunk])
        for (path, metadata, image, points), crop, mask in zip(
                chunk, crops, model.predict(crops, priors), strict=True):
            _preview(options, result, path.name, crop, mask)
            face_meta = metadata["face"]
            # The face PNG's own landmarks give the same alignment as the frame's: the face
            # image is a similarity warp of the frame.
            face_meta.setdefault("masks", {})[model.plugin] = to_stored(mask, points).to_dict()
            write_face_png(path, image, metadata)  # lossless: the pixels are unchanged
            result.updated += 1
        done += len(chunk)
        tick(done, len(paths))
    result.faces = len(paths)


def _apply_alignments(path: Path, model: MaskModel, options: ApplyOptions, result: ApplyResult,
                      tick: Callable[[int, int], None]) -> None:
    from faceswap.lib.sources import open_source

    data = alignments_file.load(path)
    recorded = (data.source or {}).get("path")
    frames_path = options.frames or recorded
    if not frames_path:
        raise FaceswapError(f"'{path}' does not record its source: pass the video or frame "
                            "folder it was extracted from with --frames.")
    if not Path(frames_path).exists():
        raise FaceswapError(f"The source of '{path}', '{frames_path}', does not exist: pass the "
                            "video or frame folder with --frames.")
    source = open_source(Path(frames_path))
    wanted = {key: [face for face in frame.faces
                    if not (options.only_missing and model.plugin in face.masks)]
              for key, frame in data.frames.items()}
    total = sum(len(faces) for faces in wanted.values())
    result.faces = data.face_count
    if total == 0:
        return

    def faces() -> Iterator[tuple[alignments_file.Face, np.ndarray, str]]:
        for item in source.items():
            todo = wanted.pop(item.key, None)
            if not todo:
                continue
            frame = item.load()
            for face in todo:
                name = face.file or f"{item.stem}_{face.index}"
                yield face, network_crop(frame, face.landmarks, model.size), name

    done = 0
    for chunk in _chunks(faces()):
        priors = np.stack([network_prior(face.landmarks, model.size) for face, _, _ in chunk])
        masks = model.predict(np.stack([crop for _, crop, _ in chunk]), priors)
        for (face, crop, name), mask in zip(chunk, masks, strict=True):
            face.masks[model.plugin] = to_stored(mask, face.landmarks)
            _preview(options, result, name, crop, mask)
        done += len(chunk)
        result.updated = done
        tick(done, total)
    left = [key for key, faces in wanted.items() if faces]
    if left:
        raise FaceswapError(
            f"{len(left)} frames of '{path}' with faces are not in '{frames_path}' (first: "
            f"'{left[0]}'): is it the source the alignments were extracted from? Nothing was "
            "written.")
    from faceswap.lib.mask_tool import record_masks

    record_masks(data, [model.plugin])
    alignments_file.save(data, path, backup=True)


def apply_masks(options: ApplyOptions,
                progress: Callable[[int, int], None] | None = None) -> ApplyResult:
    """Predict and store the mask model's mask for every face of a face folder (into each PNG's
    metadata, pixels untouched) or an alignments file (saved atomically, ``<name>.bk`` kept)."""
    start = time.perf_counter()
    path = Path(options.input)
    if not path.exists():
        raise FaceswapError(f"'{path}' does not exist. Pass a folder of faces written by "
                            "`faceswap extract`, or an alignments file.")
    model = load(options.model_dir)
    result = ApplyResult(mask=model.plugin)
    if options.preview is not None:
        atomic.check_writable(options.preview)

    def tick(done: int, total: int) -> None:
        if progress is not None:
            progress(done, total)

    if path.is_dir():
        _apply_folder(path, model, options, result, tick)
    else:
        _apply_alignments(path, model, options, result, tick)
    if result.skipped:
        logger.warning("%d file(s) have no faceswap metadata and were left alone, e.g. '%s'.",
                       len(result.skipped), result.skipped[0])
    result.seconds = time.perf_counter() - start
    return result
