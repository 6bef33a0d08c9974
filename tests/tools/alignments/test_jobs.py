"""`faceswap alignments JOB` and faceswap.tools.alignments on real extracted faces.

Two face sets are extracted once per module from ../shared/face-data: every 20th frame of a
100-frame slice of livePortrait_d9 (5 frames, one face each) and a folder with a still of two
people, a still of one and a blank image (no face). Tests that change files work on copies.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from fstest import SHARED, digest

from faceswap.lib import alignments
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import read_face_metadata, read_image
from faceswap.tools import alignments as jobs

CLIP = SHARED / "face-data" / "clips" / "livePortrait_d9.mp4"
STILLS = SHARED / "face-data" / "stills"
TWO, ONE = "faceRecognition_two_people.jpg", "faceRecognition_obama.jpg"
VIDEO_FRAMES = [f"d9_slice_{i:06d}" for i in (0, 20, 40, 60, 80)]

pytestmark = pytest.mark.skipif(not CLIP.is_file(), reason="../shared/face-data is absent")


def _extract(source: Path, root: Path, **kwargs) -> SimpleNamespace:
    from faceswap.stages.extract import ExtractOptions, extract

    faces, al_path = root / "faces", root / f"{source.stem}_alignments.json"
    extract(ExtractOptions(source, faces, size=64, jobs=2, alignments=al_path, **kwargs))
    return SimpleNamespace(source=source, faces=faces, alignments=al_path, root=root)


@pytest.fixture(scope="module")
def video_set(tmp_path_factory) -> SimpleNamespace:
    """Faces of frames 0, 20, ... 80 of a 100-frame slice of d9 (no masks: speed)."""
    import av

    from faceswap.lib.video import frames

    root = tmp_path_factory.mktemp("video_set")
    clip = root / "d9_slice.mp4"
    with av.open(str(clip), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.height, stream.width = 480, 512
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "18", "preset": "ultrafast"}
        for index, _, image in frames(CLIP):
            if index >= 100:
                break
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return _extract(clip, root, every_n=20, masks=())


@pytest.fixture(scope="module")
def stills_set(tmp_path_factory) -> SimpleNamespace:
    """Faces of a folder: two people, one person, and a blank image with no face."""
    root = tmp_path_factory.mktemp("stills_set")
    folder = root / "stills"
    folder.mkdir()
    for name in (TWO, ONE):
        (folder / name).symlink_to(STILLS / name)
    cv2.imwrite(str(folder / "blank.png"), np.full((200, 200, 3), 128, np.uint8))
    return _extract(folder, root, masks=("components",))


def _copy(face_set: SimpleNamespace, tmp_path: Path) -> SimpleNamespace:
    """A private copy of a face set's faces folder and alignments file (same source)."""
    faces = shutil.copytree(face_set.faces, tmp_path / "faces")
    al_path = shutil.copy(face_set.alignments, tmp_path / face_set.alignments.name)
    return SimpleNamespace(source=face_set.source, faces=Path(faces), alignments=Path(al_path))


def _main(*argv: str) -> int:
    from faceswap.cli.main import main

    return main(["alignments", *argv, "--no-progress"])


def _error(capsys) -> str:
    # main() logs errors through a handler on the (captured) stderr.
    return capsys.readouterr().err


# --- the extracted sets are what the tests assume ---------------------------------------------

def test_face_sets(video_set, stills_set):
    video = alignments.load(video_set.alignments)
    assert list(video.frames) == VIDEO_FRAMES
    assert [len(f.faces) for f in video.frames.values()] == [1] * 5
    stills = alignments.load(stills_set.alignments)
    assert {n: len(f.faces) for n, f in stills.frames.items()} == {TWO: 2, ONE: 1, "blank.png": 0}


# --- check ------------------------------------------------------------------------------------

def test_check_clean_set_reports_nothing_and_writes_nothing(video_set):
    before = digest(video_set.root)
    report = jobs.check(video_set.alignments, faces_dir=video_set.faces)
    assert report.source == str(video_set.source)  # found through the path in the file
    assert (report.frames, report.faces) == (5, 5)
    for name in report.CATEGORIES:
        assert getattr(report, name) == [], name
    assert digest(video_set.root) == before


