"""PyAV frame reader: names, every-Nth, odd sizes, non-video input."""

from __future__ import annotations

import json
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from faceswap.lib.errors import FaceswapError
from faceswap.lib.sources import open_source
from faceswap.lib.video import frame_name, frames, video_info


def _write(path, width, height, count, codec="ffv1", pix_fmt="yuv444p", rate=Fraction(25)):
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        for index in range(count):
            image = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts, frame.time_base = index, 1 / rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_odd_sized_video_every_nth_and_stable_names(tmp_path):
    path = tmp_path / "odd.mkv"
    _write(path, 97, 61, 10)
    info = video_info(path)
    assert (info.width, info.height, info.rotation) == (97, 61, 0)
    assert (info.rate, info.fps) == (Fraction(25), 25.0)
    got = list(frames(path, every_n=3))
    assert [index for index, _, _ in got] == [0, 3, 6, 9]
    assert [name for _, name, _ in got] == [frame_name(path, i) for i in (0, 3, 6, 9)]
    assert got[1][1] == "odd_000003"
    for _, _, image in got:
        assert image.shape == (61, 97, 3) and image.dtype == np.uint8
        assert image.flags.c_contiguous
    assert [n for _, n, _ in frames(path, every_n=3)] == [n for _, n, _ in got]  # stable


def test_ntsc_rate_reaches_source_exactly(tmp_path):
    path = tmp_path / "ntsc.mkv"
    _write(path, 32, 24, 6, rate=Fraction(30000, 1001))
    source = open_source(path)
    # Exact, so the convert writer times frames without reopening the input or rounding.
    assert source.rate == Fraction(30000, 1001) and isinstance(source.rate, Fraction)
    assert source.fps == pytest.approx(29.97003, abs=1e-5) and type(source.fps) is float
    # What the alignments file records stays a plain JSON number.
    assert json.loads(json.dumps(source.info))["fps"] == source.fps
    (tmp_path / "stills").mkdir()
    cv2.imwrite(str(tmp_path / "stills" / "a.png"), np.zeros((8, 8, 3), np.uint8))
    stills = open_source(tmp_path / "stills")
    assert (stills.rate, stills.fps) == (None, None)


def test_real_clip_first_frames(d9_frames):
    assert len(d9_frames) == 60
    assert d9_frames[0].shape == (480, 512, 3)


@pytest.mark.parametrize("name", ["notes.mp4", "notes.txt"])
def test_text_file_as_video_gives_a_clear_error(tmp_path, name):
    path = tmp_path / name
    path.write_text("this is not a video\n")
    with pytest.raises(FaceswapError, match="is not a video FFmpeg can read"):
        video_info(path)
    with pytest.raises(FaceswapError, match="is not a video"):
        next(frames(path))


def test_rotation_metadata_turns_frames_upright(tmp_path):
    path = tmp_path / "phone.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 32, "yuv420p"
        stream.set_display_rotation(90)  # display = stored frame turned 90 degrees CCW
        image = np.zeros((32, 64, 3), np.uint8)
        image[:, :8] = 255  # a white band down the left edge
        for _ in range(2):
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    info = video_info(path)
    assert (info.width, info.height, info.rotation) == (32, 64, 90)
    _, _, frame = next(frames(path))
    assert frame.shape == (64, 32, 3) and frame.flags.c_contiguous
    # Turned counter-clockwise, the left edge becomes the bottom edge.
    assert frame[-6:].mean() > 200 and frame[:50].mean() < 30
