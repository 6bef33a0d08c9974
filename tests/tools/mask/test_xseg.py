"""The learned (XSeg) mask: training on painted masks, storing it, converting with it.

The acceptance test trains a tiny network on real shared faces with labelled synthetic occluders
and checks that on held-out faces it follows the visible face better than the extended landmark
mask does (bench/xseg_iou.py measures the same with more faces and steps).
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from fstest import (
    SHARED,
    make_alignments,
    make_original,
    synthetic_frame,
    write_extracted_faces,
)

from faceswap.cli.main import main
from faceswap.lib import alignments as alignments_file
from faceswap.lib import faces as face_file
from faceswap.lib.align import landmark_mask
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import read_face_metadata, read_image, write_image
from faceswap.tools.mask import apply as mask_apply
from faceswap.tools.mask import model as mask_model
from faceswap.tools.mask import train as mask_trainer

CLIPS = SHARED / "face-data" / "clips"
TINY = ["-sz", "32", "-O", "width=4", "-O", "depth=2"]


@pytest.fixture(scope="module")
def real_faces(tmp_path_factory):
    """Faces of three shared clips (different people), extracted into a temporary folder."""
    if not CLIPS.is_dir():
        pytest.skip("../shared is absent")
    from faceswap.stages.extract import ExtractOptions, extract

    work = tmp_path_factory.mktemp("xseg_real")
    paths = []
    for clip, every_n in (("livePortrait_d9.mp4", 60), ("livePortrait_d10.mp4", 45),
                          ("livePortrait_d3.mp4", 40)):
        extract(ExtractOptions(CLIPS / clip, work / clip, every_n=every_n, size=96, masks=(),
                               alignments=work / f"{clip}.json", jobs=1))
        paths += sorted((work / clip).glob("*.png"))
    return paths


def test_xseg_beats_the_extended_mask_on_held_out_occluded_faces(real_faces):
    # Every other face trains, the rest (other frames of the same clips) is held out: what a
    # user does who paints some faces of their footage and applies the mask to the others.
    train, held = real_faces[0::2], real_faces[1::2]
    assert len(train) >= 10 and len(held) >= 10
    import keras

    faces, visible, priors = mask_trainer.occluded_faces(train, 48, seed=1)
    test_faces, test_visible, extended = mask_trainer.occluded_faces(held, 48, seed=2)
    keras.utils.set_random_seed(0)
    model = mask_model.create("unused", "xseg", 48, {"width": 8, "depth": 3}, 1e-3)
    # A fresh network returns its prior, the extended mask: training must improve on it.
    untrained = mask_trainer.iou(model.predict(test_faces, extended), test_visible).mean()
    losses = mask_trainer.fit(model, faces, visible, 250, priors=priors, batch_size=8, seed=0)
    assert np.mean(losses[-20:]) < 0.8 * np.mean(losses[:20])
    xseg_iou = mask_trainer.iou(model.predict(test_faces, extended), test_visible).mean()
    extended_iou = mask_trainer.iou(extended, test_visible).mean()
    assert untrained == pytest.approx(extended_iou, abs=0.01)
    assert xseg_iou > extended_iou + 0.02, (xseg_iou, extended_iou)


def test_occluders_are_cut_out_of_the_mask():
    rng = np.random.default_rng(3)
    face = np.full((64, 64, 3), 128, np.uint8)
    mask = np.ones((64, 64), np.float32)
    occluded, visible = mask_trainer.paste_occluders(face, mask, rng, count=2)
    covered = visible < 0.5
    assert 0.03 < covered.mean() < 0.8
    # Where the mask says "occluded" the pixels changed; where it says "face" they did not.
    changed = np.abs(occluded.astype(int) - face).max(axis=2) > 0
    assert changed[covered].mean() > 0.95 and not changed[visible == 1.0].any()
    assert mask_trainer.iou(visible[None], mask[None])[0] == pytest.approx(1 - covered.mean(),
                                                                           abs=0.01)


def _paint(faces_dir, names, mask_dir=None):
    """'Paint' each face's mask: its components landmark mask, at the face image's size."""
    target = mask_dir or faces_dir / "masks"
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        face = read_face_metadata(faces_dir / name)["face"]
        points = np.asarray(face["aligned_landmarks"])
        write_image(target / name, landmark_mask(points, face["size"], "components"))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny xseg model trained through the CLI on painted synthetic faces."""
    work = tmp_path_factory.mktemp("xseg_cli")
    write_extracted_faces(work / "faces", 6, seed=4)
    _paint(work / "faces", [p.name for p in sorted((work / "faces").glob("*.png"))[:5]])
    args = ["mask", "train", "-i", str(work / "faces"), "-m", str(work / "xseg"), *TINY,
            "-s", "3", "-si", "2", "--no-progress"]
    assert main(args) == 0
    return work