def test_check_finds_every_kind_of_problem(video_set, tmp_path):
    work = _copy(video_set, tmp_path)
    data = alignments.load(work.alignments)
    del data.frames["d9_slice_000040"]  # its PNG stays: an extra face
    # Not one of the clip's 100 frames (and face-less, so it has no PNG to miss).
    data.frames["d9_slice_000999"] = alignments.Frame(dims=(480, 512))
    alignments.save(data, work.alignments)
    (work.faces / "d9_slice_000020_0.png").unlink()
    report = jobs.check(work.alignments, work.source, work.faces)
    assert report.missing_frames == ["d9_slice_000999"]
    # Only frames on the file's every-20th grid are expected, not all 100.
    assert report.missing_alignments == ["d9_slice_000040"]
    assert report.missing_faces == ["d9_slice_000020_0.png"]
    assert report.extra_faces == ["d9_slice_000040_0.png"]
    assert report.no_faces == ["d9_slice_000999"] and report.multi_faces == []


def test_check_no_and_multi_faces_and_cli_json(stills_set, tmp_path, capsys):
    out = tmp_path / "report.json"
    assert _main("check", "-al", str(stills_set.alignments), "-fc", str(stills_set.faces),
                 "-o", str(out)) == 0
    text = capsys.readouterr().out
    assert f"multi-faces         1: {TWO}" in text
    assert "no-faces            1: blank.png" in text
    assert "missing-faces       0" in text
    report = json.loads(out.read_text())
    assert report["no_faces"] == ["blank.png"] and report["multi_faces"] == [TWO]
    assert report["missing_frames"] == [] and report["missing_alignments"] == []


def test_check_without_source_or_faces_says_not_checked(stills_set, tmp_path, capsys):
    data = alignments.load(stills_set.alignments)
    data.source["path"] = str(tmp_path / "moved_away")
    alignments.save(data, tmp_path / "a.json")
    report = jobs.check(tmp_path / "a.json")
    assert report.source is None and report.missing_frames is None
    assert report.missing_faces is None
    assert _main("check", "-al", str(tmp_path / "a.json"), "-n", "0") == 0
    text = capsys.readouterr().out
    assert "missing-frames      not checked" in text and "pass -i" in text


def test_check_refuses_another_source_and_another_faces_folder(video_set, stills_set, capsys):
    with pytest.raises(FaceswapError, match="is not the source of"):
        jobs.check(video_set.alignments, source=stills_set.source)
    with pytest.raises(FaceswapError, match=r"holds faces of d9_slice\.mp4, not of 'stills'"):
        jobs.check(stills_set.alignments, faces_dir=video_set.faces)
    assert _main("check", "-al", str(video_set.alignments), "-fc",
                 str(stills_set.root / "nowhere")) == 1
    assert "does not exist or is not a folder" in _error(capsys)


# --- remove-faces -----------------------------------------------------------------------------

def test_remove_faces_drops_deleted_faces_and_keeps_a_backup(stills_set, tmp_path, capsys):
    work = _copy(stills_set, tmp_path)
    original = work.alignments.read_bytes()
    (work.faces / "faceRecognition_two_people_0.png").unlink()
    assert _main("remove-faces", "-al", str(work.alignments), "-fc", str(work.faces),
                 "--dry-run") == 0
    assert "Would remove 1 faces" in capsys.readouterr().out
    assert work.alignments.read_bytes() == original
    assert not alignments.backup_path(work.alignments).exists()

    result = jobs.remove_faces(work.alignments, work.faces)
    assert result.removed == ["faceRecognition_two_people_0.png"] and result.kept == 2
    assert alignments.backup_path(work.alignments).read_bytes() == original
    frames = alignments.load(work.alignments).frames
    # The face left keeps its index and file name: no PNG has to be renamed.
    assert [(f.index, f.file) for f in frames[TWO].faces] == [
        (1, "faceRecognition_two_people_1.png")]
    assert len(frames[ONE].faces) == 1 and frames["blank.png"].faces == []
    old = alignments.load(stills_set.alignments).frames[TWO].faces[1]
    np.testing.assert_array_equal(frames[TWO].faces[0].landmarks, old.landmarks)

    # Nothing more to remove: the file is not rewritten.
    saved = work.alignments.read_bytes()
    assert jobs.remove_faces(work.alignments, work.faces).removed == []
    assert work.alignments.read_bytes() == saved


