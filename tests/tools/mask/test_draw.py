"""`faceswap mask` on real extracted faces: masks added to PNGs and alignments, previews."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from fstest import SHARED

from faceswap.lib import alignments as alignments_file
from faceswap.lib.align import AlignedFace, landmark_mask
from faceswap.lib.errors import FaceswapError
from faceswap.lib.faces import mask_in_face
from faceswap.lib.image import read_face_metadata, read_image
from faceswap.tools.mask.draw import MaskOptions, generate_masks

STILLS = SHARED / "face-data" / "stills"
pytestmark = pytest.mark.skipif(not STILLS.is_dir(), reason="../shared is absent")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The two faces of a still, extracted with no stored masks at all."""
    from faceswap.stages.extract import ExtractOptions, extract

    work = tmp_path_factory.mktemp("mask")
    extract(ExtractOptions(STILLS / "faceRecognition_two_people.jpg", work / "faces", size=128,
                           masks=(), alignments=work / "two_alignments.json", jobs=1))
    return work


@pytest.fixture
def work(extracted, tmp_path):
    shutil.copytree(extracted, tmp_path, dirs_exist_ok=True)
    return tmp_path


def test_face_folder_gets_masks_and_keeps_its_pixels(work):
    faces = sorted((work / "faces").glob("*.png"))
    pixels = [read_image(path) for path in faces]
    assert all(read_face_metadata(p)["face"]["masks"] == {} for p in faces)
    result = generate_masks(MaskOptions(work / "faces", masks=("extended", "eye"),
                                        preview=work / "previews"))
    assert (result.faces, result.updated, result.skipped) == (2, 2, [])
    for path, before in zip(faces, pixels, strict=True):
        np.testing.assert_array_equal(read_image(path), before)
        face = read_face_metadata(path)["face"]
        assert set(face["masks"]) == {"extended", "eye"}
        mask = alignments_file.Mask.from_dict(face["masks"]["extended"]).decode()
        # The stored mask is the landmark mask of the face in the mask's own aligned space.
        points = AlignedFace.from_landmarks(np.array(face["landmarks"])).aligned_landmarks(
            128, "face")
        assert np.mean(mask == landmark_mask(points, 128, "extended")) > 0.999
    previews = sorted(p.name for p in (work / "previews").iterdir())
    assert previews == [f"{p.stem}_mask.png" for p in faces]
    preview = read_image(work / "previews" / previews[0])
    assert preview.shape == (128, 3 * 128, 3)
    # The mask panel is white over the face and black in the image corners.
    assert preview[64, 128 + 64].min() == 255 and preview[2, 128 + 2].max() == 0


def test_only_missing_leaves_complete_faces_alone(work):
    generate_masks(MaskOptions(work / "faces", masks=("components",)))
    stamp = [p.stat().st_mtime_ns for p in sorted((work / "faces").glob("*.png"))]
    result = generate_masks(MaskOptions(work / "faces", masks=("components",), only_missing=True))
    assert result.updated == 0
    assert [p.stat().st_mtime_ns for p in sorted((work / "faces").glob("*.png"))] == stamp


def test_alignments_file_gets_masks_with_a_backup(work):
    path = work / "two_alignments.json"
    before = path.read_bytes()
    result = generate_masks(MaskOptions(path, masks=("mouth",), preview=work / "p",
                                        faces=work / "faces"))
    assert result.updated == 2 and len(result.previews) == 2
    data = alignments_file.load(path)
    assert data.extract["masks"] == ["mouth"]
    for frame in data.frames.values():
        for face in frame.faces:
            assert set(face.masks) == {"mouth"} and face.masks["mouth"].decode().max() == 255
    assert alignments_file.backup_path(path).read_bytes() == before


def test_mask_in_face_matches_a_mask_drawn_in_the_face_directly(work):
    path = sorted((work / "faces").glob("*.png"))[0]
    generate_masks(MaskOptions(work / "faces", masks=("components",)))
    face = read_face_metadata(path)["face"]
    stored = alignments_file.Mask.from_dict(face["masks"]["components"])
    warped = mask_in_face(stored, np.array(face["landmarks"]), 128, "head")
    direct = landmark_mask(np.array(face["aligned_landmarks"]) * 128 / face["size"], 128,
                           "components")
    assert np.mean((warped > 127) == (direct > 127)) > 0.98


def test_bad_input(work, capsys):
    from faceswap.cli.main import main

    with pytest.raises(FaceswapError, match="does not exist"):
        generate_masks(MaskOptions(work / "missing"))
    with pytest.raises(FaceswapError, match="need its faces: pass -fc"):
        generate_masks(MaskOptions(work / "two_alignments.json", preview=work / "p"))
    (work / "notes.json").write_text("{}")
    assert main(["mask", "-i", str(work / "notes.json"), "--no-progress"]) == 1
    assert main(["mask", "-i", str(work / "faces"), "-M", "eye", "--no-progress"]) == 0
    assert "Masks eye: 2 of 2 faces updated" in capsys.readouterr().out
