"""Landmark smoothing: jitter before and after on real clips, and what it costs in lag.

Extracts a shared clip (or reads its alignments file), then runs the landmark smoother
(faceswap.lib.align.smoothing) over its faces and prints, per setting:

- jitter: mean half second difference of the landmarks over time, in face sizes (zero for
  motion at constant speed; noise raises it),
- deviation: mean distance of the smoothed landmarks from the detector's, in face sizes (what
  smoothing moves the face by, real motion it trails included),
- the largest frame-to-frame thumbnail change (what the scene-cut threshold must stay above),
- for comparison, a constant-velocity Kalman filter at the same jitter.

    python bench/landmark_smoothing.py [CLIP ...] [--work DIR]
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
from pathlib import Path

import numpy as np

from faceswap.lib import alignments as alignments_file
from faceswap.lib.align.smoothing import (
    SmoothSettings,
    face_scale,
    is_cut,
    jitter,
    one_euro,
    smooth_faces,
    thumbnail,
)

CLIPS = Path(__file__).resolve().parents[2] / "shared" / "face-data" / "clips"
DEFAULT = ("livePortrait_d9.mp4", "livePortrait_d6.mp4")


def _track(path: Path, work: Path) -> tuple[list[np.ndarray], list[np.ndarray | None], float]:
    from faceswap.lib.video import frames as video_frames
    from faceswap.stages.extract import ExtractOptions, extract

    align = work / f"{path.stem}_alignments.json"
    if not align.exists():
        extract(ExtractOptions(path, work / f"{path.stem}_faces", alignments=align, masks=()))
    data = alignments_file.load(align)
    fps = float(data.source.get("fps") or 25.0)
    points, thumbs = [], []
    for _, key, frame in video_frames(path):
        entry = data.frames.get(key)
        faces = entry.faces if entry else []
        points.append(max(faces, key=lambda f: f.box[2] * f.box[3]).landmarks if faces else None)
        thumbs.append(thumbnail(frame))
    return points, thumbs, fps


def _kalman(track: np.ndarray, q: float, r: float = 1.0) -> np.ndarray:
    """Constant-velocity Kalman filter per coordinate (state: position, velocity)."""
    f = np.array([[1.0, 1.0], [0.0, 1.0]])
    qm = q * np.array([[0.25, 0.5], [0.5, 1.0]])
    x = np.stack([track[0], np.zeros_like(track[0])], axis=-1)[..., None]  # (N,2,2,1)
    p = np.broadcast_to(np.eye(2) * r, (*track.shape[1:], 2, 2)).copy()
    out = [track[0]]
    for z in track[1:]:
        x = f @ x
        p = f @ p @ f.T + qm
        s = p[..., 0, 0] + r
        k = p[..., :, 0] / s[..., None]
        y = z - x[..., 0, 0]
        x = x + (k * y[..., None])[..., None]
        p = p - k[..., :, None] * p[..., 0:1, :]
        out.append(x[..., 0, 0].copy())
    return np.stack(out)


def _segments(points: list[np.ndarray | None]) -> list[np.ndarray]:
    runs, current = [], []
    for item in points:
        if item is None:
            if len(current) > 2:
                runs.append(np.stack(current))
            current = []
        else:
            current.append(item)
    if len(current) > 2:
        runs.append(np.stack(current))
    return runs


def _faces(points: list[np.ndarray | None]) -> list[list[alignments_file.Face]]:
    out = []
    for item in points:
        if item is None:
            out.append([])
            continue
        low, high = item.min(axis=0), item.max(axis=0)
        box = (int(low[0]), int(low[1]), int(high[0] - low[0]), int(high[1] - low[1]))
        out.append([alignments_file.Face(0, box, 1.0, item, np.zeros((2, 3)), {})])
    return out


def _measure(raw: list[np.ndarray | None], smoothed: list[np.ndarray | None]) -> tuple[float,
                                                                                       float]:
    runs_raw, runs_smooth = _segments(raw), _segments(smoothed)
    jit = float(np.mean([jitter(r) for r in runs_smooth]))
    dev = float(np.mean([np.linalg.norm(s - r, axis=-1).mean() / face_scale(r[0])
                         for r, s in zip(runs_raw, runs_smooth, strict=True)]))
    return jit, dev


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="*", default=[str(CLIPS / name) for name in DEFAULT])
    parser.add_argument("--work", help="folder for extracts (default: a temporary one)")
    parser.add_argument("--sweep", action="store_true", help="also try other settings")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="faceswap_smooth_") as tmp:
        work = Path(args.work or tmp)
        work.mkdir(parents=True, exist_ok=True)
        for clip in map(Path, args.clips):
            points, thumbs, fps = _track(clip, work)
            cut = max(float(np.abs(a - b).mean()) for a, b in itertools.pairwise(thumbs))
            raw_jitter = float(np.mean([jitter(r) for r in _segments(points)]))
            settings = [SmoothSettings(fps=fps)]
            if args.sweep:
                settings += [SmoothSettings(min_cutoff=c, beta=b, fps=fps)
                             for c in (1.0, 2.0, 4.0) for b in (0.0, 2.0, 5.0, 10.0)]
            cuts = [i for i in range(1, len(thumbs))
                    if is_cut(thumbs[i - 1], thumbs[i], SmoothSettings().cut_threshold)]
            for setting in settings:
                out = smooth_faces(_faces(points), setting, cuts)
                smoothed = [faces[0].landmarks if faces else None for faces in out]
                jit, dev = _measure(points, smoothed)
                print(f"landmark_smoothing: {clip.name} zero-phase one-euro "
                      f"min_cutoff={setting.min_cutoff} beta={setting.beta}: jitter "
                      f"{raw_jitter:.5f} -> {jit:.5f} face sizes ({jit / raw_jitter:.2f}x), "
                      f"deviation {dev:.5f}, cuts {len(cuts)}, largest thumbnail change "
                      f"{cut:.1f} (fps {fps:g})", flush=True)
                if args.sweep:
                    runs = _segments(points)
                    causal = [one_euro(r, setting, 1 / fps) for r in runs]
                    jit = float(np.mean([jitter(c) for c in causal]))
                    dev = float(np.mean([np.linalg.norm(c - r, axis=-1).mean() / face_scale(r[0])
                                         for r, c in zip(runs, causal, strict=True)]))
                    print(f"landmark_smoothing: {clip.name} causal one-euro "
                          f"min_cutoff={setting.min_cutoff} beta={setting.beta}: jitter "
                          f"{jit / raw_jitter:.2f}x, deviation {dev:.5f}", flush=True)
            if args.sweep:
                for q in (0.001, 0.01, 0.03, 0.1, 0.3):
                    runs = _segments(points)
                    smooth = [_kalman(r, q) for r in runs]
                    jit = float(np.mean([jitter(s) for s in smooth]))
                    dev = float(np.mean([np.linalg.norm(s - r, axis=-1).mean() / face_scale(r[0])
                                         for r, s in zip(runs, smooth, strict=True)]))
                    print(f"landmark_smoothing: {clip.name} kalman q={q}: jitter "
                          f"{raw_jitter:.5f} -> {jit:.5f} ({jit / raw_jitter:.2f}x), "
                          f"deviation {dev:.5f}", flush=True)


if __name__ == "__main__":
    main()
