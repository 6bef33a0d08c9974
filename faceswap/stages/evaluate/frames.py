"""Which frames are measured, and reading them from the input and the swapped output."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceswap.lib import alignments as alignments_file
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import is_image_file, list_images, read_image
from faceswap.lib.sources import Source
from faceswap.lib.video import frames as video_frames
from faceswap.stages.evaluate.metrics import sample_evenly
from faceswap.stages.evaluate.report import EvaluateOptions, FrameCounts


@dataclass
class FramePlan:
    keys: list[str]  # every frame key of the input, in order
    sampled: list[int]  # frame indices evaluated
    companions: dict[int, int]  # sampled index -> next index (temporal pairs)
    faces: dict[int, alignments_file.Face]  # index -> the largest face
    is_video: bool

    @property
    def needed(self) -> list[int]:
        return sorted(set(self.sampled) | set(self.companions.values()))


def plan_frames(options: EvaluateOptions, source: Source, alignments: alignments_file.Alignments,
          counts: FrameCounts) -> FramePlan:
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
    return FramePlan(keys, sampled, companions, faces, source.is_video)


def read_frames(path: Path, wanted: dict[int, str]) -> dict[int, np.ndarray]:
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


def source_frames(source: Source, needed: set[int]) -> dict[int, tuple[str, np.ndarray]]:
    out: dict[int, tuple[str, np.ndarray]] = {}
    last = max(needed, default=-1)
    for index, _, stem, frame in source.frames():
        if index in needed:
            out[index] = (stem, frame)
        if index >= last:
            break
    return out


def convert_frames(options: EvaluateOptions, plan: FramePlan,
                    stems: dict[int, str]) -> dict[int, np.ndarray]:
    from faceswap.stages.convert.pipeline import ConvertOptions, convert

    with tempfile.TemporaryDirectory(prefix="faceswap_evaluate_") as work:
        out_dir = Path(work) / "swapped"
        # Only the frames measured are converted; the rest are dropped by the frame ranges.
        convert(ConvertOptions(
            input=Path(options.input), output=out_dir, model_dir=Path(options.model_dir),
            alignments=options.alignments, writer="images",
            frame_ranges=[(i, i) for i in plan.needed], **options.convert_options))
        return read_frames(out_dir, stems)
