"""The extract pipeline and the `faceswap extract` command on real faces."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from face_data import REPO, STILLS, link, needs_shared

from faceswap.lib import alignments
from faceswap.lib.align import AlignedFace
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import read_face_metadata, read_image
from faceswap.lib.registry import load_plugin
from faceswap.stages.extract import ExtractOptions, extract

pytestmark = needs_shared


def test_60_frames_of_d9_give_exactly_one_face_each(d9_frames):
    detector = load_plugin("detect", "dlib-hog")
    counts = [len(detector.detect(frame)) for frame in d9_frames]
    assert counts == [1] * 60


def test_video_extract_writes_faces_and_alignments(d9_clip60, tmp_path):
    out, al_path = tmp_path / "faces", tmp_path / "d9_alignments.json"
    summary = extract(ExtractOptions(d9_clip60, out, alignments=al_path, jobs=2, size=128))
    assert summary.frames_processed == 60 and summary.faces_written == 60
    assert summary.frames_without_face == 0 and not summary.unreadable
    data = alignments.load(al_path)
    assert list(data.frames)[:2] == ["d9_60_000000", "d9_60_000001"]
    assert all(len(frame.faces) == 1 for frame in data.frames.values())
    assert data.source["kind"] == "video" and data.source["frame_count"] == 60
    face = data.frames["d9_60_000007"].faces[0]
    assert set(face.masks) == {"components", "extended"}
    assert face.masks["extended"].decode().mean() > face.masks["components"].decode().mean()
    # The PNG carries what training needs and matches the alignments entry.
    png = out / "d9_60_000007_0.png"
    meta = read_face_metadata(png)
    assert meta["source"] == {"source": "d9_60.mp4", "frame": "d9_60_000007", "face_index": 0,
                              "frame_dims": [480, 512], "is_video": True,
                              "alignments": "d9_alignments.json"}
    assert meta["face"]["size"] == 128 and meta["face"]["centering"] == "head"
    np.testing.assert_allclose(meta["face"]["landmarks"], face.landmarks, atol=1e-3)
    image = read_image(png)
    assert image.shape == (128, 128, 3)
    # aligned_landmarks lets training re-crop with no alignments file: same geometry.
    again = AlignedFace.from_landmarks(np.array(meta["face"]["aligned_landmarks"]))
    np.testing.assert_allclose(again.aligned_landmarks(128, "head"),
                               meta["face"]["aligned_landmarks"], atol=0.05)


def test_every_nth_frame(d9_clip60, tmp_path):
    summary = extract(ExtractOptions(d9_clip60, tmp_path / "f", alignments=tmp_path / "a.json",
                      every_n=20, jobs=1, masks=()))
    assert summary.frames_processed == 3
    assert list(alignments.load(tmp_path / "a.json").frames) == [
        "d9_60_000000", "d9_60_000020", "d9_60_000040"]


def test_two_people_both_found_and_min_size(tmp_path):
    still = STILLS / "faceRecognition_two_people.jpg"
    summary = extract(ExtractOptions(still, tmp_path / "f", alignments=tmp_path / "a.json", jobs=1))
    assert summary.faces_written == 2
    assert sorted(p.name for p in (tmp_path / "f").iterdir()) == [
        "faceRecognition_two_people_0.png", "faceRecognition_two_people_1.png"]
    faces = alignments.load(tmp_path / "a.json").frames["faceRecognition_two_people.jpg"].faces
    assert [f.index for f in faces] == [0, 1] and faces[0].box[0] < faces[1].box[0]
    # Boxes are ~153 and ~183 px: a 170 px minimum keeps only the larger face.
    small = extract(ExtractOptions(still, tmp_path / "g", alignments=tmp_path / "b.json",
                                   min_size=170))
    assert small.faces_written == 1 and small.faces_too_small == 1


def test_corrupt_image_in_folder_is_skipped_and_reported(tmp_path):
    folder = link(tmp_path / "in", "faceRecognition_obama.jpg")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    summary = extract(ExtractOptions(folder, tmp_path / "out", jobs=2))
    assert summary.unreadable == ["broken.jpg"]
    assert summary.frames_processed == 1 and summary.faces_written == 1
    assert any("broken.jpg" in line for line in summary.lines())
    # Default alignments location: beside the folder, named after it.
    data = alignments.load(tmp_path / "in_alignments.json")
    assert list(data.frames) == ["faceRecognition_obama.jpg"]  # unreadable: retried next time


def test_nothing_readable_exits_1_and_writes_nothing(tmp_path, capfd):
    from faceswap.cli.main import main

    bad = tmp_path / "unreadable.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    out = tmp_path / "new" / "faces"
    assert main(["extract", "-i", str(bad), "-o", str(out), "--no-progress"]) == 1
    err = capfd.readouterr().err
    assert "Could not read any frame of" in err and "(1 unreadable: unreadable.png)" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["unreadable.png"]
    # An existing alignments file of an earlier run is left exactly as it was, without backup.
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.png").write_bytes(b"junk")
    (folder / "b.jpg").write_bytes(b"junk")
    old = tmp_path / "in_alignments.json"
    alignments.save(alignments.Alignments(), old)
    kept = old.read_bytes()
    with pytest.raises(FaceswapError, match=r"2 unreadable: a.png, b.jpg\). Nothing was written"):
        extract(ExtractOptions(folder, tmp_path / "out2"))
    assert old.read_bytes() == kept and not (tmp_path / "in_alignments.json.bk").exists()
    assert not (tmp_path / "out2").exists()


def test_a_new_run_keeps_the_replaced_alignments_as_bk(tmp_path):
    still = STILLS / "faceRecognition_obama.jpg"
    al_path = tmp_path / "a.json"
    extract(ExtractOptions(still, tmp_path / "f", alignments=al_path, masks=()))
    first = al_path.read_bytes()
    extract(ExtractOptions(still, tmp_path / "f", alignments=al_path, masks=("eye",)))
    assert alignments.backup_path(al_path).read_bytes() == first
    assert alignments.load(al_path).extract["masks"] == ["eye"]


def test_progress_callback_counts_every_frame(d9_clip60, tmp_path):
    calls = []
    extract(ExtractOptions(d9_clip60, tmp_path / "f", alignments=tmp_path / "a.json",
                           every_n=20, jobs=1, masks=()), lambda d, t: calls.append((d, t)))
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_skip_existing_resumes(tmp_path):
    folder = link(tmp_path / "in", "faceRecognition_obama.jpg", "faceRecognition_biden.jpg",
                  "faceRecognition_two_people.jpg")
    out, al_path = tmp_path / "out", tmp_path / "al.json"
    first = extract(ExtractOptions(folder, out, alignments=al_path, jobs=2))
    assert first.frames_processed == 3 and first.faces_written == 4
    # Simulate a run that stopped early: one frame missing from the file, one face file lost.
    data = alignments.load(al_path)
    del data.frames["faceRecognition_biden.jpg"]
    alignments.save(data, al_path)
    (out / "faceRecognition_two_people_1.png").unlink()
    (out / "faceRecognition_biden_0.png").unlink()
    kept = (out / "faceRecognition_obama_0.png").stat().st_mtime_ns
    second = extract(ExtractOptions(folder, out, alignments=al_path, skip_existing=True, jobs=2))
    assert second.frames_skipped == 1 and second.frames_processed == 2
    assert (out / "faceRecognition_obama_0.png").stat().st_mtime_ns == kept
    assert (out / "faceRecognition_two_people_1.png").is_file()
    assert alignments.load(al_path).face_count == 4
    assert set(alignments.load(al_path).frames) == {p.name for p in folder.iterdir()}
    # Resuming at another size, or into another source's file, is refused.
    with pytest.raises(FaceswapError, match="-sz 256"):
        extract(ExtractOptions(folder, out, alignments=al_path, skip_existing=True, size=128))
    with pytest.raises(FaceswapError, match="belongs to 'in'"):
        extract(ExtractOptions(STILLS / "faceRecognition_obama.jpg", out, alignments=al_path,
                skip_existing=True))
    # ... and leaves no output folder of its own behind.
    with pytest.raises(FaceswapError, match="-sz 256"):
        extract(ExtractOptions(folder, tmp_path / "new" / "faces", alignments=al_path,
                               skip_existing=True, size=128))
    assert not (tmp_path / "new").exists()


def test_identity_filter_keeps_obama_and_drops_biden(tmp_path):
    folder = link(tmp_path / "in", "faceRecognition_obama2.jpg", "faceRecognition_biden.jpg")
    summary = extract(ExtractOptions(folder, tmp_path / "out", alignments=tmp_path / "a.json",
                      references=[STILLS / "faceRecognition_obama.jpg"], jobs=2))
    assert summary.faces_found == 2 and summary.faces_written == 1
    assert summary.faces_other_identity == 1
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["faceRecognition_obama2_0.png"]
    face = alignments.load(tmp_path / "a.json").frames["faceRecognition_obama2.jpg"].faces[0]
    assert len(face.identity["dlib-resnet"]) == 128


def test_truncated_alignments_file_stops_extract_and_is_left_untouched(tmp_path):
    still = STILLS / "faceRecognition_obama.jpg"
    al_path = tmp_path / "a.json"
    extract(ExtractOptions(still, tmp_path / "f", alignments=al_path, masks=()))
    cut = al_path.read_bytes()[:300]
    al_path.write_bytes(cut)
    for skip in (False, True):
        with pytest.raises(FaceswapError, match=r"truncated or corrupt.*left untouched"):
            extract(ExtractOptions(still, tmp_path / "g", alignments=al_path, skip_existing=skip))
        assert al_path.read_bytes() == cut


def test_text_file_as_video_gives_a_clear_error(tmp_path):
    path = tmp_path / "movie.mp4"
    path.write_text("not a video")
    with pytest.raises(FaceswapError, match="is not a video FFmpeg can read"):
        extract(ExtractOptions(path, tmp_path / "out"))
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_cli_extract(tmp_path, capsys):
    from faceswap.cli.main import main

    code = main(["extract", "-i", str(STILLS / "faceRecognition_two_people.jpg"),
                 "-o", str(tmp_path / "faces"), "-al", str(tmp_path / "a.json"), "-sz", "128",
                 "-M", "components", "eye", "mouth", "-j", "1", "--no-progress"])
    assert code == 0
    out = capsys.readouterr().out
    assert "Faces: 2 found, 2 written" in out and "frames/s" in out
    face = alignments.load(tmp_path / "a.json").frames["faceRecognition_two_people.jpg"].faces[0]
    assert set(face.masks) == {"components", "eye", "mouth"}


def test_cli_reports_bad_input(tmp_path, caplog, capfd):
    from faceswap.cli.main import main

    path = tmp_path / "notes.txt"
    path.write_text("hello")
    assert main(["extract", "-i", str(path), "-o", str(tmp_path / "o"), "--no-progress"]) == 1
    assert "is not a video FFmpeg can read" in caplog.text + capfd.readouterr().err


def test_extract_never_imports_keras(tmp_path):
    code = (
        "import sys; from faceswap.stages.extract import ExtractOptions, extract; "
        f"extract(ExtractOptions({str(STILLS / 'faceRecognition_obama.jpg')!r}, "
        f"{str(tmp_path / 'o')!r}, alignments={str(tmp_path / 'a.json')!r})); "
        "bad = [m for m in ('keras', 'tensorflow', 'torch', 'jax') if m in sys.modules]; "
        "assert not bad, bad"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr


def test_interrupted_video_run_saves_progress_and_resumes(d9_clip60, tmp_path, monkeypatch):
    import faceswap.stages.extract as pipeline

    real = load_plugin("detect", "dlib-hog")
    calls = {"n": 0}

    class Interrupting:
        @staticmethod
        def detect(image):
            calls["n"] += 1
            if calls["n"] == 25:
                raise KeyboardInterrupt  # Ctrl-C in the middle of the clip
            return real.detect(image)

    original_loader = pipeline.load_plugin
    monkeypatch.setattr(pipeline, "load_plugin", lambda family, name: (
        Interrupting if family == "detect" else original_loader(family, name)))
    out, al_path = tmp_path / "faces", tmp_path / "a.json"
    with pytest.raises(KeyboardInterrupt):
        extract(ExtractOptions(d9_clip60, out, alignments=al_path, jobs=2, masks=(), size=64))
    saved = alignments.load(al_path)
    assert 10 <= len(saved.frames) < 60
    monkeypatch.setattr(pipeline, "load_plugin", original_loader)
    resumed = extract(ExtractOptions(d9_clip60, out, alignments=al_path, jobs=2, masks=(), size=64,
                      skip_existing=True))
    assert resumed.frames_skipped == len(saved.frames)
    assert resumed.frames_skipped + resumed.frames_processed == 60
    final = alignments.load(al_path)
    assert list(final.frames) == [f"d9_60_{i:06d}" for i in range(60)]
    assert len(list(out.glob("*.png"))) == 60
