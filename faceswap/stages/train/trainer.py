"""The training loop behind `faceswap train`: feed, step, record, save, preview, stop safely.

One iteration trains both sides with one compiled ``train_on_batch`` (input A → decoder A and
input B → decoder B share the encoder). Saves are atomic; Ctrl-C or SIGTERM finishes the current
step, saves and returns normally; a non-finite loss stops training *before* anything is saved.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from faceswap.lib.errors import FaceswapError
from faceswap.stages.train.augment import AugmentConfig, resize_batch
from faceswap.stages.train.logs import EventWriter, LossPlot

logger = logging.getLogger(__name__)


@dataclass
class TrainOptions:
    """Everything `faceswap train` takes. ``config`` holds model/training options."""

    input_a: Path
    input_b: Path
    model_dir: Path
    trainer: str = "original"
    batch_size: int = 16
    iterations: int = 1_000_000
    save_interval: int = 250
    snapshot_interval: int = 25_000
    write_preview: bool = False
    preview_dir: Path | None = None
    preview_count: int = 8
    no_logs: bool = False
    distributed: bool = False
    no_flip: bool = False
    no_warp: bool = False
    no_augment_color: bool = False
    warmup: int = 0
    seed: int | None = None
    load_weights: Path | None = None
    freeze_weights: bool = False
    workers: int = 2
    config: dict[str, Any] = field(default_factory=dict)


@dataclass
class Progress:
    """One progress report (the CLI turns it into the progress line)."""

    iteration: int
    session_iteration: int
    session_iterations: int
    loss_a: float
    loss_b: float
    examples_per_second: float
    eta_seconds: float
    learning_rate: float


@dataclass
class TrainResult:
    iterations: int
    session_iterations: int
    loss_a: float | None
    loss_b: float | None
    examples_per_second: float
    seconds: float
    stopped_early: bool
    model_path: Path
    preview_path: Path | None
    loss_plot: Path | None
    weights_checksum: str | None = None  # distributed runs: compare it across workers


class StopFlag:
    """Turns the first SIGINT/SIGTERM into a polite request to stop after the current step.

    A second Ctrl-C raises KeyboardInterrupt as usual, for a user who really wants out; even
    then the atomic save leaves the previous files intact.
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def _handle(self, signum, frame) -> None:
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True
        logger.info("Stop requested: finishing this iteration, then saving...")

    def __enter__(self) -> StopFlag:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _targets_per_output(model, targets: list[np.ndarray]) -> list[np.ndarray]:
    """One target per model output from the feeder's ``[target_a, target_b]``.

    A learned mask output reads its target from the face target's mask channels, so the side's
    target serves every output of that side; outputs smaller than it (a multiscale decoder's
    1/4 and 1/2 faces) get it resized to their size.
    """
    resized: dict[tuple[int, int], np.ndarray] = {}
    out = []
    for slot in model.output_slots:
        side = "ab".index(slot.side)
        key = (side, slot.size)
        if key not in resized:
            target = targets[side]
            resized[key] = target if target.shape[1] == slot.size else resize_batch(
                target, slot.size)
        out.append(resized[key])
    return out


def _side_losses(result: Any, outputs: int) -> tuple[float, float, list[float]]:
    values = np.atleast_1d(np.asarray(result, dtype=np.float64))
    per_output = values[1:] if values.size > 1 else np.repeat(values / outputs, outputs)
    half = len(per_output) // 2
    return float(per_output[:half].sum()), float(per_output[half:].sum()), list(per_output)


def load_faces(options: TrainOptions) -> tuple[Any, Any]:
    """Read and check both face folders (before the slow model build, so errors come fast)."""
    from faceswap.stages.train.data import check_sides, load_face_folder

    faces_a = load_face_folder(options.input_a)
    faces_b = load_face_folder(options.input_b)
    check_sides(faces_a, faces_b)
    return faces_a, faces_b


def build_feeder(options: TrainOptions, model, faces: tuple[Any, Any]) -> Any:
    """The batch feeder for ``model`` from the two face sets."""
    from faceswap.stages.train.data import BatchFeeder

    faces_a, faces_b = faces
    augment = AugmentConfig(
        flip=not options.no_flip, warp=not options.no_warp, color=not options.no_augment_color
    )
    return BatchFeeder(
        faces_a, faces_b, options.batch_size,
        # Each side at its own input size; targets at the largest face output's size.
        input_size=model.input_sizes, output_size=model.output_size,
        coverage_ratio=model.coverage_ratio, centering=model.config["centering"],
        mask_type=model.config["mask_type"], mask_channels=model.mask_channels, augment=augment,
        # Each worker of a multi-worker cluster draws its own batches.
        seed=(options.seed if options.seed is not None else int(time.time())) + model.worker_index,
        workers=options.workers,
        # With a fixed seed, a resumed session continues the same batch sequence.
        start_batch=model.iterations,
    )


def load_model(options: TrainOptions):
    """Create (or resume) and build the model plugin named in ``options``."""
    from faceswap.plugins.train.model import create_model

    return create_model(
        options.trainer, options.model_dir, dict(options.config), seed=options.seed,
        load_weights=options.load_weights, freeze_weights=options.freeze_weights,
        distributed=options.distributed, batch_size=options.batch_size,
        no_logs=options.no_logs, snapshot_interval=options.snapshot_interval,
    )


