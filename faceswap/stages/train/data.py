"""Training data: folders of faces in, batches of (warped inputs, targets + masks) out.

Two pieces:

* :func:`load_face_folder` reads one side's folder into a :class:`FaceSet`: the aligned face PNGs
  that ``faceswap extract`` writes (their metadata gives landmarks, so the face can be sub-cropped
  to the training centering and landmark masks drawn), or any folder of face crops (no landmarks:
  the face mask is all ones and the eye/mouth masks are zero). Every file is decoded once here so
  corrupt and non-image files are found and skipped before training starts.
* :class:`BatchFeeder` turns two face sets into an endless, deterministic stream of batches, built
  by a thread pool ahead of the training step (OpenCV releases the GIL, so threads overlap with
  each other and with the model).

Determinism: batch ``k`` depends only on ``(seed, k)``. Each side's order is an endless stream of
epochs, epoch ``e`` a permutation drawn from ``(seed, side, e)``; batch ``k`` takes stream
positions ``[k·N, (k+1)·N)``, so leftovers of one epoch carry into the next and every face is seen
once before any repeats. Its augmentation draws from ``(seed, side, k)``. Which thread builds a
batch, and when, cannot change it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from faceswap.lib.align.aligned_face import EXTRACT_RATIOS, AlignedFace
from faceswap.lib.align.masks import (
    LEARNED_MASK_TYPES,
    MASK_CHANNELS,
    TRAIN_MASK_TYPES,
    landmark_mask,
)
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import UpstreamFaceError, list_images, read_face_metadata, read_image
from faceswap.stages.train.augment import AugmentConfig, augment_batch, coverage_crop

__all__ = [
    "MASK_CHANNELS",
    "MIN_FACES",
    "BatchFeeder",
    "FaceSet",
    "check_sides",
    "load_face_folder",
]

logger = logging.getLogger(__name__)

#: Mask channels a target can carry, in the loss's vocabulary (faceswap.lib.model.losses).
#: Fewer faces than this on a side rarely trains a usable model.
MIN_FACES = 25
_ALIGNMENTS_SUFFIX = "_alignments.json"
# Above this the decoded-face cache is not kept (faces are decoded for every batch instead).
_CACHE_LIMIT = 4 << 30
# Upstream's eye/mouth mask treatment: dilate 2.5% of the size, Gaussian blur of size // 16.
_PART_DILATION = 0.025
_PART_BLUR_DIVISOR = 16


# ---------------------------------------------------------------------------------------------
# Face sets
# ---------------------------------------------------------------------------------------------
@dataclass
class FaceSet:
    """One side's faces: the usable files and what is known about each.

    ``landmarks[i]`` is a (68, 2) float32 array in pixels of the stored image ``paths[i]`` (after
    a non-square image is centre-cropped to a square), or None for a plain crop.
    ``sizes[i]`` is that square's side; ``size`` the largest of them.
    """

    folder: Path
    paths: list[Path]
    landmarks: list[np.ndarray | None]
    sizes: list[int]
    skipped: int = 0
    skipped_files: list[Path] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def size(self) -> int:
        """The largest stored face size, px."""
        return max(self.sizes)

    @property
    def has_landmarks(self) -> bool:
        """True when every face carries landmarks (so landmark masks exist for the whole side)."""
        return all(points is not None for points in self.landmarks)

    @property
    def landmark_count(self) -> int:
        """How many faces carry landmarks."""
        return sum(points is not None for points in self.landmarks)


def _square_offset(height: int, width: int) -> tuple[int, int]:
    # Face crops are centred on the face, so trimming the long side keeps the face undistorted.
    return (width - min(height, width)) // 2, (height - min(height, width)) // 2


def _metadata_landmarks(meta: dict[str, Any]) -> np.ndarray | None:
    face = meta.get("face")
    if not isinstance(face, dict):
        return None
    points = face.get("aligned_landmarks")
    if points is None and face.get("landmarks") is not None and face.get("matrix") is not None:
        # Older or other writers may store frame landmarks plus the frame -> face matrix.
        matrix = np.asarray(face["matrix"], dtype=np.float64)
        frame = np.asarray(face["landmarks"], dtype=np.float64)
        if matrix.shape == (2, 3) and frame.shape == (68, 2):
            points = frame @ matrix[:, :2].T + matrix[:, 2]
    if points is None:
        return None
    points = np.asarray(points, dtype=np.float32)
    if points.shape != (68, 2) or not np.isfinite(points).all():
        return None
    if np.ptp(points, axis=0).min() < 2.0:
        return None  # collapsed landmarks would give a zero-scale alignment
    return points


def _scan_file(path: Path) -> tuple[np.ndarray | None, int, str | None]:
    """(landmarks or None, square size, reason the file is unusable or None)."""
    try:
        image = read_image(path)
    except FaceswapError as err:
        return None, 0, str(err)
    height, width = image.shape[:2]
    landmarks = None
    if path.suffix.lower() == ".png":
        try:
            landmarks = _metadata_landmarks(read_face_metadata(path))
        except UpstreamFaceError:
            # Upstream's head crop is framed differently: read as a plain crop, it would train
            # on the wrong region without a word, so the whole folder is refused instead.
            raise
        except FaceswapError:
            landmarks = None  # a plain crop, or metadata we cannot use: train without masks
    if landmarks is not None:
        landmarks = landmarks - np.asarray(_square_offset(height, width), dtype=np.float32)
    return landmarks, min(height, width), None


def load_face_folder(folder: str | Path, *, workers: int | None = None) -> FaceSet:
    """Read one side's folder of faces (see the module docstring).

    Files are decoded in ``workers`` threads (default: the CPU count) to find the unusable ones;
    they are skipped with a warning and counted in ``FaceSet.skipped``.

    Raises:
        FaceswapError: the folder is missing, is not a folder, or holds no usable image.
    """
    folder = Path(folder)
    if not folder.exists():
        raise FaceswapError(
            f"The face folder '{folder}' does not exist. Point -A/-B at the folder of faces "
            "written by `faceswap extract`."
        )
    if not folder.is_dir():
        raise FaceswapError(f"'{folder}' is not a folder. Point -A/-B at a folder of face images.")
    candidates = list_images(folder)
    known = set(candidates)
    # extract may fall back to writing its alignments file beside the faces: not a stray file.
    others = sorted(p for p in folder.iterdir()
                    if p.is_file() and not p.name.startswith(".") and p not in known
                    and not p.name.endswith(_ALIGNMENTS_SUFFIX))
    if not candidates:
        raise FaceswapError(
            f"The face folder '{folder}' holds no images. Extract faces into it with "
            "`faceswap extract -i VIDEO_OR_FRAMES -o FOLDER` first."
        )
    workers = workers or min(8, os.cpu_count() or 1)
    logger.info("Checking %d image(s) in '%s'.", len(candidates), folder)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="faceswap-scan") as pool:
        try:
            scanned = list(pool.map(_scan_file, candidates))
        except UpstreamFaceError as err:
            raise FaceswapError(f"Cannot train on '{folder}': {err}") from None

    paths, landmarks, sizes, skipped = [], [], [], []
    for path, (points, size, reason) in zip(candidates, scanned, strict=True):
        if reason is not None:
            logger.warning("Skipping '%s': %s", path, reason)
            skipped.append(path)
            continue
        paths.append(path)
        landmarks.append(points)
        sizes.append(size)
    for path in others:
        # Not silently ignored: a user who dropped .gif or .heic files in should hear about it.
        logger.warning("Skipping '%s': not an image file faceswap reads.", path)
        skipped.append(path)
    if not paths:
        raise FaceswapError(
            f"No usable face image in '{folder}' ({len(skipped)} file(s) skipped as corrupt or "
            "not images). Extract faces with `faceswap extract` and train on that folder."
        )
    faces = FaceSet(folder=folder, paths=paths, landmarks=landmarks, sizes=sizes,
                    skipped=len(skipped), skipped_files=sorted(skipped))
    if skipped:
        logger.warning("%d of %d file(s) in '%s' skipped; training on the other %d.",
                       len(skipped), len(skipped) + len(paths), folder, len(paths))
    without = len(paths) - faces.landmark_count
    if without:
        logger.warning(
            "%d of %d face(s) in '%s' carry no landmark metadata (not written by `faceswap "
            "extract`): for them the face mask is the whole image and eye/mouth masks are empty, "
            "so penalized mask loss and eye/mouth weighting are off for those faces.",
            without, len(paths), folder)
    if len(set(sizes)) > 1:
        logger.info("Faces in '%s' have mixed sizes (%d-%d px); all are resized to the "
                    "training size.", folder, min(sizes), max(sizes))
    return faces


def check_sides(set_a: FaceSet, set_b: FaceSet) -> list[str]:
    """Warn (log and return the messages) about A/B pairs that will train badly."""
    problems = []
    if set_a.folder.resolve() == set_b.folder.resolve():
        problems.append(
            f"Side A and side B are the same folder ('{set_a.folder.resolve()}'): the model "
            "will learn to swap a face with itself. Point -B at the other person's faces."
        )
    for name, faces in (("A", set_a), ("B", set_b)):
        if len(faces) < MIN_FACES:
            problems.append(
                f"Side {name} has only {len(faces)} face(s) (fewer than {MIN_FACES}); the "
                "model will overfit. Extract more varied faces of this person."
            )
    for message in problems:
        logger.warning(message)
    return problems


# ---------------------------------------------------------------------------------------------
# Per-face preparation
# ---------------------------------------------------------------------------------------------
def _odd(value: float) -> int:
    return max(1, int(value) // 2 * 2 + 1)


def _part_mask(points: np.ndarray, size: int, kind: str) -> np.ndarray:
    mask = landmark_mask(points, size, kind)
    radius = round(size * _PART_DILATION)
    if radius > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        mask = cv2.dilate(mask, kernel)
    blur = _odd(size / _PART_BLUR_DIVISOR)
    if blur > 1:
        mask = cv2.GaussianBlur(mask, (blur, blur), 0)
    return mask


def _masks(points: np.ndarray | None, size: int, channels: Sequence[str], face_kind: str,
           learned: np.ndarray | None = None) -> np.ndarray:
    out = np.zeros((size, size, len(channels)), dtype=np.uint8)
    for idx, name in enumerate(channels):
        if name == "face":
            if learned is not None:
                out[..., idx] = learned  # `faceswap mask apply`'s mask, stored in the PNG
            elif points is None or face_kind == "none":
                out[..., idx] = 255  # no outline known: the whole crop counts as face
            else:
                out[..., idx] = landmark_mask(points, size, face_kind)
        elif points is not None:
            out[..., idx] = _part_mask(points, size, name)
    return out


def _prepare_face(path: Path, landmarks: np.ndarray | None, size: int, centering: str,
                  coverage_ratio: float, channels: Sequence[str], face_kind: str
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The face at ``size`` px, cut to centering and coverage, and its masks (uint8)."""
    image = read_image(path)
    height, width = image.shape[:2]
    left, top = _square_offset(height, width)
    side = min(height, width)
    image = image[top:top + side, left:left + side]
    if landmarks is None:
        crop = np.ascontiguousarray(coverage_crop(image, coverage_ratio))
        interp = cv2.INTER_AREA if crop.shape[0] > size else cv2.INTER_CUBIC
        face = cv2.resize(crop, (size, size), interpolation=interp)
        return face, _masks(None, size, channels, face_kind)
    aligned = AlignedFace.from_landmarks(landmarks)
    # Cut at the stored image's own resolution (scale ~1, so warpAffine barely resamples), then
    # shrink with INTER_AREA: warpAffine has no area filter and would alias a 4-8x reduction.
    scale = float(np.sqrt(abs(np.linalg.det(aligned.legacy[:, :2]))))
    native = round(coverage_ratio / ((1.0 - EXTRACT_RATIOS[centering]) * scale))
    native = max(size, min(native, 4 * side))
    crop = aligned.crop(image, native, centering, coverage_ratio)
    points = aligned.aligned_landmarks(native, centering, coverage_ratio)
    learned = None
    if face_kind in LEARNED_MASK_TYPES and "face" in channels:
        from faceswap.lib.faces import face_png_mask

        learned = face_png_mask(path, face_kind, landmarks, native, centering, coverage_ratio)
    if native != size:
        crop = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
        points = (points + 0.5) * (size / native) - 0.5
        if learned is not None:
            learned = cv2.resize(learned, (size, size), interpolation=cv2.INTER_AREA)
    return crop, _masks(points, size, channels, face_kind, learned)


