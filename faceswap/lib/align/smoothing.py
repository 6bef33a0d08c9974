"""Temporal smoothing of landmarks: a zero-phase One-Euro filter over each face track of a video.

A landmark detector run frame by frame jitters by a pixel or two even on a still face (dlib's
68 points are whole pixels), so a face pasted at those landmarks shakes. The One-Euro filter
(Casiez, Roussel & Vogel, CHI 2012) is a low-pass filter whose cutoff rises with the speed of
the signal: a still face is smoothed hard, a moving one barely. Run forwards and then backwards
over a whole track (as ``filtfilt`` does), its delay cancels, so the smoothed face does not
trail the real head: extract and convert both know every frame's landmarks before they need
them, so nothing has to be causal.

Faces are linked into tracks across consecutive frames by box IoU. A track ends (nothing is
smoothed across the gap) when its face is missing from a frame, when no box of the next frame
overlaps it enough, and at a scene cut: a frame whose small grey thumbnail differs from the
previous frame's by more than ``SmoothSettings.cut_threshold`` (extract records those frames in
the alignments file as ``extract.scene_cuts``). Speeds are measured in face sizes per second,
so one setting fits any resolution.

An alignments file without ``extract.scene_cuts`` (written before extract recorded them, or
imported) is smoothed across a cut only where a face keeps its place on both sides of it.

Why One-Euro and not a Kalman filter: on the shared clips, both run causally, they remove the
same jitter for the same deviation from the detector's points (bench/landmark_smoothing.py);
One-Euro has two intuitive knobs and needs no motion model.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from faceswap.lib import alignments as alignments_file
from faceswap.lib.errors import FaceswapError

THUMB_SIZE = 32  # px: frame thumbnail compared to find scene cuts
FILTER = "one-euro-zero-phase"


@dataclass(frozen=True)
class SmoothSettings:
    """The filter's knobs; the defaults are tuned on the shared clips (docs/evaluate.md)."""

    min_cutoff: float = 2.0  # Hz: cutoff of a still face (lower: smoother)
    beta: float = 5.0  # cutoff rise per face size per second of speed (higher: follows faster)
    d_cutoff: float = 1.0  # Hz: cutoff of the speed estimate itself
    fps: float = 25.0  # frames per second of the source
    min_iou: float = 0.3  # box overlap that links a face to a track in the next frame
    cut_threshold: float = 20.0  # mean absolute thumbnail change (0-255) marking a scene cut

    def __post_init__(self) -> None:
        positive = {"min_cutoff": self.min_cutoff, "d_cutoff": self.d_cutoff, "fps": self.fps,
                    "cut_threshold": self.cut_threshold}
        bad = [f"{name}={value}" for name, value in positive.items()
               if not (value > 0 and math.isfinite(value))]
        if not (self.beta >= 0 and math.isfinite(self.beta)):
            bad.append(f"beta={self.beta}")
        if not 0 < self.min_iou <= 1:
            bad.append(f"min_iou={self.min_iou}")
        if bad:
            raise FaceswapError(f"Invalid landmark smoothing setting {', '.join(bad)}: cutoffs, "
                                "fps and cut_threshold must be positive, beta ≥ 0, min_iou in "
                                "(0, 1].")

    def record(self) -> dict[str, Any]:
        """What an alignments file's ``extract.smoothing`` says about the smoothing applied."""
        return {"filter": FILTER, **dataclasses.asdict(self)}


