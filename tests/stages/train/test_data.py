"""Training data: face folders and the batch feeder (faceswap.stages.train.data)."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest
from fstest import EXTRACT_SIZE, write_extracted_faces

from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import write_image
from faceswap.stages.train.augment import AugmentConfig
from faceswap.stages.train.data import (
    BatchFeeder,
    FaceSet,
    check_sides,
    load_face_folder,
)


def _write_plain(folder: Path, count: int, seed: int = 0, sizes: tuple[int, ...] = (64,)
                 ) -> None:
    """Plain face crops without metadata (JPEG and PNG), optionally of several sizes."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for idx in range(count):
        size = sizes[idx % len(sizes)]
        small = rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)
        image = cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)
        write_image(folder / f"crop_{idx:03d}{'.jpg' if idx % 2 else '.png'}", image)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> tuple[FaceSet, FaceSet]:
    root = tmp_path_factory.mktemp("faces")
    write_extracted_faces(root / "a", 12, seed=1)
    write_extracted_faces(root / "b", 9, seed=2)
    return load_face_folder(root / "a"), load_face_folder(root / "b")


def _feeder(sets, **kwargs) -> BatchFeeder:
    options = {"batch_size": 4, "input_size": 32, "output_size": 32, "workers": 2}
    options.update(kwargs)
    return BatchFeeder(sets[0], sets[1], **options)


# --------------------------------------------------------------------------------- face sets
def test_load_extracted_folder_reads_landmarks(extracted):
    faces_a, faces_b = extracted
    assert len(faces_a) == 12 and len(faces_b) == 9
    assert faces_a.skipped == 0 and faces_a.has_landmarks
    assert faces_a.size == EXTRACT_SIZE
    points = faces_a.landmarks[0]
    assert points.shape == (68, 2) and points.dtype == np.float32
    # Head-centred extract: the face sits well inside the image.
    assert points.min() > 0 and points.max() < EXTRACT_SIZE


def test_batch_shapes_dtypes_ranges(extracted):
    with _feeder(extracted, input_size=32, output_size=48) as feeder:
        inputs, targets = next(feeder)
    assert len(inputs) == 2 and len(targets) == 2
    for batch in inputs:
        assert batch.shape == (4, 32, 32, 3) and batch.dtype == np.float32
        assert batch.min() >= 0.0 and batch.max() <= 1.0 and batch.std() > 0.01
    for target in targets:
        assert target.shape == (4, 48, 48, 6) and target.dtype == np.float32
        assert target.min() >= 0.0 and target.max() <= 1.0


def test_mask_channels_follow_the_request_and_are_non_trivial(extracted):
    with _feeder(extracted, mask_channels=("eye", "face")) as feeder:
        _, targets = next(feeder)
    for target in targets:
        assert target.shape[-1] == 5
        eye, face = target[..., 3], target[..., 4]
        # The face hull covers a real part of the crop but not all of it; eyes are small.
        assert 0.15 < face.mean() < 0.95
        assert 0.005 < eye.mean() < 0.2
        assert eye.mean() < face.mean()
    with _feeder(extracted, mask_channels=()) as feeder:
        _, targets = next(feeder)
    assert targets[0].shape[-1] == 3


def test_masks_match_the_face_they_belong_to(extracted):
    # Unaugmented, the eye mask must sit over the drawn (dark red) eyes of the synthetic face.
    off = AugmentConfig(rotation_range=0, zoom_amount=0, shift_range=0, warp=False, flip=False,
                        color=False)
    with _feeder(extracted, augment=off, mask_channels=("eye",), output_size=64,
                 input_size=64) as feeder:
        _, targets = next(feeder)
    face, eye = targets[0][..., :3], targets[0][..., 3]
    reddish = (face[..., 2] > face[..., 1] + 0.2)
    inside = reddish[eye > 0.5].mean()
    assert inside > 0.3


def test_epoch_order_covers_every_face_before_repeats(extracted):
    feeder = _feeder(extracted, batch_size=5, workers=0)
    side = feeder._sides[1]  # 9 faces: batches straddle epochs
    stream = np.concatenate([side.indices(k, 5) for k in range(9)])  # 45 = 5 epochs
    for epoch in range(5):
        chunk = stream[epoch * 9:(epoch + 1) * 9]
        assert sorted(chunk) == list(range(9))
    # Reshuffled each epoch (with 9! orders, equal epochs would be a bug).
    assert len({tuple(stream[e * 9:(e + 1) * 9]) for e in range(5)}) > 1
    feeder.close()


