"""Files written before the package layout changed still load (tests/fixtures/main_2026_12).

The fixtures were written by main at dbcb1ac (tests/fixtures/make_format_fixtures.py): an
alignments file and an aligned face PNG of the demo's public-domain astronaut, extracted at
64 px, and a tiny Original model trained one iteration.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from fstest import REPO, train_steps

from faceswap.lib import alignments as alignments_file
from faceswap.lib import faces
from faceswap.lib.image import read_face_metadata, read_image
from faceswap.plugins.train.model import create_model, find_plugin_name, load_model
from faceswap.tools.alignments import check, scan_faces

FIXTURES = REPO / "tests" / "fixtures" / "main_2026_12"
ALIGNMENTS = FIXTURES / "astronaut_alignments.json"
FACE = FIXTURES / "faces" / "astronaut_0.png"


def test_the_alignments_file_loads_with_its_face_and_masks():
    data = alignments_file.load(ALIGNMENTS)
    [frame] = data.frames.values()
    [face] = frame.faces
    assert face.landmarks.shape == (68, 2)
    assert sorted(face.masks) == ["components", "extended"]
    assert face.masks["extended"].decode().shape == (faces.MASK_SIZE, faces.MASK_SIZE)
    assert data.extract["centering"] == faces.CENTERING
    assert data.extract["mask_size"] == faces.MASK_SIZE


def test_the_face_png_is_an_aligned_face_whose_masks_read_back():
    meta = read_face_metadata(FACE)
    assert faces.is_face_metadata(meta)
    points = faces.face_image_landmarks(meta["face"])
    assert points.shape == (68, 2)
    assert read_image(FACE).shape == (64, 64, 3)
    mask = faces.face_png_mask(FACE, "extended", points, 64, "face")
    assert mask.shape == (64, 64) and 0.2 < (mask > 127).mean() < 0.9
    # The face folder and its alignments file still agree.
    assert list(scan_faces(FACE.parent).metadata) == [FACE]
    report = check(ALIGNMENTS, faces_dir=FACE.parent)
    assert (report.faces, report.missing_faces, report.extra_faces) == (1, [], [])


def test_the_model_loads_for_convert_and_resumes_for_training(tmp_path):
    assert find_plugin_name(FIXTURES / "model") == "original"
    predictor = load_model(FIXTURES / "model")
    out = np.asarray(predictor.model.predict_on_batch(np.zeros((1, 32, 32, 3), np.float32)))
    assert out.shape == (1, 32, 32, 3) and np.isfinite(out).all()

    folder = tmp_path / "model"
    shutil.copytree(FIXTURES / "model", folder)
    model = create_model("original", folder)
    assert model.iterations == 1
    train_steps(model)
    model.save()
    assert create_model("original", folder, build=False).iterations == 2


@pytest.mark.parametrize("name", ["faces/astronaut_0.png", "astronaut_alignments.json",
                                  "model/original.keras", "model/original_state.json"])
def test_fixtures_are_small(name):
    assert (FIXTURES / name).stat().st_size < 4_000_000
