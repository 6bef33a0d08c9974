"""Convert writers: video (frame count, fps, audio, abort), images, gif, patch."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from fstest import SHARED

from faceswap.lib import registry
from faceswap.lib.errors import FaceswapError
from faceswap.lib.provenance import read_provenance
from faceswap.lib.sources import open_source
from faceswap.lib.video import frames as read_frames
from faceswap.lib.video import video_info
from faceswap.plugins.convert.writer import gif, images, patch, video

SHARED_CLIP = SHARED / "face-data/clips/livePortrait_d20.mp4"
FAST = {"preset": "ultrafast"}  # keep encoding time out of the test budget


def _frames(count: int, width: int = 64, height: int = 48) -> list[np.ndarray]:
    # Every frame differs (a moving bar), so no encoder or GIF optimiser can merge two of them.
    out = []
    for i in range(count):
        image = np.full((height, width, 3), 40, np.uint8)
        x = (i * 5) % (width - 4)
        image[:, x : x + 4] = (0, 200, 255)
        image[: height // 2, :, 0] = 10 * i % 255
        out.append(image)
    return out


def make_clip(path: Path, count: int = 15, rate: Fraction = Fraction(30000, 1001),
              audio: str | None = "aac", size: tuple[int, int] = (64, 48)) -> None:
    """A tiny H.264 clip with ``count`` frames and optionally a tone (aac or pcm_u8 audio)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast"}
        sound = container.add_stream(audio, rate=16000) if audio else None
        if sound is not None:
            sound.layout = "mono"
        for index, image in enumerate(_frames(count, *size)):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts, frame.time_base = index, 1 / rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
        if sound is None:
            return
        samples = int(16000 * count / rate)
        tone = np.sin(np.arange(samples) / 16000 * 2 * np.pi * 440)
        for start in range(0, samples, 1024):
            chunk = tone[start : start + 1024]
            if audio == "pcm_u8":
                frame = av.AudioFrame.from_ndarray(
                    (chunk * 60 + 128).astype(np.uint8)[None], format="u8", layout="mono")
            else:
                frame = av.AudioFrame.from_ndarray(
                    (chunk * 0.2).astype(np.float32)[None], format="fltp", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = 16000, start, Fraction(1, 16000)
            for packet in sound.encode(frame):
                container.mux(packet)
        for packet in sound.encode(None):
            container.mux(packet)


def probe(path: Path) -> dict:
    with av.open(str(path)) as container:
        video_stream = container.streams.video[0]
        result = {
            "rate": video_stream.average_rate,
            "audio": [s.codec_context.name for s in container.streams.audio],
            "audio_seconds": [
                float(s.duration * s.time_base) for s in container.streams.audio if s.duration
            ],
        }
    result["frames"] = sum(1 for _ in read_frames(path))  # decoded, not the header's count
    return result


def convert_clip(source: Path, output: Path, **kwargs) -> list[Path]:
    kwargs.setdefault("options", FAST)
    writer = video.Writer(output, source=source, **kwargs)
    for _, name, image in read_frames(source):
        writer.write(name, image)
    return writer.close()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_registry_lists_every_writer():
    assert registry.list_plugins("writer") == ["gif", "images", "patch", "video"]
    for name in registry.list_plugins("writer"):
        module = registry.load_plugin("writer", name)
        assert module.__doc__ and "\n" not in module.__doc__.strip()
        assert isinstance(module.OPTIONS, dict) and hasattr(module, "Writer")


@pytest.mark.parametrize("audio", ["aac", None])
def test_video_keeps_frame_count_fps_and_audio(tmp_path, audio):
    source = tmp_path / "in.mp4"
    make_clip(source, count=17, audio=audio)
    output = tmp_path / "out" / "swapped.mp4"
    output.parent.mkdir()
    # A float fps (callers other than convert, which passes Source.rate) still gives the exact
    # 30000/1001.
    assert convert_clip(source, output, fps=30000 / 1001) == [output]
    got, want = probe(output), probe(source)
    assert got["frames"] == want["frames"] == 17
    assert got["rate"] == want["rate"] == Fraction(30000, 1001)
    assert got["audio"] == (["aac"] if audio else [])
    # Packets were copied, so the audio lasts exactly as long as the source's.
    assert got["audio_seconds"] == pytest.approx(want["audio_seconds"], abs=1e-3)
    assert read_provenance(output)["tool"] == "faceswap"
    assert leftovers(output.parent) == []


def test_video_ntsc_rate_from_source_without_reopening_it(tmp_path, monkeypatch):
    clip = tmp_path / "in.mp4"
    make_clip(clip, count=9, audio=None)
    source = open_source(clip)
    assert source.rate == Fraction(30000, 1001)
    decoded = list(source.frames())  # before the spy: the test's own reading is not counted
    opened = []
    real_open = av.open

    def spy(path, *args, **kwargs):
        opened.append(Path(str(path)).name)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(av, "open", spy)
    output = tmp_path / "out.mp4"
    # audio off: with it on, the writer rightly opens the input, for its audio only.
    writer = video.Writer(output, fps=source.rate, source=clip, options={**FAST, "audio": False})
    for _, _, name, image in decoded:
        writer.write(name, image)
    assert writer.close() == [output]
    assert clip.name not in opened and len(opened) == 1  # just the temporary output
    monkeypatch.undo()
    got = probe(output)
    assert (got["frames"], got["rate"]) == (9, Fraction(30000, 1001))


def test_video_audio_from_reference_for_image_input(tmp_path):
    reference = tmp_path / "reference.mp4"
    make_clip(reference, count=10, rate=Fraction(24))
    # convert reads the reference's rate (lib/video.video_info) and passes it as fps; the
    # writer opens the reference for its audio only.
    writer = video.Writer(tmp_path / "out.mp4", fps=video_info(reference).rate,
                          source=tmp_path / "frames", reference_video=reference, options=FAST)
    for index, image in enumerate(_frames(10)):
        writer.write(f"frame_{index:04d}", image)
    assert writer.close() == writer.close() == [tmp_path / "out.mp4"]  # closing twice is fine
    with pytest.raises(FaceswapError, match="already closed"):
        writer.write("late", _frames(1)[0])
    got = probe(tmp_path / "out.mp4")
    assert (got["frames"], got["rate"], got["audio"]) == (10, Fraction(24), ["aac"])


@pytest.mark.parametrize(("audio", "output", "codec", "expected"), [
    ("pcm_u8", "out.mp4", "libx264", "aac"),  # 8-bit PCM: fine in Matroska, not in MP4
    ("aac", "out.webm", "libvpx-vp9", "opus"),  # WebM holds only Opus/Vorbis audio
])
def test_video_reencodes_audio_the_container_cannot_hold(tmp_path, caplog, audio, output, codec,
                                                          expected):
    source = tmp_path / "in.mkv"
    make_clip(source, count=8, audio=audio)
    convert_clip(source, tmp_path / output, options={**FAST, "codec": codec})
    assert f"Re-encoding the {audio} audio" in caplog.text
    got = probe(tmp_path / output)
    assert (got["frames"], got["audio"]) == (8, [expected])
    assert read_provenance(tmp_path / output)["synthetic"] is True


def test_video_odd_size_is_padded_to_even(tmp_path, caplog):
    writer = video.Writer(tmp_path / "odd.mkv", fps=10, options=FAST)
    for index, image in enumerate(_frames(5, width=33, height=21)):
        writer.write(str(index), image)
    writer.close()
    assert "padded to 34x22" in caplog.text
    with av.open(str(tmp_path / "odd.mkv")) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (34, 22)
        assert stream.codec_context.colorspace == 6  # tagged BT.601, as swscale converted it
    assert probe(tmp_path / "odd.mkv")["frames"] == 5


def test_video_abort_mid_video_leaves_nothing(tmp_path):
    source = tmp_path / "in.mp4"
    make_clip(source, count=12)
    output = tmp_path / "out.mp4"
    writer = video.Writer(output, source=source, options=FAST)
    frame_iter = read_frames(source)
    for _ in range(6):
        _, name, image = next(frame_iter)
        writer.write(name, image)
    assert len(leftovers(tmp_path)) == 1  # the temporary file being written
    writer.abort()  # what the convert loop does on Ctrl-C
    assert not output.exists()
    assert leftovers(tmp_path) == []


def test_video_context_manager_aborts_on_ctrl_c(tmp_path):
    output = tmp_path / "out.mp4"
    output.write_bytes(b"previous result")
    with pytest.raises(KeyboardInterrupt), video.Writer(output, fps=25, options=FAST) as writer:
        for index, image in enumerate(_frames(4)):
            writer.write(str(index), image)
        raise KeyboardInterrupt
    assert output.read_bytes() == b"previous result"  # the old file is untouched
    assert leftovers(tmp_path) == []


def test_video_rejects_bad_setup(tmp_path):
    with pytest.raises(FaceswapError, match="file name ending in"):
        video.Writer(tmp_path / "out_folder")
    with pytest.raises(FaceswapError, match="file name ending in"):
        video.Writer(tmp_path / "out.ts")  # MPEG-TS cannot hold the provenance tag
    with pytest.raises(FaceswapError, match="no option bitrate"):
        video.Writer(tmp_path / "out.mp4", options={"bitrate": 5})
    writer = video.Writer(tmp_path / "out.mp4", fps=25, options=FAST)
    writer.write("a", _frames(1)[0])
    with pytest.raises(FaceswapError, match="same size"):
        writer.write("b", _frames(1, width=32)[0])
    writer.abort()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared")
def test_video_real_clip_keeps_frames_and_audio(tmp_path):
    output = tmp_path / "d20.mp4"
    convert_clip(SHARED_CLIP, output, fps=video_info(SHARED_CLIP).rate)  # as convert does
    got, want = probe(output), probe(SHARED_CLIP)
    assert (got["frames"], got["rate"], got["audio"]) == (want["frames"], want["rate"], ["aac"])
    assert got["audio_seconds"] == pytest.approx(want["audio_seconds"], abs=1e-3)


@pytest.mark.parametrize(("fmt", "suffix"), [("png", ".png"), ("jpg", ".jpg")])
def test_images_writer_names_formats_and_tags(tmp_path, fmt, suffix):
    out = tmp_path / "frames"
    writer = images.Writer(out, options={"format": fmt}, info={"model": "original"})
    source = _frames(3)
    for index, image in enumerate(source):
        writer.write(f"clip_{index:06d}", image)
    written = writer.close()
    assert [p.name for p in written] == [f"clip_{i:06d}{suffix}" for i in range(3)]
    assert sorted(p.name for p in out.iterdir()) == [p.name for p in written]  # no temp files
    decoded = cv2.imread(str(written[1]))
    if fmt == "png":
        assert np.array_equal(decoded, source[1])  # lossless
    else:
        assert np.abs(decoded.astype(int) - source[1]).mean() < 3  # quality 95
        assert written[1].read_bytes()[:2] == b"\xff\xd8"
    assert read_provenance(written[1])["model"] == "original"


def test_images_writer_rejects_unknown_format(tmp_path):
    with pytest.raises(FaceswapError, match="format=png"):
        images.Writer(tmp_path / "out", options={"format": "bmp"})


def test_gif_writer_frames_timing_and_tag(tmp_path):
    output = tmp_path / "anim.gif"
    writer = gif.Writer(output, fps=30)
    for index, image in enumerate(_frames(6)):
        writer.write(str(index), image)
    assert writer.close() == [output]
    from PIL import Image

    with Image.open(output) as animation:
        assert animation.n_frames == 6
        durations = []
        for index in range(animation.n_frames):
            animation.seek(index)
            durations.append(animation.info["duration"])
    assert sum(durations) == 200  # 6 frames at 30 fps, in whole centiseconds
    assert read_provenance(output)["text"].startswith("This image/video contains synthetic")
    assert leftovers(tmp_path) == []


def test_gif_writer_fps_from_caller_then_25(tmp_path):
    source = tmp_path / "in.mp4"
    make_clip(source, count=3, rate=Fraction(10), audio=None)
    assert gif.Writer(tmp_path / "a.gif", fps=Fraction(10), source=source).rate == 10
    # The rate comes only from fps: the writer does not open the source to find it.
    assert gif.Writer(tmp_path / "b.gif", source=source).rate == 25
    assert gif.Writer(tmp_path / "c.gif", fps=10, options={"fps": 12.5}).rate == Fraction(25, 2)


def test_patch_writer_files_and_json(tmp_path):
    out = tmp_path / "patches"
    writer = patch.Writer(out, info={"model": "original"})
    rng = np.random.default_rng(0)
    face = rng.integers(0, 255, (32, 32, 4), dtype=np.uint8)
    matrix = np.array([[0.5, 0.1, 3.0], [-0.1, 0.5, 7.25]])
    writer.write("clip_000000", _frames(1)[0])  # full frames are ignored
    writer.write_patch("clip_000000", 0, face, matrix)
    writer.write_patch("clip_000000", 1, face[:16, :24], matrix * 2)
    written = writer.close()
    assert [p.name for p in written] == ["clip_000000_0.png", "clip_000000_1.png", "patches.json"]
    decoded = cv2.imread(str(out / "clip_000000_0.png"), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(decoded, face)  # BGRA kept exactly
    assert read_provenance(out / "clip_000000_1.png")["model"] == "original"
    index = json.loads((out / "patches.json").read_text())
    assert index["provenance"]["synthetic"] is True
    assert [(p["file"], p["frame"], p["index"], p["size"]) for p in index["patches"]] == [
        ("clip_000000_0.png", "clip_000000", 0, [32, 32]),
        ("clip_000000_1.png", "clip_000000", 1, [24, 16]),
    ]
    assert np.allclose(index["patches"][1]["matrix"], matrix * 2)


def test_patch_writer_abort_writes_no_index(tmp_path):
    writer = patch.Writer(tmp_path / "p")
    writer.write_patch("f", 0, np.zeros((8, 8, 4), np.uint8), np.eye(2, 3))
    writer.abort()
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["f_0.png"]
    with pytest.raises(FaceswapError, match="BGRA"):
        writer.write_patch("f", 1, np.zeros((8, 8, 3), np.uint8), np.eye(2, 3))