def test_deterministic_under_seed_with_threads(extracted):
    def first(seed: int, workers: int) -> list:
        with _feeder(extracted, seed=seed, workers=workers, prefetch=3) as feeder:
            return [next(feeder) for _ in range(3)]

    one, two, other = first(7, 2), first(7, 2), first(8, 2)
    serial = first(7, 0)
    # Uncached: every face decoded again for each batch, same bytes.
    uncached = _feeder(extracted, seed=7, workers=0, cache=False)
    fresh = [uncached.batch(k) for k in range(3)]
    for (in1, tg1), (in2, tg2), (in3, tg3), (in4, tg4) in zip(one, two, serial, fresh,
                                                               strict=True):
        for a, b, c, d in zip(in1 + tg1, in2 + tg2, in3 + tg3, in4 + tg4, strict=True):
            np.testing.assert_array_equal(a, b)
            np.testing.assert_array_equal(a, c)
            np.testing.assert_array_equal(a, d)
    assert not np.array_equal(one[0][0][0], other[0][0][0])


def test_start_batch_resumes_the_same_stream(extracted):
    with _feeder(extracted, seed=3) as feeder:
        batches = [next(feeder) for _ in range(3)]
    with _feeder(extracted, seed=3, start_batch=2) as feeder:
        inputs, targets = next(feeder)
        assert feeder.batches_served == 3
    np.testing.assert_array_equal(inputs[0], batches[2][0][0])
    np.testing.assert_array_equal(targets[1], batches[2][1][1])


def test_no_flip_no_warp_no_color_is_plain_target(extracted):
    off = AugmentConfig(rotation_range=0, zoom_amount=0, shift_range=0, warp=False, flip=False,
                        color=False)
    with _feeder(extracted, augment=off, mask_channels=()) as feeder:
        inputs, targets = next(feeder)
    # Same sizes and nothing random left: the input is exactly the target.
    np.testing.assert_allclose(inputs[0], targets[0], atol=1e-6)
    with _feeder(extracted, augment=AugmentConfig(), mask_channels=()) as feeder:
        inputs, targets = next(feeder)
    assert np.abs(inputs[0] - targets[0]).mean() > 0.005  # warp moves the input only


def test_preview_is_unaugmented_and_deterministic(extracted):
    with _feeder(extracted, output_size=48, coverage_ratio=0.75) as feeder:
        first = feeder.preview(5)
        again = feeder.preview(5)
        bigger = feeder.preview(14)
    for faces in first:
        assert faces.shape == (5, 48, 48, 3) and faces.dtype == np.float32
        assert faces.min() >= 0.0 and faces.max() <= 1.0
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert bigger[1].shape == (14, 48, 48, 3)  # side B has 9 faces: repeats


def test_plain_crops_without_metadata(tmp_path, caplog):
    _write_plain(tmp_path / "a", 6, seed=1)
    _write_plain(tmp_path / "b", 6, seed=2)
    with caplog.at_level(logging.WARNING):
        faces_a = load_face_folder(tmp_path / "a")
    assert "no landmark metadata" in caplog.text and "eye/mouth" in caplog.text
    faces_b = load_face_folder(tmp_path / "b")
    assert faces_a.landmarks == [None] * 6 and not faces_a.has_landmarks
    with BatchFeeder(faces_a, faces_b, 3, 32, 32, workers=2) as feeder:
        inputs, targets = next(feeder)
    assert inputs[0].shape == (3, 32, 32, 3)
    for target in targets:
        np.testing.assert_array_equal(target[..., 3], 1.0)  # face: the whole crop
        np.testing.assert_array_equal(target[..., 4:], 0.0)  # eye, mouth: unknown