def test_train_saves_and_continues(trained, tmp_path):
    state = json.loads((trained / "xseg" / "xseg_mask.json").read_text())
    assert state["format"] == "faceswap-mask-model" and state["plugin"] == "xseg"
    assert (state["size"], state["iterations"], len(state["history"])) == (32, 3, 2)
    assert state["options"] == {"width": 4, "depth": 2, "prior": 1}
    assert sorted(p.name for p in (trained / "xseg").iterdir()) == [
        "xseg_mask.json", "xseg_mask.keras", "xseg_mask_preview.png"]
    # face | painted | predicted | masked face, for the first 4 painted faces
    assert read_image(trained / "xseg" / "xseg_mask_preview.png").shape == (4 * 32, 4 * 32, 3)
    import shutil

    shutil.copytree(trained / "xseg", tmp_path / "xseg")
    assert main(["mask", "train", "-i", str(trained / "faces"), "-m", str(tmp_path / "xseg"),
                 "-s", "1", "--no-progress"]) == 0
    assert json.loads((tmp_path / "xseg" / "xseg_mask.json").read_text())["iterations"] == 4
    loaded = mask_model.load(tmp_path / "xseg")
    assert loaded.uses_prior
    prior = np.zeros((2, 32, 32), np.float32)
    assert loaded.predict(np.zeros((2, 32, 32, 3), np.uint8), prior).shape == (2, 32, 32)
    # A fixed option cannot change on a model that exists.
    with pytest.raises(FaceswapError, match=r"fixed when a mask model is created"):
        mask_trainer.train_masks(mask_trainer.MaskTrainOptions(
            trained / "faces", tmp_path / "xseg", options={"width": 8}, steps=1))


def test_apply_stores_the_mask_in_face_pngs(trained, tmp_path):
    import shutil

    shutil.copytree(trained / "faces", tmp_path / "faces")
    paths = sorted((tmp_path / "faces").glob("*.png"))
    before = [read_image(p) for p in paths]
    assert main(["mask", "apply", "-i", str(tmp_path / "faces"), "-m", str(trained / "xseg"),
                 "-p", str(tmp_path / "previews"), "--no-progress"]) == 0
    previews = sorted(p.name for p in (tmp_path / "previews").iterdir())
    assert previews == [f"{p.stem}_xseg.png" for p in paths]
    assert read_image(tmp_path / "previews" / previews[0]).shape == (32, 3 * 32, 3)
    for path, pixels in zip(paths, before, strict=True):
        np.testing.assert_array_equal(read_image(path), pixels)
        stored = read_face_metadata(path)["face"]["masks"]["xseg"]
        mask = alignments_file.Mask.from_dict(stored)
        assert (mask.size, mask.centering) == (128, "face") and mask.decode().shape == (128, 128)


def _frames_and_alignments(folder, count=4):
    folder.mkdir()
    rng = np.random.default_rng(5)
    table, frames, points_list = {}, [], []
    for index in range(count):
        frame, points = synthetic_frame(rng)
        cv2.imwrite(str(folder / f"shot_{index}.png"), frame)
        table[f"shot_{index}.png"] = (frame.shape[:2], [points])
        frames.append(frame)
        points_list.append(points)
    path = alignments_file.default_path(folder)
    alignments_file.save(make_alignments(table), path)
    return path, frames, points_list


def test_apply_to_alignments_then_convert_with_the_xseg_mask(trained, tmp_path):
    from faceswap.stages.convert.pipeline import ConvertOptions, convert

    path, frames, points = _frames_and_alignments(tmp_path / "shots")
    face_model = tmp_path / "model"
    make_original(face_model).save()  # untrained: what it pastes does not matter here
    options = dict(input=tmp_path / "shots", model_dir=face_model, mask="xseg")
    # Before `mask apply` the faces have no xseg mask: a clear error, nothing written.
    with pytest.raises(FaceswapError, match=r"have no 'xseg' mask.*faceswap mask apply"):
        convert(ConvertOptions(output=tmp_path / "early", **options))
    assert not (tmp_path / "early").exists()

    assert main(["mask", "apply", "-i", str(path), "-m", str(trained / "xseg"),
                 "--frames", str(tmp_path / "shots"), "-p", str(tmp_path / "previews"),
                 "--no-progress"]) == 0
    assert sorted(p.name for p in (tmp_path / "previews").iterdir()) == [
        f"shot_{index}_0_xseg.png" for index in range(4)]
    data = alignments_file.load(path)
    assert data.extract["masks"] == ["xseg"] and path.with_name(path.name + ".bk").is_file()
    assert all("xseg" in face.masks for frame in data.frames.values() for face in frame.faces)

    # Convert reads the stored mask: one that keeps only the left half of each face pastes
    # the swap there and leaves the right half of the frame's face untouched.
    half = np.zeros((64, 64), np.float32)  # a network output: the face's head crop
    half[:, :32] = 1.0
    for frame in data.frames.values():
        for face in frame.faces:
            face.masks["xseg"] = mask_model.to_stored(half, face.landmarks)
    alignments_file.save(data, path)
    convert(ConvertOptions(output=tmp_path / "out", **options))
    for index, (frame, pts) in enumerate(zip(frames, points, strict=True)):
        out = cv2.imread(str(tmp_path / "out" / f"shot_{index}.png")).astype(int)
        centre = pts.mean(axis=0)
        right = np.zeros(frame.shape[:2], bool)
        right[int(centre[1]) - 10:int(centre[1]) + 10, int(centre[0]) + 8:int(centre[0]) + 25] = 1
        left = np.zeros(frame.shape[:2], bool)
        left[int(centre[1]) - 10:int(centre[1]) + 10, int(centre[0]) - 25:int(centre[0]) - 8] = 1
        assert np.abs(out - frame)[right].mean() < 1.0
        assert np.abs(out - frame)[left].mean() > 2.0


