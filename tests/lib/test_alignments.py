"""The alignments file: round trip, schema version, foreign/corrupt/truncated files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from faceswap.lib import alignments
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import encode_image


def _sample() -> alignments.Alignments:
    rng = np.random.default_rng(0)
    mask = alignments.Mask(png=encode_image(np.full((128, 128), 255, np.uint8)), size=128,
                           centering="face")
    face = alignments.Face(
        index=0, box=(10, 20, 100, 110), score=1.25,
        landmarks=(rng.random((68, 2)) * 100).astype(np.float32),
        matrix=rng.random((2, 3)), pose={"yaw": 1.0, "pitch": -2.0, "roll": 3.0},
        file="clip_000000_0.png", masks={"components": mask},
        identity={"dlib-resnet": list(rng.random(128))},
    )
    return alignments.Alignments(
        source={"path": "clip.mp4", "kind": "video"}, extract={"detector": "dlib-hog"},
        frames={"clip_000000": alignments.Frame((480, 512), [face]),
                "clip_000001": alignments.Frame((480, 512), [])},
    )


def test_round_trip_and_schema_version(tmp_path):
    path = tmp_path / "clip_alignments.json"
    original = _sample()
    alignments.save(original, path)
    raw = json.loads(path.read_text())
    assert raw["format"] == "faceswap-alignments" and raw["version"] == alignments.VERSION
    loaded = alignments.load(path)
    assert list(loaded.frames) == ["clip_000000", "clip_000001"]
    face, before = loaded.frames["clip_000000"].faces[0], original.frames["clip_000000"].faces[0]
    np.testing.assert_allclose(face.landmarks, before.landmarks, atol=1e-3)
    np.testing.assert_allclose(face.matrix, before.matrix)
    assert face.box == before.box and face.pose == before.pose and face.file == before.file
    assert (face.masks["components"].decode() == 255).all()
    assert len(face.identity["dlib-resnet"]) == 128
    assert loaded.frames["clip_000001"].faces == [] and loaded.face_count == 1


def test_default_path_is_beside_the_input(tmp_path):
    (tmp_path / "shots").mkdir()
    assert alignments.default_path(tmp_path / "clip.mp4") == tmp_path / "clip_alignments.json"
    assert alignments.default_path(tmp_path / "shots") == tmp_path / "shots_alignments.json"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "truncated or corrupt"),  # the real file cut in half
        (b'{"hello": "world"}', "not a faceswap alignments file"),
        (b'{"format": "faceswap-alignments", "version": 99, "frames": {}}', "newer faceswap"),
        (b'{"format": "faceswap-alignments", "version": 1, "frames": {"f": {"dims": [1]}}}',
         "damaged entry"),
        (b"\x00\xff\x10binary", "truncated or corrupt"),
    ],
)
def test_bad_files_give_clear_errors_and_stay_untouched(tmp_path, content, message):
    path = tmp_path / "x_alignments.json"
    alignments.save(_sample(), path)
    data = path.read_bytes()[: len(path.read_bytes()) // 2] if content is None else content
    path.write_bytes(data)
    with pytest.raises(FaceswapError, match=message) as err:
        alignments.load(path)
    assert "left untouched" in str(err.value)
    assert path.read_bytes() == data


def test_save_with_backup_keeps_the_replaced_version(tmp_path):
    path = tmp_path / "clip_alignments.json"
    first = alignments.Alignments()
    first.source = {"path": "clip.mp4"}
    alignments.save(first, path, backup=True)  # nothing to back up yet
    assert not alignments.backup_path(path).exists()
    before = path.read_bytes()
    second = alignments.Alignments()
    second.source = {"path": "clip.mp4", "kind": "video"}
    alignments.save(second, path, backup=True)
    assert alignments.backup_path(path) == tmp_path / "clip_alignments.json.bk"
    assert alignments.backup_path(path).read_bytes() == before
    assert alignments.load(path).source["kind"] == "video"


def test_face_file_names_and_box_overlap():
    # A video frame's key is its stem already, even with dots in the video's name.
    assert alignments.face_file_name("my.clip_000007", 1, is_video=True) == "my.clip_000007_1.png"
    assert alignments.face_file_name("photo.v2.jpg", 0, is_video=False) == "photo.v2_0.png"
    assert alignments.box_iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert alignments.box_iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0
