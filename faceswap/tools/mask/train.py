"""`faceswap mask train`: fit a mask model (plugin family ``mask``) to masks the user painted.

Painted masks live in a ``masks`` folder inside the face folder (or ``--mask-dir``), one image
per face with the face's file stem (``faces/masks/clip_000012_0.png`` for
``faces/clip_000012_0.png``), the same size as the face: white (>= 128) where the face is visible,
black over background, hair, hands, glasses... Faces without a mask are not used. A few dozen
varied faces (poses, lighting, the occluders of the footage) are what DeepFaceLab's XSeg users
paint; training then runs over them with flips, small rotations/zooms/shifts, colour jitter and,
by default, synthetic occluders (random hands, bars and ellipses pasted over the face and cut out
of its mask, see :func:`paste_occluders`) so the network learns that what lies over a face is not
face even when the painted set has few occluders.

The network sees the face head-centred (extract's centering) at its size; faces with faceswap
metadata are re-cut to that framing, plain crops are resized.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from faceswap.lib import atomic
from faceswap.lib.errors import FaceswapError
from faceswap.lib.faces import face_image_landmarks
from faceswap.lib.image import encode_image, list_images, read_face_metadata, read_image
from faceswap.tools.mask import model as mask_model
from faceswap.tools.mask.draw import preview_image

logger = logging.getLogger(__name__)

MASK_FOLDER = "masks"  # default painted-mask folder, inside the face folder
PREVIEW_FACES = 4  # painted faces shown in the model folder's preview
FEW_FACES = 12  # below this many painted faces the mask rarely generalises: warn
DEFAULT_SIZE = 128


@dataclass
class MaskTrainOptions:
    """What `faceswap mask train` takes (the CLI flag in brackets)."""

    input: str | Path  # the face folder whose masks were painted (-i)
    model_dir: str | Path  # mask model folder, new or to continue (-m)
    mask_dir: str | Path | None = None  # painted masks (--mask-dir; default <faces>/masks)
    plugin: str = "xseg"  # --plugin
    size: int | None = None  # -sz: a new model's input size (default DEFAULT_SIZE)
    options: dict[str, int] = field(default_factory=dict)  # -O KEY=VALUE, new models only
    steps: int = 2000  # -s: training steps this run
    batch_size: int = 8  # -bs
    learning_rate: float = 5e-4  # -lr
    occlude: float = 0.5  # --occlude: chance a sample gets synthetic occluders
    save_every: int = 250  # -si: steps between saves
    seed: int = 0


@dataclass
class MaskTrainResult:
    faces: int = 0  # painted faces trained on
    iterations: int = 0  # the model's total steps after this run
    loss: float = float("nan")  # mean loss of the last save interval
    seconds: float = 0.0
    model_file: Path | None = None
    stopped: bool = False  # interrupted (Ctrl-C) and saved


# --- painted masks ----------------------------------------------------------------------------
def _mask_files(mask_dir: Path) -> dict[str, Path]:
    return {path.stem: path for path in list_images(mask_dir)}


def load_labelled(faces: str | Path, mask_dir: str | Path | None, size: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(faces (N, size, size, 3) uint8, masks, priors, names) of every face that has a painted
    mask, cut to the network's framing. Masks and priors (the ``extended`` landmark masks; all
    ones for plain crops without landmarks) are (N, size, size) float32 in [0, 1]."""
    faces = Path(faces)
    if not faces.is_dir():
        raise FaceswapError(f"The face folder '{faces}' does not exist or is not a folder. Pass "
                            "the folder of faces you painted masks for (-i).")
    masks_path = Path(mask_dir) if mask_dir is not None else faces / MASK_FOLDER
    if not masks_path.is_dir():
        raise FaceswapError(
            f"No painted masks: '{masks_path}' is not a folder. Put one mask image per face in "
            f"'{faces / MASK_FOLDER}' (or pass --mask-dir), named like the face "
            "(<face name>.png), white where the face is visible, black elsewhere.")
    painted = _mask_files(masks_path)
    face_paths = list_images(faces)
    labelled = [path for path in face_paths if path.stem in painted]
    if not labelled:
        example = face_paths[0].stem if face_paths else "<face name>"
        raise FaceswapError(
            f"None of the {len(face_paths)} faces in '{faces}' has a mask in '{masks_path}' "
            f"({len(painted)} mask files there). A face's mask must have its file stem, e.g. "
            f"'{masks_path / example}.png'.")
    orphans = sorted(set(painted) - {path.stem for path in face_paths})
    if orphans:
        logger.warning("%d mask(s) in '%s' have no face in '%s' and are ignored, e.g. '%s'.",
                       len(orphans), masks_path, faces, painted[orphans[0]].name)
    images, masks, priors = [], [], []
    for path in labelled:
        image = read_image(path)
        paint = read_image(painted[path.stem])
        if paint.shape[:2] != image.shape[:2]:
            raise FaceswapError(
                f"The mask '{painted[path.stem]}' is {paint.shape[1]}x{paint.shape[0]} px but its "
                f"face '{path.name}' is {image.shape[1]}x{image.shape[0]}: paint the mask over "
                "the face image itself, at its size.")
        paint = (paint.max(axis=2) >= 128).astype(np.uint8) * 255
        try:
            points = face_image_landmarks(read_face_metadata(path)["face"])
        except (FaceswapError, KeyError, TypeError, ValueError):
            points = None  # a plain crop: used as it is framed
        if points is None:
            image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
            paint = cv2.resize(paint, (size, size), interpolation=cv2.INTER_AREA)
            priors.append(np.ones((size, size), np.float32))
        else:
            image = mask_model.network_crop(image, points, size)
            paint = mask_model.network_crop(paint, points, size)
            priors.append(mask_model.network_prior(points, size))
        images.append(image)
        masks.append(paint.astype(np.float32) / 255.0)
    logger.info("%d of %d faces in '%s' have painted masks.", len(labelled), len(face_paths),
                faces)
    if len(labelled) < FEW_FACES:
        logger.warning("Only %d painted faces: paint a few dozen varied ones (poses, lighting, "
                       "occluders) for a mask that holds on the rest.", len(labelled))
    return np.stack(images), np.stack(masks), np.stack(priors), [p.name for p in labelled]


