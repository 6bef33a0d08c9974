"""`faceswap sort` on real extracted faces of two people (shared clips d9 and d3)."""

from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest
from fstest import SHARED

from faceswap.lib import alignments as alignments_file
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import read_face_metadata, read_image, write_face_png
from faceswap.tools.sort import (
    SortOptions,
    chain_order,
    histogram_distance,
    identity_clusters,
    sharpness,
    sort_faces,
    value_bins,
)

CLIPS = SHARED / "face-data" / "clips"
pytestmark = pytest.mark.skipif(not CLIPS.is_dir(), reason="../shared is absent")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Faces of d9 (a man) and d3 (a woman) in one folder, with d9's alignments file."""
    from faceswap.stages.extract import ExtractOptions, extract

    work = tmp_path_factory.mktemp("sort")
    for clip, every in (("livePortrait_d9.mp4", 60), ("livePortrait_d3.mp4", 60)):
        extract(ExtractOptions(CLIPS / clip, work / "faces", size=160, every_n=every, masks=(),
                               alignments=work / f"{clip[:-4]}_alignments.json", jobs=2))
    return work


@pytest.fixture
def faces(extracted, tmp_path):
    """A fresh copy of the folder and of d9's alignments file for each test."""
    shutil.copytree(extracted / "faces", tmp_path / "faces")
    shutil.copy(extracted / "livePortrait_d9_alignments.json", tmp_path / "d9.json")
    return tmp_path / "faces"


def _person(path) -> str:
    return read_face_metadata(path)["source"]["source"][:15]  # livePortrait_d9 / _d3


def test_identity_groups_split_the_two_people(faces):
    result = sort_faces(SortOptions(faces, method="identity", group_by="identity"))
    assert sorted(result.groups.values()) == [6, 10]  # 354/60 and 587/60 frames, one face each
    for group in result.groups:
        people = {_person(path) for path in (faces / group).iterdir()}
        assert len(people) == 1, (group, people)
    assert not list(faces.glob("*.png"))  # moved, not copied


def test_identity_with_a_reference_puts_that_person_first(faces, tmp_path):
    from faceswap.lib.video import frames

    reference = tmp_path / "d3_ref.png"
    for index, _, frame in frames(CLIPS / "livePortrait_d3.mp4"):
        if index == 100:  # a frame that is not among the extracted ones
            cv2.imwrite(str(reference), frame)
            break
    result = sort_faces(SortOptions(faces, method="identity", references=[reference]))
    order = [_person(path) for path in result.files]
    assert order == ["livePortrait_d3"] * 6 + ["livePortrait_d9"] * 10
    assert [p.name[:6] for p in result.files] == [f"{i:05d}_" for i in range(1, 17)]


def test_blur_puts_a_blurred_face_last_and_alignments_follow(faces, tmp_path):
    victim = sorted(faces.glob("livePortrait_d9_*.png"))[3]
    write_face_png(victim, cv2.GaussianBlur(read_image(victim), (0, 0), 3),
                   read_face_metadata(victim))
    before = (tmp_path / "d9.json").read_bytes()
    result = sort_faces(SortOptions(faces, method="blur", alignments=tmp_path / "d9.json"))
    assert result.files[-1].name == f"00016_{victim.name}"
    # Every d9 face's entry now names its new file, and the old version was kept.
    data = alignments_file.load(tmp_path / "d9.json")
    files = [face.file for frame in data.frames.values() for face in frame.faces]
    assert result.alignments_updated == 10
    assert all((faces / name).is_file() and name[5] == "_" for name in files)
    assert alignments_file.backup_path(tmp_path / "d9.json").read_bytes() == before
    # Sorting again replaces the rank prefix instead of stacking a second one.
    again = sort_faces(SortOptions(faces, method="blur", alignments=tmp_path / "d9.json"))
    assert again.files[-1].name == f"00016_{victim.name}"


