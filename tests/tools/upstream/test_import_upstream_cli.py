"""`faceswap import-upstream SRC DST`: SRC picks the job; errors exit 1 and write nothing."""

from __future__ import annotations

import os
import pickle
import zlib

from upstream_files import (
    build_upstream_original,
    face_record,
    fsa_bytes,
    save_upstream_model,
    upstream_face_png,
)

from faceswap.cli.main import main
from faceswap.lib import alignments
from faceswap.lib.image import read_face_metadata


def test_fsa_into_a_folder(tmp_path, real_faces, capsys):
    src = tmp_path / "clip_alignments.fsa"
    src.write_bytes(fsa_bytes({"clip_000001.mp4": {"faces": [
        face_record(real_faces.landmarks[0], real_faces.boxes[0])]}}))
    (tmp_path / "out").mkdir()
    assert main(["import-upstream", str(src), str(tmp_path / "out")]) == 0
    data = alignments.load(tmp_path / "out" / "clip_alignments.json")
    assert list(data.frames) == ["clip_000000"]
    assert "1 faces in 1 frames" in capsys.readouterr().out


def test_face_folder(tmp_path, real_faces, capsys):
    src = tmp_path / "up"
    src.mkdir()
    upstream_face_png(src / "IMG_1_0.png", real_faces.frame, real_faces.landmarks[0],
                      real_faces.boxes[0], "IMG_1.jpg")
    assert main(["import-upstream", str(src), str(tmp_path / "faces")]) == 0
    assert read_face_metadata(tmp_path / "faces" / "IMG_1_0.png")["source"]["frame"] == \
        "IMG_1.jpg"
    assert "Converted 1 upstream faces" in capsys.readouterr().out


def test_model_folder(tmp_path, capsys):
    save_upstream_model(build_upstream_original(32), tmp_path / "up")
    assert main(["import-upstream", str(tmp_path / "up"), str(tmp_path / "model")]) == 0
    out = capsys.readouterr().out
    assert "15 layers" in out and "1234 iterations" in out and "starts fresh" in out
    assert (tmp_path / "model" / "original.keras").is_file()


class _Command:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_hostile_fsa_exits_1(tmp_path, capsys):
    src = tmp_path / "alignments.fsa"
    src.write_bytes(zlib.compress(pickle.dumps({"__data__": _Command(tmp_path / "ran")})))
    assert main(["import-upstream", str(src), str(tmp_path / "a.json")]) == 1
    assert f"'{os.system.__module__}.system'" in capsys.readouterr().err
    assert not (tmp_path / "ran").exists() and not (tmp_path / "a.json").exists()
