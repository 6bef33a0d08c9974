"""`faceswap evaluate` on constructed swaps whose scores are known in advance.

Person A: 40 frames of livePortrait_d9 (a man with glasses, every 10th frame so the head moves).
Person B: three photos of Obama. Baselines: the unchanged source as "swap" (no identity change,
no pose error) and a fixed photo of Obama pasted over every face of A (Obama's identity, but the
pose and expression of the photo, not of A).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from fstest import (
    SHARED,
    make_alignments,
    make_original,
    synthetic_frame,
    train_steps,
    write_extracted_faces,
    write_video,
)

from faceswap.cli.evaluate import format_table
from faceswap.lib import alignments as alignments_file
from faceswap.lib.errors import FaceswapError
from faceswap.stages.evaluate import (
    PSNR_CAP,
    SCHEMA_VERSION,
    EvaluateOptions,
    evaluate,
    expression_distance,
    image_similarity,
    pose_difference,
    write_report,
)

FACE_DATA = SHARED / "face-data"
D9 = FACE_DATA / "clips" / "livePortrait_d9.mp4"
STILLS = FACE_DATA / "stills"
FRAMES = 6

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is absent")

# Every key path of the JSON document. Changing it means bumping SCHEMA_VERSION.
SCHEMA = {
    "format", "schema_version", "inputs", "inputs.input", "inputs.alignments", "inputs.faces_b",
    "inputs.swapped", "inputs.holdout_a", "inputs.holdout_b", "model", "frames",
    "frames.requested", "frames.with_face", "frames.sampled", "frames.evaluated",
    "frames.missing_in_swapped", "frames.swapped_face_detected", "identity",
    "identity.distance_to_b", "identity.distance_to_a", "identity.retrieval",
    "identity.source_distance_to_b", "identity.a_to_b", "identity.faces_a", "identity.faces_b",
    "pose", "pose.yaw", "pose.pitch", "pose.roll", "expression", "expression.mouth",
    "expression.eyes", "expression.overall", "reconstruction", "reconstruction.a",
    "reconstruction.b", "reconstruction.skipped", "temporal", "temporal.pairs",
    "temporal.swapped_change", "temporal.source_change", "temporal.ratio", "temporal.skipped",
    "versions", "seconds", "created", "definitions",
}
SIDE_KEYS = {"data", "source", "faces", "ssim", "psnr"}


def key_paths(doc: dict, prefix: str = "") -> set[str]:
    out = set()
    for key, value in doc.items():
        path = f"{prefix}{key}"
        out.add(path)
        # Open-ended tables (versions, definitions) and per-side entries are checked apart.
        if isinstance(value, dict) and key not in ("versions", "definitions", "a", "b") \
                and prefix == "":
            out |= key_paths(value, f"{path}.")
    return out


# --- real faces -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def person_a(tmp_path_factory) -> tuple[Path, Path]:
    """(clip, alignments): every 10th of the first 400 frames of d9, extracted."""
    if not SHARED.is_dir():
        pytest.skip("../shared is absent")
    from faceswap.lib.video import frames
    from faceswap.stages.extract import ExtractOptions, extract

    folder = tmp_path_factory.mktemp("person_a")
    clip = folder / "d9_40.mp4"
    write_video(clip, [f for i, _, f in frames(D9, every_n=10) if i < 400], fps=30, audio=False)
    alignments = folder / "d9_40_alignments.json"
    extract(ExtractOptions(clip, folder / "faces", alignments=alignments, jobs=2))
    return clip, alignments


@pytest.fixture(scope="module")
def obama(tmp_path_factory) -> Path:
    """Three photos of Obama (symlinks: the media stay in ../shared)."""
    folder = tmp_path_factory.mktemp("obama")
    for name in ("faceRecognition_obama2.jpg", "faceRecognition_obama3.jpg",
                 "faceRecognition_obama-720p.jpg"):
        (folder / name).symlink_to(STILLS / name)
    return folder


def _paste(frame: np.ndarray, box, face: np.ndarray) -> np.ndarray:
    # The photo goes where A's face is, at A's size, but keeps its own pose and expression.
    x, y, w, h = box
    pad = int(0.25 * max(w, h))
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(frame.shape[1], x + w + pad), min(frame.shape[0], y + h + pad)
    patch = cv2.resize(face, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    mask = np.zeros(patch.shape[:2], np.float32)
    centre = (patch.shape[1] / 2, patch.shape[0] / 2)
    cv2.ellipse(mask, (centre, (patch.shape[1] * 0.8, patch.shape[0] * 0.95), 0), 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, patch.shape[0] / 30))[..., None]
    out = frame.copy()
    out[y0:y1, x0:x1] = (frame[y0:y1, x0:x1] * (1 - mask) + patch * mask).astype(np.uint8)
    return out


@pytest.fixture(scope="module")
def pasted_photo(person_a, tmp_path_factory) -> Path:
    """A folder of A's frames (named as convert names them) with one Obama photo pasted in."""
    from faceswap.lib.image import read_image
    from faceswap.lib.registry import load_plugin
    from faceswap.lib.video import frames

    clip, alignments_path = person_a
    photo = read_image(STILLS / "faceRecognition_obama.jpg")
    x, y, w, h = max(load_plugin("detect", "dlib-hog").detect(photo),
                     key=lambda d: d.box[2] * d.box[3]).box
    pad = int(0.25 * max(w, h))
    face = photo[max(0, y - pad):y + h + pad, max(0, x - pad):x + w + pad]
    alignments = alignments_file.load(alignments_path)
    folder = tmp_path_factory.mktemp("pasted")
    for _, key, frame in frames(clip):
        entry = alignments.frames.get(key)
        if entry and entry.faces:
            frame = _paste(frame, max(entry.faces, key=lambda f: f.box[2] * f.box[3]).box, face)
        cv2.imwrite(str(folder / f"{key}.png"), frame)
    return folder


