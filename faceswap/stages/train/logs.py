"""Loss history as TensorBoard event files, written without TensorFlow, and a loss plot.

An event file is a TFRecord stream of ``Event`` protocol buffers. The two messages we need are
tiny, so they are encoded by hand: that keeps logging identical on every Keras backend (JAX and
PyTorch installs have no TensorFlow) and costs a few microseconds per iteration.

Record framing: ``uint64 length | uint32 masked_crc(length) | data | uint32 masked_crc(data)``.
``Event``: wall_time (1, double), step (2, int64), file_version (3, string), summary (5).
``Summary``: repeated value (1); ``Value``: tag (1, string), simple_value (2, float).
"""

from __future__ import annotations

import os
import socket
import struct
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from faceswap.lib import atomic


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), as TFRecord framing needs."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked_crc(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, wire_type: int, payload: bytes) -> bytes:
    return _varint(number << 3 | wire_type) + payload


def _length_delimited(number: int, payload: bytes) -> bytes:
    return _field(number, 2, _varint(len(payload)) + payload)


def encode_event(step: int, wall_time: float, scalars: Mapping[str, float] | None = None,
                 file_version: str | None = None) -> bytes:
    """One serialized ``Event`` proto."""
    body = _field(1, 1, struct.pack("<d", wall_time)) + _field(2, 0, _varint(step))
    if file_version is not None:
        body += _length_delimited(3, file_version.encode())
    if scalars:
        values = b"".join(
            _length_delimited(1, _length_delimited(1, tag.encode())
                              + _field(2, 5, struct.pack("<f", float(value))))
            for tag, value in scalars.items()
        )
        body += _length_delimited(5, values)
    return body


def frame_record(data: bytes) -> bytes:
    """TFRecord framing of one serialized record."""
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", _masked_crc(length)) + data
            + struct.pack("<I", _masked_crc(data)))


class EventWriter:
    """Appends scalar summaries to ``<log_dir>/events.out.tfevents.<time>.<host>``."""

    def __init__(self, log_dir: str | Path) -> None:
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}"
        self.path = self.log_dir / name
        self._file = open(self.path, "ab")  # noqa: SIM115 (kept open for the whole session)
        self._file.write(frame_record(encode_event(0, time.time(), file_version="brain.Event:2")))

    def scalars(self, step: int, values: Mapping[str, float]) -> None:
        self._file.write(frame_record(encode_event(step, time.time(), values)))

    def flush(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if not self._file.closed:
            self.flush()
            self._file.close()


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, int, object]]:
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(data, pos)
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        elif wire == 2:
            length, pos = _read_varint(data, pos)
            value, pos = data[pos:pos + length], pos + length
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield number, wire, value


def read_scalars(path: str | Path) -> Iterator[tuple[int, str, float]]:
    """Yield ``(step, tag, value)`` from one event file; stops at a truncated tail record."""
    data = Path(path).read_bytes()
    pos = 0
    while pos + 12 <= len(data):
        (length,) = struct.unpack("<Q", data[pos:pos + 8])
        record = data[pos + 12:pos + 12 + length]
        pos += 16 + length
        if len(record) < length or pos > len(data):
            return  # a crash mid-write leaves a partial last record: ignore it
        step = 0
        for number, _, value in _fields(record):
            if number == 2:
                step = int(value)
            elif number == 5:
                for _, _, summary_value in _fields(value):
                    tag, scalar = "", None
                    for sub_number, _, sub in _fields(summary_value):
                        if sub_number == 1:
                            tag = sub.decode()
                        elif sub_number == 2:
                            (scalar,) = struct.unpack("<f", sub)
                    if scalar is not None:
                        yield step, tag, float(scalar)


def loss_history(logs_dir: str | Path, tag: str) -> tuple[np.ndarray, np.ndarray]:
    """Steps and values of ``tag`` over every session under ``logs_dir``, sorted by step."""
    points: dict[int, float] = {}
    for path in sorted(Path(logs_dir).glob("session_*/events.out.tfevents.*")):
        for step, name, value in read_scalars(path):
            if name == tag:
                points[step] = value
    steps = np.array(sorted(points), dtype=np.int64)
    return steps, np.array([points[s] for s in steps], dtype=np.float64)


class LossPlot:
    """The loss graph of every session, redrawn at each save.

    Earlier sessions' events are read once, when training starts; this session's losses are
    kept as they arrive, so a save never re-parses a long history.
    """

    MAX_POINTS = 20_000  # more points than pixels only slow the drawing down

    def __init__(self, logs_dir: str | Path, target: str | Path,
                 tags: tuple[str, ...] = ("loss_a", "loss_b")) -> None:
        self.target = Path(target)
        self.tags = tags
        self._past = {tag: loss_history(logs_dir, tag) for tag in tags}
        self._steps: list[int] = []
        self._values: dict[str, list[float]] = {tag: [] for tag in tags}

    def add(self, step: int, values: Mapping[str, float]) -> None:
        self._steps.append(step)
        for tag in self.tags:
            self._values[tag].append(float(values[tag]))

    def series(self, tag: str) -> tuple[np.ndarray, np.ndarray]:
        """Steps and values of ``tag``, earlier sessions first (a resumed step replaces one)."""
        past_steps, past_values = self._past[tag]
        keep = past_steps < self._steps[0] if self._steps else slice(None)
        return (np.concatenate([past_steps[keep], np.asarray(self._steps, np.int64)]),
                np.concatenate([past_values[keep], np.asarray(self._values[tag], np.float64)]))

    def write(self) -> bool:
        """Write the PNG (atomically); False when there is nothing to plot."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axes = plt.subplots(figsize=(8, 4), dpi=100)
        plotted = False
        for tag in self.tags:
            steps, values = self.series(tag)
            if len(steps) == 0:
                continue
            if len(steps) > self.MAX_POINTS:  # bucket means: the shape survives, the cost not
                cut = len(steps) // self.MAX_POINTS * self.MAX_POINTS
                bucket = len(steps) // self.MAX_POINTS
                steps = steps[:cut:bucket]
                values = values[:cut].reshape(-1, bucket).mean(axis=1)
            axes.plot(steps, values, linewidth=0.5, alpha=0.4)
            window = max(1, len(values) // 50)
            smooth = np.convolve(values, np.ones(window) / window, mode="valid")
            axes.plot(steps[window - 1:], smooth, label=f"{tag} (mean of {window})")
            plotted = True
        if plotted:
            axes.set_xlabel("iteration")
            axes.set_ylabel("loss")
            axes.set_yscale("log")
            axes.grid(alpha=0.3)
            axes.legend()
            figure.tight_layout()
            atomic.write_with(self.target, lambda tmp: figure.savefig(tmp, format="png"))
        plt.close(figure)
        return plotted


def plot_loss(logs_dir: str | Path, target: str | Path, tags: tuple[str, ...] = (
        "loss_a", "loss_b")) -> bool:
    """Write a PNG plot of the whole loss history; False when there is nothing to plot."""
    return LossPlot(logs_dir, target, tags).write()
