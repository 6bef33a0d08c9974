"""`faceswap evaluate`: numbers that say how good a swap is.

Over ``frames`` frames sampled evenly from person A's input (frames the alignments file lists a
face for), the swapped output (converted now, or read from ``swapped``) is compared with the
source:

* identity: dlib's 128-D ResNet embedding of the swapped face against person B's and person A's
  mean embeddings (retrieval = share of frames closer to B);
* pose: |Δyaw|, |Δpitch|, |Δroll| between source and swapped face;
* expression: eye and mouth landmark distance between source and swapped face, in inter-ocular
  distances;
* temporal stability (video): frame-to-frame change of the swapped face region over the source's;
* reconstruction (needs the model): SSIM and PSNR of A→A and B→B on held-out faces, or on the
  faces at hand when none are given (the report says which).

Landmarks of source *and* swapped frame are measured the same way (detector near the known face,
then the aligner), so differences come from the frames, not from two measuring procedures: the
unchanged source as "swap" scores exactly zero pose and expression error. Only the largest face
of a frame is evaluated. ``DEFINITIONS`` (also written into the JSON) states every metric.
"""

from __future__ import annotations

import json
import logging
import math
import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import cv2
import numpy as np

import faceswap
from faceswap.lib import alignments as alignments_file
from faceswap.lib import atomic
from faceswap.lib.align.aligned_face import EXTRACT_RATIOS, AlignedFace, legacy_matrix
from faceswap.lib.align.aligned_face import transform_points as _transform
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import is_image_file, list_images, read_face_metadata, read_image
from faceswap.lib.video import frames as video_frames
from faceswap.lib.video import is_video_file, video_info

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
FORMAT = "faceswap-evaluation"
#: Faces of B (and of each held-out folder) used at most: the means settle well before this.
REFERENCE_FACES = 30
#: Above this PSNR (dB) two faces are treated as identical (PSNR of identical images is infinite).
PSNR_CAP = 100.0
#: Detections overlapping the known face box less than this are another face (or none).
MIN_IOU = 0.3
# Temporal crops: small and face-centred, so background motion barely counts.
_TEMPORAL_SIZE = 64
_EYES = slice(36, 48)
_MOUTH = slice(48, 68)

Box = tuple[int, int, int, int]

DEFINITIONS: dict[str, str] = {
    "frames": "Frames sampled evenly from person A's input among those the alignments file lists "
              "a face for; only the largest face of a frame is evaluated. Landmarks of source and "
              "swapped frame are re-measured the same way: the detector near the alignments box "
              "(the box itself when the detector finds nothing there), then the aligner.",
    "identity.distance_to_b": "Mean Euclidean distance between the dlib ResNet 128-D embedding of "
                              "the swapped face and the mean embedding of person B's faces. "
                              "Lower is better; dlib's same-person threshold is 0.6.",
    "identity.distance_to_a": "Mean distance of the swapped face's embedding to the mean "
                              "embedding of person A (the source faces of the sampled frames). "
                              "Higher means less of A is left.",
    "identity.retrieval": "Share of frames whose swapped face is closer to B's mean embedding "
                          "than to A's (0..1). 0 for an unchanged source, near 1 for a good swap.",
    "identity.source_distance_to_b": "Mean distance of the unswapped source faces to B's mean "
                                     "embedding: where distance_to_b starts from.",
    "identity.a_to_b": "Distance between the mean embeddings of A and B: how different the two "
                       "people look to the embedding.",
    "pose": "Mean absolute difference (degrees) of yaw, pitch and roll between source and swapped "
            "face, each estimated from its 68 landmarks (faceswap.lib.align.pose). A swap should "
            "follow the source's head, so lower is better.",
    "expression": "Mean distance between corresponding eye (36-47) and mouth (48-67) landmarks of "
                  "source and swapped face, each set first mapped to the reference face by its own "
                  "similarity fit (position, size and roll removed), divided by the source's "
                  "inter-ocular distance (eye centre to eye centre). Lower is better.",
    "reconstruction": "SSIM (0..1, higher better; scikit-image, 7 px window, per channel) and PSNR "
                      f"(dB, capped at {PSNR_CAP:g}) of the model's A→A (encoder + decoder A) and "
                      "B→B reconstructions against the faces themselves, cropped as the model "
                      "trains (its centering and coverage). 'data' says which faces: 'holdout' "
                      "(--holdout-a/-b, not used in training), 'faces-b' (the -B faces, usually "
                      "the training set) or 'input-a' (faces of the sampled frames of A, usually "
                      "training data too): only 'holdout' measures generalisation.",
    "temporal": "For video, over pairs of consecutive frames: mean absolute change (0-255) of "
                f"the {_TEMPORAL_SIZE} px face-centred crop (each frame cut at its own source "
                "alignment) in the swapped output, divided by the same change in the source. "
                "1 = the swap moves as much as the source; above 1 = flicker the source does not "
                "have; well below 1 = a frozen face.",
}