@pytest.fixture(scope="module")
def unchanged_report(person_a, obama):
    clip, alignments = person_a
    return evaluate(EvaluateOptions(input=clip, faces_b=obama, alignments=alignments,
                                    swapped=clip, frames=FRAMES))


@pytest.fixture(scope="module")
def pasted_report(person_a, obama, pasted_photo):
    clip, alignments = person_a
    return evaluate(EvaluateOptions(input=clip, faces_b=obama, alignments=alignments,
                                    swapped=pasted_photo, frames=FRAMES))


@needs_shared
def test_unchanged_source_scores_no_retrieval_and_no_pose_error(unchanged_report):
    report = unchanged_report
    assert report.frames.evaluated == FRAMES
    assert report.identity.retrieval == 0.0
    assert report.identity.distance_to_a < 0.4 < report.identity.distance_to_b
    assert max(report.pose.yaw, report.pose.pitch, report.pose.roll) < 0.1
    assert report.expression.overall < 1e-3
    assert report.temporal.ratio == pytest.approx(1.0)
    assert report.reconstruction.skipped  # no model: nothing to reconstruct


@needs_shared
def test_pasted_photo_of_b_scores_identity_and_large_pose_error(pasted_report,
                                                                 unchanged_report):
    report = pasted_report
    assert report.frames.evaluated == FRAMES
    assert report.identity.retrieval >= 5 / 6
    assert report.identity.distance_to_b < 0.4 < report.identity.distance_to_a
    pose = report.pose.yaw + report.pose.pitch + report.pose.roll
    assert pose > 5.0  # degrees, summed over the three angles; the unchanged source scores 0
    assert report.expression.overall > 10 * max(unchanged_report.expression.overall, 1e-3)


@needs_shared
def test_report_json_schema_is_stable(unchanged_report, tmp_path):
    path = tmp_path / "eval.json"
    write_report(unchanged_report, path)
    doc = json.loads(path.read_text(encoding="utf-8"))  # strict JSON: no NaN or Infinity
    assert doc["schema_version"] == SCHEMA_VERSION == 1
    assert doc["format"] == "faceswap-evaluation"
    assert key_paths(doc) == SCHEMA
    assert {"identity.retrieval", "pose", "expression", "reconstruction", "temporal"} \
        <= set(doc["definitions"])
    assert {"faceswap", "python", "numpy"} <= set(doc["versions"])
    assert "identity: retrieval" in format_table(unchanged_report)