# --- augmentation -----------------------------------------------------------------------------
_SKIN = np.array([[60, 80, 120], [80, 110, 160], [110, 140, 200], [130, 165, 225],
                  [45, 60, 90], [95, 125, 185]], np.float32)  # BGR, dark to light


def _shape(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """A (size, size) float32 alpha in [0, 1] of one occluder, placed over the face's middle."""
    canvas = np.zeros((size * 4, size * 4), np.uint8)  # drawn 4x larger: smooth edges
    centre = rng.uniform(0.3, 0.7, 2) * size * 4
    scale = rng.uniform(0.25, 0.5) * size * 4
    angle = rng.uniform(0, 360)
    if kind == "ellipse":
        axes = (int(scale * rng.uniform(0.3, 0.6)), int(scale * rng.uniform(0.15, 0.4)))
        cv2.ellipse(canvas, (int(centre[0]), int(centre[1])), axes, angle, 0, 360, 255, -1)
    elif kind == "bar":
        width = scale * rng.uniform(0.12, 0.3)
        box = ((float(centre[0]), float(centre[1])), (float(scale * 3), float(width)), angle)
        cv2.fillPoly(canvas, [np.rint(cv2.boxPoints(box)).astype(np.int32)], 255)
    else:  # a hand: a palm and four fingers spread from its top edge
        theta = math.radians(angle)
        along = np.array([math.cos(theta), math.sin(theta)])
        across = np.array([-along[1], along[0]])
        palm = (int(scale * 0.35), int(scale * 0.3))
        cv2.ellipse(canvas, (int(centre[0]), int(centre[1])), palm, angle, 0, 360, 255, -1)
        thickness = max(2, int(scale * 0.12))
        for offset in np.linspace(-0.22, 0.22, 4):
            base = centre + along * scale * 0.25 + across * scale * offset
            tip = base + along * scale * rng.uniform(0.35, 0.55) + across * scale * offset * 0.4
            cv2.line(canvas, (int(base[0]), int(base[1])), (int(tip[0]), int(tip[1])), 255,
                     thickness)
    return cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32) / 255