# ---------------------------------------------------------------------------------------------
# Options and report
# ---------------------------------------------------------------------------------------------
@dataclass
class EvaluateOptions:
    """Everything `faceswap evaluate` takes."""

    input: Path  # person A: video, image or folder of images
    faces_b: Path  # person B: folder of faces (or images), an image or a video
    model_dir: Path | None = None  # needed unless ``swapped`` is given (then: reconstruction)
    alignments: Path | None = None  # default: <input>_alignments.json beside the input
    frames: int = 50
    swapped: Path | None = None  # an already converted output of ``input``
    holdout_a: Path | None = None
    holdout_b: Path | None = None
    reference_faces: int = REFERENCE_FACES
    detector: str = "dlib-hog"
    aligner: str = "dlib-68"
    convert_options: dict[str, Any] = field(default_factory=dict)  # extra ConvertOptions fields


@dataclass
class FrameCounts:
    requested: int = 0
    with_face: int = 0  # frames of the input the alignments list a face for
    sampled: int = 0
    evaluated: int = 0  # sampled frames found in the swapped output
    missing_in_swapped: int = 0
    swapped_face_detected: int = 0  # of evaluated: the detector found the swapped face


@dataclass
class IdentityMetrics:
    distance_to_b: float | None = None
    distance_to_a: float | None = None
    retrieval: float | None = None
    source_distance_to_b: float | None = None
    a_to_b: float | None = None
    faces_a: int = 0
    faces_b: int = 0


@dataclass
class PoseMetrics:
    yaw: float | None = None
    pitch: float | None = None
    roll: float | None = None


@dataclass
class ExpressionMetrics:
    mouth: float | None = None
    eyes: float | None = None
    overall: float | None = None  # eye and mouth points together


@dataclass
class ReconstructionSide:
    data: str  # "holdout", "faces-b" or "input-a"
    source: str
    faces: int = 0
    ssim: float | None = None
    psnr: float | None = None


@dataclass
class ReconstructionMetrics:
    a: ReconstructionSide | None = None
    b: ReconstructionSide | None = None
    skipped: str | None = None  # why there is none


@dataclass
class TemporalMetrics:
    pairs: int = 0
    swapped_change: float | None = None
    source_change: float | None = None
    ratio: float | None = None
    skipped: str | None = None


@dataclass
class EvaluateReport:
    """The result of one evaluation; ``to_dict()`` is the JSON document (schema_version 1)."""

    inputs: dict[str, str | None]
    model: dict[str, Any] | None
    frames: FrameCounts
    identity: IdentityMetrics
    pose: PoseMetrics
    expression: ExpressionMetrics
    reconstruction: ReconstructionMetrics
    temporal: TemporalMetrics
    versions: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    created: str = ""
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["seconds"] = round(self.seconds, 2)
        return {"format": FORMAT, "schema_version": body.pop("schema_version"),
                **_clean(body), "definitions": dict(DEFINITIONS)}


