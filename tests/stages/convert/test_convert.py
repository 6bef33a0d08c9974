"""`faceswap convert` on synthetic frames with a tiny trained model."""

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from fstest import make_alignments, make_original, synthetic_frame, train_steps, write_video

from faceswap.lib import alignments as alignments_file
from faceswap.lib.errors import FaceswapError
from faceswap.lib.sources import open_source
from faceswap.stages.convert.pipeline import ConvertOptions, convert

NO_FACE = {3, 7}  # frames without a face


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model") / "model"
    model = make_original(folder)
    train_steps(model, 2)
    model.save()
    return folder


def _frames(count=10, seed=0):
    rng = np.random.default_rng(seed)
    frames, landmarks = [], []
    for index in range(count):
        frame, points = synthetic_frame(rng)
        if index in NO_FACE:
            frame[:] = frame[0, 0]
            points = None
        frames.append(frame)
        landmarks.append(points)
    return frames, landmarks


@pytest.fixture(scope="module")
def image_input(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frames") / "shots"
    folder.mkdir()
    frames, landmarks = _frames()
    table = {}
    for index, (frame, points) in enumerate(zip(frames, landmarks, strict=True)):
        cv2.imwrite(str(folder / f"shot_{index:02d}.png"), frame)
        table[f"shot_{index:02d}.png"] = (frame.shape[:2], [] if points is None else [points])
    alignments_file.save(make_alignments(table), alignments_file.default_path(folder))
    return folder, frames, landmarks


@pytest.fixture(scope="module")
def video_input(tmp_path_factory):
    folder = tmp_path_factory.mktemp("video")
    frames, landmarks = _frames(12, seed=1)
    path = folder / "clip.mp4"
    write_video(path, frames, fps=10, audio=True)
    from faceswap.lib.video import frames as read_frames

    table = {}
    for (_, name, decoded), points in zip(read_frames(path), landmarks, strict=True):
        table[name] = (decoded.shape[:2], [] if points is None else [points])
    alignments_file.save(make_alignments(table), alignments_file.default_path(path))
    return path, frames, landmarks


def _outside_face(points, shape, margin=0.6):
    """A boolean mask of pixels well away from the face."""
    centre = points.mean(axis=0)
    radius = np.abs(points - centre).max() * (1 + margin)
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    return (np.abs(xx - centre[0]) > radius) | (np.abs(yy - centre[1]) > radius)


def test_images_are_swapped_inside_and_untouched_outside(image_input, model_dir, tmp_path):
    folder, frames, landmarks = image_input
    summary = convert(ConvertOptions(input=folder, output=tmp_path / "out", model_dir=model_dir))
    assert summary.frames == 10 and summary.frames_written == 10
    assert summary.faces_swapped == 8 and summary.frames_without_face == 2
    for index, (frame, points) in enumerate(zip(frames, landmarks, strict=True)):
        out = cv2.imread(str(tmp_path / "out" / f"shot_{index:02d}.png"))
        assert out.shape == frame.shape
        if points is None:
            np.testing.assert_array_equal(out, frame)  # no face: passes through unchanged
            continue
        outside = _outside_face(points, frame.shape)
        np.testing.assert_array_equal(out[outside], frame[outside])
        inside = np.zeros(frame.shape[:2], np.uint8)
        cv2.fillConvexPoly(inside, cv2.convexHull(np.rint(points[17:]).astype(np.int32)), 1)
        inside = inside.astype(bool)
        assert np.abs(out[inside].astype(int) - frame[inside]).mean() > 2


def test_video_keeps_frames_fps_and_audio(video_input, model_dir, tmp_path):
    import av

    path, _, _ = video_input
    output = tmp_path / "swapped.mp4"
    summary = convert(ConvertOptions(input=path, output=output, model_dir=model_dir))
    assert summary.frames == 12 and summary.outputs == [output]
    with av.open(str(output)) as container:
        stream = container.streams.video[0]
        assert float(stream.average_rate) == pytest.approx(10, rel=0.01)
        assert sum(1 for _ in container.decode(stream)) == 12
    with av.open(str(output)) as container:
        assert len(container.streams.audio) == 1
    # Far from the face the output is the input up to the codec's loss: about 4 levels for these
    # noisy frames at crf 23 (2 even at crf 0: the yuv420p round trip); another frame or a
    # shifted paste would differ by tens.
    from faceswap.lib.video import frames as read_frames

    _, _, landmarks = video_input
    pairs = zip(read_frames(path), read_frames(output), landmarks, strict=True)
    for (_, _, before), (_, _, after), points in pairs:
        if points is None:
            continue
        outside = _outside_face(points, before.shape)
        diff = np.abs(before.astype(int) - after.astype(int))[outside]
        assert diff.mean() < 6.0, diff.mean()


def _probe(path: Path) -> tuple[Fraction, int, int]:
    """(average rate, decoded frames, audio streams) of a written video."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return (stream.average_rate, sum(1 for _ in container.decode(stream)),
                len(container.streams.audio))


def test_ntsc_video_keeps_its_exact_rate(model_dir, tmp_path):
    from faceswap.lib.video import frames as read_frames

    frames, landmarks = _frames(6, seed=2)
    path = tmp_path / "ntsc.mp4"
    write_video(path, frames, Fraction(30000, 1001), audio=False)
    assert open_source(path).rate == Fraction(30000, 1001)  # exact, not 29.97002997...
    table = {name: (decoded.shape[:2], [] if points is None else [points])
             for (_, name, decoded), points in zip(read_frames(path), landmarks, strict=True)}
    alignments_file.save(make_alignments(table), alignments_file.default_path(path))
    output = tmp_path / "swapped.mp4"
    convert(ConvertOptions(input=path, output=output, model_dir=model_dir,
                           writer_options={"preset": "ultrafast"}))
    assert _probe(output) == (Fraction(30000, 1001), 6, 0)


def test_image_input_takes_rate_and_audio_from_reference_video(image_input, model_dir,
                                                                tmp_path, caplog):
    folder, frames, _ = image_input
    reference = tmp_path / "reference.mp4"
    write_video(reference, frames, Fraction(24000, 1001))
    output = tmp_path / "swapped.mp4"
    options = {"input": folder, "model_dir": model_dir, "writer": "video",
               "writer_options": {"preset": "ultrafast"}}
    convert(ConvertOptions(output=output, reference_video=reference, **options))
    assert _probe(output) == (Fraction(24000, 1001), 10, 1)
    # A missing reference is said, not silently dropped: the default 25 fps and no audio.
    missing = tmp_path / "missing.mp4"
    convert(ConvertOptions(output=tmp_path / "plain.mp4", reference_video=missing, **options))
    assert "is missing" in caplog.text
    assert _probe(tmp_path / "plain.mp4") == (Fraction(25), 10, 0)


def test_sharpening_and_colour_options(image_input, model_dir, tmp_path):
    folder, _, landmarks = image_input
    plain = tmp_path / "plain"
    convert(ConvertOptions(input=folder, output=plain, model_dir=model_dir))
    sharp = tmp_path / "sharp"
    convert(ConvertOptions(input=folder, output=sharp, model_dir=model_dir, sharpen="gaussian",
                           sharpen_amount=300))
    a, b = (cv2.imread(str(f / "shot_00.png")).astype(int) for f in (plain, sharp))
    outside = _outside_face(landmarks[0], a.shape)
    assert np.abs(a - b)[~outside].mean() > 0.5  # the face changed
    np.testing.assert_array_equal(a[outside], b[outside])  # nothing else did
    with pytest.raises(FaceswapError, match=r"no option brightness.*threshold"):
        convert(ConvertOptions(input=folder, output=tmp_path / "x", model_dir=model_dir,
                               color="match-hist", color_options={"brightness": 5}))
    with pytest.raises(FaceswapError, match="Unknown sharpening"):
        convert(ConvertOptions(input=folder, output=tmp_path / "x", model_dir=model_dir,
                               sharpen="laplace"))
    assert not (tmp_path / "x").exists()


def test_mismatched_alignments_name_the_first_mismatch(image_input, model_dir, tmp_path):
    folder, frames, landmarks = image_input
    wrong = make_alignments({"other_00.png": (frames[0].shape[:2], [landmarks[0]])})
    path = tmp_path / "wrong.json"
    alignments_file.save(wrong, path)
    with pytest.raises(FaceswapError, match=r"'other_00\.png', which the input does not have"):
        convert(ConvertOptions(input=folder, output=tmp_path / "out", model_dir=model_dir,
                               alignments=path))
    assert not (tmp_path / "out").exists()


def test_frames_missing_from_the_alignments_are_counted(image_input, model_dir, tmp_path,
                                                       caplog):
    folder, frames, landmarks = image_input
    partial = make_alignments({f"shot_{i:02d}.png": (frames[i].shape[:2], [landmarks[i]])
                               for i in (0, 1)})
    path = tmp_path / "partial.json"
    alignments_file.save(partial, path)
    summary = convert(ConvertOptions(input=folder, output=tmp_path / "out", model_dir=model_dir,
                                     alignments=path))
    assert summary.faces_swapped == 2 and summary.frames_written == 10
    assert "8 of 10 frames of the input are not in" in caplog.text
    assert "'shot_02.png'" in caplog.text


def test_missing_alignments_is_clear(image_input, model_dir, tmp_path):
    folder, _, _ = image_input
    with pytest.raises(FaceswapError, match="No alignments file"):
        convert(ConvertOptions(input=folder, output=tmp_path / "out", model_dir=model_dir,
                               alignments=tmp_path / "none.json"))


def test_interrupt_mid_video_leaves_no_output(video_input, model_dir, tmp_path):
    path, _, _ = video_input
    output = tmp_path / "swapped.mp4"

    partial = []

    def interrupt(done, total):
        if done == 6:
            partial.extend(tmp_path.iterdir())  # the writer's temp file, half written
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        convert(ConvertOptions(input=path, output=output, model_dir=model_dir, batch_size=1),
                interrupt)
    assert partial and output not in partial
    assert list(tmp_path.iterdir()) == []


def test_frame_ranges_keep_and_drop(image_input, model_dir, tmp_path):
    folder, frames, _ = image_input
    kept = convert(ConvertOptions(input=folder, output=tmp_path / "kept", model_dir=model_dir,
                                  frame_ranges=[(0, 1)], keep_unchanged=True))
    assert kept.frames_written == 10 and kept.faces_swapped == 2
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "kept" / "shot_05.png")), frames[5])
    dropped = convert(ConvertOptions(input=folder, output=tmp_path / "dropped",
                                     model_dir=model_dir, frame_ranges=[(0, 1)]))
    assert dropped.frames_written == 2
    assert sorted(p.name for p in Path(tmp_path / "dropped").iterdir()) == [
        "shot_00.png", "shot_01.png"]


def test_swap_direction_and_scale_change_the_face(image_input, model_dir, tmp_path):
    folder, _, _ = image_input
    convert(ConvertOptions(input=folder, output=tmp_path / "ab", model_dir=model_dir))
    convert(ConvertOptions(input=folder, output=tmp_path / "ba", model_dir=model_dir, swap=True))
    convert(ConvertOptions(input=folder, output=tmp_path / "big", model_dir=model_dir,
                           face_scale=8))
    ab = cv2.imread(str(tmp_path / "ab" / "shot_00.png")).astype(int)
    assert np.abs(ab - cv2.imread(str(tmp_path / "ba" / "shot_00.png"))).max() > 0
    assert np.abs(ab - cv2.imread(str(tmp_path / "big" / "shot_00.png"))).max() > 0


def test_patch_writer_gets_face_patches(image_input, model_dir, tmp_path):
    import json

    folder, _, _ = image_input
    convert(ConvertOptions(input=folder, output=tmp_path / "patches", model_dir=model_dir,
                           writer="patch"))
    data = json.loads((tmp_path / "patches" / "patches.json").read_text())
    assert len(data["patches"]) == 8
    patch = cv2.imread(str(tmp_path / "patches" / data["patches"][0]["file"]),
                       cv2.IMREAD_UNCHANGED)
    assert patch.shape == (32, 32, 4)
    assert patch[..., 3].max() == 255 and patch[0, 0, 3] == 0  # mask as alpha, zero border


def test_on_the_fly_extracts_when_alignments_are_missing(model_dir, tmp_path):
    from faceswap.tools.demo import demo_images

    photo, _ = demo_images(tmp_path / "inputs")
    summary = convert(ConvertOptions(input=photo, output=tmp_path / "out", model_dir=model_dir,
                                     on_the_fly=True))
    assert summary.faces_swapped == 1
    assert (tmp_path / "out" / "astronaut.png").exists()
    assert not alignments_file.default_path(photo).exists()  # nothing left beside the input


def test_cli_passes_blend_options_and_refuses_unknown_ones(tmp_path, capfd):
    from faceswap.cli.main import main

    base = ["convert", "-i", str(tmp_path), "-o", str(tmp_path / "out"), "-m", str(tmp_path)]
    assert main([*base, "--mask-option", "feather=3"]) == 1
    assert "Unknown --mask-option feather" in capfd.readouterr().err
    assert main([*base, "--mask-option", "passes=0"]) == 1
    assert "passes must be at least 1" in capfd.readouterr().err
    assert not (tmp_path / "out").exists()