def _check_learned_masks(kind: str, face_sets: Sequence[FaceSet]) -> None:
    """Refuse up front (not in a loader thread mid-training) faces without the learned mask."""
    from faceswap.lib.faces import faces_without

    for name, faces in zip("AB", face_sets, strict=True):
        missing = faces_without(faces.paths, kind)
        if missing:
            raise FaceswapError(
                f"Side {name}: {len(missing)} of {len(faces)} faces in '{faces.folder}' have no "
                f"stored '{kind}' mask (first: {missing[0].name}). Store it with `faceswap mask "
                f"apply -i {faces.folder} -m MASK_MODEL_FOLDER`, or train with another mask_type.")


class _Side:
    """One side's faces at process size, decoded on first use and kept (if they fit)."""

    def __init__(self, faces: FaceSet, index: int, size: int, centering: str,
                 coverage_ratio: float, channels: Sequence[str], face_kind: str, seed: int,
                 cache: bool) -> None:
        self.faces = faces
        self.index = index
        self.size = size
        self.centering = centering
        self.coverage_ratio = coverage_ratio
        self.channels = tuple(channels)
        self.face_kind = face_kind
        self.seed = seed
        count = len(faces)
        per_face = size * size * (3 + len(self.channels))
        self.cache = cache and count * per_face <= _CACHE_LIMIT
        if cache and not self.cache:
            logger.warning(
                "Side %s's %d faces need %.1f GiB at %d px: not caching them; every batch "
                "decodes its faces from disk.", "AB"[index], count, count * per_face / 2**30, size)
        self._images = np.zeros((count, size, size, 3), np.uint8) if self.cache else None
        self._masks = (np.zeros((count, size, size, len(self.channels)), np.uint8)
                       if self.cache else None)
        self._ready = np.zeros(count, dtype=bool)
        self._epoch_order = lru_cache(maxsize=8)(self._permutation)

    def __len__(self) -> int:
        return len(self.faces)

    def _permutation(self, epoch: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, self.index, epoch])
        return rng.permutation(len(self.faces))

    def indices(self, batch_index: int, batch_size: int) -> np.ndarray:
        """Face indices of batch ``batch_index``: stream positions ``[k·N, (k+1)·N)``."""
        count = len(self.faces)
        positions = np.arange(batch_index * batch_size, (batch_index + 1) * batch_size)
        out = np.empty(batch_size, dtype=np.int64)
        for epoch in np.unique(positions // count):
            take = positions // count == epoch
            out[take] = self._epoch_order(int(epoch))[positions[take] % count]
        return out

    def load(self, idx: int) -> tuple[np.ndarray, np.ndarray]:
        if self.cache and self._ready[idx]:
            return self._images[idx], self._masks[idx]  # type: ignore[index]
        path = self.faces.paths[idx]
        try:
            face, masks = _prepare_face(path, self.faces.landmarks[idx], self.size,
                                        self.centering, self.coverage_ratio, self.channels,
                                        self.face_kind)
        except FaceswapError as err:
            raise FaceswapError(f"{err} (it was readable when training started: was the face "
                                "folder changed during training?)") from None
        if self.cache:
            # Two threads may prepare the same face at once; both write identical bytes.
            self._images[idx] = face  # type: ignore[index]
            self._masks[idx] = masks  # type: ignore[index]
            self._ready[idx] = True
        return face, masks

    def stack(self, indices: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        loaded = [self.load(int(idx)) for idx in indices]
        return np.stack([f for f, _ in loaded]), np.stack([m for _, m in loaded])


# ---------------------------------------------------------------------------------------------
# The feeder
# ---------------------------------------------------------------------------------------------
class BatchFeeder:
    """Endless, deterministic training batches for both sides, prepared ahead in threads.

    ``next(feeder)`` returns ``(inputs, targets)``: ``inputs = [a, b]``, each float32
    ``(batch_size, input_size, input_size, 3)`` in [0, 1] BGR, augmented and warped;
    ``targets = [a, b]``, each float32 ``(batch_size, output_size, output_size, 3 + M)``: the
    same faces augmented but not warped, then one channel per ``mask_channels`` entry in that
    order (the model's ``y_true``).

    Args:
        face_a, face_b: the two sides (:func:`load_face_folder`).
        batch_size: faces per side per batch.
        input_size: the model's input side, px; or ``(a, b)``, one per side (models whose
            ``input_shape`` differs per side).
        output_size: the side of the model's largest face output, px (targets are built at it;
            the trainer resizes them for smaller outputs).
        coverage_ratio: fraction of the face (at ``centering``) the model sees (upstream's
            ``coverage / 100``).
        centering: ``face``, ``head`` or ``legacy``; faces with landmarks are sub-cropped to it,
            plain crops are used as they are.
        mask_type: the face mask drawn from landmarks: ``extended``, ``components`` or ``none``
            (whole image).
        mask_channels: subset of ``face``, ``eye``, ``mouth``, in target order; may be empty.
        augment: augmentation settings (``warp``/``flip``/``color`` off for the CLI's
            ``--no-warp``/``--no-flip``/``--no-augment-color``).
        seed: everything random derives from it.
        workers: threads preparing batches; 0 builds each batch in ``next`` itself.
        prefetch: batches prepared ahead (bounds memory).
        start_batch: index of the first batch (a resumed run passes its iteration count to carry
            on the same stream).
        cache: keep decoded faces in memory (skipped automatically above 4 GiB per side).
    """

    def __init__(
        self,
        face_a: FaceSet,
        face_b: FaceSet,
        batch_size: int,
        input_size: int | Sequence[int],
        output_size: int,
        *,
        coverage_ratio: float = 1.0,
        centering: str = "face",
        mask_type: str = "extended",
        mask_channels: Sequence[str] = MASK_CHANNELS,
        augment: AugmentConfig | None = None,
        seed: int = 0,
        workers: int = 2,
        prefetch: int = 4,
        start_batch: int = 0,
        cache: bool = True,
    ) -> None:
        sizes = (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)
        if len(sizes) != 2:
            raise ValueError(f"input_size must be one size or one per side, got {input_size!r}")
        if batch_size < 1 or min(sizes) < 1 or output_size < 1:
            raise ValueError("batch_size, input_size and output_size must be positive")
        if not 0.0 < coverage_ratio <= 1.0:
            raise ValueError(f"coverage_ratio must be within (0, 1], got {coverage_ratio}")
        if centering not in EXTRACT_RATIOS:
            raise ValueError(f"centering must be one of {tuple(EXTRACT_RATIOS)}, got {centering!r}")
        if mask_type not in TRAIN_MASK_TYPES:
            raise ValueError(f"mask_type must be one of {TRAIN_MASK_TYPES}, got {mask_type!r}")
        channels = tuple(mask_channels)
        if mask_type in LEARNED_MASK_TYPES and "face" in channels:
            _check_learned_masks(mask_type, (face_a, face_b))
        unknown = [name for name in channels if name not in MASK_CHANNELS]
        if unknown or len(set(channels)) != len(channels):
            raise ValueError(f"mask_channels must be distinct names from {MASK_CHANNELS}, "
                             f"got {channels}")
        if workers < 0 or prefetch < 1 or start_batch < 0 or seed < 0:
            raise ValueError("workers and seed must be >= 0, prefetch >= 1, start_batch >= 0")
        self.batch_size = batch_size
        self.input_sizes = tuple(int(size) for size in sizes)
        self.input_size = max(self.input_sizes)
        self.output_size = output_size
        self.mask_channels = channels
        self.augment = augment if augment is not None else AugmentConfig()
        self.seed = int(seed)
        self.workers = workers
        self.prefetch = prefetch
        # Upstream's process size: augmentation runs at the larger of the two model sizes
        # (per side, as the sides' input sizes may differ).
        self.process_sizes = tuple(max(size, output_size) for size in self.input_sizes)
        self.process_size = max(self.process_sizes)
        self._sides = [
            _Side(faces, idx, self.process_sizes[idx], centering, coverage_ratio, channels,
                  mask_type, self.seed, cache)
            for idx, faces in enumerate((face_a, face_b))
        ]
        for name, faces in zip("AB", (face_a, face_b), strict=True):
            if channels and not faces.has_landmarks:
                logger.info("Side %s: faces without landmarks get a full face mask and empty "
                            "eye/mouth masks.", name)
        self._next_index = start_batch
        self._pending: deque[Future] = deque()
        self._lock = threading.Lock()
        self._pool = (ThreadPoolExecutor(max_workers=workers, thread_name_prefix="faceswap-data")
                      if workers else None)
        self._closed = False

    # -- batches ----------------------------------------------------------------------------
    def _side_batch(self, side: _Side, batch_index: int) -> tuple[np.ndarray, np.ndarray]:
        faces, masks = side.stack(side.indices(batch_index, self.batch_size))
        rng = np.random.default_rng([self.seed, side.index, batch_index, 1])
        inputs, targets, out_masks = augment_batch(
            faces, rng, self.augment, self.input_sizes[side.index], self.output_size,
            masks=masks if self.mask_channels else None)
        if out_masks is not None:
            targets = np.concatenate([targets, out_masks], axis=-1)
        return inputs, targets

    def batch(self, batch_index: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Batch number ``batch_index`` of the stream, built now in the calling thread."""
        built = [self._side_batch(side, batch_index) for side in self._sides]
        return [inputs for inputs, _ in built], [targets for _, targets in built]

    def _fill(self) -> None:
        while len(self._pending) < self.prefetch:
            self._pending.append(self._pool.submit(self.batch, self._next_index))  # type: ignore[union-attr]
            self._next_index += 1

    def __iter__(self) -> Iterator[tuple[list[np.ndarray], list[np.ndarray]]]:
        return self

    def __next__(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        with self._lock:
            if self._closed:
                raise RuntimeError("BatchFeeder is closed")
            if self._pool is None:
                index = self._next_index
                self._next_index += 1
                return self.batch(index)
            self._fill()
            future = self._pending.popleft()
            self._fill()
        return future.result()

    # -- preview ----------------------------------------------------------------------------
    def preview(self, count: int, size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``count`` unaugmented faces per side, float32 ``(count, size, size, 3)`` in [0, 1].

        Cropped to the training centering and coverage, no colour/transform/flip/warp; ``size``
        defaults to ``output_size``. The same faces every call (picked from the seed); a side with
        fewer faces repeats them.
        """
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count}")
        size = size or self.output_size
        out = []
        for side in self._sides:
            rng = np.random.default_rng([self.seed, side.index, 0x9E1])
            picks = np.sort(rng.permutation(len(side))[:count])
            picks = np.resize(picks, count)
            faces, _ = side.stack(picks)
            if size != side.size:
                interp = cv2.INTER_AREA if size < side.size else cv2.INTER_CUBIC
                faces = np.stack([cv2.resize(face, (size, size), interpolation=interp)
                                  for face in faces])
            out.append(faces.astype(np.float32) * np.float32(1.0 / 255.0))
        return out[0], out[1]

    # -- lifetime ---------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the workers; batches being built are finished and dropped."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for future in self._pending:
                future.cancel()
            self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> BatchFeeder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # Best effort for a feeder that was never closed; threads must not outlive it silently.
        if not getattr(self, "_closed", True) and getattr(self, "_pool", None) is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    @property
    def batches_served(self) -> int:
        """Index of the next batch ``next`` will return."""
        with self._lock:
            return self._next_index - len(self._pending)

    @property
    def sides(self) -> tuple[FaceSet, FaceSet]:
        """The two face sets (A, B)."""
        return self._sides[0].faces, self._sides[1].faces