# --- pure metrics -----------------------------------------------------------------------------
def test_ssim_of_identical_images_is_one():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    assert image_similarity(image, image) == (pytest.approx(1.0), PSNR_CAP)
    noisy = np.clip(image.astype(int) + rng.integers(-40, 41, image.shape), 0, 255)
    ssim, psnr = image_similarity(image, noisy.astype(np.uint8))
    assert ssim < 0.99 and psnr < 30
    assert image_similarity(image / 255.0, image / 255.0)[0] == pytest.approx(1.0)


def test_pose_and_expression_ignore_position_size_and_roll():
    from faceswap.lib.align.reference import MEAN_FACE

    face = MEAN_FACE * 100 + 50
    angle = np.radians(20)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = (face - 100) @ rot.T * 1.7 + 130
    assert expression_distance(face, moved)[2] == pytest.approx(0.0, abs=1e-9)
    yaw, pitch, roll = pose_difference(face, moved)
    assert yaw == pytest.approx(0.0, abs=1e-3) and pitch == pytest.approx(0.0, abs=1e-3)
    assert roll == pytest.approx(20.0, abs=1e-3)
    smiling = face.copy()
    smiling[48:68, 1] += np.where(np.arange(20) % 2, 8.0, -8.0)  # open the mouth
    mouth, eyes, _ = expression_distance(face, smiling)
    assert mouth > 0.05 and eyes < mouth / 5


def test_needs_a_model_or_a_swapped_output(tmp_path):
    with pytest.raises(FaceswapError, match="--swapped"):
        evaluate(EvaluateOptions(input=tmp_path, faces_b=tmp_path))


def test_cli_without_model_or_swapped_exits_1_with_the_reason(tmp_path, capfd):
    from faceswap.cli.main import main

    assert main(["evaluate", "-i", str(tmp_path), "-B", str(tmp_path)]) == 1
    assert "--swapped" in capfd.readouterr().err


# --- with a model -----------------------------------------------------------------------------
def test_model_is_converted_and_reconstruction_says_which_faces(tmp_path, capsys):
    """Tiny model, synthetic faces: the convert path, held-out A, -B as B's faces, the CLI."""
    from faceswap.cli import evaluate as cli

    model_dir = tmp_path / "model"
    model = make_original(model_dir)
    train_steps(model, 2)
    model.save()
    frames_dir = tmp_path / "frames"
    frames_dir.mkdir()
    rng = np.random.default_rng(3)
    table = {}
    for index in range(4):
        frame, points = synthetic_frame(rng)
        cv2.imwrite(str(frames_dir / f"f{index}.png"), frame)
        table[f"f{index}.png"] = (frame.shape[:2], [points])
    alignments_file.save(make_alignments(table), alignments_file.default_path(frames_dir))
    write_extracted_faces(tmp_path / "faces_b", 5, seed=1)
    write_extracted_faces(tmp_path / "holdout_a", 4, seed=2)

    parser = argparse.ArgumentParser()
    cli.configure(parser)
    args = parser.parse_args(["-m", str(model_dir), "-i", str(frames_dir), "-B",
                              str(tmp_path / "faces_b"), "--frames", "3", "--holdout-a",
                              str(tmp_path / "holdout_a"), "--json", str(tmp_path / "e.json")])
    assert cli.run(args) == 0
    printed = capsys.readouterr().out
    assert "reconstruction A->A" in printed and "2 iterations" in printed
    doc = json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))
    assert doc["model"]["iterations"] == 2 and doc["model"]["name"] == "original"
    assert doc["frames"]["evaluated"] == 3
    side_a, side_b = doc["reconstruction"]["a"], doc["reconstruction"]["b"]
    assert set(side_a) == set(side_b) == SIDE_KEYS
    assert (side_a["data"], side_a["faces"]) == ("holdout", 4)
    assert (side_b["data"], side_b["faces"]) == ("faces-b", 5)
    assert 0.0 < side_a["ssim"] < 1.0 and 0.0 < side_b["psnr"] < PSNR_CAP
    assert doc["temporal"]["skipped"] and doc["temporal"]["ratio"] is None
