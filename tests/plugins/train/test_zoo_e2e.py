"""Every model plugin, end to end: train, save, resume, preview and convert, at tiny widths.

Parametrized over ``registry.list_plugins("model")``, so a new plugin file is tested the moment
it exists. One module-scoped fixture extracts two frames of a shared clip for all of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from fstest import SHARED, write_extracted_faces

from faceswap.lib import registry

CLIP = SHARED / "face-data" / "clips" / "livePortrait_d9.mp4"
MODELS = registry.list_plugins("model")
# Options that make a plugin small; the smallest input size a plugin allows is added below.
TINY = {"width_scale": 1 / 64, "learning_rate": 1e-4}
# Per plugin: smaller sizes where a plugin allows them (keeping 64 -> 128 for dfaker and
# realface, 64 -> 128 for dlight), and learned masks and the multiscale decoder on some, so
# convert's -M predicted and the extra outputs run too. Options a plugin lacks are not passed.
EXTRA: dict[str, dict] = {
    "original": {"input_size": 32, "learn_mask": True},
    "dlight": {"output_size": 128},
    "phaze-a": {"output_size": 64},
    "dfl-sae": {"multiscale_decoder": True, "learn_mask": True},
    "realface": {"learn_mask": True},
}


def tiny_config(name: str) -> dict:
    """The smallest configuration of plugin ``name``: tiny widths, smallest input size."""
    from faceswap.plugins.train.model._base.factory import model_class

    options = model_class(name).options
    config = dict(TINY)
    if "input_size" in options and options["input_size"].min is not None:
        config["input_size"] = options["input_size"].min
    config.update({k: v for k, v in EXTRA.get(name, {}).items()
                   if k in options or k == "learn_mask"})
    return config


@pytest.fixture(scope="module", autouse=True)
def _eager():
    """Run the train step eagerly: tracing it costs ~10 s a model, two steps only ~0.5 s."""
    import keras

    if keras.backend.backend() != "tensorflow":
        yield
        return
    import tensorflow as tf

    tf.config.run_functions_eagerly(True)
    yield
    tf.config.run_functions_eagerly(False)


@pytest.fixture(scope="module")
def clip_faces(tmp_path_factory):
    """(frames folder with alignments, faces A from those frames, synthetic faces B)."""
    if not CLIP.is_file():
        pytest.skip(f"{CLIP} is absent (../shared/face-data)")
    from faceswap.lib import alignments as alignments_file
    from faceswap.lib.video import frames
    from faceswap.stages.extract import ExtractOptions, extract

    root = tmp_path_factory.mktemp("zoo")
    shots = root / "frames"
    shots.mkdir()
    for index, name, frame in frames(CLIP, every_n=40):
        if index >= 80:
            break
        # Half size: the faces stay well above the detector's minimum, extract runs 4x faster.
        half = cv2.resize(frame, (frame.shape[1] // 2, frame.shape[0] // 2),
                          interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(shots / f"{Path(name).stem}.png"), half)
    extract(ExtractOptions(shots, root / "faces_a", size=128, jobs=1,
                           alignments=alignments_file.default_path(shots)))
    write_extracted_faces(root / "faces_b", 4, seed=3)
    return shots, root / "faces_a", root / "faces_b"


@pytest.mark.parametrize("name", MODELS)
def test_train_resume_convert(name, clip_faces, tmp_path):
    from faceswap.stages.convert.pipeline import ConvertOptions, convert
    from faceswap.stages.train.trainer import TrainOptions, train

    shots, faces_a, faces_b = clip_faces
    config = tiny_config(name)
    model_dir = tmp_path / "model"
    options = TrainOptions(input_a=faces_a, input_b=faces_b, model_dir=model_dir,
                           trainer=name, batch_size=2, iterations=1, save_interval=1, no_logs=True,
                           seed=0, workers=0, write_preview=True, preview_count=2,
                           config=config)
    first = train(options)
    assert first.iterations == 1 and np.isfinite(first.loss_a + first.loss_b)
    preview = cv2.imread(str(first.preview_path))
    assert preview is not None and preview.shape[1] == 6 * 128  # six columns at one tile size
    state = json.loads(next(model_dir.glob("*_state.json")).read_text())
    assert state["name"] == name.replace("-", "_") and state["iterations"] == 1

    resumed = train(TrainOptions(**{**options.__dict__, "write_preview": False}))
    assert resumed.iterations == 2 and resumed.session_iterations == 1

    out = tmp_path / "out"
    # A learned mask is what convert pastes with (-M predicted).
    mask = "predicted" if config.get("learn_mask") else "extended"
    summary = convert(ConvertOptions(input=shots, output=out, model_dir=model_dir, mask=mask,
                                     inference="keras", jobs=1, batch_size=2))
    assert summary.faces_swapped >= 1
    changed = 0
    for source in sorted(shots.glob("*.png")):
        before, after = cv2.imread(str(source)), cv2.imread(str(out / source.name))
        assert after is not None and after.shape == before.shape
        changed += int(np.abs(after.astype(int) - before).mean() > 0.2)
    assert changed == summary.frames_swapped

    # evaluate's reconstruction crops at the input size and scores the (largest) face output.
    from faceswap.lib.image import read_image
    from faceswap.stages.evaluate.faces import FaceImage, png_landmarks
    from faceswap.stages.evaluate.reconstruction import reconstruct

    faces = [FaceImage(read_image(path), png_landmarks(path), None, path.name)
             for path in sorted(faces_a.glob("*.png"))]
    ssim, psnr = reconstruct(model_dir, "a", faces)
    assert -1.0 <= ssim <= 1.0 and 0.0 < psnr < 100.0


def test_per_side_inputs_and_multiscale_targets(tmp_path):
    """A 32/48 px-in, 64 px-out model with 16/32/64 px faces and a mask per side: the feeder
    gives each side at its own input size and the trainer one target per output, resized."""
    import keras

    from faceswap.plugins.train.model._base import ModelBase
    from faceswap.stages.train.trainer import TrainOptions, _targets_per_output, build_feeder
    from faceswap.stages.train.trainer import load_faces as read_faces

    class Multi(ModelBase):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.input_shape = [(32, 32, 3), (48, 48, 3)]

        def build_model(self, inputs):
            outputs = []
            for side, face in zip("ab", inputs, strict=True):
                x = keras.layers.Conv2D(4, 3, padding="same", name=f"conv_{side}")(face)
                x = keras.layers.Resizing(64, 64, name=f"resize_{side}")(x)
                for size in (16, 32):
                    small = keras.layers.Resizing(size, size, name=f"r{size}_{side}")(x)
                    outputs.append(keras.layers.Conv2D(3, 1, activation="sigmoid",
                                                       name=f"face_out_{size}_{side}")(small))
                outputs += self.side_outputs(side, x, x)
            return keras.Model(inputs, outputs, name=self.model_name)

    write_extracted_faces(tmp_path / "a", 3, seed=1)
    write_extracted_faces(tmp_path / "b", 3, seed=2)
    options = TrainOptions(input_a=tmp_path / "a", input_b=tmp_path / "b",
                           model_dir=tmp_path / "m", batch_size=2, workers=0, seed=0)
    model = Multi(tmp_path / "m", {"learn_mask": True})
    model.build()
    assert model.outputs_per_side == 4 and model.output_size == 64
    assert [model.face_output(s) for s in "ab"] == [2, 6]
    assert [model.mask_output(s) for s in "ab"] == [3, 7]
    feeder = build_feeder(options, model, read_faces(options))
    inputs, targets = next(feeder)
    assert [i.shape for i in inputs] == [(2, 32, 32, 3), (2, 48, 48, 3)]
    channels = 3 + len(model.mask_channels)
    assert [t.shape for t in targets] == [(2, 64, 64, channels)] * 2
    per_output = _targets_per_output(model, targets)
    assert [t.shape[1] for t in per_output] == [16, 32, 64, 64] * 2
    # The small targets are the big one shrunk, not another crop.
    small = cv2.resize(targets[1][0], (16, 16), interpolation=cv2.INTER_AREA)
    np.testing.assert_allclose(per_output[4][0], small, atol=1e-6)
    losses = np.atleast_1d(model.model.train_on_batch(inputs, per_output))
    assert losses.size == 9 and np.isfinite(losses).all()  # total + one loss per output
    faces = feeder.preview(2)
    from faceswap.stages.train.preview import predict_preview

    columns = predict_preview(model, *faces)
    assert [c.shape[1] for c in columns] == [64] * 6
    feeder.close()