def _clean(value: Any) -> Any:
    # Strict JSON has no NaN/Infinity; round floats so reports diff readably.
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float | np.floating):
        return round(float(value), 4) if math.isfinite(value) else None
    return value


def write_report(report: EvaluateReport, path: str | Path) -> None:
    """Write ``report`` as JSON to ``path`` (atomically)."""
    atomic.write_json(path, report.to_dict())


# ---------------------------------------------------------------------------------------------
# Pure metric helpers
# ---------------------------------------------------------------------------------------------
def image_similarity(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(SSIM, PSNR dB) of two same-sized images (uint8, or float in [0, 1])."""
    from skimage.metrics import structural_similarity

    x, y = _unit_float(a), _unit_float(b)
    if x.shape != y.shape:
        raise ValueError(f"images differ in shape: {x.shape} vs {y.shape}")
    ssim = float(structural_similarity(x, y, data_range=1.0,
                                       channel_axis=-1 if x.ndim == 3 else None))
    mse = float(np.mean((x - y) ** 2))
    psnr = PSNR_CAP if mse <= 10 ** (-PSNR_CAP / 10) else float(10 * np.log10(1.0 / mse))
    return ssim, psnr


def _unit_float(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if np.issubdtype(image.dtype, np.integer):
        return image.astype(np.float64) / 255.0
    return image.astype(np.float64)


def pose_difference(source: np.ndarray, swapped: np.ndarray) -> tuple[float, float, float]:
    """|Δyaw|, |Δpitch|, |Δroll| (degrees) between two (68, 2) landmark sets."""
    a = AlignedFace.from_landmarks(source).pose
    b = AlignedFace.from_landmarks(swapped).pose
    return tuple(abs((x - y + 180.0) % 360.0 - 180.0)  # type: ignore[return-value]
                 for x, y in ((a.yaw, b.yaw), (a.pitch, b.pitch), (a.roll, b.roll)))


def expression_distance(source: np.ndarray, swapped: np.ndarray) -> tuple[float, float, float]:
    """(mouth, eyes, both) mean landmark distance in the source's inter-ocular distances.

    Each set is mapped to the reference face by its own similarity fit first, so a face that is
    only shifted, scaled or rolled has distance 0.
    """
    a = _transform(source, legacy_matrix(source))
    b = _transform(swapped, legacy_matrix(swapped))
    iod = float(np.linalg.norm(a[36:42].mean(axis=0) - a[42:48].mean(axis=0)))
    if iod <= 0:
        raise ValueError("degenerate landmarks: eyes coincide")
    dist = np.linalg.norm(a - b, axis=1) / iod
    both = np.r_[dist[_EYES], dist[_MOUTH]]
    return float(dist[_MOUTH].mean()), float(dist[_EYES].mean()), float(both.mean())


def identity_scores(swapped: np.ndarray, mean_a: np.ndarray, mean_b: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Distances of each row of ``swapped`` (N, 128) to A's and B's mean embeddings."""
    swapped = np.atleast_2d(swapped)
    return (np.linalg.norm(swapped - mean_a, axis=1), np.linalg.norm(swapped - mean_b, axis=1))


def sample_evenly(items: Sequence[Any], count: int) -> list[Any]:
    """``count`` items spread evenly over ``items`` (all of them when there are fewer)."""
    if count >= len(items):
        return list(items)
    picks = np.unique(np.linspace(0, len(items) - 1, max(count, 1)).round().astype(int))
    return [items[i] for i in picks]


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = w * h
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if len(values) else None


# ---------------------------------------------------------------------------------------------
# Measuring faces
# ---------------------------------------------------------------------------------------------
@dataclass
class _Measured:
    landmarks: np.ndarray
    box: Box
    detected: bool  # False: the detector found nothing near the expected box


class _Tools:
    """Detector, aligner and identity embedding, loaded once."""

    def __init__(self, detector: str, aligner: str) -> None:
        from faceswap.lib.registry import load_plugin

        self.detector = load_plugin("detect", detector)
        self.aligner = load_plugin("align", aligner)

    def measure(self, image: np.ndarray, box: Sequence[int]) -> _Measured:
        """Landmarks of the face near ``box``: detect in a window around it, then align."""
        x, y, w, h = (int(v) for v in box)
        pad = max(w, h)
        height, width = image.shape[:2]
        x0, y0 = max(0, x - pad), max(0, y - pad)
        x1, y1 = min(width, x + w + pad), min(height, y + h + pad)
        # A window, not the frame: cheaper, and other faces in the frame cannot be picked.
        found = [((d.box[0] + x0, d.box[1] + y0, d.box[2], d.box[3]))
                 for d in self.detector.detect(np.ascontiguousarray(image[y0:y1, x0:x1]))]
        scored = [(box_iou(b, (x, y, w, h)), b) for b in found]
        best = max(scored, default=(0.0, None), key=lambda item: item[0])
        detected = best[1] is not None and best[0] >= MIN_IOU
        use: Box = tuple(int(v) for v in best[1]) if detected else (x, y, w, h)  # type: ignore[assignment,arg-type]
        landmarks = np.asarray(self.aligner.landmarks(image, use), dtype=np.float64)
        return _Measured(landmarks, use, detected)

    def largest(self, image: np.ndarray) -> _Measured | None:
        """The largest face of ``image`` (None: no face)."""
        found = self.detector.detect(image)
        if not found:
            return None
        box = max(found, key=lambda d: d.box[2] * d.box[3]).box
        landmarks = np.asarray(self.aligner.landmarks(image, box), dtype=np.float64)
        return _Measured(landmarks, tuple(int(v) for v in box), True)  # type: ignore[arg-type]

    @staticmethod
    def embedding(image: np.ndarray, measured: _Measured) -> np.ndarray:
        from faceswap.lib.extract import face_embedding

        return face_embedding(image, measured.box, measured.landmarks)


def _landmark_box(landmarks: np.ndarray) -> Box:
    low, high = landmarks.min(axis=0), landmarks.max(axis=0)
    return (int(low[0]), int(low[1]), int(high[0] - low[0]) + 1, int(high[1] - low[1]) + 1)


@dataclass
class _FaceImage:
    """One reference face: the image it is in and its landmarks there."""

    image: np.ndarray
    landmarks: np.ndarray
    box: Box
    name: str


def _png_landmarks(path: Path) -> np.ndarray | None:
    # Faces written by `faceswap extract` carry their landmarks: no detection needed.
    if path.suffix.lower() != ".png":
        return None
    try:
        face = read_face_metadata(path).get("face") or {}
    except FaceswapError:
        return None
    points = face.get("aligned_landmarks") if isinstance(face, dict) else None
    if points is None:
        return None
    points = np.asarray(points, dtype=np.float64)
    return points if points.shape == (68, 2) and np.isfinite(points).all() else None


def load_faces(path: Path, count: int, tools: _Tools) -> list[_FaceImage]:
    """Up to ``count`` faces of one person from a folder of faces/images, an image or a video."""
    path = Path(path)
    out: list[_FaceImage] = []

    def add(image: np.ndarray, name: str, landmarks: np.ndarray | None) -> None:
        if landmarks is None:
            found = tools.largest(image)
            if found is None:
                logger.debug("No face in '%s'; not used.", name)
                return
            out.append(_FaceImage(image, found.landmarks, found.box, name))
        else:
            out.append(_FaceImage(image, landmarks, _landmark_box(landmarks), name))

    if path.is_dir():
        images = list_images(path)
        if not images:
            raise FaceswapError(f"The folder '{path}' holds no images of faces.")
        for image_path in sample_evenly(images, count):
            try:
                image = read_image(image_path)
            except FaceswapError as err:
                logger.warning("Skipping '%s': %s", image_path, err)
                continue
            add(image, image_path.name, _png_landmarks(image_path))
    elif is_image_file(path):
        add(read_image(path), path.name, _png_landmarks(path))
    elif path.exists():
        info = video_info(path)
        every = max(1, info.frame_count // count) if info.frame_count else 1
        for _, name, frame in video_frames(path, every_n=every):
            add(frame, name, None)
            if len(out) >= count:
                break
    else:
        raise FaceswapError(f"'{path}' does not exist. Pass a folder of faces, an image or a "
                            "video of the person.")
    if not out:
        raise FaceswapError(f"No face found in '{path}'. Pass faces extracted with "
                            "`faceswap extract`, or photos/video where the face is visible.")
    return out


# ---------------------------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------------------------
@dataclass
class _Plan:
    keys: list[str]  # every frame key of the input, in order
    sampled: list[int]  # frame indices evaluated
    companions: dict[int, int]  # sampled index -> next index (temporal pairs)
    faces: dict[int, alignments_file.Face]  # index -> the largest face
    is_video: bool

    @property
    def needed(self) -> list[int]:
        return sorted(set(self.sampled) | set(self.companions.values()))


def _plan(options: EvaluateOptions, source, alignments: alignments_file.Alignments,
          counts: FrameCounts) -> _Plan:
    keys = source.keys
    if keys is None:  # a video whose container does not say how many frames it has
        keys = [key for _, key, _, _ in source.frames()]
    faces: dict[int, alignments_file.Face] = {}
    for index, key in enumerate(keys):
        entry = alignments.frames.get(key)
        if entry and entry.faces:
            faces[index] = max(entry.faces, key=lambda f: f.box[2] * f.box[3])
    counts.with_face = len(faces)
    if not faces:
        raise FaceswapError("The alignments file lists no face for any frame of the input; "
                            "run `faceswap extract` on it first.")
    sampled = sample_evenly(sorted(faces), options.frames)
    companions = {i: i + 1 for i in sampled if source.is_video and i + 1 in faces}
    counts.sampled = len(sampled)
    return _Plan(keys, sampled, companions, faces, source.is_video)


def _read_frames(path: Path, wanted: dict[int, str]) -> dict[int, np.ndarray]:
    """Frames ``wanted`` ({index: stem}) of a video (by index), folder (by stem) or image."""
    out: dict[int, np.ndarray] = {}
    if path.is_dir():
        by_stem = {p.stem: p for p in list_images(path)}
        by_name = {p.name: p for p in list_images(path)}
        for index, stem in wanted.items():
            found = by_stem.get(stem) or by_name.get(stem)
            if found is not None:
                out[index] = read_image(found)
        return out
    if is_image_file(path):
        if 0 in wanted:
            out[0] = read_image(path)
        return out
    last = max(wanted, default=-1)
    for index, _, frame in video_frames(path):
        if index in wanted:
            out[index] = frame
        if index >= last:
            break
    return out


def _source_frames(source, needed: set[int]) -> dict[int, tuple[str, np.ndarray]]:
    out: dict[int, tuple[str, np.ndarray]] = {}
    last = max(needed, default=-1)
    for index, _, stem, frame in source.frames():
        if index in needed:
            out[index] = (stem, frame)
        if index >= last:
            break
    return out


def _convert_frames(options: EvaluateOptions, plan: _Plan,
                    stems: dict[int, str]) -> dict[int, np.ndarray]:
    from faceswap.lib.convert import ConvertOptions, convert

    with tempfile.TemporaryDirectory(prefix="faceswap_evaluate_") as work:
        out_dir = Path(work) / "swapped"
        # Only the frames measured are converted; the rest are dropped by the frame ranges.
        convert(ConvertOptions(
            input=Path(options.input), output=out_dir, model_dir=Path(options.model_dir),
            alignments=options.alignments, writer="images",
            frame_ranges=[(i, i) for i in plan.needed], **options.convert_options))
        return _read_frames(out_dir, stems)


# ---------------------------------------------------------------------------------------------
# Reconstruction
# ---------------------------------------------------------------------------------------------
def _crop(face: _FaceImage, size: int, centering: str, coverage: float) -> np.ndarray:
    # Cut near the image's own resolution, then shrink with INTER_AREA (as training does):
    # warpAffine alone would alias a large reduction.
    aligned = AlignedFace.from_landmarks(face.landmarks)
    scale = float(np.sqrt(abs(np.linalg.det(aligned.legacy[:, :2]))))
    native = round(coverage / ((1.0 - EXTRACT_RATIOS[centering]) * scale))
    native = max(size, min(native, 4 * max(face.image.shape[:2])))
    crop = aligned.crop(face.image, native, centering, coverage)
    if native != size:
        crop = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    return crop


def _reconstruct(model_dir: Path, side: str, faces: list[_FaceImage]) -> tuple[float, float]:
    """Mean (SSIM, PSNR) of ``side``'s faces through the encoder and that side's decoder."""
    from faceswap.lib import registry
    from faceswap.lib.model_tools import find_plugin_name

    plugin = registry.load_plugin("model", find_plugin_name(model_dir))
    # swap=True is the B → A graph (input A, decoder A): A's own reconstruction.
    model = plugin.Model(model_dir, predict=True, swap=side == "a")
    model.build()
    centering, coverage = model.config["centering"], model.coverage_ratio
    in_size, out_size = model.input_shapes[0][1], model.output_shapes[0][1]
    inputs = np.stack([_crop(f, in_size, centering, coverage) for f in faces])
    targets = [_crop(f, out_size, centering, coverage) for f in faces]
    predicted = model.model.predict_on_batch(inputs.astype(np.float32) / 255.0)
    if isinstance(predicted, list | tuple):
        predicted = predicted[0]
    predicted = np.clip(np.asarray(predicted, np.float32)[..., :3], 0.0, 1.0)
    scores = [image_similarity(t, p) for t, p in zip(targets, predicted, strict=True)]
    return float(np.mean([s for s, _ in scores])), float(np.mean([p for _, p in scores]))


def _reconstruction(options: EvaluateOptions, tools: _Tools, faces_a: list[_FaceImage],
                    faces_b: list[_FaceImage] | None) -> ReconstructionMetrics:
    if options.model_dir is None:
        return ReconstructionMetrics(skipped="no model (-m) given")
    metrics = ReconstructionMetrics()
    for side, holdout, fallback, label, fallback_source in (
        ("a", options.holdout_a, faces_a, "input-a", str(options.input)),
        ("b", options.holdout_b, faces_b, "faces-b", str(options.faces_b)),
    ):
        if holdout is not None:
            faces, data, source = load_faces(Path(holdout), options.reference_faces, tools), \
                "holdout", str(holdout)
        else:
            faces, data, source = fallback or [], label, fallback_source
        faces = sample_evenly(faces, options.reference_faces)
        result = ReconstructionSide(data=data, source=source, faces=len(faces))
        if faces:
            result.ssim, result.psnr = _reconstruct(Path(options.model_dir), side, faces)
        setattr(metrics, side, result)
    return metrics


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------
def _model_info(model_dir: Path | None) -> dict[str, Any] | None:
    if model_dir is None:
        return None
    from faceswap.lib.model_tools import find_plugin_name

    name = find_plugin_name(model_dir)
    state = json.loads((Path(model_dir) / f"{name}_state.json").read_text(encoding="utf-8"))
    return {"dir": str(Path(model_dir).absolute()), "name": name,
            "iterations": int(state.get("iterations", 0))}


def versions() -> dict[str, str]:
    """Versions of faceswap, Python and the packages the metrics depend on."""
    out = {"faceswap": faceswap.__version__, "python": platform.python_version()}
    for dist in ("numpy", "opencv-python-headless", "opencv-python", "dlib-bin", "dlib",
                 "face_recognition_models", "scikit-image", "keras", "tensorflow",
                 "tensorflow-cpu", "jax", "torch", "av"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def _temporal_crop(frame: np.ndarray, face: alignments_file.Face) -> np.ndarray:
    aligned = AlignedFace.from_landmarks(face.landmarks)
    return aligned.crop(frame, _TEMPORAL_SIZE, "face").astype(np.float32)


def evaluate(options: EvaluateOptions,
             progress: Callable[[int, int], None] | None = None) -> EvaluateReport:
    """Convert (or read ``options.swapped``) and measure the swap; see the module docstring."""
    from faceswap.lib.convert import check_alignments, open_source

    start = time.perf_counter()
    if options.frames < 1:
        raise FaceswapError("--frames must be 1 or more.")
    if options.model_dir is None and options.swapped is None:
        raise FaceswapError("Pass the model (-m) to convert with, or an already converted output "
                            "(--swapped).")
    if options.swapped is not None and not Path(options.swapped).exists():
        raise FaceswapError(f"--swapped '{options.swapped}' does not exist.")
    model = _model_info(options.model_dir)
    counts = FrameCounts(requested=options.frames)
    source = open_source(Path(options.input))
    alignments_path = Path(options.alignments or alignments_file.default_path(options.input))
    alignments = alignments_file.load(alignments_path)
    check_alignments(alignments, source, alignments_path)
    plan = _plan(options, source, alignments, counts)

    tools = _Tools(options.detector, options.aligner)
    faces_b = load_faces(Path(options.faces_b), options.reference_faces, tools)
    originals = _source_frames(source, set(plan.needed))
    stems = {index: stem for index, (stem, _) in originals.items()}
    if options.swapped is not None:
        if is_video_file(options.swapped) != plan.is_video and not Path(options.swapped).is_dir():
            logger.warning("--swapped '%s' and the input are not both videos; frames are "
                           "matched by position.", options.swapped)
        swapped = _read_frames(Path(options.swapped), stems)
    else:
        swapped = _convert_frames(options, plan, stems)

    emb_source, emb_swapped, pose_rows, expr_rows = [], [], [], []
    faces_a: list[_FaceImage] = []
    for done, index in enumerate(plan.sampled, 1):
        if progress is not None:
            progress(done, len(plan.sampled))
        if index not in swapped or index not in originals:
            counts.missing_in_swapped += 1
            continue
        frame, result = originals[index][1], swapped[index]
        if result.shape != frame.shape:
            raise FaceswapError(
                f"Frame {index} of the swapped output is {result.shape[1]}x{result.shape[0]}, "
                f"the input's is {frame.shape[1]}x{frame.shape[0]}: --swapped must be a "
                "converted output of -i.")
        counts.evaluated += 1
        box = plan.faces[index].box
        src = tools.measure(frame, box)
        swp = tools.measure(result, box)
        counts.swapped_face_detected += swp.detected
        faces_a.append(_FaceImage(frame, src.landmarks, src.box, stems[index]))
        emb_source.append(tools.embedding(frame, src))
        emb_swapped.append(tools.embedding(result, swp))
        pose_rows.append(pose_difference(src.landmarks, swp.landmarks))
        expr_rows.append(expression_distance(src.landmarks, swp.landmarks))

    identity = IdentityMetrics(faces_b=len(faces_b), faces_a=len(emb_source))
    pose, expression = PoseMetrics(), ExpressionMetrics()
    if emb_swapped:
        mean_a = np.mean(emb_source, axis=0)
        mean_b = np.mean([tools.embedding(f.image, _Measured(f.landmarks, f.box, True))
                          for f in faces_b], axis=0)
        to_a, to_b = identity_scores(np.asarray(emb_swapped), mean_a, mean_b)
        _, source_to_b = identity_scores(np.asarray(emb_source), mean_a, mean_b)
        identity.distance_to_a, identity.distance_to_b = float(to_a.mean()), float(to_b.mean())
        identity.retrieval = float(np.mean(to_b < to_a))
        identity.source_distance_to_b = float(source_to_b.mean())
        identity.a_to_b = float(np.linalg.norm(mean_a - mean_b))
        pose = PoseMetrics(*(float(v) for v in np.mean(pose_rows, axis=0)))
        expression = ExpressionMetrics(*(float(v) for v in np.mean(expr_rows, axis=0)))

    temporal = _temporal(plan, originals, swapped)
    reconstruction = _reconstruction(options, tools, faces_a, faces_b)
    inputs = {"input": str(options.input), "alignments": str(alignments_path),
              "faces_b": str(options.faces_b),
              "swapped": None if options.swapped is None else str(options.swapped),
              "holdout_a": None if options.holdout_a is None else str(options.holdout_a),
              "holdout_b": None if options.holdout_b is None else str(options.holdout_b)}
    return EvaluateReport(
        inputs=inputs, model=model, frames=counts, identity=identity, pose=pose,
        expression=expression, reconstruction=reconstruction, temporal=temporal,
        versions=versions(), seconds=time.perf_counter() - start,
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


def _temporal(plan: _Plan, originals: dict[int, tuple[str, np.ndarray]],
              swapped: dict[int, np.ndarray]) -> TemporalMetrics:
    if not plan.is_video:
        return TemporalMetrics(skipped="the input is not a video")
    src_changes, swp_changes = [], []
    for first, second in plan.companions.items():
        if not all(i in swapped and i in originals for i in (first, second)):
            continue
        face_1, face_2 = plan.faces[first], plan.faces[second]
        src_changes.append(np.abs(_temporal_crop(originals[second][1], face_2)
                                  - _temporal_crop(originals[first][1], face_1)).mean())
        swp_changes.append(np.abs(_temporal_crop(swapped[second], face_2)
                                  - _temporal_crop(swapped[first], face_1)).mean())
    if not src_changes:
        return TemporalMetrics(skipped="no two consecutive frames with a face")
    src, swp = float(np.mean(src_changes)), float(np.mean(swp_changes))
    return TemporalMetrics(pairs=len(src_changes), swapped_change=swp, source_change=src,
                           ratio=swp / src if src > 0 else None)


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------
def _fmt(value: float | None, spec: str = ".3f", suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def format_table(report: EvaluateReport) -> str:
    """The report as the text table `faceswap evaluate` prints."""
    r, idt, pose, expr, tmp = (report.reconstruction, report.identity, report.pose,
                               report.expression, report.temporal)
    model = report.model
    rows: list[tuple[str, str, str]] = [
        ("model", f"{model['name']}, {model['iterations']} iterations" if model else "none",
         ""),
        ("frames", f"{report.frames.evaluated} of {report.frames.sampled} sampled",
         f"swapped face detected in {report.frames.swapped_face_detected}"),
        ("identity: distance to B", _fmt(idt.distance_to_b), "lower is better (<0.6 same person)"),
        ("identity: distance to A", _fmt(idt.distance_to_a), "higher: less of A left"),
        ("identity: retrieval", _fmt(None if idt.retrieval is None else 100 * idt.retrieval,
                                     ".1f", "%"), "frames closer to B than to A"),
        ("identity: source to B / A to B",
         f"{_fmt(idt.source_distance_to_b)} / {_fmt(idt.a_to_b)}", "reference points"),
        ("pose: |dyaw| |dpitch| |droll|",
         " ".join(_fmt(v, ".2f") for v in (pose.yaw, pose.pitch, pose.roll)), "degrees"),
        ("expression: mouth / eyes",
         f"{_fmt(expr.mouth)} / {_fmt(expr.eyes)}", "x inter-ocular distance"),
    ]
    for side, label in (("a", "A->A"), ("b", "B->B")):
        part = getattr(r, side)
        if part is None:
            rows.append((f"reconstruction {label}", "n/a", r.skipped or ""))
        else:
            rows.append((f"reconstruction {label}",
                         f"SSIM {_fmt(part.ssim)}  PSNR {_fmt(part.psnr, '.2f')}",
                         f"{part.faces} faces, {part.data}"))
    rows.append(("temporal: change ratio", _fmt(tmp.ratio),
                 tmp.skipped or f"{tmp.pairs} pairs; swapped {_fmt(tmp.swapped_change, '.2f')} "
                                f"vs source {_fmt(tmp.source_change, '.2f')}"))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}".rstrip() for a, b, c in rows)
