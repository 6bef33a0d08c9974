"""The "synthetic faces" provenance tag: PNG, JPEG, GIF, MP4 and `faceswap provenance`."""

from __future__ import annotations

import argparse
import io
import json

import cv2
import numpy as np
import pytest
from PIL import Image

from faceswap.cli import main as cli_main
from faceswap.cli import provenance as cli
from faceswap.lib import image as image_lib
from faceswap.lib import provenance
from faceswap.lib.errors import FaceswapError
from faceswap.plugins.convert.writer import video

INFO = {"model": "original"}


@pytest.fixture
def picture() -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)


def _args(*files: str, as_json: bool = False) -> argparse.Namespace:
    return argparse.Namespace(files=list(files), json=as_json)


def test_payload_fields():
    payload = provenance.make_info(INFO)
    assert payload["synthetic"] is True
    assert payload["tool"] == "faceswap" and payload["model"] == "original"
    assert payload["text"].startswith("This image/video contains synthetic (AI-swapped) faces.")
    assert payload["created"].endswith("Z")
    assert provenance.make_info(payload) == payload  # a complete payload passes through
    assert provenance.parse_tag_text(provenance.tag_text(payload)) == payload
    assert provenance.parse_tag_text("made with some other tool") is None


def test_png_tag_round_trip(tmp_path, picture):
    data = provenance.tag_png(image_lib.encode_image(picture, ".png"), INFO)
    # Tagging twice replaces the tag instead of adding a second one.
    data = provenance.tag_png(data, {"model": "villain"})
    text = image_lib.png_read_text(data)
    assert text["Description"].startswith("This image/video contains synthetic")
    assert "compositeWithTrainedAlgorithmicMedia" in text[provenance.XMP_KEYWORD]
    path = tmp_path / "a.png"
    path.write_bytes(data)
    assert provenance.read_provenance(path)["model"] == "villain"
    assert np.array_equal(cv2.imread(str(path)), picture)  # still an ordinary PNG


def test_jpeg_tag_round_trip(tmp_path, picture):
    plain = image_lib.encode_image(picture, ".jpg")
    data = provenance.tag_jpeg(provenance.tag_jpeg(plain, {"model": "old"}), INFO)
    assert data.count(b"\xff\xfe") == 1  # one COM segment, the newer tag
    assert data[2:4] == b"\xff\xe0"  # the JFIF APP0 segment still comes first
    path = tmp_path / "a.jpg"
    path.write_bytes(data)
    assert provenance.read_provenance(path)["model"] == "original"
    assert np.array_equal(cv2.imread(str(path)), cv2.imdecode(np.frombuffer(plain, np.uint8), 1))
    with Image.open(path) as pil:  # Pillow sees the comment too
        assert b"contains synthetic" in pil.info["comment"]


def test_gif_tag_round_trip(tmp_path, picture):
    buffer = io.BytesIO()
    frames = [Image.fromarray(picture), Image.fromarray(255 - picture)]
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], loop=0)
    data = provenance.tag_gif(provenance.tag_gif(buffer.getvalue(), {"model": "old"}), INFO)
    path = tmp_path / "a.gif"
    path.write_bytes(data)
    assert provenance.read_provenance(path)["model"] == "original"
    with Image.open(path) as pil:
        assert pil.n_frames == 2 and pil.info.get("loop") == 0  # still a looping animation


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".mkv"])
def test_video_tag_via_video_writer(tmp_path, picture, suffix):
    output = tmp_path / f"out{suffix}"
    with video.Writer(output, fps=25, options={"preset": "ultrafast"}, info=INFO) as writer:
        for index in range(3):
            writer.write(f"f{index}", picture)
    payload = provenance.read_provenance(output)
    assert payload["model"] == "original" and payload["synthetic"] is True


def test_untagged_and_unreadable_files(tmp_path, picture):
    plain = tmp_path / "plain.png"
    image_lib.write_image(plain, picture)
    assert provenance.read_provenance(plain) is None
    junk = tmp_path / "junk.txt"
    junk.write_text("not media")
    with pytest.raises(FaceswapError, match="not a PNG, JPEG, GIF or a video"):
        provenance.read_provenance(junk)
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(provenance.tag_jpeg(image_lib.encode_image(picture, ".jpg"))[:30])
    with pytest.raises(FaceswapError, match="truncated"):
        provenance.read_provenance(truncated)
    with pytest.raises(FaceswapError, match="Cannot read"):
        provenance.read_provenance(tmp_path / "missing.png")


def test_cli_prints_tags_and_fails_on_untagged(tmp_path, picture, capsys):
    tagged = tmp_path / "tagged.jpg"
    tagged.write_bytes(provenance.tag_jpeg(image_lib.encode_image(picture, ".jpg"), INFO))
    plain = tmp_path / "plain.png"
    image_lib.write_image(plain, picture)

    assert cli.run(_args(str(tagged))) == 0
    out = capsys.readouterr().out
    assert "contains synthetic (AI-swapped) faces" in out and "original" in out

    assert cli.run(_args(str(tagged), str(plain), str(tmp_path / "missing.gif"))) == 1
    captured = capsys.readouterr()
    assert "tagged.jpg" in captured.out
    assert "plain.png: no faceswap provenance tag" in captured.err
    assert "missing.gif: cannot read it" in captured.err

    assert cli.run(_args(str(tagged), as_json=True)) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["file"] == str(tagged) and line["model"] == "original"


def test_cli_through_main(tmp_path, picture, capsys):
    tagged = tmp_path / "tagged.png"
    tagged.write_bytes(provenance.tag_png(image_lib.encode_image(picture, ".png")))
    assert cli_main.main(["provenance", str(tagged)]) == 0
    assert "synthetic" in capsys.readouterr().out
    assert cli_main.main(["provenance", str(tmp_path / "nothing.png")]) == 1