def test_yaw_order_and_bins_follow_the_stored_pose(faces, tmp_path):
    result = sort_faces(SortOptions(faces, method="yaw", output=tmp_path / "out", keep=True))
    yaws = [read_face_metadata(path)["face"]["pose"]["yaw"] for path in result.files]
    assert yaws == sorted(yaws)
    assert len(list(faces.glob("*.png"))) == 16  # --keep copied
    grouped = sort_faces(SortOptions(faces, method="yaw", group_by="yaw", bins=3,
                                     output=tmp_path / "groups", keep=True))
    assert len(grouped.groups) <= 3 and sum(grouped.groups.values()) == 16
    for group in grouped.groups:
        low, high = (float(v) for v in group.split("_yaw_")[1].split("_to_"))
        for path in (tmp_path / "groups" / group).iterdir():
            yaw = read_face_metadata(path)["face"]["pose"]["yaw"]
            assert low - 1e-3 <= yaw <= high + 1e-3


def test_size_largest_first(faces):
    result = sort_faces(SortOptions(faces, method="size"))
    sizes = [np.prod(read_face_metadata(p)["face"]["box"][2:]) for p in result.files]
    assert sizes == sorted(sizes, reverse=True)


def test_bad_input_moves_nothing(faces, tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    cv2.imwrite(str(plain / "crop.png"), np.full((64, 64, 3), 128, np.uint8))
    with pytest.raises(FaceswapError, match="no faceswap metadata, and sorting by yaw"):
        sort_faces(SortOptions(plain, method="yaw"))
    assert [p.name for p in plain.iterdir()] == ["crop.png"]
    with pytest.raises(FaceswapError, match="is not a folder"):
        sort_faces(SortOptions(tmp_path / "d9.json", method="blur"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FaceswapError, match="holds no face images"):
        sort_faces(SortOptions(tmp_path / "empty", method="blur"))
    with pytest.raises(FaceswapError, match="-r/--reference photos only mean something"):
        sort_faces(SortOptions(faces, method="blur", references=[tmp_path / "x.jpg"]))
    assert len(list(faces.glob("*.png"))) == 16


def test_cli_sort_reports_groups(faces, capsys):
    from faceswap.cli.main import main

    assert main(["sort", "-i", str(faces), "-s", "blur", "-g", "blur", "-b", "2",
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "Sorted 16 faces by blur" in out and out.count("_blur_") == 2
    assert main(["sort", "-i", str(faces / "nope"), "--no-progress"]) == 1


# --- the pure pieces ---------------------------------------------------------------------------

def test_sharpness_drops_with_blur():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    region = np.ones((64, 64), bool)
    assert sharpness(cv2.GaussianBlur(image, (0, 0), 2), region) < sharpness(image, region) / 10


def test_histogram_chain_keeps_similar_colours_together():
    reds = [np.array([0.0, 0.1, 0.9]) + 0.01 * i for i in range(3)]
    blues = [np.array([0.9, 0.1, 0.0]) + 0.01 * i for i in range(3)]
    features = np.stack([reds[0], blues[0], reds[1], blues[1], reds[2], blues[2]])
    features /= features.sum(axis=1, keepdims=True)
    order = chain_order(features, histogram_distance)
    colours = ["r" if i % 2 == 0 else "b" for i in order]
    assert colours in (list("rrrbbb"), list("bbbrrr"))
    assert histogram_distance(features[0], features[0]) == pytest.approx(0.0, abs=1e-6)


def test_identity_clusters_largest_first_and_value_bins():
    rng = np.random.default_rng(1)
    a = rng.normal(0, 0.05, (5, 128))
    b = rng.normal(0, 0.05, (3, 128)) + 1.0
    labels = identity_clusters(np.vstack([b, a]), threshold=0.9)
    assert list(labels) == [1, 1, 1, 0, 0, 0, 0, 0]
    index, labels = value_bins(np.array([-30.0, -10.0, 0.0, 29.0, 30.0]), 3, equal_width=True)
    assert list(index) == [0, 1, 1, 2, 2] and labels[0] == "-30_to_-10"
