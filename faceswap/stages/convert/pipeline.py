"""The convert frame loop: frames + alignments → swapped frames → writer.

For every frame: cut each face out of the frame (the model's centering and coverage), predict a
batch of faces with the inference model (encoder → decoder B), build the mask, match colour,
paste the face back with the inverse of the stored alignment, and hand the frame to the writer
in order. Reading, predicting, patching and writing overlap: a reader thread decodes ahead, the
main thread predicts in batches, a thread pool patches (OpenCV releases the GIL) and frames are
written strictly in order. Output goes to a temporary name and is renamed only when complete.
"""

from __future__ import annotations

import logging
import queue
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from faceswap.lib import alignments as alignments_file
from faceswap.lib import registry
from faceswap.lib.align.aligned_face import AlignedFace, paste_in_region, warp_face
from faceswap.lib.align.masks import CONVERT_MASK_TYPES, LEARNED_MASK_TYPES
from faceswap.lib.errors import FaceswapError
from faceswap.lib.faces import check_stored, mask_in_face
from faceswap.lib.sources import Source, open_source
from faceswap.lib.video import first_video, video_info
from faceswap.stages.convert.blend import MaskSettings, check_sharpening, convert_mask, sharpen
from faceswap.stages.convert.inference import cached_predictor, check_inference, make_predictor

logger = logging.getLogger(__name__)


@dataclass
class ConvertOptions:
    """Everything `faceswap convert` takes."""

    input: Path
    output: Path
    model_dir: Path
    alignments: Path | None = None
    mask: str = "extended"
    mask_settings: MaskSettings = field(default_factory=MaskSettings)
    color: str = "avg-color"
    color_options: dict[str, Any] = field(default_factory=dict)
    sharpen: str = "none"  # none, box, gaussian, unsharp (blend.sharpen)
    sharpen_amount: float = 150.0  # percent
    sharpen_radius: float = 0.3  # percent of the face size
    writer: str | None = None  # default: video for a video input, images otherwise
    writer_options: dict[str, Any] = field(default_factory=dict)
    swap: bool = False
    frame_ranges: list[tuple[int, int]] | None = None
    keep_unchanged: bool = False
    face_scale: float = 0.0  # percent, −10..10
    batch_size: int | None = None
    inference: str = "auto"  # one of inference.RUNTIMES
    inference_precision: str = "auto"  # one of inference.PRECISIONS
    jobs: int = 0
    on_the_fly: bool = False
    reference_video: Path | None = None
    smooth: bool | None = None  # landmark smoothing over time (None: on for a video input)


@dataclass
class ConvertResult:
    frames: int = 0
    frames_written: int = 0
    frames_swapped: int = 0
    faces_swapped: int = 0
    frames_without_face: int = 0
    seconds: float = 0.0
    outputs: list[Path] = field(default_factory=list)
    inference: str = ""  # the runtime and precision that predicted, e.g. "openvino bf16"
    inference_difference: float = 0.0  # its largest difference from Keras on the probe batch

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0


def check_alignments(alignments: alignments_file.Alignments, source: Source, path: Path) -> None:
    """Refuse alignments that belong to another input, naming the first mismatch."""
    if source.keys is None:
        return
    known = set(source.keys)
    for key in alignments.frames:
        if key not in known:
            raise FaceswapError(
                f"The alignments file '{path}' does not match the input: it lists frame "
                f"'{key}', which the input does not have (the input has {len(known)} frames, "
                f"e.g. '{source.keys[0]}'). Use the alignments file extract wrote for this "
                "input (-al), or run `faceswap extract` on it again."
            )
    if alignments.frames and not any(key in alignments.frames for key in source.keys):
        raise FaceswapError(f"No frame of the input appears in '{path}'.")
    # Extract records every frame it read, faces or not: a missing frame was never extracted
    # (-een N, or an interrupted run), and would pass through with the original face on it.
    missing = [key for key in source.keys if key not in alignments.frames]
    if missing:
        logger.warning(
            "%d of %d frames of the input are not in '%s' (first: '%s'); they are written "
            "unchanged. Extract every frame (no -een), or finish the extract with "
            "--skip-existing, to swap them too.", len(missing), len(source.keys), path,
            missing[0])


def in_ranges(index: int, ranges: list[tuple[int, int]] | None) -> bool:
    """Whether frame ``index`` falls in any inclusive ``(start, end)`` range (None: all)."""
    return ranges is None or any(start <= index <= end for start, end in ranges)