def test_remove_faces_follows_renamed_files(video_set, tmp_path):
    work = _copy(video_set, tmp_path)
    (work.faces / "d9_slice_000000_0.png").rename(work.faces / "best_001.png")
    (work.faces / "d9_slice_000060_0.png").unlink()
    result = jobs.remove_faces(work.alignments, work.faces)
    assert result.removed == ["d9_slice_000060_0.png"] and result.kept == 4
    assert result.frames_emptied == ["d9_slice_000060"]
    assert alignments.load(work.alignments).frames["d9_slice_000060"].faces == []


def test_faces_grouped_into_sub_folders_still_count(video_set, tmp_path):
    # As `faceswap sort -g ... -al` leaves a folder: faces in groups, the file's names follow.
    work = _copy(video_set, tmp_path)
    (work.faces / "person_01").mkdir()
    (work.faces / "d9_slice_000020_0.png").rename(work.faces / "person_01" / "00001_x.png")
    data = alignments.load(work.alignments)
    data.frames["d9_slice_000020"].faces[0].file = "person_01/00001_x.png"
    alignments.save(data, work.alignments)
    (work.faces / "d9_slice_000080_0.png").unlink()
    assert jobs.check(work.alignments, faces_dir=work.faces).missing_faces == [
        "d9_slice_000080_0.png"]
    assert jobs.remove_faces(work.alignments, work.faces).removed == ["d9_slice_000080_0.png"]
    renamed = jobs.rename_faces(work.faces, work.alignments)
    assert renamed.renamed == [("person_01/00001_x.png", "person_01/d9_slice_000020_0.png")]
    assert renamed.alignments_updated == 1
    frames = alignments.load(work.alignments).frames
    assert frames["d9_slice_000020"].faces[0].file == "person_01/d9_slice_000020_0.png"
    assert (work.faces / "person_01" / "d9_slice_000020_0.png").is_file()


def test_remove_faces_refuses_a_wrong_folder_and_changes_nothing(video_set, stills_set, tmp_path):
    work = _copy(video_set, tmp_path)
    (tmp_path / "not_alignments.json").write_text('{"frames": {}}')
    before = digest(tmp_path)
    with pytest.raises(FaceswapError, match="holds faces of stills"):
        jobs.remove_faces(work.alignments, stills_set.faces)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FaceswapError, match="every face would be removed"):
        jobs.remove_faces(work.alignments, empty)
    with pytest.raises(FaceswapError, match="is not a faceswap alignments file"):
        jobs.remove_faces(tmp_path / "not_alignments.json", work.faces)
    assert digest(tmp_path) == before


# --- from-faces -------------------------------------------------------------------------------

def test_from_faces_rebuilds_the_file(stills_set, tmp_path):
    work = _copy(stills_set, tmp_path)
    (work.faces / "faceRecognition_two_people_1.png").rename(work.faces / "sorted_7.png")
    cv2.imwrite(str(work.faces / "notes.png"), np.zeros((8, 8, 3), np.uint8))
    target = tmp_path / "rebuilt.json"
    result = jobs.alignments_from_faces(work.faces, target, source=stills_set.source)
    assert (result.frames, result.faces, result.source) == (2, 3, "stills")
    assert result.no_metadata == ["notes.png"] and result.backup is None
    original, rebuilt = alignments.load(stills_set.alignments), alignments.load(target)
    assert rebuilt.source == original.source  # filled in from -i
    assert list(rebuilt.frames) == [ONE, TWO]  # in the source's (sorted) order
    assert "blank.png" not in rebuilt.frames  # face-less frames leave no PNG behind
    for name, frame in rebuilt.frames.items():
        assert frame.dims == original.frames[name].dims
        for new, old in zip(frame.faces, original.frames[name].faces, strict=True):
            assert new.index == old.index and new.box == old.box
            np.testing.assert_allclose(new.landmarks, old.landmarks, atol=1e-3)
            np.testing.assert_allclose(new.matrix, old.matrix, atol=1e-9)
            assert new.masks["components"].png == old.masks["components"].png
    # Each face points at the file it is in now.
    assert rebuilt.frames[TWO].faces[1].file == "sorted_7.png"

    # Run again without -i: the existing file is kept as .bk; the source is the name only.
    first = target.read_bytes()
    again = jobs.alignments_from_faces(work.faces, target)
    assert again.backup == str(alignments.backup_path(target))
    assert alignments.backup_path(target).read_bytes() == first
    assert alignments.load(target).source == {"path": "stills", "kind": "images"}