def _alpha(cutoff: float, dt: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


def face_scale(landmarks: np.ndarray) -> float:
    """The face's size in pixels: the root of its landmarks' bounding-box area."""
    extent = np.ptp(np.asarray(landmarks, dtype=np.float64), axis=0)
    return float(max(math.sqrt(max(extent[0], 1e-6) * max(extent[1], 1e-6)), 1.0))


def one_euro(track: np.ndarray, settings: SmoothSettings, dt: float) -> np.ndarray:
    """The causal One-Euro filter over a (T, N, 2) track of points, frame by frame.

    One cutoff is shared by all points of a frame (from their mean speed), so the face's shape
    moves as one and is not distorted by points smoothed differently.
    """
    track = np.asarray(track, dtype=np.float64)
    out = np.empty_like(track)
    if not len(track):
        return out
    points = track[0].copy()
    # Started at the first step's speed, a track that begins in motion is not smoothed as if
    # it were still (which would lag its first frames behind).
    speed = ((track[1] - track[0]) / (dt * face_scale(track[0])) if len(track) > 1
             else np.zeros_like(points))
    out[0] = points
    a_speed = _alpha(settings.d_cutoff, dt)
    for t in range(1, len(track)):
        derivative = (track[t] - points) / (dt * face_scale(track[t]))
        speed += a_speed * (derivative - speed)
        cutoff = settings.min_cutoff + settings.beta * float(np.linalg.norm(speed, axis=1).mean())
        points = points + _alpha(cutoff, dt) * (track[t] - points)
        out[t] = points
    return out


def smooth_track(track: np.ndarray, settings: SmoothSettings, dt: float | None = None
                 ) -> np.ndarray:
    """Zero-phase smoothing of one track (T, N, 2): One-Euro forwards, then backwards."""
    dt = 1.0 / settings.fps if dt is None else dt
    track = np.asarray(track, dtype=np.float64)
    # Each pass lags where it starts, so both ends get an odd reflection to start from (as
    # scipy's filtfilt pads): motion at constant speed carries on through the padding.
    pad = min(len(track) - 1, int(np.ceil(settings.fps / settings.min_cutoff / 4)))
    if pad > 0:
        track = np.concatenate([2 * track[0] - track[pad:0:-1], track,
                                2 * track[-1] - track[-2:-pad - 2:-1]])
    forward = one_euro(track, settings, dt)
    out = one_euro(forward[::-1], settings, dt)[::-1]
    return out[pad:len(out) - pad].copy()


def is_cut(previous: np.ndarray | None, thumb: np.ndarray | None, threshold: float) -> bool:
    """Whether two consecutive frames' thumbnails differ like a scene cut."""
    if previous is None or thumb is None or previous.shape != thumb.shape:
        return False
    return float(np.abs(thumb - previous).mean()) > threshold


def thumbnail(frame: np.ndarray) -> np.ndarray:
    """The small grey picture of a frame that scene cuts are detected on (float32 0-255)."""
    import cv2  # local: the filter itself needs only NumPy

    grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return cv2.resize(grey, (THUMB_SIZE, THUMB_SIZE), interpolation=cv2.INTER_AREA
                      ).astype(np.float32)


def link_tracks(frames: Sequence[Sequence[alignments_file.Face]], min_iou: float = 0.3,
                cuts: Iterable[int] = ()) -> list[list[tuple[int, int]]]:
    """Faces of consecutive frames linked into tracks: lists of (frame position, face position).

    A face continues the track of the previous frame's face its box overlaps most (greedy,
    best IoU first, at least ``min_iou``); a frame position in ``cuts`` starts every track anew.
    """
    cut_set = set(cuts)
    finished: list[list[tuple[int, int]]] = []
    live: list[list[tuple[int, int]]] = []
    for position, faces in enumerate(frames):
        if position in cut_set:
            finished += live
            live = []
        pairs = sorted(((alignments_file.box_iou(frames[position - 1][track[-1][1]].box,
                                                 face.box), ti, fi)
                        for ti, track in enumerate(live) for fi, face in enumerate(faces)),
                       reverse=True)
        taken: dict[int, list[tuple[int, int]]] = {}
        used: set[int] = set()
        for iou, ti, fi in pairs:
            if iou < min_iou:
                break
            if ti not in used and fi not in taken:
                used.add(ti)
                taken[fi] = live[ti]
        finished += [track for ti, track in enumerate(live) if ti not in used]
        live = []
        for fi in range(len(faces)):
            track = taken.get(fi, [])
            track.append((position, fi))
            live.append(track)
    return finished + live


def with_landmarks(face: alignments_file.Face, landmarks: np.ndarray) -> alignments_file.Face:
    """A copy of ``face`` at ``landmarks``, its alignment matrix and pose fitted again."""
    from faceswap.lib.align.aligned_face import AlignedFace

    points = np.asarray(landmarks, dtype=np.float32)
    aligned = AlignedFace.from_landmarks(points)
    return dataclasses.replace(face, landmarks=points, matrix=aligned.legacy,
                               pose=aligned.pose.to_dict())


def smooth_faces(frames: Sequence[Sequence[alignments_file.Face]],
                 settings: SmoothSettings | None = None, cuts: Iterable[int] = (),
                 frame_step: int = 1) -> list[list[alignments_file.Face]]:
    """The faces of consecutive frames (``frames[i]``: frame i's faces) with smoothed landmarks.

    ``cuts``: frame positions that start a new shot; ``frame_step``: source frames between two
    positions (extract's -een). Faces on one-frame tracks come back unchanged.
    """
    settings = settings or SmoothSettings()
    out = [list(faces) for faces in frames]
    dt = frame_step / settings.fps
    for track in link_tracks(frames, settings.min_iou, cuts):
        if len(track) < 3:
            continue
        raw = np.stack([frames[p][f].landmarks for p, f in track])
        for (p, f), points in zip(track, smooth_track(raw, settings, dt), strict=True):
            out[p][f] = with_landmarks(frames[p][f], points)
    return out


def smooth_alignments(data: alignments_file.Alignments, settings: SmoothSettings | None = None
                      ) -> alignments_file.Alignments:
    """A copy of ``data`` with every track's landmarks (and matrix, pose) smoothed.

    Frames are taken in the file's order (frame order); scene cuts are the frames listed in
    ``extract.scene_cuts``; ``extract.smoothing`` records the settings. Masks are not redrawn:
    callers that store masks redraw them from the new landmarks.
    """
    settings = settings or SmoothSettings(fps=float(data.source.get("fps") or 25.0))
    keys = list(data.frames)
    position = {key: i for i, key in enumerate(keys)}
    cuts = [position[key] for key in data.extract.get("scene_cuts", []) if key in position]
    step = max(1, int(data.extract.get("every_n") or 1))
    smoothed = smooth_faces([data.frames[key].faces for key in keys], settings, cuts, step)
    frames = {key: dataclasses.replace(data.frames[key], faces=faces)
              for key, faces in zip(keys, smoothed, strict=True)}
    return dataclasses.replace(data, frames=frames,
                               extract={**data.extract, "smoothing": settings.record()})


def jitter(track: np.ndarray) -> float:
    """Frame-to-frame jitter of a (T, N, 2) landmark track, in face sizes.

    The mean distance of each point from the midpoint of its neighbours in time (half the
    second difference): zero for motion at constant speed, large for noise.
    """
    track = np.asarray(track, dtype=np.float64)
    if len(track) < 3:
        return 0.0
    second = track[2:] - 2 * track[1:-1] + track[:-2]
    scale = np.mean([face_scale(points) for points in track])
    return float(np.linalg.norm(second / 2.0, axis=-1).mean() / scale)
