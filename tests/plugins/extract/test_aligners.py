"""The aligner plugins on real faces: dlib-68 (default) and mesh-68 (MediaPipe's mesh)."""

from __future__ import annotations

import hashlib
import threading

import cv2
import numpy as np
import pytest
from face_data import STILLS, needs_shared

from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import read_image
from faceswap.lib.registry import list_plugins, load_plugin


def _inter_ocular(points: np.ndarray) -> float:
    return float(np.linalg.norm(points[36:42].mean(0) - points[42:48].mean(0)))


@pytest.fixture(scope="module")
def faces():
    """(image, box, dlib-68 points) for every face of three stills."""
    detector, dlib_68 = load_plugin("detect", "dlib-hog"), load_plugin("align", "dlib-68")
    out = []
    for name in ("faceRecognition_obama.jpg", "faceRecognition_biden.jpg",
                 "faceRecognition_two_people.jpg"):
        image = read_image(STILLS / name)
        for detection in detector.detect(image):
            out.append((image, detection.box, dlib_68.landmarks(image, detection.box)))
    assert len(out) == 4
    return out


def test_both_aligners_are_registered():
    assert {"dlib-68", "mesh-68"} <= set(list_plugins("align"))


@needs_shared
def test_mesh_68_agrees_with_dlib_68(faces):
    mesh_68 = load_plugin("align", "mesh-68")
    for image, box, reference in faces:
        points = mesh_68.landmarks(image, box)
        assert points.shape == (68, 2) and points.dtype == np.float32
        error = np.linalg.norm(points - reference, axis=1) / _inter_ocular(reference)
        assert error.mean() < 0.15, error.mean()
        assert error[36:48].mean() < 0.1  # the eyes drive the alignment: tighter


@needs_shared
def test_mesh_68_follows_a_tilted_face(faces):
    # The second pass turns the crop upright, so a face rolled by 35 degrees keeps its points.
    mesh_68 = load_plugin("align", "mesh-68")
    image, box, reference = faces[0]
    centre = (box[0] + box[2] / 2, box[1] + box[3] / 2)
    matrix = cv2.getRotationMatrix2D(centre, 35, 1.0)
    rotated = cv2.warpAffine(image, matrix, image.shape[1::-1])
    expected = reference @ matrix[:, :2].T + matrix[:, 2]
    points = mesh_68.landmarks(rotated, box)
    error = np.linalg.norm(points - expected, axis=1) / _inter_ocular(reference)
    assert error.mean() < 0.15, error.mean()


@needs_shared
def test_mesh_68_is_thread_safe(faces):
    mesh_68 = load_plugin("align", "mesh-68")
    image, box, _ = faces[0]
    expected = mesh_68.landmarks(image, box)
    results = []
    threads = [threading.Thread(target=lambda: results.append(mesh_68.landmarks(image, box)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    for points in results:
        np.testing.assert_allclose(points, expected, atol=1e-3)


def test_mesh_68_model_ships_inside_faceswap_with_its_licence():
    mesh_68 = load_plugin("align", "mesh-68")
    path = mesh_68.model_path()
    assert path.parent.name == "weights" and path.stat().st_size > 2_000_000
    notice = (path.parent / "NOTICE.md").read_text()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest in notice and "Apache License" in notice
    assert "Apache License" in (path.parent / "LICENSE-Apache-2.0.txt").read_text()


def test_missing_shipped_model_says_to_reinstall(monkeypatch, tmp_path):
    from faceswap.plugins.extract import _base

    mesh_68 = load_plugin("align", "mesh-68")
    monkeypatch.setattr(_base, "WEIGHTS_DIR", tmp_path)
    monkeypatch.setattr(mesh_68._local, "net", None, raising=False)
    with pytest.raises(FaceswapError, match=r"face_landmark.tflite' is missing.*Reinstall"):
        mesh_68.landmarks(np.zeros((64, 64, 3), np.uint8), (8, 8, 48, 48))


@needs_shared
def test_extract_with_mesh_68(tmp_path):
    from faceswap.lib import alignments as alignments_file
    from faceswap.stages.extract import ExtractOptions, extract

    path = tmp_path / "a.json"
    extract(ExtractOptions(STILLS / "faceRecognition_two_people.jpg", tmp_path / "faces",
                           aligner="mesh-68", alignments=path))
    faces = [face for entry in alignments_file.load(path).frames.values() for face in entry.faces]
    assert len(faces) == 2 and len(list((tmp_path / "faces").glob("*.png"))) == 2