def test_from_faces_refuses_mixed_folders_and_foreign_targets(video_set, stills_set, tmp_path,
                                                             capsys):
    mixed = shutil.copytree(video_set.faces, tmp_path / "mixed")
    shutil.copy(stills_set.faces / f"{Path(ONE).stem}_0.png", mixed)
    with pytest.raises(FaceswapError, match="faces of 2 sources"):
        jobs.alignments_from_faces(mixed, tmp_path / "a.json")
    with pytest.raises(FaceswapError, match=r"were extracted from 'd9_slice\.mp4', not 'stills'"):
        jobs.alignments_from_faces(video_set.faces, tmp_path / "a.json", stills_set.source)
    foreign = tmp_path / "settings.json"
    foreign.write_text('{"learning_rate": 5e-05}')
    assert _main("from-faces", "-fc", str(video_set.faces), "-al", str(foreign)) == 1
    assert "is not a faceswap alignments file" in _error(capsys)
    assert foreign.read_text() == '{"learning_rate": 5e-05}'
    assert not (tmp_path / "a.json").exists()
    assert _main("from-faces", "-fc", str(video_set.faces), "-al", str(tmp_path / "v.json")) == 0
    assert "Wrote" in capsys.readouterr().out
    assert list(alignments.load(tmp_path / "v.json").frames) == VIDEO_FRAMES


# --- merge ------------------------------------------------------------------------------------

def _subset(path: Path, keep: list[str], target: Path) -> Path:
    data = alignments.load(path)
    data.frames = {name: data.frames[name] for name in keep}
    alignments.save(data, target)
    return target


def test_merge_two_halves_of_a_video(video_set, tmp_path):
    first = _subset(video_set.alignments, VIDEO_FRAMES[:3], tmp_path / "a.json")
    second = _subset(video_set.alignments, VIDEO_FRAMES[2:], tmp_path / "b.json")
    original_first = first.read_bytes()
    result = jobs.merge(first, second)
    assert (result.frames, result.faces) == (5, 5)
    assert (result.frames_added, result.faces_added, result.duplicates) == (2, 0, 1)
    assert alignments.backup_path(first).read_bytes() == original_first
    merged, full = alignments.load(first), alignments.load(video_set.alignments)
    assert merged.to_dict() == full.to_dict()


def test_merge_keeps_both_faces_unless_they_overlap(stills_set, tmp_path, capsys):
    full = alignments.load(stills_set.alignments)
    # A run that found only the right-hand face (as face 0), e.g. with --min-size.
    partial = alignments.load(stills_set.alignments)
    right = partial.frames[TWO].faces[1]
    right.index, right.file = 0, "faceRecognition_two_people_0.png"
    partial.frames[TWO].faces = [right]
    alignments.save(partial, tmp_path / "partial.json")
    out = tmp_path / "merged.json"
    assert _main("merge", "-al", str(tmp_path / "partial.json"), "--other",
                 str(stills_set.alignments), "-o", str(out)) == 0
    text = capsys.readouterr().out
    # The right-hand face of the two-people frame and the one-person frame's face.
    assert "2 duplicate faces dropped" in text
    assert f"{TWO}: face 0 of" in text and "is now face 1" in text
    faces = alignments.load(out).frames[TWO].faces
    assert [(f.index, f.file) for f in faces] == [(0, "faceRecognition_two_people_0.png"),
                                                 (1, "faceRecognition_two_people_1.png")]
    # The first file's face is the right one, the added one is the left one of the full run.
    assert faces[0].box == full.frames[TWO].faces[1].box
    assert faces[1].box == full.frames[TWO].faces[0].box
    assert not alignments.backup_path(out).exists()


