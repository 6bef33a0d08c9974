"""Upstream .fsa alignments: conversion, and every way a hostile pickle is refused."""

from __future__ import annotations

import os
import pickle
import zlib

import cv2
import numpy as np
import pytest
from upstream_files import face_record, fsa_bytes, upstream_mask

from faceswap.lib import alignments
from faceswap.lib.align import AlignedFace, landmark_mask
from faceswap.lib.errors import FaceswapError
from faceswap.tools.upstream import fsa
from faceswap.tools.upstream.faces import Notes, convert_mask


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_video_fsa_converts_keys_faces_masks_and_identity(tmp_path, real_faces):
    lm0, lm1 = real_faces.landmarks
    shape = real_faces.frame.shape[:2]
    frames = {
        "clip_000001.mp4": {"faces": [
            {**face_record(lm0, real_faces.boxes[0],
                           masks={"components": upstream_mask(shape, lm0)},
                           identity={"vggface2": np.linspace(0, 1, 512).astype(np.float32)}),
             "thumb": np.zeros(300, np.uint8)},
            face_record(lm1, real_faces.boxes[1])]},
        "clip_000002.mp4": {"faces": [], "video_meta": {"pts_time": 3, "keyframe": 1}},
    }
    src = _write(tmp_path / "clip_alignments.fsa", fsa_bytes(frames))
    result = fsa.import_fsa(src, tmp_path / "clip_alignments.json")

    data = alignments.load(tmp_path / "clip_alignments.json")  # our validator accepts it
    assert list(data.frames) == ["clip_000000", "clip_000001"]  # 1-based -> 0-based
    assert data.source["kind"] == "video" and result.version == 2.4 and result.faces == 2
    assert data.source["path"] == str(tmp_path.absolute() / "clip.mp4")  # beside the .fsa
    first, second = data.frames["clip_000000"].faces
    assert first.file == "clip_000000_0.png" and second.file == "clip_000000_1.png"
    assert first.box == real_faces.boxes[0]
    np.testing.assert_allclose(first.landmarks, lm0, atol=1e-3)
    np.testing.assert_allclose(first.matrix, AlignedFace.from_landmarks(lm0).legacy, atol=1e-6)
    assert list(first.identity) == ["upstream-vggface2"] and len(first.identity[
        "upstream-vggface2"]) == 512
    # The upstream hull mask, moved into our geometry, matches the hull drawn there directly.
    mask = first.masks["components"]
    assert (mask.size, mask.centering, mask.coverage) == (128, "face", 1.0)
    points = AlignedFace.from_landmarks(lm0).aligned_landmarks(128, "face")
    direct = np.zeros((128, 128), np.uint8)
    cv2.fillConvexPoly(direct, cv2.convexHull(np.rint(points).astype(np.int32)), 255)
    converted = mask.decode() > 127
    iou = (converted & (direct > 127)).sum() / (converted | (direct > 127)).sum()
    assert iou > 0.95, iou
    assert any("Thumbnails" in line for line in result.notes.lines())


def test_image_folder_keys_are_kept(tmp_path, real_faces):
    lm = real_faces.landmarks[0]
    broken = {**face_record(lm, real_faces.boxes[0]), "landmarks_xy": [[0.0, 0.0]] * 5}
    frames = {"IMG_000001.jpg": {"faces": [broken, face_record(lm, real_faces.boxes[0])]},
              "holiday.png": {"faces": []}}
    src = _write(tmp_path / "alignments.fsa", fsa_bytes(frames))
    result = fsa.import_fsa(src, tmp_path / "out.json")
    data = result.alignments
    assert list(data.frames) == ["IMG_000001.jpg", "holiday.png"]
    assert data.source["kind"] == "images" and data.source["path"] == str(tmp_path.absolute())
    # The unusable first face is skipped (noted); the second keeps upstream's index and name.
    (face,) = data.frames["IMG_000001.jpg"].faces
    assert (face.index, face.file) == (1, "IMG_000001_1.png")
    assert any("not usable" in line for line in result.notes.lines())


def test_pre_2_4_video_keys_are_recognised_by_the_file_name(tmp_path, real_faces):
    frames = {"clip_000001.png": {"faces": [face_record(real_faces.landmarks[0], (0, 0, 9, 9))]}}
    src = _write(tmp_path / "clip_alignments.fsa", fsa_bytes(frames, version=2.1))
    assert list(fsa.import_fsa(src, tmp_path / "o.json").alignments.frames) == ["clip_000000"]


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_numpy_arrays_of_every_pickle_protocol_load(tmp_path, protocol):
    arrays = {"f": np.arange(6, dtype=np.float32).reshape(2, 3), "u": np.arange(4, dtype=np.uint8),
              "s": np.float64(2.5), "b": np.array([True, False])}
    loaded = fsa.restricted_loads(pickle.dumps(arrays, protocol=protocol))
    for key, value in arrays.items():
        np.testing.assert_array_equal(loaded[key], value)
        assert np.asarray(loaded[key]).dtype == np.asarray(value).dtype


