"""Landmark smoothing (faceswap.lib.align.smoothing) on synthetic face tracks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from faceswap.lib.align import MEAN_FACE, AlignedFace
from faceswap.lib.align.smoothing import (
    SmoothSettings,
    is_cut,
    jitter,
    one_euro,
    smooth_alignments,
    smooth_faces,
    thumbnail,
)
from faceswap.lib.alignments import Alignments, Face, Frame
from faceswap.lib.errors import FaceswapError

FPS = 30.0
SIZE = 200.0  # px: the face's size


def _points(x: float, y: float, scale: float = SIZE) -> np.ndarray:
    return (MEAN_FACE * scale + (x, y)).astype(np.float32)


def _face(points: np.ndarray, index: int = 0) -> Face:
    low, high = points.min(axis=0), points.max(axis=0)
    box = (int(low[0]), int(low[1]), int(high[0] - low[0]), int(high[1] - low[1]))
    return Face(index, box, 1.0, np.asarray(points, np.float32), np.zeros((2, 3)), {})


def _trajectory(frames: int = 150) -> np.ndarray:
    """A head drifting slowly (a few face sizes per second at most), (T, 68, 2)."""
    t = np.arange(frames) / FPS
    return np.stack([_points(200 + 40 * np.sin(1.3 * s), 150 + 25 * np.sin(0.7 * s + 1),
                             SIZE * (1 + 0.1 * np.sin(0.5 * s))) for s in t])


def _smooth(track: np.ndarray, settings: SmoothSettings | None = None, cuts=()) -> np.ndarray:
    out = smooth_faces([[_face(p)] for p in track], settings or SmoothSettings(fps=FPS), cuts)
    return np.stack([faces[0].landmarks for faces in out])


def test_noisy_track_gets_smoother_and_closer_to_the_truth():
    truth = _trajectory()
    noisy = truth + np.random.default_rng(0).normal(0, 1.5, truth.shape)
    smoothed = _smooth(noisy)
    before, after = jitter(noisy), jitter(smoothed)
    assert after < before / 5, (before, after)
    error_before = np.linalg.norm(noisy - truth, axis=-1)[10:].mean()
    error_after = np.linalg.norm(smoothed - truth, axis=-1)[10:].mean()
    assert error_after < 0.5 * error_before, (error_before, error_after)
    # Output faces carry a matrix and pose fitted to the smoothed points, not the raw ones.
    face = smooth_faces([[_face(p)] for p in noisy[:5]], SmoothSettings(fps=FPS))[4][0]
    np.testing.assert_allclose(face.matrix, AlignedFace.from_landmarks(face.landmarks).legacy)


def test_fast_motion_is_followed_without_lag():
    # 2 face sizes per second sideways, then a stop: the filter runs forwards and backwards,
    # so the smoothed face neither trails nor overshoots the real one.
    xs = [100 + 2 * SIZE * min(i, 20) / FPS for i in range(40)]
    track = np.stack([_points(x, 150) for x in xs])
    lag = np.abs(_smooth(track) - track)[:, :, 0].mean(axis=1)
    # Only the instant stop (infinite acceleration) is rounded off, by under 3 % of the face.
    assert lag.max() < 0.03 * SIZE and lag[:12].max() < 0.005 * SIZE, lag.round(2)
    assert lag[25:].max() < 0.001 * SIZE, lag.round(2)
    # A causal filter of the same cutoff trails far behind (so the check above can fail).
    causal = one_euro(track, SmoothSettings(fps=FPS, beta=0.0), 1 / FPS)
    assert np.abs(causal - track)[20, :, 0].mean() > 0.1 * SIZE


def test_still_face_stays_put():
    track = np.repeat(_points(150, 150)[None], 20, axis=0)
    np.testing.assert_allclose(_smooth(track), track, atol=1e-4)


def _step_track() -> np.ndarray:
    # A 15 px jump at frame 20: boxes still overlap (IoU ~0.7), so only a cut or a lost face
    # may stop the filter from smoothing across it.
    return np.stack([_points(150 + (15 if i >= 20 else 0), 150) for i in range(25)])


def test_scene_cut_is_not_smoothed_across():
    track = _step_track()
    dark, bright = np.zeros((48, 64, 3), np.uint8), np.full((48, 64, 3), 200, np.uint8)
    thumbs = [thumbnail(dark if i < 20 else bright) for i in range(len(track))]
    cuts = [i for i in range(1, len(track)) if is_cut(thumbs[i - 1], thumbs[i], 20.0)]
    assert cuts == [20]
    smoothed = _smooth(track, cuts=cuts)
    np.testing.assert_allclose(smoothed[18:], track[18:], atol=1e-3)
    # The same jump without a cut is smoothed (the check above can fail).
    assert np.abs(_smooth(track)[20] - track[20]).max() > 3


def test_lost_face_resets_its_track():
    track = _step_track()
    frames = [[_face(p)] if i != 19 else [] for i, p in enumerate(track)]
    out = smooth_faces(frames, SmoothSettings(fps=FPS))
    assert out[19] == []
    np.testing.assert_allclose(out[18][0].landmarks, track[18], atol=1e-3)
    np.testing.assert_allclose(out[20][0].landmarks, track[20], atol=1e-3)


def test_faces_keep_their_own_tracks_when_listed_in_another_order():
    left = np.stack([_points(50, 150 + (i % 2) * 2) for i in range(10)])
    right = np.stack([_points(400, 150 - (i % 2) * 2) for i in range(10)])
    frames = [[_face(left[i]), _face(right[i])][:: 1 if i % 2 else -1] for i in range(10)]
    out = smooth_faces(frames, SmoothSettings(fps=FPS))
    for faces in out:
        xs = sorted(face.landmarks[:, 0].mean() for face in faces)
        assert xs[0] < 200 < xs[1]
    # Smoothed within each track: the 2 px alternation shrinks.
    lefts = np.stack([min(f, key=lambda f: f.landmarks[0, 0]).landmarks for f in out])
    assert np.ptp(lefts[5:, :, 1].mean(axis=1)) < 1.5


@pytest.mark.parametrize("bad", [{"min_cutoff": 0}, {"beta": -1}, {"fps": float("nan")},
                                 {"min_iou": 0}, {"cut_threshold": 0}])
def test_bad_settings_are_refused(bad):
    with pytest.raises(FaceswapError, match="Invalid landmark smoothing setting"):
        SmoothSettings(**bad)


def _alignments(track: np.ndarray, **extract) -> Alignments:
    frames = {f"clip_{i:06d}": Frame((480, 640), [_face(p)]) for i, p in enumerate(track)}
    return Alignments(source={"fps": FPS}, extract=dict(extract), frames=frames)


def test_alignments_are_smoothed_in_a_copy_that_says_so():
    noisy = _trajectory(40) + np.random.default_rng(1).normal(0, 1.5, (40, 68, 2))
    data = _alignments(noisy, scene_cuts=["clip_000020"])
    out = smooth_alignments(data)
    assert out.extract["smoothing"]["filter"] == "one-euro-zero-phase"
    assert out.extract["smoothing"]["fps"] == FPS and "smoothing" not in data.extract
    raw = np.stack([f.faces[0].landmarks for f in data.frames.values()])
    new = np.stack([f.faces[0].landmarks for f in out.frames.values()])
    np.testing.assert_array_equal(raw, noisy.astype(np.float32))  # the input is untouched
    # Each side of the recorded cut is smoothed on its own.
    np.testing.assert_allclose(new[:20], _smooth(noisy[:20]), atol=1e-3)
    np.testing.assert_allclose(new[20:], _smooth(noisy[20:]), atol=1e-3)


@pytest.mark.parametrize(("kind", "smooth", "extract", "changed"), [
    ("video", None, {}, True), ("folder", None, {}, False), ("folder", True, {}, True),
    ("video", False, {}, False), ("video", True, {"smoothing": {"filter": "x"}}, False)])
def test_convert_smooths_video_unless_told_or_done(kind, smooth, extract, changed):
    from faceswap.lib.sources import Source
    from faceswap.stages.convert.pipeline import smoothed

    noisy = _trajectory(10) + np.random.default_rng(2).normal(0, 1.5, (10, 68, 2))
    data = _alignments(noisy, **extract)
    out = smoothed(data, Source(Path("clip"), kind, None, 10, fps=FPS), smooth)
    assert (out is not data) == changed
    assert ("smoothing" in out.extract) == (changed or bool(extract))


@pytest.mark.parametrize(("flags", "command", "expected"), [
    ([], "convert", None), (["--smooth"], "convert", True), (["--no-smooth"], "convert", False),
    ([], "extract", False), (["--smooth"], "extract", True)])
def test_cli_smooth_flags(flags, command, expected):
    from faceswap.cli.main import build_parser

    required = {"convert": ["-i", "a.mp4", "-o", "b.mp4", "-m", "model"],
                "extract": ["-i", "a.mp4", "-o", "faces"]}[command]
    assert build_parser().parse_args([command, *required, *flags]).smooth is expected