def test_merge_refuses_files_of_different_sources(video_set, stills_set, tmp_path):
    first = shutil.copy(video_set.alignments, tmp_path / "a.json")
    before = digest(tmp_path)
    with pytest.raises(FaceswapError, match="only alignments of the same source"):
        jobs.merge(first, stills_set.alignments)
    other = alignments.load(video_set.alignments)
    other.frames["d9_slice_000000"].dims = (240, 256)
    alignments.save(other, tmp_path / "b.json")
    before = digest(tmp_path)
    with pytest.raises(FaceswapError, match="not of the same source"):
        jobs.merge(first, tmp_path / "b.json")
    assert digest(tmp_path) == before


# --- draw -------------------------------------------------------------------------------------

def test_draw_video_frames(video_set, tmp_path):
    calls = []
    result = jobs.draw(video_set.alignments, tmp_path / "drawn",
                       progress=lambda done, total: calls.append((done, total)))
    assert (result.frames_written, result.faces_drawn, result.not_in_source) == (5, 5, [])
    assert sorted(p.name for p in (tmp_path / "drawn").iterdir()) == [
        f"{name}.jpg" for name in VIDEO_FRAMES]
    assert calls[-1] == (5, 5)
    image = read_image(tmp_path / "drawn" / "d9_slice_000040.jpg")
    face = alignments.load(video_set.alignments).frames["d9_slice_000040"].faces[0]
    x, y, w, _ = face.box
    edge = image[y, x + w // 4: x + 3 * w // 4].astype(int)  # the box's top edge
    assert np.median(edge[:, 1] - edge[:, 2]) > 60  # green (a 1 px line, blurred by JPEG)
    px, py = np.rint(face.landmarks[30]).astype(int)  # nose tip
    b, g, r = image[py, px].astype(int)
    assert r - g > 100 and r - b > 100  # red


def test_draw_stills_cli_and_never_over_the_source(stills_set, tmp_path, capsys):
    assert _main("draw", "-al", str(stills_set.alignments), "-o", str(tmp_path / "d")) == 0
    assert "Wrote 3 frames with 3 faces drawn" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == sorted([TWO, ONE, "blank.png"])
    before = digest(stills_set.root)
    assert _main("draw", "-al", str(stills_set.alignments), "-o", str(stills_set.source)) == 1
    assert "would overwrite the frames" in _error(capsys)
    assert digest(stills_set.root) == before


# --- export / import --------------------------------------------------------------------------

def test_export_import_round_trip(stills_set, tmp_path, capsys):
    exported = tmp_path / "stills.json"
    assert _main("export", "-al", str(stills_set.alignments), "-o", str(exported)) == 0
    doc = json.loads(exported.read_text())
    assert doc["format"] == "faceswap-alignments-export" and doc["version"] == 1
    assert [f["name"] for f in doc["frames"]] == list(
        alignments.load(stills_set.alignments).frames)
    assert [f["name"] for f in doc["frames"]] == ["blank.png", ONE, TWO]
    face = doc["frames"][2]["faces"][0]
    assert set(face["box"]) == {"x", "y", "width", "height"} and len(face["landmarks"]) == 68
    # Pretty-printed, with each landmark list on one line.
    assert '\n      "faces": [\n' in exported.read_text()
    assert exported.read_text().count("\n") < 200

    target = tmp_path / "back_alignments.json"
    assert _main("import", "-i", str(exported), "-al", str(target)) == 0
    assert "3 faces" in capsys.readouterr().out
    original = alignments.load(stills_set.alignments)
    assert alignments.load(target).to_dict() == original.to_dict()


def test_export_without_masks_and_import_draws_them_again(stills_set, tmp_path):
    exported = tmp_path / "small.json"
    full = tmp_path / "full.json"
    jobs.export_json(stills_set.alignments, full)
    jobs.export_json(stills_set.alignments, exported, masks=False)
    assert '"png"' not in exported.read_text()
    assert exported.stat().st_size < full.stat().st_size
    target = shutil.copy(stills_set.alignments, tmp_path / "x_alignments.json")
    result = jobs.import_json(exported, target)
    assert result.masks_rebuilt == 3 and result.backup == str(alignments.backup_path(target))
    original = alignments.load(stills_set.alignments)
    for name, frame in alignments.load(target).frames.items():
        for new, old in zip(frame.faces, original.frames[name].faces, strict=True):
            assert new.masks["components"].png == old.masks["components"].png


def test_import_refuses_bad_input_and_writes_nothing(stills_set, tmp_path):
    target = tmp_path / "a.json"
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"frames": []}))
    with pytest.raises(FaceswapError, match="not a faceswap alignments export"):
        jobs.import_json(plain, target)
    exported = tmp_path / "e.json"
    jobs.export_json(stills_set.alignments, exported)
    doc = json.loads(exported.read_text())
    face = doc["frames"][1]["faces"][0]
    face["landmarks"] = face["landmarks"][:5]
    exported.write_text(json.dumps(doc))
    with pytest.raises(FaceswapError, match="damaged entry"):
        jobs.import_json(exported, target)
    assert not target.exists()


