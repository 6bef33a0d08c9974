"""Upstream aligned-face PNGs: conversion with upstream's framing, and training's refusal of
faces that were not converted."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from fstest import TINY
from upstream_files import upstream_face_png, upstream_mask

from faceswap.lib.align import AlignedFace
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import png_add_text, png_read_text, read_face_metadata, read_image
from faceswap.stages.train.data import load_face_folder
from faceswap.tools.upstream import png

SIZE = 128


def _idat(data: bytes) -> bytes:
    # The image data chunks, to show the pixels were copied byte for byte.
    out, pos = [], 8
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        if data[pos + 4:pos + 8] == b"IDAT":
            out.append(data[pos + 8:pos + 8 + length])
        pos += 12 + length
    return b"".join(out)


@pytest.fixture
def upstream_folder(tmp_path, real_faces):
    folder = tmp_path / "upstream_faces"
    folder.mkdir()
    for index, (lm, box) in enumerate(zip(real_faces.landmarks, real_faces.boxes, strict=True)):
        # Upstream's file names count frames from 1; ours from 0.
        upstream_face_png(folder / f"clip_000007_{index}.png", real_faces.frame, lm, box,
                          "clip_000007.mp4", face_index=index, size=SIZE, is_video=True,
                          masks={"components": upstream_mask(real_faces.frame.shape[:2], lm)})
    return folder


def test_faces_convert_with_upstreams_framing(tmp_path, upstream_folder, real_faces):
    result = png.import_faces(upstream_folder, tmp_path / "faces")
    assert sorted(p.name for p in result.written) == ["clip_000006_0.png", "clip_000006_1.png"]
    for index, lm in enumerate(real_faces.landmarks):
        source = upstream_folder / f"clip_000007_{index}.png"
        target = tmp_path / "faces" / f"clip_000006_{index}.png"
        assert _idat(target.read_bytes()) == _idat(source.read_bytes())
        meta = read_face_metadata(target)
        assert meta["format"] == "faceswap-face"
        assert meta["source"]["frame"] == "clip_000006" and meta["source"]["source"] == "clip.mp4"
        assert meta["face"]["size"] == SIZE and "components" in meta["face"]["masks"]
        np.testing.assert_allclose(meta["face"]["landmarks"], lm, atol=1e-3)
        # The geometry training derives from the PNG alone must cut the same face-centred crop
        # as our geometry cuts straight from the frame.
        face_png = read_image(target)
        points = np.asarray(meta["face"]["aligned_landmarks"])
        from_png = AlignedFace.from_landmarks(points).crop(face_png, 48, "face")
        from_frame = AlignedFace.from_landmarks(lm).crop(real_faces.frame, 48, "face")
        error = np.abs(from_png.astype(float) - from_frame.astype(float)).mean()
        assert error < 6, error
        # Control: had the landmarks been placed with this project's own head crop (a naive
        # import), the same check would be far off.
        naive = AlignedFace.from_landmarks(lm).aligned_landmarks(SIZE, "head")
        wrong = AlignedFace.from_landmarks(naive).crop(face_png, 48, "face")
        assert np.abs(wrong.astype(float) - from_frame.astype(float)).mean() > 2 * error


def test_training_refuses_unconverted_upstream_faces(upstream_folder):
    with pytest.raises(FaceswapError, match=r"upstream faceswap.*faceswap import-upstream"):
        load_face_folder(upstream_folder)


def test_converted_faces_train(tmp_path, upstream_folder):
    from faceswap.stages.train.trainer import TrainOptions, train

    faces = tmp_path / "faces"
    png.import_faces(upstream_folder, faces)
    loaded = load_face_folder(faces)
    assert loaded.has_landmarks and len(loaded) == 2
    summary = train(TrainOptions(input_a=faces, input_b=faces, model_dir=tmp_path / "model",
                                 batch_size=2, iterations=2, save_interval=2, seed=0,
                                 no_logs=True, workers=1, config=dict(TINY)))
    assert summary.iterations == 2
    assert np.isfinite(summary.loss_a) and np.isfinite(summary.loss_b)


def test_refusals_leave_nothing_behind(tmp_path, upstream_folder, real_faces):
    # A legacy (1.x) face anywhere in the folder stops the whole import before any write.
    upstream_face_png(upstream_folder / "old_0.png", real_faces.frame, real_faces.landmarks[0],
                      real_faces.boxes[0], "old.png", version=1.0)
    with pytest.raises(FaceswapError, match=r"below 2\.0.*Nothing was written"):
        png.import_faces(upstream_folder, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_header_size_is_capped(tmp_path, upstream_folder):
    path = upstream_folder / "clip_000007_0.png"
    text = png_read_text(path.read_bytes())["faceswap"]
    assert png.parse_header(text)["source"]["face_index"] == 0
    with pytest.raises(FaceswapError, match="above the 1,000 faceswap reads"):
        png.parse_header(text, max_chars=1_000)
    # Not a literal: literal_eval never calls anything.
    evil = "{'alignments': __import__('os').system('echo hi'), 'source': {}}"
    path.write_bytes(png_add_text(path.read_bytes(), {"faceswap": evil}))
    with pytest.raises(FaceswapError, match="not a Python literal"):
        png.import_faces(upstream_folder, tmp_path / "out")


def test_plain_and_own_pngs_are_skipped(tmp_path, upstream_folder):
    cv2.imwrite(str(upstream_folder / "plain.png"), np.zeros((8, 8, 3), np.uint8))
    ours = {"format": "faceswap-face", "version": 1}
    data = png_add_text(cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1].tobytes(),
                        {"faceswap": json.dumps(ours)})
    (upstream_folder / "ours.png").write_bytes(data)
    result = png.import_faces(upstream_folder, tmp_path / "out")
    assert len(result.written) == 2
    assert set(result.skipped) == {"plain.png", "ours.png"}


def test_a_compressed_header_bomb_is_refused(tmp_path, upstream_folder):
    import struct
    import zlib

    from faceswap.lib.image import MAX_TEXT_BYTES

    path = upstream_folder / "clip_000007_0.png"
    data = path.read_bytes()
    body = b"faceswap\x00\x01\x00\x00\x00" + zlib.compress(b"{" * (MAX_TEXT_BYTES + 1), 9)
    chunk = struct.pack(">I", len(body)) + b"iTXt" + body + struct.pack(
        ">I", zlib.crc32(b"iTXt" + body))
    idat = data.index(b"IDAT") - 4
    path.write_bytes(data[:idat] + chunk + data[idat:])
    with pytest.raises(FaceswapError, match="inflates past"):
        png.import_faces(upstream_folder, tmp_path / "out")
