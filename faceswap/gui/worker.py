"""The GUI's worker process: runs one job through the library and reports it as JSON lines.

``python -m faceswap.gui.worker`` reads ``{"kind": ..., "options": {...}}`` on stdin, calls
``faceswap.extract`` / ``train`` / ``convert`` (the functions the CLI calls) and writes one JSON
object per line to stdout: ``progress`` events, then ``result``, ``stopped`` or ``error``.
Library logging goes to stderr, which the job keeps as its log.

A job runs in its own process so that stopping it is the CLI's Ctrl-C: SIGINT makes the trainer
finish its step and save (``StopFlag``), and makes extract and convert raise KeyboardInterrupt,
which leaves their outputs as the atomic writers left them. The process also gets SIGTERM when
the server dies (``PR_SET_PDEATHSIG``), so a killed server never leaves a job running unseen.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any, TextIO

KINDS = ("extract", "train", "convert")
PATH_FIELDS = {"input", "output", "output_dir", "model_dir", "input_a", "input_b", "alignments",
               "preview_dir", "load_weights"}
PROGRESS_INTERVAL = 0.25  # seconds between progress lines (the last one is always sent)


class Reporter:
    """Writes events as JSON lines; progress is throttled, everything else is sent at once."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.gone = False
        self.last = 0.0
        self.start = time.monotonic()

    def send(self, event: dict[str, Any]) -> None:
        if self.gone:
            return
        try:
            self.stream.write(json.dumps(event, default=str) + "\n")
            self.stream.flush()
        except OSError:
            # The server died (its SIGTERM is on the way): a train job must still reach its
            # save, so reporting stops instead of raising into the training loop.
            self.gone = True

    def progress(self, force: bool = False, **values: Any) -> None:
        now = time.monotonic()
        if force or now - self.last >= PROGRESS_INTERVAL:
            self.last = now
            self.send({"type": "progress", **values})

    def frames(self, done: int, total: int) -> None:
        """``progress(done, total)`` of extract and convert, with a rate and an ETA added."""
        elapsed = max(time.monotonic() - self.start, 1e-6)
        rate = done / elapsed
        eta = (total - done) / rate if total and rate > 0 else None
        self.progress(force=bool(total) and done >= total, done=done, total=total,
                      unit="frames", rate=rate, eta=eta)

    def iteration(self, progress) -> None:
        """``report(Progress)`` of train."""
        self.progress(force=progress.session_iteration == progress.session_iterations,
                      done=progress.session_iteration, total=progress.session_iterations,
                      unit="iterations", iteration=progress.iteration, loss_a=progress.loss_a,
                      loss_b=progress.loss_b, rate=progress.examples_per_second,
                      eta=progress.eta_seconds)


def _options(cls, values: dict[str, Any]):
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        from faceswap.lib.errors import FaceswapError

        raise FaceswapError(f"Unknown {cls.__name__} field(s): {', '.join(unknown)}.")
    return cls(**{k: Path(v) if k in PATH_FIELDS and v is not None else v
                  for k, v in values.items()})


def run_job(kind: str, options: dict[str, Any], reporter: Reporter) -> dict[str, Any]:
    """Run one job; returns its summary as a JSON-able dict."""
    import faceswap

    if kind == "extract":
        summary = faceswap.extract(_options(faceswap.ExtractOptions, options), reporter.frames)
    elif kind == "train":
        summary = faceswap.train(_options(faceswap.TrainOptions, options), reporter.iteration)
    elif kind == "convert":
        options = dict(options)
        options["mask_settings"] = faceswap.mask_settings(**options.get("mask_settings", {}))
        summary = faceswap.convert(_options(faceswap.ConvertOptions, options), reporter.frames)
    else:
        raise faceswap.FaceswapError(f"Unknown job kind '{kind}'; known: {', '.join(KINDS)}.")
    return json.loads(json.dumps(dataclasses.asdict(summary), default=str))


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _die_with_parent(parent: int) -> None:
    """Ask Linux to send SIGTERM when the server process goes (a no-op elsewhere)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the server went before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def main() -> int:
    # Events own the real stdout; anything else printed goes to the log (stderr).
    events = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout = sys.stderr
    _die_with_parent(int(os.environ.get("FACESWAP_GUI_SERVER_PID", os.getppid())))
    # SIGTERM (the server went away) stops extract and convert as Ctrl-C does; the trainer
    # installs its own handlers for both signals while it trains.
    signal.signal(signal.SIGTERM, _interrupt)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s",
                                           datefmt="%H:%M:%S"))
    logging.getLogger().handlers[:] = [handler]
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("faceswap").setLevel(logging.INFO)
    reporter = Reporter(events)
    spec = json.loads(sys.stdin.read())
    from faceswap.lib.errors import FaceswapError

    try:
        result = run_job(spec["kind"], spec.get("options", {}), reporter)
    except KeyboardInterrupt:
        reporter.send({"type": "stopped"})
        return 130
    except FaceswapError as err:
        reporter.send({"type": "error", "message": str(err)})
        return 1
    except Exception as err:  # an unexpected failure still reaches the job list
        logging.getLogger("faceswap").exception("The job failed")
        reporter.send({"type": "error", "message": f"{type(err).__name__}: {err}"})
        return 1
    reporter.send({"type": "result", "summary": result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