# --- rename -----------------------------------------------------------------------------------

def test_rename_restores_canonical_names(stills_set, tmp_path, capsys):
    work = _copy(stills_set, tmp_path)
    before = {read_face_metadata(p)["source"]["face_index"]: p.read_bytes()
              for p in work.faces.glob(f"{Path(TWO).stem}_*.png")}
    # Swap the two faces' names (a cycle) and give the third a sorter's name.
    a, b = (work.faces / f"faceRecognition_two_people_{i}.png" for i in (0, 1))
    a.rename(work.faces / "tmp.png")
    b.rename(a)
    (work.faces / "tmp.png").rename(b)
    (work.faces / "faceRecognition_obama_0.png").rename(work.faces / "0001.png")
    cv2.imwrite(str(work.faces / "readme.png"), np.zeros((8, 8, 3), np.uint8))

    # As `faceswap sort -al` leaves it: the alignments file follows the sorted name.
    data = alignments.load(work.alignments)
    data.frames[ONE].faces[0].file = "0001.png"
    alignments.save(data, work.alignments)
    sorted_version = work.alignments.read_bytes()

    dry = jobs.rename_faces(work.faces, work.alignments, dry_run=True)
    assert len(dry.renamed) == 3 and dry.alignments_updated == 1
    assert (work.faces / "0001.png").exists() and work.alignments.read_bytes() == sorted_version
    assert _main("rename", "-fc", str(work.faces), "-al", str(work.alignments)) == 0
    out = capsys.readouterr().out
    assert "Renamed 3 faces" in out and "Updated 1 face names" in out
    assert alignments.backup_path(work.alignments).read_bytes() == sorted_version
    assert alignments.load(work.alignments).to_dict() == alignments.load(
        stills_set.alignments).to_dict()
    assert sorted(p.name for p in work.faces.iterdir()) == [
        "faceRecognition_obama_0.png", "faceRecognition_two_people_0.png",
        "faceRecognition_two_people_1.png", "readme.png"]
    for index, data in before.items():
        assert (work.faces / f"faceRecognition_two_people_{index}.png").read_bytes() == data
    # The alignments file's names are right again.
    assert jobs.check(work.alignments, faces_dir=work.faces).missing_faces == []


def test_rename_leaves_a_copy_whose_name_is_taken(video_set, tmp_path):
    faces = Path(shutil.copytree(video_set.faces, tmp_path / "faces"))
    shutil.copy(faces / "d9_slice_000020_0.png", faces / "copy.png")
    result = jobs.rename_faces(faces)
    assert result.renamed == [] and result.conflicts == ["copy.png"]
    assert result.already_named == 5 and (faces / "copy.png").exists()


def test_rename_stops_at_a_chain_of_taken_names(video_set, tmp_path):
    faces = Path(shutil.copytree(video_set.faces, tmp_path / "faces"))
    first, second = (faces / f"d9_slice_0000{i}_0.png" for i in ("00", "20"))
    # first's name is held by second's face, whose own name is held by an unrelated image.
    first.rename(faces / "a.png")
    second.rename(first)
    cv2.imwrite(str(second), np.zeros((8, 8, 3), np.uint8))
    result = jobs.rename_faces(faces)
    assert sorted(result.conflicts) == ["a.png", "d9_slice_000000_0.png"]
    assert result.renamed == [] and result.no_metadata == ["d9_slice_000020_0.png"]
    assert (faces / "a.png").exists()


def test_cli_names_the_missing_flag(capsys):
    assert _main("remove-faces", "-al", "x_alignments.json") == 1
    assert "`faceswap alignments remove-faces` needs -fc FOLDER" in _error(capsys)
