"""TensorBoard event files written without TensorFlow are readable by TensorFlow."""

import numpy as np
import pytest

from faceswap.stages.train import logs


def test_crc32c_known_value():
    # RFC 3720 test vector: 32 bytes of zeros.
    assert logs.crc32c(bytes(32)) == 0x8A9136AA
    assert logs.crc32c(b"123456789") == 0xE3069283


def test_round_trip_with_our_reader(tmp_path):
    writer = logs.EventWriter(tmp_path / "session_1")
    for step in range(1, 6):
        writer.scalars(step, {"loss_a": step / 10, "loss_b": step / 5})
    writer.close()
    steps, values = logs.loss_history(tmp_path, "loss_b")
    np.testing.assert_array_equal(steps, [1, 2, 3, 4, 5])
    np.testing.assert_allclose(values, [0.2, 0.4, 0.6, 0.8, 1.0], rtol=1e-6)


def test_truncated_tail_is_ignored(tmp_path):
    writer = logs.EventWriter(tmp_path / "session_1")
    writer.scalars(1, {"loss_a": 0.5})
    writer.scalars(2, {"loss_a": 0.25})
    writer.close()
    data = writer.path.read_bytes()
    writer.path.write_bytes(data[:-7])
    assert [s for s, _, _ in logs.read_scalars(writer.path)] == [1]


def test_tensorflow_reads_our_events(tmp_path):
    tf = pytest.importorskip("tensorflow")
    writer = logs.EventWriter(tmp_path / "session_1")
    writer.scalars(7, {"loss_a": 0.125})
    writer.close()
    events = [tf.compat.v1.Event.FromString(record.numpy())
              for record in tf.data.TFRecordDataset(str(writer.path))]
    assert events[0].file_version == "brain.Event:2"
    assert events[1].step == 7
    assert events[1].summary.value[0].tag == "loss_a"
    assert events[1].summary.value[0].simple_value == pytest.approx(0.125)


def test_plot_loss(tmp_path):
    writer = logs.EventWriter(tmp_path / "session_1")
    for step in range(1, 30):
        writer.scalars(step, {"loss_a": 1 / step, "loss_b": 2 / step})
    writer.close()
    writer = logs.EventWriter(tmp_path / "session_2")
    writer.scalars(30, {"loss_a": 0.01, "loss_b": 0.02})
    writer.close()
    assert logs.loss_history(tmp_path, "loss_a")[0][-1] == 30
    assert logs.plot_loss(tmp_path, tmp_path / "loss.png")
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not logs.plot_loss(tmp_path / "empty", tmp_path / "none.png")


def test_loss_plot_joins_past_sessions_with_this_one(tmp_path, monkeypatch):
    writer = logs.EventWriter(tmp_path / "session_1")
    for step in range(1, 11):
        writer.scalars(step, {"loss_a": 1.0, "loss_b": 2.0})
    writer.close()
    plot = logs.LossPlot(tmp_path, tmp_path / "loss.png")
    # Resumed from a save at 8: steps 9 and 10 of session 1 were never saved, 9 is redone.
    for step in (9, 10, 11):
        plot.add(step, {"loss_a": 0.5, "loss_b": 0.25})
    steps, values = plot.series("loss_a")
    assert list(steps) == list(range(1, 12))
    assert list(values) == [1.0] * 8 + [0.5] * 3
    # Long histories are drawn from bucket means, not point by point.
    monkeypatch.setattr(logs.LossPlot, "MAX_POINTS", 4)
    drawn = []
    import matplotlib.axes

    real_plot = matplotlib.axes.Axes.plot
    monkeypatch.setattr(matplotlib.axes.Axes, "plot",
                        lambda self, x, y, **kw: drawn.append(len(x)) or real_plot(self, x, y,
                                                                                   **kw))
    assert plot.write() and (tmp_path / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert drawn[0] == 4  # 11 points -> 4 buckets of 2 (the last odd point dropped)