def scale_matrix(matrix: np.ndarray, size: int, face_scale: float) -> np.ndarray:
    """Grow (positive %) or shrink the pasted face about the patch centre."""
    if not face_scale:
        return matrix
    factor = 1.0 + face_scale / 100.0
    centre = (size - 1) / 2.0
    scaled = matrix.copy()
    scaled /= factor
    scaled[:, 2] += centre * (1.0 - 1.0 / factor)
    return scaled


@dataclass
class _Face:
    matrix_in: np.ndarray
    matrix_out: np.ndarray
    landmarks_out: np.ndarray
    crop: np.ndarray  # model input, float32 [0, 1]
    stored: np.ndarray | None = None  # a learned mask (`faceswap mask apply`) at output size


class Converter:
    """Holds the inference model and the per-face settings; ``patch_frame`` is thread-safe."""

    def __init__(self, options: ConvertOptions) -> None:
        from faceswap.plugins.train.model import load_model

        if options.mask not in CONVERT_MASK_TYPES:
            raise FaceswapError(f"Unknown mask '{options.mask}'; choose one of "
                                f"{', '.join(CONVERT_MASK_TYPES)}.")
        # Settings are checked before the model loads, so a typo fails in a moment.
        self.color = registry.load_plugin("color", options.color)
        unknown = sorted(set(options.color_options) - set(self.color.OPTIONS))
        if unknown:
            known = ", ".join(sorted(self.color.OPTIONS)) or "none"
            raise FaceswapError(
                f"Colour plugin '{options.color}' has no option {', '.join(unknown)} "
                f"(its options: {known})."
            )
        check_sharpening(options.sharpen, options.sharpen_amount, options.sharpen_radius)
        check_inference(options.inference, options.inference_precision)
        self.model = load_model(options.model_dir, swap=options.swap, build=False)
        cache = {"model_file": self.model.io.model_path,
                 "cache_parts": ("swap" if options.swap else "",)}
        # A cached OpenVINO conversion (checked against the Keras outputs stored with it) needs
        # no Keras model: loading the 330 MB .keras was most of a cached convert's start.
        predictor = cached_predictor(options.inference, options.inference_precision, **cache)
        if predictor is None:
            self.model.build()
        if options.mask == "predicted" and not self.model.config["learn_mask"]:
            raise FaceswapError(
                "-M predicted needs a model trained with learn_mask; this one has no mask output. "
                "Use -M extended or components."
            )
        self.options = options
        self.centering = self.model.config["centering"]
        self.coverage = self.model.coverage_ratio
        self.batch_size = options.batch_size or int(self.model.config["convert_batchsize"])
        if predictor is None:
            predictor = make_predictor(self.model.model, options.inference,
                                       options.inference_precision, self.batch_size, **cache)
            # The inference model holds one side: its input, its largest face, its mask.
            self.input_size = self.model.input_sizes[0]
            self.output_size = self.model.output_size
        else:
            self.input_size = predictor.input_shape[0]
            self.output_size = predictor.output_shapes[0][0]
        self.predictor = predictor

    def faces_of(self, frame: np.ndarray, faces: list[alignments_file.Face]) -> list[_Face]:
        found = []
        for face in faces:
            aligned = AlignedFace.from_landmarks(face.landmarks)
            matrix_in = aligned.matrix(self.input_size, self.centering, self.coverage)
            matrix_out = aligned.matrix(self.output_size, self.centering, self.coverage)
            crop = warp_face(frame, matrix_in, self.input_size).astype(np.float32) / 255.0
            stored = None
            if self.options.mask in LEARNED_MASK_TYPES:  # present: convert() checked
                stored = mask_in_face(face.masks[self.options.mask], face.landmarks,
                                      self.output_size, self.centering,
                                      self.coverage).astype(np.float32) / 255.0
            found.append(_Face(matrix_in, matrix_out,
                               aligned.aligned_landmarks(self.output_size, self.centering,
                                                         self.coverage), crop, stored))
        return found

    def predict(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Swapped faces (and learned masks) for a batch of model-input crops."""
        outputs = self.predictor(crops)
        return outputs[0], (outputs[-1] if len(outputs) > 1 else None)

    def patch_frame(self, frame: np.ndarray, faces: list[_Face], swapped: np.ndarray,
                    masks: np.ndarray | None) -> tuple[np.ndarray, list[tuple[np.ndarray,
                                                                           np.ndarray]]]:
        """``frame`` with every swapped face masked, colour-matched and pasted back.

        Also returns each face's BGRA patch (mask as alpha) and its frame → patch matrix, for
        writers that composite elsewhere.
        """
        out = frame.copy()  # faces are cut from the untouched frame
        patches = []
        size = self.output_size
        for i, face in enumerate(faces):
            old = warp_face(frame, face.matrix_out, size).astype(np.float32) / 255.0
            predicted = face.stored if face.stored is not None else (
                None if masks is None else masks[i])
            raw = convert_mask(self.options.mask, size, landmarks=face.landmarks_out,
                               predicted=predicted, settings=MaskSettings(type="none"))
            mask = convert_mask(self.options.mask, size, landmarks=face.landmarks_out,
                                predicted=predicted, settings=self.options.mask_settings)
            new = self.color.adjust(old, swapped[i], raw, **self.options.color_options)
            new = sharpen(new, self.options.sharpen, self.options.sharpen_amount,
                          self.options.sharpen_radius)
            new_u8 = np.clip(np.rint(new * 255.0), 0, 255).astype(np.uint8)
            matrix = scale_matrix(face.matrix_out, size, self.options.face_scale)
            paste_in_region(out, new_u8, matrix, mask[..., 0])
            alpha = np.clip(np.rint(mask * 255.0), 0, 255).astype(np.uint8)
            patches.append((np.concatenate([new_u8, alpha], axis=-1), matrix))
        return out, patches


def smoothed(alignments: alignments_file.Alignments, source: Source,
             smooth: bool | None) -> alignments_file.Alignments:
    """The alignments with landmarks smoothed over time (lib/align/smoothing.py), if asked.

    ``smooth`` None means: for a video input. A file extract already smoothed is used as is.
    """
    if not (source.is_video if smooth is None else smooth):
        return alignments
    if alignments.extract.get("smoothing"):
        logger.info("The alignments file was smoothed at extract; not smoothing it again.")
        return alignments
    from faceswap.lib.align.smoothing import SmoothSettings, smooth_alignments

    fps = source.fps or float(alignments.source.get("fps") or 25.0)
    return smooth_alignments(alignments, SmoothSettings(fps=fps))


def output_rate(source: Source, reference_video: Path | None) -> Fraction | None:
    """The exact frame rate to write at: the input's, else the reference video's (None: the
    writer's default).

    Read here, once, so writers never reopen a video for it; a float would drift over a long
    video (29.97 is 30000/1001).
    """
    if source.rate or reference_video is None:
        return source.rate
    # The writer picks its audio with the same test: rate and audio come from one file.
    reference = first_video(reference_video)
    if reference is None:
        logger.warning("The reference video '%s' is %s, so its frame rate and audio are not "
                       "used.", reference_video, "not a video file name"
                       if Path(reference_video).is_file() else "missing")
        return None
    try:
        return video_info(reference).rate
    except FaceswapError as err:
        raise FaceswapError(f"-r/--reference-video: {err}") from None


def _load_alignments(options: ConvertOptions, workdir: Path) -> tuple[Any, Path]:
    path = options.alignments or alignments_file.default_path(options.input)
    if not Path(path).exists() and options.on_the_fly:
        from faceswap.stages.extract import ExtractOptions, extract

        logger.info("No alignments at '%s': extracting faces on the fly", path)
        path = workdir / "alignments.json"
        extract(ExtractOptions(options.input, workdir / "faces", alignments=path))
    return alignments_file.load(path), Path(path)


def convert(options: ConvertOptions,
            progress: Callable[[int, int], None] | None = None) -> ConvertResult:
    """Swap the faces of ``options.input`` and write the result; returns what was done."""
    start = time.perf_counter()
    source = open_source(Path(options.input))
    with tempfile.TemporaryDirectory(prefix="faceswap_convert_") as work:
        alignments, alignments_path = _load_alignments(options, Path(work))
    check_alignments(alignments, source, alignments_path)
    check_stored(alignments, options.mask, alignments_path)
    alignments = smoothed(alignments, source, options.smooth)
    converter = Converter(options)
    writer_name = options.writer or ("video" if source.is_video else "images")
    writer_module = registry.load_plugin("writer", writer_name)
    writer = writer_module.Writer(
        Path(options.output), fps=output_rate(source, options.reference_video),
        source=Path(options.input) if source.is_video else None,
        reference_video=options.reference_video, options=options.writer_options,
        info={"model": converter.model.name, "iterations": converter.model.iterations},
    )
    summary = ConvertResult(inference=converter.predictor.label,
                             inference_difference=converter.predictor.max_difference)
    try:
        _run(converter, source, alignments, writer, summary, progress)
        summary.outputs = writer.close()
    except BaseException:
        writer.abort()
        raise
    summary.seconds = time.perf_counter() - start
    return summary


def _reader(source: Source, out: queue.Queue, stop: threading.Event) -> None:
    try:
        for item in source.frames():
            while not stop.is_set():
                try:
                    out.put(item, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if stop.is_set():
                return
        out.put(None)
    except BaseException as err:  # hand decoding errors to the main thread
        out.put(err)


def _write_in_order(ordered: queue.Queue, writer, summary: ConvertResult,
                    failure: list[BaseException], stop: threading.Event) -> None:
    """The writer thread: frames (or patch futures) arrive in frame order; write them."""
    write_patch = getattr(writer, "write_patch", None)
    try:
        while not stop.is_set():
            try:
                item = ordered.get(timeout=0.1)
            except queue.Empty:
                continue
            if item is None:
                return
            stem, result = item
            if result is None:  # a frame outside -R without -k: dropped
                continue
            if isinstance(result, Future):
                result, patches = result.result()
                if write_patch is not None:
                    for index, (patch, matrix) in enumerate(patches):
                        write_patch(stem, index, patch, matrix)
            writer.write(stem, result)
            summary.frames_written += 1
    except BaseException as err:  # handed to the main thread, which stops and aborts
        failure.append(err)


def _run(converter: Converter, source: Source, alignments, writer, summary: ConvertResult,
         progress: Callable[[int, int], None] | None) -> None:
    options = converter.options
    jobs = options.jobs or 2
    stop = threading.Event()
    failure: list[BaseException] = []
    frames: queue.Queue = queue.Queue(maxsize=max(8, converter.batch_size))
    # (stem, Future | frame | None) strictly in frame order; bounded so memory stays flat.
    ordered: queue.Queue = queue.Queue(maxsize=2 * jobs + converter.batch_size)
    reader = threading.Thread(target=_reader, args=(source, frames, stop), daemon=True)
    output = threading.Thread(target=_write_in_order,
                              args=(ordered, writer, summary, failure, stop), daemon=True)
    # Frames in arrival order; ``faces`` None marks a frame that passes through (or is dropped
    # when its frame is None) but must still wait for the frames before it.
    batch: list[tuple[str, np.ndarray | None, list[_Face] | None]] = []

    def emit(item) -> None:
        while True:
            if failure:
                raise failure[0]
            try:
                ordered.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def flush_batch(pool: ThreadPoolExecutor) -> None:
        crops = np.stack([face.crop for _, _, faces in batch if faces for face in faces])
        swapped, masks = converter.predict(crops)
        offset = 0
        for stem, frame, faces in batch:
            if faces is None:
                emit((stem, frame))
                continue
            count = len(faces)
            frame_masks = None if masks is None else masks[offset:offset + count]
            emit((stem, pool.submit(converter.patch_frame, frame, faces,
                                    swapped[offset:offset + count], frame_masks)))
            offset += count
            summary.frames_swapped += 1
            summary.faces_swapped += count
        batch.clear()

    reader.start()
    output.start()
    try:
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="patch") as pool:
            while True:
                item = frames.get()
                if item is None:
                    break
                if isinstance(item, BaseException):
                    raise item
                index, key, stem, frame = item
                summary.frames += 1
                entry = alignments.frames.get(key)
                faces = entry.faces if entry else []
                if in_ranges(index, options.frame_ranges) and faces:
                    batch.append((stem, frame, converter.faces_of(frame, faces)))
                    if sum(len(f) for _, _, f in batch if f) >= converter.batch_size:
                        flush_batch(pool)
                else:
                    if not faces and in_ranges(index, options.frame_ranges):
                        summary.frames_without_face += 1
                    # Out of range: kept with -k, else dropped. No face: unchanged.
                    keep = options.keep_unchanged or in_ranges(index, options.frame_ranges)
                    passed = frame if keep else None
                    if batch:
                        batch.append((stem, passed, None))
                    else:
                        emit((stem, passed))
                if progress is not None:
                    progress(summary.frames, source.total)
            if batch:
                flush_batch(pool)
            emit(None)
            output.join()
        if failure:
            raise failure[0]
    finally:
        stop.set()
        output.join(timeout=30)
        reader.join(timeout=5)