def test_bad_mask_folders_and_model_folders_are_refused(tmp_path):
    faces = tmp_path / "faces"
    write_extracted_faces(faces, 3, seed=6)
    run = mask_trainer.MaskTrainOptions
    with pytest.raises(FaceswapError, match=r"No painted masks.*faces/masks"):
        mask_trainer.train_masks(run(faces, tmp_path / "m1", steps=1, size=32))
    (faces / "masks").mkdir()
    write_image(faces / "masks" / "someone_else.png", np.zeros((96, 96), np.uint8))
    with pytest.raises(FaceswapError, match=r"None of the 3 faces.*face_000.png"):
        mask_trainer.train_masks(run(faces, tmp_path / "m1", steps=1, size=32))
    write_image(faces / "masks" / "face_000.png", np.zeros((50, 50), np.uint8))
    with pytest.raises(FaceswapError, match=r"is 50x50 px but its face 'face_000.png' is 96x96"):
        mask_trainer.train_masks(run(faces, tmp_path / "m1", steps=1, size=32))
    (faces / "masks" / "face_001.png").write_bytes(b"not a png")
    write_image(faces / "masks" / "face_000.png", np.zeros((96, 96), np.uint8))
    with pytest.raises(FaceswapError, match=r"face_001.png"):
        mask_trainer.train_masks(run(faces, tmp_path / "m1", steps=1, size=32))
    assert not (tmp_path / "m1").exists()  # nothing written on a refusal
    # A face-swap model folder is never taken for (or overwritten by) a mask model.
    face_model = tmp_path / "swap"
    face_model.mkdir()
    (face_model / "original_state.json").write_text("{}")  # what a face-swap model leaves
    (face_model / "original.keras").write_bytes(b"PK")
    with pytest.raises(FaceswapError, match=r"holds a face-swap model"):
        mask_trainer.train_masks(run(faces, face_model, steps=1, size=32))
    with pytest.raises(FaceswapError, match=r"holds images \('face_000.png'.*is it a face folder"):
        mask_trainer.train_masks(run(faces, faces, steps=1, size=32))
    with pytest.raises(FaceswapError, match=r"No mask model in"):
        mask_apply.apply_masks(mask_apply.ApplyOptions(faces, tmp_path / "empty"))
    # A truncated model file is reported, not loaded.
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "xseg_mask.keras").write_bytes(b"PK\x03\x04 truncated")
    (tmp_path / "bad" / "xseg_mask.json").write_text(json.dumps(
        {"format": "faceswap-mask-model", "version": 1, "plugin": "xseg", "size": 32}))
    with pytest.raises(FaceswapError, match=r"not a readable mask model"):
        mask_model.load(tmp_path / "bad")
    assert main(["mask", "apply", "-i", str(faces), "--no-progress"]) == 1  # -m missing


def test_a_stored_mask_comes_back_in_any_training_crop(tmp_path):
    # Training cuts faces at its own centering and size from the face PNG; a learned mask
    # stored by `mask apply` must land on the same pixels. Stored here: the extended mask as
    # the network would see it, so it must come back as the extended mask of the crop.
    from faceswap.lib.align import AlignedFace
    from faceswap.lib.image import write_face_png

    write_extracted_faces(tmp_path, 2, seed=7)
    for path in sorted(tmp_path.glob("*.png")):
        metadata = read_face_metadata(path)
        points = face_file.face_image_landmarks(metadata["face"])
        stored = mask_model.to_stored(mask_model.network_prior(points, 64), points)
        metadata["face"]["masks"] = {"xseg": stored.to_dict()}
        write_face_png(path, read_image(path), metadata)
        for size, centering in ((64, "face"), (80, "legacy"), (96, "head")):
            mask = face_file.face_png_mask(path, "xseg", points, size, centering)
            crop_points = AlignedFace.from_landmarks(points).aligned_landmarks(size, centering)
            expected = landmark_mask(crop_points, size, "extended")
            assert mask_trainer.iou(mask[None] / 255, expected[None] / 255)[0] > 0.93
    assert face_file.faces_without(sorted(tmp_path.glob("*.png")), "xseg") == []
    write_extracted_faces(tmp_path / "bare", 1, seed=8)
    bare = sorted((tmp_path / "bare").glob("*.png"))
    assert face_file.faces_without(bare, "xseg") == bare
    with pytest.raises(FaceswapError, match=r"no stored 'xseg' mask.*faceswap mask apply"):
        face_file.face_png_mask(bare[0], "xseg", points, 64, "face")
