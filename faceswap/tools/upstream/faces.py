"""One upstream face record (from an ``.fsa`` file or a PNG header) -> this project's Face.

Shared by the ``.fsa`` and the PNG importers, so both give the same frame names, file names,
masks and identity keys. Upstream records are plain dicts (research/upstream-faceswap.md §6.3):
``x, y, w, h, landmarks_xy, mask, identity`` (+ ``thumb``, ignored here).
"""

from __future__ import annotations

import logging
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import cv2
import numpy as np

from faceswap.lib.align import CENTERINGS, AlignedFace, invert_matrix
from faceswap.lib.alignments import Face, Mask, face_file_name
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import IMAGE_EXTENSIONS, encode_image

logger = logging.getLogger(__name__)

# Identity embeddings come from upstream's own networks, not dlib's: a separate key keeps
# anything here from comparing them with "dlib-resnet" vectors.
IDENTITY_PREFIX = "upstream-"
_MASK_SIZES = (16, 4096)
_VIDEO_KEY = re.compile(r"^(?P<stem>.+)_(?P<number>\d{6,})$")


@dataclass
class Notes:
    """What an import dropped or changed, counted by reason (the CLI prints them)."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, message: str) -> None:
        if not self.counts[message]:
            logger.info("%s", message)
        self.counts[message] += 1

    def lines(self) -> list[str]:
        return [f"{message} ({count}x)" if count > 1 else message
                for message, count in self.counts.items()]


def video_frame_name(key: str) -> str | None:
    """``clip_000001.mp4`` -> ``clip_000000`` (upstream counts video frames from 1); None when
    ``key`` is not a video frame key."""
    path = PurePosixPath(key)
    match = _VIDEO_KEY.match(path.stem)
    if match is None or int(match["number"]) < 1:
        return None
    return f"{match['stem']}_{int(match['number']) - 1:06d}"


def is_video_key(key: str) -> bool:
    """A frame key upstream wrote for a video frame (version 2.4+: the video's extension)."""
    return (PurePosixPath(key).suffix.lower() not in IMAGE_EXTENSIONS
            and video_frame_name(key) is not None)


def our_frame_name(key: str, is_video: bool) -> str:
    """This project's alignments key for upstream frame ``key`` (docs/formats.md)."""
    if not is_video:
        return key
    name = video_frame_name(key)
    if name is None:
        raise FaceswapError(f"Upstream frame key '{key}' is not '<video>_<frame number>.<ext>'.")
    return name


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{what} is not a number")
    return float(value)


def landmarks_of(raw: dict[str, Any]) -> np.ndarray:
    """The (68, 2) frame landmarks of an upstream face record."""
    points = np.asarray(raw.get("landmarks_xy"), dtype=np.float64)
    if points.shape != (68, 2) or not np.isfinite(points).all():
        raise ValueError(f"landmarks_xy must be 68 finite (x, y) pairs, got shape {points.shape}")
    if np.ptp(points, axis=0).min() < 1.0:
        raise ValueError("landmarks_xy are collapsed onto a line or a point")
    return points


def inflate(data: bytes, cap: int, what: str) -> bytes:
    """zlib-decompress ``data``, refusing more than ``cap`` bytes of output."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, cap + 1)
    except zlib.error as err:
        raise FaceswapError(f"{what} is corrupt: its zlib data does not decompress ({err}).") \
            from None
    if len(out) > cap or inflater.unconsumed_tail:
        raise FaceswapError(
            f"{what} decompresses to more than {cap:,} bytes, the most faceswap reads; refused "
            "(a damaged or hostile file)."
        )
    if not inflater.eof:
        raise FaceswapError(f"{what} is truncated: its zlib stream ends early.")
    return out


def convert_mask(name: str, raw: Any, aligned: AlignedFace, notes: Notes) -> Mask | None:
    """An upstream stored mask resampled into this project's mask geometry, or None (noted).

    Upstream keeps a ``stored_size``² uint8 mask and the frame -> mask matrix it was cut with.
    We warp it through the frame into our crop at the same size and centering, so
    ``AlignedFace.from_landmarks(landmarks).matrix(size, centering)`` places it (the Mask
    contract). Dropped when the record is unusable, or when the mask reaches the edge of
    upstream's crop where our crop extends past it: that part of the mask is unknown, and
    filling it with 0 would cut the mask off.
    """
    try:
        if not isinstance(raw, dict):
            raise ValueError("not a mapping")
        size = int(_number(raw.get("stored_size"), "stored_size"))
        if not _MASK_SIZES[0] <= size <= _MASK_SIZES[1]:
            raise ValueError(f"stored_size {size} is out of range")
        centering = raw.get("stored_centering", "face")
        if centering not in CENTERINGS:
            raise ValueError(f"unknown centering {centering!r}")
        matrix = np.asarray(raw.get("affine_matrix"), dtype=np.float64)
        if matrix.shape != (2, 3) or not np.isfinite(matrix).all() or \
                abs(np.linalg.det(matrix[:, :2])) < 1e-12:
            raise ValueError("affine_matrix is not an invertible 2x3 matrix")
        data = raw.get("mask")
        if not isinstance(data, (bytes, bytearray)):
            raise ValueError("mask data is not bytes")
        pixels = inflate(bytes(data), size * size, f"Mask '{name}'")
        if len(pixels) != size * size:
            raise ValueError(f"mask data holds {len(pixels)} bytes, not {size}x{size}")
    except (ValueError, TypeError, FaceswapError) as err:
        notes.add(f"Dropped upstream mask '{name}': {err}")
        return None
    upstream = np.frombuffer(pixels, np.uint8).reshape(size, size)
    ours = aligned.matrix(size, centering, 1.0)
    # upstream pixel -> frame -> our pixel
    inverse = invert_matrix(matrix)
    to_ours = ours[:, :2] @ inverse[:, :2], ours[:, :2] @ inverse[:, 2] + ours[:, 2]
    warp = np.hstack([to_ours[0], to_ours[1][:, None]])
    mask = cv2.warpAffine(upstream, warp, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    covered = cv2.warpAffine(np.full((size, size), 255, np.uint8), warp, (size, size),
                             flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                             borderValue=0)
    edge = np.concatenate([upstream[0], upstream[-1], upstream[:, 0], upstream[:, -1]])
    if edge.max() > 0 and (covered == 0).any():
        notes.add(f"Dropped upstream mask '{name}': it reaches the edge of upstream's "
                  f"{centering} crop, and this project's {centering} crop extends past that "
                  "edge, so part of the mask would be lost")
        return None
    return Mask(png=encode_image(mask, ".png"), size=size, centering=centering, coverage=1.0)


def convert_face(raw: Any, index: int, frame_name: str, is_video: bool, notes: Notes) -> Face:
    """Our Face for upstream face record ``raw`` (``index`` in its frame).

    Raises ValueError/TypeError for a record that is not a usable face.
    """
    if not isinstance(raw, dict):
        raise ValueError("a face record is not a mapping")
    box = tuple(round(_number(raw.get(k), k)) for k in ("x", "y", "w", "h"))
    landmarks = landmarks_of(raw)
    aligned = AlignedFace.from_landmarks(landmarks)
    masks = {}
    raw_masks = raw.get("mask") or {}
    if not isinstance(raw_masks, dict):
        raise ValueError("mask is not a mapping")
    for name, mask_raw in raw_masks.items():
        mask = convert_mask(str(name), mask_raw, aligned, notes)
        if mask is not None:
            masks[str(name)] = mask
    identity = {}
    raw_identity = raw.get("identity") or {}
    if not isinstance(raw_identity, dict):
        raise ValueError("identity is not a mapping")
    for name, vector in raw_identity.items():
        values = np.asarray(vector, dtype=np.float64).ravel()
        if values.size and np.isfinite(values).all():
            identity[f"{IDENTITY_PREFIX}{name}"] = values.tolist()
        else:
            notes.add(f"Dropped upstream identity '{name}': empty or not finite")
    return Face(
        index=index, box=box, score=0.0,  # type: ignore[arg-type]
        landmarks=landmarks.astype(np.float32), matrix=aligned.legacy,
        pose=aligned.pose.to_dict(), file=face_file_name(frame_name, index, is_video), masks=masks,
        identity=identity,
    )
