"""The extract pipeline: images or video -> aligned face PNGs + one alignments file.

Per frame: detect (plugin) -> 68 landmarks (plugin) -> size filter -> alignment matrix and pose
(faceswap.lib.align) -> optional identity filter -> head-centred aligned face + landmark masks.
Detection and landmarks run in ``jobs`` worker threads (dlib and OpenCV release the GIL), video
decoding runs in the calling thread and PNG encoding + writing in one more thread, so the three
overlap. Results are consumed in frame order, so the alignments file is always in frame order.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from faceswap.lib import alignments as alignments_file
from faceswap.lib import atomic
from faceswap.lib.align import (
    MASK_TYPES,
    AlignedFace,
)
from faceswap.lib.align.smoothing import SmoothSettings, is_cut, smooth_alignments, thumbnail
from faceswap.lib.errors import FaceswapError
from faceswap.lib.faces import (
    CENTERING,
    COVERAGE,
    DEFAULT_MASKS,
    MASK_CENTERING,
    MASK_SIZE,
    face_metadata,
    landmark_masks,
)
from faceswap.lib.identity import (
    IDENTITY_NAME,
    IDENTITY_THRESHOLD,
    face_embedding,
    reference_embeddings,
)
from faceswap.lib.image import write_face_png
from faceswap.lib.registry import load_plugin
from faceswap.lib.sources import open_source
from faceswap.lib.version import __version__

logger = logging.getLogger(__name__)


@dataclass
class ExtractOptions:
    """Everything `faceswap extract` takes (the CLI flag in brackets)."""

    input: str | Path  # an image, a folder of images or a video (-i)
    output_dir: str | Path  # aligned face PNGs (-o)
    detector: str = "dlib-hog"  # -D
    aligner: str = "dlib-68"  # -A
    masks: Sequence[str] = DEFAULT_MASKS  # -M, from MASK_TYPES
    size: int = 256  # -sz: side of the aligned faces in pixels
    every_n: int = 1  # -een
    min_size: int = 0  # --min-size: px, shorter side of the detected box
    references: Sequence[str | Path] = ()  # -f: keep only faces like these photos
    identity_threshold: float = IDENTITY_THRESHOLD  # --ref-threshold
    skip_existing: bool = False  # --skip-existing: resume
    jobs: int | None = None  # -j: worker threads (default: cores, at most 8)
    alignments: str | Path | None = None  # -al (default <input>_alignments.json beside it)
    save_interval: float = 30.0  # seconds between alignments saves during a long run
    smooth: bool = False  # --smooth: store landmarks smoothed over time (video)


@dataclass
class ExtractResult:
    """What one extract run did; ``lines()`` is the text the CLI prints."""

    input: str
    output_dir: str
    alignments_path: str
    frames_total: int = 0  # frames selected for this run (after every-Nth)
    frames_processed: int = 0
    frames_skipped: int = 0  # already in the alignments file (--skip-existing)
    frames_without_face: int = 0
    faces_found: int = 0  # faces with landmarks, before filters
    faces_written: int = 0
    faces_too_small: int = 0
    faces_other_identity: int = 0
    unreadable: list[str] = field(default_factory=list)
    seconds: float = 0.0
    smoothed: bool = False  # landmarks stored smoothed over time (--smooth)
    scene_cuts: int = 0  # shots the smoothing kept apart, less one

    @property
    def frames_per_second(self) -> float:
        return self.frames_processed / self.seconds if self.seconds > 0 else 0.0

    def lines(self) -> list[str]:
        out = [
            f"Frames: {self.frames_processed} processed, {self.frames_skipped} skipped (already "
            f"extracted), {self.frames_without_face} without a face, "
            f"{len(self.unreadable)} unreadable",
            f"Faces: {self.faces_found} found, {self.faces_written} written"
            + (f", {self.faces_too_small} smaller than --min-size" if self.faces_too_small else "")
            + (f", {self.faces_other_identity} not matching -f" if self.faces_other_identity
               else ""),
            f"Time: {self.seconds:.1f} s ({self.frames_per_second:.1f} frames/s)",
            f"Faces in: {self.output_dir}",
            f"Alignments: {self.alignments_path}",
        ]
        if self.smoothed:
            out.append(f"Landmarks: smoothed over time ({self.scene_cuts} scene cuts)")
        out.extend(f"Unreadable, skipped: {name}" for name in self.unreadable)
        return out


@dataclass
class _FaceResult:
    face: alignments_file.Face
    image: np.ndarray
    metadata: dict[str, Any]


@dataclass
class _FrameResult:
    key: str
    stem: str
    dims: tuple[int, int] = (0, 0)
    faces: list[_FaceResult] = field(default_factory=list)
    found: int = 0
    too_small: int = 0
    other_identity: int = 0
    error: str | None = None
    thumb: np.ndarray | None = None  # for scene cuts (lib/align/smoothing.thumbnail)


# --- per-frame work ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Settings:
    detector: Any
    aligner: Any
    masks: tuple[str, ...]
    size: int
    min_size: int
    references: tuple[np.ndarray, ...]
    identity_threshold: float
    source_name: str
    alignments_name: str
    is_video: bool


def _process(key: str, stem: str, load: Callable[[], np.ndarray], cfg: _Settings) -> _FrameResult:
    result = _FrameResult(key=key, stem=stem)
    try:
        image = load()
    except FaceswapError as err:
        result.error = str(err)
        return result
    result.dims = (int(image.shape[0]), int(image.shape[1]))
    if cfg.is_video:
        result.thumb = thumbnail(image)
    # Left to right, so face indices are stable between runs and detectors.
    detections = sorted(cfg.detector.detect(image), key=lambda d: (d.box[0], d.box[1]))
    index = 0
    for detection in detections:
        landmarks = np.asarray(cfg.aligner.landmarks(image, detection.box), dtype=np.float32)
        result.found += 1
        if min(detection.box[2], detection.box[3]) < cfg.min_size:
            result.too_small += 1
            continue
        identity: dict[str, list[float]] = {}
        if cfg.references:
            embedding = face_embedding(image, detection.box, landmarks)
            distance = min(float(np.linalg.norm(embedding - ref)) for ref in cfg.references)
            if distance > cfg.identity_threshold:
                result.other_identity += 1
                continue
            identity = {IDENTITY_NAME: embedding.tolist()}
        aligned = AlignedFace.from_landmarks(landmarks)
        matrix = aligned.matrix(cfg.size, CENTERING, COVERAGE)
        face_image = aligned.crop(image, cfg.size, CENTERING, COVERAGE)
        masks = landmark_masks(aligned, cfg.masks)
        file_name = alignments_file.face_file_name(key, index, cfg.is_video)
        face = alignments_file.Face(
            index=index, box=tuple(int(v) for v in detection.box), score=float(detection.score),  # type: ignore[arg-type]
            landmarks=landmarks, matrix=aligned.legacy, pose=aligned.pose.to_dict(),
            file=file_name, masks=masks, identity=identity,
        )
        source = {"source": cfg.source_name, "frame": key, "face_index": index,
                  "frame_dims": list(result.dims), "is_video": cfg.is_video,
                  "alignments": cfg.alignments_name}
        metadata = face_metadata(face, cfg.size, matrix, source, landmarks)
        result.faces.append(_FaceResult(face, face_image, metadata))
        index += 1
    return result


# --- the run ----------------------------------------------------------------------------------

def smoothed_with_masks(data: alignments_file.Alignments, masks: Sequence[str],
                        fps: float | None) -> alignments_file.Alignments:
    """``data`` with landmarks smoothed over time and its landmark masks drawn from them.

    The face PNGs keep the detector's own landmarks in their metadata, so `faceswap alignments
    from-faces` gets the unsmoothed file back.
    """
    out = smooth_alignments(data, SmoothSettings(fps=fps or float(data.source.get("fps")
                                                                 or 25.0)))
    for frame in out.frames.values():
        for face in frame.faces:
            face.masks = {**face.masks,
                          **landmark_masks(AlignedFace.from_landmarks(face.landmarks),
                                           [m for m in masks if m in face.masks])}
    return out


def _check_options(options: ExtractOptions) -> None:
    if options.size < 64 or options.size > 4096:
        raise FaceswapError(f"Face size {options.size} is out of range; choose 64-4096 (-sz).")
    unknown = [m for m in options.masks if m not in MASK_TYPES]
    if unknown:
        raise FaceswapError(f"Unknown mask {', '.join(unknown)}; choose from "
                            f"{', '.join(MASK_TYPES)}.")


def _check_resumable(
    previous: alignments_file.Alignments, path: Path, input_path: Path, size: int
) -> None:
    # Resuming into another source's file or at another face size would mix incompatible faces.
    old_source = Path(str(previous.source.get("path", ""))).name
    if old_source and old_source != input_path.name:
        raise FaceswapError(
            f"'{path}' belongs to '{old_source}', not '{input_path.name}'; --skip-existing can "
            "only resume the same source. Pass -al with another file name, or drop "
            "--skip-existing."
        )
    old_size = previous.extract.get("size")
    if old_size is not None and int(old_size) != size:
        raise FaceswapError(
            f"'{path}' was extracted at -sz {old_size}, this run asks for {size}. Resume with "
            f"-sz {old_size}, or run without --skip-existing to start again."
        )


def _alignments_path(alignments: str | Path | None, input_path: Path, output_dir: Path) -> Path:
    if alignments is not None:
        return Path(alignments)
    path = alignments_file.default_path(input_path)
    if not os.access(path.parent, os.W_OK):
        fallback = output_dir / path.name
        logger.warning("Cannot write beside the input ('%s'); writing the alignments file "
                       "to '%s' instead.", path.parent, fallback)
        path = fallback
    return Path(path)


def _extract_info(options: ExtractOptions, identity_filter: bool,
                  scene_cuts: list[str]) -> dict[str, Any]:
    return {
        "detector": options.detector, "aligner": options.aligner, "size": options.size,
        "centering": CENTERING, "coverage": COVERAGE, "masks": list(options.masks),
        "mask_size": MASK_SIZE, "mask_centering": MASK_CENTERING, "every_n": options.every_n,
        "min_size": options.min_size, "identity_filter": identity_filter,
        "faceswap_version": __version__,
        # Frames that start a new shot, in frame order: landmark smoothing never crosses them.
        "scene_cuts": scene_cuts,
    }


def _new_folders(path: Path) -> list[Path]:
    """``path`` and its missing parents, deepest first: what a failed run must remove again."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    return missing


def _remove_if_empty(folders: list[Path]) -> None:
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # not empty (or already gone): keep it
            return


class Extractor:
    """One extract run: what its frame loop shares (alignments, counts, saves, write futures).

    Everything that can refuse the run (source, folders, plugins, an alignments file to resume)
    is checked on construction, before a frame is read; ``run`` then processes the frames.
    """

    def __init__(self, options: ExtractOptions,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.options, self.progress = options, progress
        self.input_path, self.output_dir = Path(options.input), Path(options.output_dir)
        self.jobs = max(1, options.jobs or min(8, os.cpu_count() or 1))
        self.source = open_source(self.input_path, options.every_n)
        if options.smooth and not self.source.is_video:
            logger.warning("--smooth applies to video only: the landmarks of images are stored "
                           "as found.")
        self.created = _new_folders(self.output_dir.absolute())
        atomic.check_writable(self.output_dir)
        self.alignments_path = _alignments_path(options.alignments, self.input_path,
                                                self.output_dir)
        atomic.check_writable(self.alignments_path.parent)
        detector, aligner, previous, refs = self._load()
        resumed = previous is not None and options.skip_existing
        self.data = self._resumed(previous) if resumed else alignments_file.Alignments()
        self.data.source = self.source.info
        self.data.extract = _extract_info(
            options, bool(refs), list(self.data.extract.get("scene_cuts", [])) if resumed else [])
        self.settings = _Settings(
            detector=detector, aligner=aligner, masks=tuple(options.masks), size=options.size,
            min_size=options.min_size, references=refs,
            identity_threshold=options.identity_threshold, source_name=self.input_path.name,
            alignments_name=self.alignments_path.name, is_video=self.source.is_video,
        )
        self.result = ExtractResult(
            input=str(self.input_path), output_dir=str(self.output_dir),
            alignments_path=str(self.alignments_path), frames_total=self.source.total)
        # Backed up only once something replaces it: a failed run leaves the old file alone.
        self.backup_due = previous is not None and not options.skip_existing
        self.cut_threshold = SmoothSettings().cut_threshold
        self.last_thumb: np.ndarray | None = None
        self.pending: deque[Future[_FrameResult]] = deque()
        self.writes: deque[Future[None]] = deque()
        self.last_save = time.monotonic()
        self.done = 0

    def _load(self) -> tuple[Any, Any, alignments_file.Alignments | None,
                             tuple[np.ndarray, ...]]:
        try:
            detector = load_plugin("detect", self.options.detector)
            aligner = load_plugin("align", self.options.aligner)
            # Always read an existing file first: a foreign or corrupt one stops the run untouched.
            path = self.alignments_path
            previous = alignments_file.load(path) if path.exists() else None
            refs = tuple(reference_embeddings(self.options.references, detector, aligner))
        except BaseException:
            _remove_if_empty(self.created)
            raise
        return detector, aligner, previous, refs

    def _resumed(self, previous: alignments_file.Alignments) -> alignments_file.Alignments:
        try:  # a refused resume leaves no new folder behind
            _check_resumable(previous, self.alignments_path, self.input_path, self.options.size)
        except FaceswapError:
            _remove_if_empty(self.created)
            raise
        if previous.extract.get("smoothing"):
            _remove_if_empty(self.created)
            raise FaceswapError(
                f"'{self.alignments_path}' holds landmarks smoothed over time (--smooth), so new "
                "frames cannot be added to it. Run without --skip-existing to extract again.")
        return previous

    def save(self) -> None:
        """Write the alignments file (atomically), backing up the one it replaces once."""
        alignments_file.save(self.data, self.alignments_path, backup=self.backup_due)
        if self.backup_due:
            logger.info("Replaced '%s' (previous version kept as '%s'). Use --skip-existing "
                        "to add to it instead.", self.alignments_path,
                        alignments_file.backup_path(self.alignments_path).name)
            self.backup_due = False

    def done_already(self, key: str) -> bool:
        """Whether frame ``key`` is in the alignments file with all its faces on disk."""
        frame = self.data.frames.get(key)
        return frame is not None and all(
            face.file and (self.output_dir / face.file).is_file() for face in frame.faces
        )

    def tick(self) -> None:
        """Count one more frame done (processed, unreadable or skipped) and report it."""
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.source.total)

    def consume(self, frame: _FrameResult, writer: ThreadPoolExecutor) -> None:
        """Take one processed frame, in frame order: count it, queue its faces, maybe save."""
        self.tick()
        if is_cut(self.last_thumb, frame.thumb, self.cut_threshold):
            self.data.extract["scene_cuts"].append(frame.key)
        self.last_thumb = frame.thumb
        result = self.result
        if frame.error:
            result.unreadable.append(frame.key)
            logger.warning("Skipped unreadable '%s': %s", frame.key, frame.error)
            return
        result.frames_processed += 1
        result.faces_found += frame.found
        result.faces_too_small += frame.too_small
        result.faces_other_identity += frame.other_identity
        if not frame.faces:
            result.frames_without_face += 1
        for item in frame.faces:
            self.writes.append(writer.submit(write_face_png, self.output_dir / item.face.file,
                                             item.image, item.metadata))
        result.faces_written += len(frame.faces)
        self.data.frames[frame.key] = alignments_file.Frame(frame.dims,
                                                             [f.face for f in frame.faces])
        # Re-raise write errors (disk full) promptly, and wait when the writer falls behind so
        # queued face images cannot pile up in memory.
        while self.writes and (self.writes[0].done() or len(self.writes) > 8 * self.jobs):
            self.writes.popleft().result()
        if time.monotonic() - self.last_save > self.options.save_interval:
            self.save()
            self.last_save = time.monotonic()

    def _feed(self, pool: ThreadPoolExecutor, writer: ThreadPoolExecutor) -> None:
        for item in self.source.items():
            if self.options.skip_existing and self.done_already(item.key):
                self.result.frames_skipped += 1
                self.last_thumb = None  # a cut next to a skipped frame cannot be seen
                self.tick()
                continue
            self.pending.append(pool.submit(_process, item.key, item.stem, item.load,
                                            self.settings))
            while len(self.pending) > 2 * self.jobs:  # bounded: memory stays flat on long videos
                self.consume(self.pending.popleft().result(), writer)
        while self.pending:
            self.consume(self.pending.popleft().result(), writer)

    def run(self) -> ExtractResult:
        """Process every frame and save the alignments file; returns the counts (no time yet).

        When not a single frame could be read, raises FaceswapError and removes the folders
        this run created.
        """
        # Our workers already use every core; OpenCV's own thread pool on top (cv2.dnn, resize)
        # would only oversubscribe them.
        cv2_threads = cv2.getNumThreads()
        if self.jobs > 1:
            cv2.setNumThreads(1)
        result = self.result
        with ThreadPoolExecutor(self.jobs, thread_name_prefix="extract") as pool, \
                ThreadPoolExecutor(1, thread_name_prefix="write") as writer:
            try:
                self._feed(pool, writer)
                if self.options.smooth and self.source.is_video:
                    self.data = smoothed_with_masks(self.data, self.settings.masks,
                                                    self.source.fps)
                    result.smoothed = True
                    result.scene_cuts = len(self.data.extract["scene_cuts"])
            finally:
                cv2.setNumThreads(cv2_threads)
                for future in self.pending:
                    future.cancel()
                for future in self.writes:
                    future.result()
                # Saved on errors and Ctrl-C too, so --skip-existing resumes from here; but a
                # run that could not read a single frame has nothing worth a file.
                if result.frames_processed or result.frames_skipped:
                    self.save()
        if not result.frames_processed and not result.frames_skipped and result.unreadable:
            _remove_if_empty(self.created)
            raise FaceswapError(
                f"Could not read any frame of '{self.input_path}' ({len(result.unreadable)} "
                f"unreadable: {', '.join(result.unreadable[:3])}"
                f"{', ...' if len(result.unreadable) > 3 else ''}). Nothing was written. Check "
                "that the files are images or video faceswap can decode (png, jpg, bmp, tif, "
                "webp; any FFmpeg video)."
            )
        return result


def extract(options: ExtractOptions,
            progress: Callable[[int, int], None] | None = None) -> ExtractResult:
    """Extract every face of ``options.input`` (an image, a folder of images or a video).

    Writes ``<frame>_<index>.png`` aligned faces (``size`` px, head-centred, metadata inside) to
    ``output_dir`` and the alignments file to ``options.alignments`` (default: beside the input,
    or in ``output_dir`` when the input's folder is read-only). With ``skip_existing`` frames
    that the alignments file already lists (and whose faces exist) are not processed again.
    ``progress(done, total)`` is called after every frame (``total`` 0 when unknown). When not
    a single frame could be read, raises FaceswapError and leaves no file or folder behind.
    """
    start_time = time.perf_counter()
    _check_options(options)
    result = Extractor(options, progress).run()
    result.seconds = time.perf_counter() - start_time
    return result