def test_versions_below_2_are_refused(tmp_path):
    src = _write(tmp_path / "old.fsa", fsa_bytes({}, version=1.0))
    with pytest.raises(FaceswapError, match=r"version 1\.0.*below 2\.0"):
        fsa.read_fsa(src)


class _RunsACommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_pickle_that_would_run_a_command_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    payload = {"__meta__": {"version": 2.4}, "__data__": {"f.png": _RunsACommand(marker)}}
    src = _write(tmp_path / "evil.fsa", zlib.compress(pickle.dumps(payload)))
    with pytest.raises(FaceswapError, match=rf"'{os.system.__module__}\.system'"):
        fsa.import_fsa(src, tmp_path / "out.json")
    assert not marker.exists()
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("global_name", ["builtins.eval", "numpy.load", "copyreg._reconstructor",
                                         "numpy.core.multiarray.fromstring"])
def test_other_globals_are_refused_by_name(global_name):
    module, name = global_name.rsplit(".", 1)
    data = b"\x80\x04" + pickle.GLOBAL + f"{module}\n{name}\n".encode() + b"."
    with pytest.raises(FaceswapError, match=rf"'{global_name}'"):
        fsa.restricted_loads(data)


def test_an_oversized_decompression_is_refused(tmp_path):
    src = _write(tmp_path / "bomb.fsa", zlib.compress(b"\0" * 200_000))  # ~200 bytes on disk
    with pytest.raises(FaceswapError, match=r"more than 100,000 bytes"):
        fsa.read_fsa(src, max_bytes=100_000)


@pytest.mark.parametrize("array", [np.array([1, "x"], dtype=object),
                                   np.zeros(2, dtype=[("a", "f4"), ("b", "i4")]),
                                   np.array(["text"])])
def test_non_numeric_arrays_are_refused(tmp_path, array):
    src = _write(tmp_path / "obj.fsa", fsa_bytes({"f.png": {"faces": [], "x": array}}))
    with pytest.raises(FaceswapError, match=r"refused|only numeric"):
        fsa.read_fsa(src)


def test_truncated_and_foreign_files_are_refused(tmp_path):
    whole = fsa_bytes({"f.png": {"faces": []}})
    with pytest.raises(FaceswapError, match="truncated"):
        fsa.read_fsa(_write(tmp_path / "cut.fsa", whole[:-10]))
    with pytest.raises(FaceswapError, match="not an upstream faceswap alignments file"):
        fsa.read_fsa(_write(tmp_path / "x.fsa", zlib.compress(pickle.dumps([1, 2]))))


def test_mask_reaching_past_our_crop_is_dropped(real_faces):
    lm = real_faces.landmarks[0]
    aligned = AlignedFace.from_landmarks(lm)
    full = upstream_mask(real_faces.frame.shape[:2], lm, fill="all")
    # An upstream crop tighter than ours: part of our crop lies outside the stored mask.
    tight = dict(full, affine_matrix=full["affine_matrix"] * 1.3)
    notes = Notes()
    assert convert_mask("bisenet-fp_face", tight, aligned, notes) is None
    assert "reaches the edge" in notes.lines()[0]
    # Upstream's real face crop contains ours, so the same full mask converts whole.
    converted = convert_mask("bisenet-fp_face", full, aligned, Notes())
    assert converted is not None and converted.decode().min() == 255
    # And a landmark mask there covers what our own landmark mask covers.
    ours = landmark_mask(aligned.aligned_landmarks(128, "face"), 128, "components")
    hull = convert_mask("components", upstream_mask(real_faces.frame.shape[:2], lm), aligned,
                        Notes()).decode()
    assert ((hull > 127) & (ours > 127)).sum() / (ours > 127).sum() > 0.9


def test_the_bytes_codec_only_encodes_latin1():
    data = b"c_codecs\nencode\n(Vx\nVzlib_codec\ntR."
    with pytest.raises(FaceswapError, match="codec other than latin1"):
        fsa.restricted_loads(data)
    assert fsa.restricted_loads(b"c_codecs\nencode\n(Vx\nVlatin1\ntR.") == b"x"


def test_values_are_checked_after_loading_too():
    # Whatever a pickle's dtype state did, no object array leaves the reader.
    with pytest.raises(FaceswapError, match="dtype 'object'"):
        fsa.check_values({"frames": [(1, {"x": np.array([None], dtype=object)})]})
    fsa.check_values({"frames": [(1, {"x": np.zeros(3, np.float32), "y": b"bytes"})]})

