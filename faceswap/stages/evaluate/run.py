"""The evaluation run: plan the frames, convert or read them, measure, report."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from faceswap.lib import alignments as alignments_file
from faceswap.lib.errors import FaceswapError
from faceswap.lib.sources import open_source
from faceswap.lib.video import is_video_file
from faceswap.stages.evaluate.faces import FaceImage, FaceTools, Measured, load_faces
from faceswap.stages.evaluate.frames import (
    FramePlan,
    convert_frames,
    plan_frames,
    read_frames,
    source_frames,
)
from faceswap.stages.evaluate.metrics import (
    expression_distance,
    identity_scores,
    pose_difference,
    temporal_crop,
)
from faceswap.stages.evaluate.reconstruction import reconstruction_metrics
from faceswap.stages.evaluate.report import (
    EvaluateOptions,
    EvaluateResult,
    ExpressionMetrics,
    FrameCounts,
    IdentityMetrics,
    PoseMetrics,
    TemporalMetrics,
    versions,
)

logger = logging.getLogger(__name__)


def model_info(model_dir: Path | None) -> dict[str, Any] | None:
    if model_dir is None:
        return None
    from faceswap.plugins.train.model import read_model_state

    state = read_model_state(model_dir)
    return {"dir": str(Path(model_dir).absolute()), "name": str(state["name"]),
            "iterations": int(state.get("iterations", 0))}


def evaluate(options: EvaluateOptions,
             progress: Callable[[int, int], None] | None = None) -> EvaluateResult:
    """Convert (or read ``options.swapped``) and measure the swap; see the module docstring."""
    from faceswap.stages.convert.pipeline import check_alignments

    start = time.perf_counter()
    if options.frames < 1:
        raise FaceswapError("--frames must be 1 or more.")
    if options.model_dir is None and options.swapped is None:
        raise FaceswapError("Pass the model (-m) to convert with, or an already converted output "
                            "(--swapped).")
    if options.swapped is not None and not Path(options.swapped).exists():
        raise FaceswapError(f"--swapped '{options.swapped}' does not exist.")
    model = model_info(options.model_dir)
    counts = FrameCounts(requested=options.frames)
    source = open_source(Path(options.input))
    alignments_path = Path(options.alignments or alignments_file.default_path(options.input))
    alignments = alignments_file.load(alignments_path)
    check_alignments(alignments, source, alignments_path)
    plan = plan_frames(options, source, alignments, counts)

    tools = FaceTools(options.detector, options.aligner)
    faces_b = load_faces(Path(options.faces_b), options.reference_faces, tools)
    originals = source_frames(source, set(plan.needed))
    stems = {index: stem for index, (stem, _) in originals.items()}
    if options.swapped is not None:
        if is_video_file(options.swapped) != plan.is_video and not Path(options.swapped).is_dir():
            logger.warning("--swapped '%s' and the input are not both videos; frames are "
                           "matched by position.", options.swapped)
        swapped = read_frames(Path(options.swapped), stems)
    else:
        swapped = convert_frames(options, plan, stems)

    emb_source, emb_swapped, pose_rows, expr_rows = [], [], [], []
    faces_a: list[FaceImage] = []
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
        faces_a.append(FaceImage(frame, src.landmarks, src.box, stems[index]))
        emb_source.append(tools.embedding(frame, src))
        emb_swapped.append(tools.embedding(result, swp))
        pose_rows.append(pose_difference(src.landmarks, swp.landmarks))
        expr_rows.append(expression_distance(src.landmarks, swp.landmarks))

    identity = IdentityMetrics(faces_b=len(faces_b), faces_a=len(emb_source))
    pose, expression = PoseMetrics(), ExpressionMetrics()
    if emb_swapped:
        mean_a = np.mean(emb_source, axis=0)
        mean_b = np.mean([tools.embedding(f.image, Measured(f.landmarks, f.box, True))
                          for f in faces_b], axis=0)
        to_a, to_b = identity_scores(np.asarray(emb_swapped), mean_a, mean_b)
        _, source_to_b = identity_scores(np.asarray(emb_source), mean_a, mean_b)
        identity.distance_to_a, identity.distance_to_b = float(to_a.mean()), float(to_b.mean())
        identity.retrieval = float(np.mean(to_b < to_a))
        identity.source_distance_to_b = float(source_to_b.mean())
        identity.a_to_b = float(np.linalg.norm(mean_a - mean_b))
        pose = PoseMetrics(*(float(v) for v in np.mean(pose_rows, axis=0)))
        expression = ExpressionMetrics(*(float(v) for v in np.mean(expr_rows, axis=0)))

    temporal = temporal_metrics(plan, originals, swapped)
    reconstruction = reconstruction_metrics(options, tools, faces_a, faces_b)
    inputs = {"input": str(options.input), "alignments": str(alignments_path),
              "faces_b": str(options.faces_b),
              "swapped": None if options.swapped is None else str(options.swapped),
              "holdout_a": None if options.holdout_a is None else str(options.holdout_a),
              "holdout_b": None if options.holdout_b is None else str(options.holdout_b)}
    return EvaluateResult(
        inputs=inputs, model=model, frames=counts, identity=identity, pose=pose,
        expression=expression, reconstruction=reconstruction, temporal=temporal,
        versions=versions(), seconds=time.perf_counter() - start,
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


def temporal_metrics(plan: FramePlan, originals: dict[int, tuple[str, np.ndarray]],
              swapped: dict[int, np.ndarray]) -> TemporalMetrics:
    if not plan.is_video:
        return TemporalMetrics(skipped="the input is not a video")
    src_changes, swp_changes = [], []
    for first, second in plan.companions.items():
        if not all(i in swapped and i in originals for i in (first, second)):
            continue
        face_1, face_2 = plan.faces[first], plan.faces[second]
        src_changes.append(np.abs(temporal_crop(originals[second][1], face_2)
                                  - temporal_crop(originals[first][1], face_1)).mean())
        swp_changes.append(np.abs(temporal_crop(swapped[second], face_2)
                                  - temporal_crop(swapped[first], face_1)).mean())
    if not src_changes:
        return TemporalMetrics(skipped="no two consecutive frames with a face")
    src, swp = float(np.mean(src_changes)), float(np.mean(swp_changes))
    return TemporalMetrics(pairs=len(src_changes), swapped_change=swp, source_change=src,
                           ratio=swp / src if src > 0 else None)