def paste_occluders(face: np.ndarray, mask: np.ndarray, rng: np.random.Generator,
                    count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``face`` (uint8 BGR) with 1-2 synthetic occluders pasted over it, and ``mask`` (float32,
    1 = visible face) with them cut out.

    Each occluder is a hand, a bar or an ellipse, skin-coloured (the hard case: hands) or of a
    random colour, shaded with a gradient and noise so that flat colour is not the cue.
    """
    size = face.shape[0]
    out = face.astype(np.float32)
    visible = mask.astype(np.float32).copy()
    for _ in range(int(rng.integers(1, 3)) if count is None else count):
        alpha = _shape(str(rng.choice(["hand", "bar", "ellipse"])), size, rng)
        if rng.random() < 0.5:
            colour = _SKIN[rng.integers(len(_SKIN))] * rng.uniform(0.85, 1.15, 3)
        else:
            colour = rng.uniform(0, 255, 3)
        ramp = np.linspace(-1.0, 1.0, size, dtype=np.float32)
        gradient = ramp[None, :] if rng.random() < 0.5 else ramp[:, None]
        shade = 1.0 + rng.uniform(0.0, 0.3) * gradient
        layer = colour[None, None, :] * shade[..., None] + rng.normal(0, 8, (size, size, 3))
        out = out * (1.0 - alpha[..., None]) + layer * alpha[..., None]
        visible *= 1.0 - alpha
    return np.clip(out, 0, 255).astype(np.uint8), visible


def augment_batch(faces: np.ndarray, masks: np.ndarray, rng: np.random.Generator,
                  occlude: float = 0.5, priors: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """A training batch: float32 inputs (N, S, S, 3, or 4 with ``priors``) in [0, 1] and masks
    (N, S, S, 1).

    Per face: a flip, a rotation (±12°), zoom (±8 %) and shift (±5 %) shared by face, mask and
    prior, brightness/contrast/colour jitter on the face, and with chance ``occlude`` synthetic
    occluders (:func:`paste_occluders`; the prior, drawn from landmarks, does not see them).
    """
    size = faces.shape[1]
    channels = 3 if priors is None else 4
    out_faces = np.empty((*faces.shape[:3], channels), np.float32)
    out_masks = np.empty((*masks.shape, 1), np.float32)
    for idx, (face, mask) in enumerate(zip(faces, masks, strict=True)):
        prior = None if priors is None else priors[idx]
        if rng.random() < 0.5:
            face, mask = face[:, ::-1], mask[:, ::-1]
            prior = None if prior is None else prior[:, ::-1]
        matrix = cv2.getRotationMatrix2D(((size - 1) / 2, (size - 1) / 2), rng.uniform(-12, 12),
                                         rng.uniform(0.92, 1.08))
        matrix[:, 2] += rng.uniform(-0.05, 0.05, 2) * size
        face = cv2.warpAffine(np.ascontiguousarray(face), matrix, (size, size),
                              flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        mask = cv2.warpAffine(np.ascontiguousarray(mask), matrix, (size, size),
                              flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        if prior is not None:
            out_faces[idx, ..., 3] = cv2.warpAffine(np.ascontiguousarray(prior), matrix,
                                                    (size, size), flags=cv2.INTER_LINEAR,
                                                    borderMode=cv2.BORDER_CONSTANT)
        if rng.random() < occlude:
            face, mask = paste_occluders(face, mask, rng)
        jitter = face.astype(np.float32) / 255.0
        jitter = (jitter - 0.5) * rng.uniform(0.8, 1.2) + 0.5 + rng.uniform(-0.1, 0.1)
        jitter *= rng.uniform(0.92, 1.08, 3)[None, None, :]
        out_faces[idx, ..., :3] = np.clip(jitter, 0.0, 1.0)
        out_masks[idx, ..., 0] = mask
    return out_faces, out_masks


# --- training ---------------------------------------------------------------------------------
def fit(model: mask_model.MaskModel, faces: np.ndarray, masks: np.ndarray, steps: int, *,
        priors: np.ndarray | None = None, batch_size: int = 8, occlude: float = 0.5,
        seed: int = 0, on_step: Callable[[int, float], None] | None = None) -> list[float]:
    """Train ``model`` (compiled) ``steps`` steps on painted ``faces``/``masks`` (and the faces'
    landmark masks, ``priors``, for a network that takes them); the losses.

    Batches draw from ``(seed, model.iterations)``, so a resumed run does not repeat the first.
    """
    if model.uses_prior and priors is None:
        raise ValueError("this mask network needs each face's landmark mask (priors)")
    priors = priors if model.uses_prior else None
    rng = np.random.default_rng([seed, model.iterations])
    losses = []
    for _ in range(steps):
        pick = rng.integers(0, len(faces), batch_size)
        inputs, targets = augment_batch(faces[pick], masks[pick], rng, occlude,
                                        None if priors is None else priors[pick])
        loss = float(np.atleast_1d(model.model.train_on_batch(inputs, targets))[0])
        model.iterations += 1
        losses.append(loss)
        if on_step is not None:
            on_step(model.iterations, loss)
    return losses


def write_preview(model: mask_model.MaskModel, faces: np.ndarray, masks: np.ndarray,
                  priors: np.ndarray) -> Path:
    """``<plugin>_mask_preview.png`` in the model folder: per painted face (first few), the face,
    the painted mask, the predicted mask and the face outside the prediction darkened."""
    count = min(PREVIEW_FACES, len(faces))
    predicted = model.predict(faces[:count], priors[:count] if model.uses_prior else None)
    rows = []
    for face, paint, guess in zip(faces[:count], masks[:count], predicted, strict=True):
        shown = preview_image(face, np.rint(guess * 255).astype(np.uint8))
        painted = cv2.cvtColor(np.rint(paint * 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
        rows.append(np.hstack([shown[:, :face.shape[1]], painted, shown[:, face.shape[1]:]]))
    path = model.folder / f"{model.plugin}_mask_preview.png"
    atomic.write_bytes(path, encode_image(np.vstack(rows), ".png"))
    return path


def _open_model(options: MaskTrainOptions) -> mask_model.MaskModel:
    folder = Path(options.model_dir)
    found = mask_model.folder_plugin(folder, options.plugin)
    if found is None:
        return mask_model.create(folder, options.plugin, options.size or DEFAULT_SIZE,
                                 options.options, options.learning_rate)
    model = mask_model.load(folder, found, learning_rate=options.learning_rate)
    if options.size is not None and options.size != model.size:
        raise FaceswapError(f"The mask model in '{folder}' is {model.size} px; -sz {options.size} "
                            "only applies to a new model. Drop -sz or use another folder.")
    changed = {key: value for key, value in options.options.items()
               if model.options.get(key) != int(value)}
    if changed:
        raise FaceswapError(f"Options {', '.join(sorted(changed))} are fixed when a mask model is "
                            f"created ('{folder}' has {model.options}). Use another folder.")
    logger.info("Continuing the %s mask model in '%s' from %d iterations.", model.plugin, folder,
                model.iterations)
    return model


def train_masks(options: MaskTrainOptions,
                progress: Callable[[int, int], None] | None = None) -> MaskTrainResult:
    """Train (or continue) the mask model in ``options.model_dir`` on the painted masks.

    Saves every ``save_every`` steps and at the end; Ctrl-C saves and returns with ``stopped``.
    """
    start = time.perf_counter()
    if options.steps < 1 or options.batch_size < 1 or options.save_every < 1:
        raise FaceswapError("--steps, --batch-size and --save-every must be 1 or more.")
    if not 0.0 <= options.occlude <= 1.0:
        raise FaceswapError(f"--occlude is a chance from 0 to 1, got {options.occlude}.")
    model = _open_model(options)  # checks the folder before the faces are read
    faces, masks, priors, _ = load_labelled(options.input, options.mask_dir, model.size)
    result = MaskTrainResult(faces=len(faces), model_file=model.files[0])
    done = 0
    recent: list[float] = []
    try:
        while done < options.steps:
            count = min(options.save_every, options.steps - done)
            recent = fit(model, faces, masks, count, priors=priors, batch_size=options.batch_size,
                         occlude=options.occlude, seed=options.seed)
            done += count
            model.history.append(float(np.mean(recent)))
            model.save()
            write_preview(model, faces, masks, priors)
            logger.info("[Saved mask model] iterations: %d, mean loss %.4f", model.iterations,
                        model.history[-1])
            if progress is not None:
                progress(done, options.steps)
    except KeyboardInterrupt:
        model.save()
        result.stopped = True
        logger.info("Stopped; saved the mask model at %d iterations.", model.iterations)
    result.iterations = model.iterations
    result.loss = model.history[-1] if model.history else float("nan")
    result.seconds = time.perf_counter() - start
    return result


# --- measuring --------------------------------------------------------------------------------
def occluded_faces(paths: list[Path], size: int, seed: int = 0, count: int | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labelled synthetic occlusions of extracted faces, to train and judge a mask model by.

    For each face PNG (with faceswap metadata): the network crop with occluders pasted over it,
    its true visible-face mask (the ``extended`` landmark mask with the occluders cut out) and
    the ``extended`` landmark mask alone (what a landmark mask would blend with, and the
    network's prior). Masks are
    float32 in [0, 1]. ``count``: occluders per face (default: 1 or 2 at random).
    """
    rng = np.random.default_rng(seed)
    faces, visible, landmark = [], [], []
    for path in paths:
        points = face_image_landmarks(read_face_metadata(path)["face"])
        crop = mask_model.network_crop(read_image(path), points, size)
        face_mask = mask_model.network_prior(points, size)
        occluded, truth = paste_occluders(crop, face_mask, rng, count)
        faces.append(occluded)
        visible.append(truth)
        landmark.append(face_mask)
    return np.stack(faces), np.stack(visible), np.stack(landmark)


def iou(predicted: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per-face intersection over union of masks thresholded at 0.5, (N,)."""
    pred, true = predicted > 0.5, truth > 0.5
    axes = tuple(range(1, pred.ndim))
    union = np.logical_or(pred, true).sum(axis=axes)
    return np.where(union > 0, np.logical_and(pred, true).sum(axis=axes) / np.maximum(union, 1),
                    1.0)