def test_corrupt_and_non_image_files_are_skipped_and_counted(tmp_path, caplog):
    folder = tmp_path / "a"
    write_extracted_faces(folder, 4)
    good = (folder / "face_000.png").read_bytes()
    (folder / "broken.png").write_bytes(good[: len(good) // 2])  # truncated PNG
    (folder / "noise.jpg").write_bytes(b"not really a jpeg")
    (folder / "notes.txt").write_text("hello")
    with caplog.at_level(logging.WARNING):
        faces = load_face_folder(folder)
    assert len(faces) == 4
    assert faces.skipped == 3
    assert {p.name for p in faces.skipped_files} == {"broken.png", "noise.jpg", "notes.txt"}
    for name in ("broken.png", "noise.jpg", "notes.txt"):
        assert name in caplog.text
    assert "3 of 7 file(s)" in caplog.text


@pytest.mark.parametrize("setup", ["empty", "missing", "only_bad"])
def test_unusable_folder_is_a_clear_error(tmp_path, setup):
    folder = tmp_path / "faces"
    if setup != "missing":
        folder.mkdir()
    if setup == "only_bad":
        (folder / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nrubbish")
    with pytest.raises(FaceswapError) as err:
        load_face_folder(folder)
    message = str(err.value)
    assert str(folder) in message
    assert {"empty": "holds no images", "missing": "does not exist",
            "only_bad": "No usable face image"}[setup] in message
    assert "faceswap extract" in message


def test_same_folder_and_few_faces_warn(extracted, caplog):
    faces_a, faces_b = extracted
    with caplog.at_level(logging.WARNING):
        problems = check_sides(faces_a, faces_a)
    assert any("same folder" in p for p in problems)
    assert any("Side A has only 12" in p for p in problems)
    assert "same folder" in caplog.text
    # A different spelling of the same folder is still the same folder.
    alias = FaceSet(folder=faces_a.folder / ".." / faces_a.folder.name, paths=faces_a.paths,
                    landmarks=faces_a.landmarks, sizes=faces_a.sizes)
    assert any("same folder" in p for p in check_sides(faces_a, alias))
    assert not any("same folder" in p for p in check_sides(faces_a, faces_b))


def test_mixed_sizes_and_shapes(tmp_path):
    _write_plain(tmp_path / "a", 6, sizes=(40, 64, 150))
    write_extracted_faces(tmp_path / "b", 3, size=64)
    write_extracted_faces(tmp_path / "b", 3, size=160, prefix="big")
    # A non-square crop is centre-cropped to a square.
    write_image(tmp_path / "a" / "wide.png", np.full((50, 80, 3), 128, np.uint8))
    faces_a = load_face_folder(tmp_path / "a")
    faces_b = load_face_folder(tmp_path / "b")
    assert sorted(set(faces_a.sizes)) == [40, 50, 64, 150]
    assert sorted(set(faces_b.sizes)) == [64, 160] and faces_b.has_landmarks
    with BatchFeeder(faces_a, faces_b, 7, 32, 48, workers=2) as feeder:
        inputs, targets = next(feeder)
        preview = feeder.preview(4)
    assert inputs[0].shape == (7, 32, 32, 3) and inputs[1].shape == (7, 32, 32, 3)
    assert targets[0].shape == (7, 48, 48, 6) and targets[1].shape == (7, 48, 48, 6)
    assert preview[1].shape == (4, 48, 48, 3)
    # Landmark masks of the 64 px and 160 px extracts agree: same geometry, another resolution.
    assert 0.15 < targets[1][..., 3].mean() < 0.95


def test_bad_options_are_refused(extracted):
    with pytest.raises(ValueError, match="mask_channels"):
        _feeder(extracted, mask_channels=("nose",))
    with pytest.raises(ValueError, match="mask_type"):
        _feeder(extracted, mask_type="bisenet")
    feeder = _feeder(extracted)
    feeder.close()
    with pytest.raises(RuntimeError, match="closed"):
        next(feeder)


def test_learned_mask_type_feeds_the_stored_mask_and_refuses_faces_without_it(tmp_path):
    # `mask_type: xseg` trains against the mask `faceswap mask apply` stored in each face PNG.
    # Stored here: the extended landmark mask as the mask network sees it, so the face channel
    # must match the extended mask the feeder draws from landmarks for the same crop.
    from faceswap.lib import faces as face_file
    from faceswap.lib.image import read_face_metadata, read_image, write_face_png
    from faceswap.tools.mask import model as mask_model

    for side, seed in (("a", 3), ("b", 4)):
        write_extracted_faces(tmp_path / side, 4, seed=seed)
    sets = load_face_folder(tmp_path / "a"), load_face_folder(tmp_path / "b")
    with pytest.raises(FaceswapError, match=r"Side A: 4 of 4 faces .*faceswap mask apply"):
        _feeder(sets, mask_type="xseg")
    for path in sorted(tmp_path.glob("*/*.png")):
        metadata = read_face_metadata(path)
        points = face_file.face_image_landmarks(metadata["face"])
        stored = mask_model.to_stored(mask_model.network_prior(points, 64), points)
        metadata["face"]["masks"] = {"xseg": stored.to_dict()}
        write_face_png(path, read_image(path), metadata)
    off = AugmentConfig(rotation_range=0, zoom_amount=0, shift_range=0, warp=False, flip=False,
                        color=False)
    masks = {}
    for kind in ("xseg", "extended"):
        with _feeder(sets, mask_type=kind, mask_channels=("face",), augment=off) as feeder:
            masks[kind] = next(feeder)[1][0][..., 3] > 0.5
    overlap = (masks["xseg"] & masks["extended"]).sum() / (masks["xseg"] | masks["extended"]).sum()
    assert 0.1 < masks["xseg"].mean() < 0.95 and overlap > 0.9
