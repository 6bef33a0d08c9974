"""A→A and B→B: how well the model rebuilds faces (SSIM, PSNR)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from faceswap.lib.align.aligned_face import EXTRACT_RATIOS, AlignedFace
from faceswap.stages.evaluate.faces import FaceImage, FaceTools, load_faces
from faceswap.stages.evaluate.metrics import image_similarity, sample_evenly
from faceswap.stages.evaluate.report import (
    EvaluateOptions,
    ReconstructionMetrics,
    ReconstructionSide,
)


def crop_face(face: FaceImage, size: int, centering: str, coverage: float) -> np.ndarray:
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


def reconstruct(model_dir: Path, side: str, faces: list[FaceImage]) -> tuple[float, float]:
    """Mean (SSIM, PSNR) of ``side``'s faces through the encoder and that side's decoder."""
    from faceswap.plugins.train.model import load_model

    # swap=True is the B → A graph (input A, decoder A): A's own reconstruction.
    model = load_model(model_dir, swap=side == "a")
    centering, coverage = model.config["centering"], model.coverage_ratio
    # The inference model has this side's input and its largest face (then the mask) only.
    in_size, out_size = model.input_sizes[0], model.output_size
    inputs = np.stack([crop_face(f, in_size, centering, coverage) for f in faces])
    targets = [crop_face(f, out_size, centering, coverage) for f in faces]
    predicted = model.model.predict_on_batch(inputs.astype(np.float32) / 255.0)
    if isinstance(predicted, list | tuple):
        predicted = predicted[model.face_output(side)]
    predicted = np.clip(np.asarray(predicted, np.float32)[..., :3], 0.0, 1.0)
    scores = [image_similarity(t, p) for t, p in zip(targets, predicted, strict=True)]
    return float(np.mean([s for s, _ in scores])), float(np.mean([p for _, p in scores]))


def reconstruction_metrics(options: EvaluateOptions, tools: FaceTools, faces_a: list[FaceImage],
                    faces_b: list[FaceImage] | None) -> ReconstructionMetrics:
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
            result.ssim, result.psnr = reconstruct(Path(options.model_dir), side, faces)
        setattr(metrics, side, result)
    return metrics