def train(
    options: TrainOptions,
    report: Callable[[Progress], None] | None = None,
    feeder: Iterator | None = None,
) -> TrainResult:
    """Run one training session. ``feeder`` may be given (tests); otherwise it is built."""
    if options.batch_size < 1 or options.iterations < 0 or options.save_interval < 1:
        raise FaceswapError("batch size, iterations and save interval must be positive.")
    faces = load_faces(options) if feeder is None else None
    model = load_model(options)
    own_feeder = feeder is None
    feeder = build_feeder(options, model, faces) if feeder is None else feeder
    logs_dir = model.io.model_dir / f"{model.name}_logs"
    # Only the chief writes into the model folder, which the workers share.
    writer = None if options.no_logs or not model.is_chief else EventWriter(
        logs_dir / f"session_{model.state.session_id}")
    plot = None if writer is None else LossPlot(logs_dir, logs_dir / "loss.png")
    preview_path = (options.preview_dir or model.io.model_dir) / "training_preview.png"
    outputs = len(model.model.outputs)
    output_names = [f"{slot.kind} {slot.side.upper()}"
                    + (f" {slot.size}px" if slot.kind == "face" and model.outputs_per_side > 2
                       else "")
                    for slot in model.output_slots]
    base_lr = float(model.config["learning_rate"])
    start = time.perf_counter()
    step_times: list[float] = []
    loss_a = loss_b = None
    done = 0
    stopped = False
    try:
        with StopFlag() as stop:
            for done in range(1, options.iterations + 1):
                if stop.requested:
                    done -= 1
                    stopped = True
                    break
                # Timed from the batch fetch: a starving feeder shows up in examples/s.
                tick = time.perf_counter()
                inputs, targets = next(feeder)
                if options.warmup and done <= options.warmup:
                    model.model.optimizer.learning_rate.assign(base_lr * done / options.warmup)
                result = model.model.train_on_batch(
                    inputs, _targets_per_output(model, targets))
                step_times.append(time.perf_counter() - tick)
                loss_a, loss_b, per_output = _side_losses(result, outputs)
                if model.config["nan_protection"] and not (
                        math.isfinite(loss_a) and math.isfinite(loss_b)):
                    bad = [name for name, value in zip(output_names, per_output, strict=False)
                           if not math.isfinite(value)] or ["total"]
                    raise FaceswapError(
                        f"The loss of {', '.join(bad)} became non-finite "
                        f"({', '.join(f'{v:.4g}' for v in per_output)}) at iteration "
                        f"{model.iterations + 1}. Training stopped WITHOUT saving, so the last "
                        f"good save (iteration {_saved_iterations(model)}) is intact. Lower the "
                        "learning rate or turn on gradient clipping, then resume."
                    )
                model.state.increment()
                model.add_history(np.array([loss_a, loss_b]))
                if writer is not None:
                    writer.scalars(model.iterations, {"loss_a": loss_a, "loss_b": loss_b,
                                                      "batch_total": loss_a + loss_b})
                if plot is not None:
                    plot.add(model.iterations, {"loss_a": loss_a, "loss_b": loss_b})
                if report is not None:
                    recent = step_times[-20:]
                    rate = 2 * options.batch_size / (sum(recent) / len(recent))
                    report(Progress(
                        model.iterations, done, options.iterations, loss_a, loss_b, rate,
                        (options.iterations - done) * sum(recent) / len(recent),
                        float(np.asarray(model.model.optimizer.learning_rate)),
                    ))
                if done % options.save_interval == 0 and done < options.iterations:
                    _save(model, writer, plot, options, feeder, preview_path)
            _save(model, writer, plot, options, feeder, preview_path)
    finally:
        if writer is not None:
            writer.close()
        if own_feeder and hasattr(feeder, "close"):
            feeder.close()
    loss_plot = plot.target if plot is not None and plot.target.is_file() else None
    seconds = time.perf_counter() - start
    timed = step_times[1:] or step_times  # the first step compiles
    checksum = None
    if options.distributed:
        from faceswap.plugins.train.model import weights_checksum

        checksum = weights_checksum(model.model)
    return TrainResult(
        iterations=model.iterations, session_iterations=done, loss_a=loss_a, loss_b=loss_b,
        examples_per_second=2 * options.batch_size * len(timed) / sum(timed) if timed else 0.0,
        seconds=seconds, stopped_early=stopped, model_path=model.io.model_path,
        preview_path=preview_path if options.write_preview and model.is_chief else None,
        loss_plot=loss_plot, weights_checksum=checksum,
    )


def _saved_iterations(model) -> int | str:
    with contextlib.suppress(OSError, ValueError, KeyError):
        return json.loads(model.state.path.read_text())["iterations"]
    return "none: no save yet"


def _save(model, writer, plot: LossPlot | None, options: TrainOptions, feeder,
          preview_path: Path) -> None:
    model.save()
    if writer is not None:
        writer.flush()
    if plot is not None:  # at every save, so a long run's graph is never stale
        plot.write()
    if options.write_preview and model.is_chief and hasattr(feeder, "preview"):
        from faceswap.stages.train.preview import write_preview

        faces_a, faces_b = feeder.preview(options.preview_count)
        write_preview(model, faces_a, faces_b, preview_path)
        logger.info("Preview written to '%s'", preview_path)
