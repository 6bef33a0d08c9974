"""Image IO and PNG text-chunk metadata."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import (
    encode_image,
    png_add_text,
    png_read_text,
    read_face_metadata,
    read_image,
    read_png_text,
    write_face_png,
    write_image,
)


def _image():
    rng = np.random.default_rng(1)
    return rng.integers(0, 255, (37, 53, 3), dtype=np.uint8)


def test_png_text_chunks_round_trip_and_stay_a_valid_png():
    png = encode_image(_image())
    tagged = png_add_text(png, {"faceswap": '{"a": "é→✓"}', "Software": "faceswap"})
    assert png_read_text(tagged) == {"faceswap": '{"a": "é→✓"}', "Software": "faceswap"}
    # Chunks go before the first IDAT and the pixels are unchanged.
    assert tagged.index(b"iTXt") < tagged.index(b"IDAT")
    decoded = cv2.imdecode(np.frombuffer(tagged, np.uint8), cv2.IMREAD_COLOR)
    np.testing.assert_array_equal(decoded, _image())
    # Writing a key again replaces it; tEXt works too.
    again = png_add_text(tagged, {"Software": "other"}, international=False)
    assert png_read_text(again)["Software"] == "other"
    assert again.count(b"Software") == 1


def test_face_png_metadata(tmp_path):
    path = tmp_path / "face.png"
    meta = {"source": {"frame": "x_000001"}, "face": {"landmarks": [[1, 2]]}}
    write_face_png(path, _image(), meta)
    assert read_face_metadata(path)["source"]["frame"] == "x_000001"
    np.testing.assert_array_equal(read_image(path), _image())
    plain = tmp_path / "plain.png"
    write_image(plain, _image())
    assert read_png_text(plain) == {}
    with pytest.raises(FaceswapError, match="not written by `faceswap extract`"):
        read_face_metadata(plain)


def test_truncated_png_and_corrupt_image_give_clear_errors(tmp_path):
    data = png_add_text(encode_image(_image()), {"k": "v"})
    cut = tmp_path / "cut.png"
    cut.write_bytes(data[:60])
    with pytest.raises(FaceswapError, match="truncated"):
        read_png_text(cut)
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(FaceswapError, match="not an image OpenCV can decode"):
        read_image(junk)
