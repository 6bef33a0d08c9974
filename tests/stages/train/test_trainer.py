"""The training loop: learning, saving, NaN protection, previews and logs."""

import json

import numpy as np
import pytest
from fstest import TINY, digest

from faceswap.lib.errors import FaceswapError
from faceswap.stages.train.trainer import TrainOptions, train


class SyntheticFeeder:
    """Fixed smooth faces: a blob per side, with mask channels; enough for a model to learn."""

    def __init__(self, mask_channels=("face", "eye", "mouth"), size=32, batch=4, nan_at=None):
        self.size, self.batch, self.nan_at, self.calls = size, batch, nan_at, 0
        yy, xx = np.mgrid[0:size, 0:size] / size
        faces = []
        for cx, colour in ((0.4, (0.9, 0.6, 0.3)), (0.6, (0.2, 0.5, 0.8))):
            blob = np.exp(-((xx - cx) ** 2 + (yy - 0.5) ** 2) / 0.05)[..., None]
            faces.append((blob * np.array(colour) + 0.1).astype(np.float32).clip(0, 1))
        # The face mask covers everything; eyes and mouth are small squares.
        masks = np.zeros((size, size, len(mask_channels)), np.float32)
        for index, name in enumerate(mask_channels):
            if name == "face":
                masks[..., index] = 1
            else:
                top = size // 4 if name == "eye" else size * 3 // 4 - 2
                masks[top:top + 4, size // 4:size * 3 // 4, index] = 1
        self.faces = faces
        self.targets = [np.concatenate([f, masks], axis=-1) for f in faces]

    def __next__(self):
        self.calls += 1
        inputs = [np.repeat(f[None], self.batch, axis=0) for f in self.faces]
        targets = [np.repeat(t[None], self.batch, axis=0) for t in self.targets]
        if self.nan_at is not None and self.calls >= self.nan_at:
            inputs[1] = np.full_like(inputs[1], np.nan)
        return inputs, targets

    def preview(self, count):
        return tuple(np.repeat(f[None], count, axis=0) for f in self.faces)


def _options(tmp_path, **kwargs):
    return TrainOptions(input_a=tmp_path / "a", input_b=tmp_path / "b",
                        model_dir=tmp_path / "model", batch_size=4, seed=1,
                        config={**TINY, "learning_rate": 1e-3}, **kwargs)


def test_training_saves_previews_and_logs(tmp_path):
    reports = []
    summary = train(_options(tmp_path, iterations=30, save_interval=12, write_preview=True),
                    report=reports.append, feeder=SyntheticFeeder())
    assert summary.iterations == 30 and not summary.stopped_early
    first = reports[0].loss_a + reports[0].loss_b
    assert summary.loss_a + summary.loss_b < first
    assert reports[-1].iteration == 30 and reports[-1].examples_per_second > 0
    state = json.loads((tmp_path / "model" / "original_state.json").read_text())
    assert state["iterations"] == 30
    preview = summary.preview_path
    assert preview.name == "training_preview.png" and preview.read_bytes()[:4] == b"\x89PNG"
    import cv2

    grid = cv2.imread(str(preview))
    assert grid.shape == (24 + 8 * 128, 6 * 128, 3)
    logs = tmp_path / "model" / "original_logs"
    assert list((logs / "session_1").glob("events.out.tfevents.*"))
    assert summary.loss_plot == logs / "loss.png" and summary.loss_plot.exists()


def test_loss_plot_is_redrawn_at_every_save(tmp_path, monkeypatch):
    from faceswap.stages.train import logs

    written = []
    real_write = logs.LossPlot.write
    monkeypatch.setattr(logs.LossPlot, "write", lambda self: written.append(
        (self.target.name, len(self.series("loss_a")[0]))) or real_write(self))
    train(_options(tmp_path, iterations=6, save_interval=2), feeder=SyntheticFeeder())
    assert written == [("loss.png", 2), ("loss.png", 4), ("loss.png", 6)]


def test_resume_continues_iterations_and_loss_curve(tmp_path):
    train(_options(tmp_path, iterations=5, save_interval=5), feeder=SyntheticFeeder())
    summary = train(_options(tmp_path, iterations=3, save_interval=5), feeder=SyntheticFeeder())
    assert summary.iterations == 8
    from faceswap.stages.train.logs import loss_history

    steps, _ = loss_history(tmp_path / "model" / "original_logs", "loss_a")
    assert list(steps) == list(range(1, 9))
    state = json.loads((tmp_path / "model" / "original_state.json").read_text())
    assert [s["iterations"] for s in state["sessions"].values()] == [5, 3]


def test_snapshots_follow_the_total_iterations_across_resumes(tmp_path):
    # Session 1 stops at 3 (an exit save off the interval); session 2 saves at 3+2=5 and 3+4=7.
    train(_options(tmp_path, iterations=3, save_interval=2, snapshot_interval=4),
          feeder=SyntheticFeeder())
    assert not list(tmp_path.glob("model_snapshot_*"))
    train(_options(tmp_path, iterations=4, save_interval=2, snapshot_interval=4),
          feeder=SyntheticFeeder())
    snapshots = sorted(p.name for p in tmp_path.glob("model_snapshot_*"))
    assert snapshots == ["model_snapshot_5_iters"]  # the save that crossed iteration 4
    state = json.loads((tmp_path / snapshots[0] / "original_state.json").read_text())
    assert state["iterations"] == 5


def test_nan_in_loss_stops_with_clear_message(tmp_path):
    options = _options(tmp_path, iterations=4, save_interval=2)
    train(options, feeder=SyntheticFeeder())
    before = digest(tmp_path / "model")
    message = r"loss of face B became non-finite.*WITHOUT saving.*iteration 4"
    with pytest.raises(FaceswapError, match=message):
        train(_options(tmp_path, iterations=10, save_interval=2), feeder=SyntheticFeeder(nan_at=1))
    after = digest(tmp_path / "model")
    for name in ("original.keras", "original_state.json"):
        assert after[name] == before[name]


def test_warmup_ramps_learning_rate(tmp_path):
    reports = []
    train(_options(tmp_path, iterations=6, warmup=4), report=reports.append,
          feeder=SyntheticFeeder())
    rates = [r.learning_rate for r in reports]
    assert rates == pytest.approx([2.5e-4, 5e-4, 7.5e-4, 1e-3, 1e-3, 1e-3])


def test_tiny_model_learns_generated_faces_through_the_pipeline(tmp_path):
    from fstest import write_extracted_faces

    write_extracted_faces(tmp_path / "a", 6, seed=1)
    write_extracted_faces(tmp_path / "b", 6, seed=2)
    reports = []
    summary = train(
        TrainOptions(input_a=tmp_path / "a", input_b=tmp_path / "b", model_dir=tmp_path / "m",
                     batch_size=4, iterations=200, save_interval=1000, seed=7, no_logs=True,
                     config={**TINY, "learning_rate": 5e-4}),
        report=reports.append,
    )
    start = np.mean([r.loss_a + r.loss_b for r in reports[:10]])
    end = np.mean([r.loss_a + r.loss_b for r in reports[-10:]])
    assert summary.iterations == 200
    assert end < start / 2, (start, end)


def test_preview_grid_keeps_sharp_edges_in_range():
    from faceswap.stages.train.preview import preview_grid

    face = np.zeros((1, 16, 16, 3), np.float32)
    face[:, :, 8:] = 1.0  # a hard black/white edge: the cubic upscale overshoots both ways
    grid = preview_grid([face] * 6, size=64)
    tile = grid[24:88, :64].astype(int)
    assert tile[:, :32].max() < 128 < tile[:, 32:].min()  # no wrapped specks at the edge
    assert (tile[..., 0] == tile[..., 2]).all()  # grey stays grey
