"""The GUI's job queue: one job at a time, each in a worker process, the list kept on disk.

Jobs run in submission order, one at a time (extract, train and convert each want the whole
GPU). The job list is written atomically to ``faceswap_jobs.json`` in the project folder at
every change of state (and every few seconds of progress), so closing the browser loses
nothing, and a server that was killed finds its running and queued jobs on the next start and
marks them ``interrupted``: the library's atomic saves left their outputs whole, at the last
save.

Listeners (the server-sent events stream) get every change as ``{"type": "job", "job": ...}``
from the thread that made it; they must hand it on quickly.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from faceswap.lib import atomic
from faceswap.lib.errors import FaceswapError

logger = logging.getLogger(__name__)

FILE_NAME = "faceswap_jobs.json"
FORMAT = "faceswap-gui-jobs"
STATES = ("queued", "running", "done", "failed", "stopped", "interrupted")
ACTIVE = ("queued", "running")
LOG_LINES = 40  # last lines of a job's log kept with it
PERSIST_INTERVAL = 5.0  # seconds between writes for progress alone
KEEP_FINISHED = 200  # finished jobs kept in the list

Listener = Callable[[dict[str, Any]], None]


@dataclass
class Job:
    id: str
    kind: str
    title: str
    options: dict[str, Any]
    state: str = "queued"
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    progress: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: str | None = None
    log: list[str] = field(default_factory=list)
    stop_requested: bool = False
    meta: dict[str, Any] = field(default_factory=dict)  # the GUI's own notes (extract's side)

    def public(self) -> dict[str, Any]:
        return asdict(self)


def worker_command() -> list[str]:
    return [sys.executable, "-m", "faceswap.gui.worker"]


class JobQueue:
    """Runs submitted jobs one after another in a background thread; ``close()`` to end it."""

    def __init__(self, folder: str | Path, command: list[str] | None = None,
                 on_finish: Callable[[Job], None] | None = None) -> None:
        self.path = Path(folder) / FILE_NAME
        self.command = command or worker_command()
        self.on_finish = on_finish
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._listeners: list[Listener] = []
        self._process: subprocess.Popen | None = None
        self._closed = False
        self._last_persist = 0.0
        self.jobs: list[Job] = self._load()
        self._thread = threading.Thread(target=self._loop, name="faceswap-jobs", daemon=True)
        self._thread.start()

    # --- the list on disk ---------------------------------------------------------------------

    def _load(self) -> list[Job]:
        if not self.path.exists():
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError(f"format is not {FORMAT}")
            jobs = [Job(**entry) for entry in data["jobs"]]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise FaceswapError(f"'{self.path}' is not a readable job list ({err}). Move it "
                                "away to start with an empty list.") from err
        changed = False
        for job in jobs:
            if job.state in ACTIVE:
                # The server that ran or queued it is gone: it did not finish.
                was = job.state
                job.state = "interrupted"
                job.finished = job.finished or time.time()
                job.error = ("The server stopped while this job was "
                             + ("running. Files are as its last save left them; run it again "
                                "to go on." if was == "running" else "queued; it never started."))
                changed = True
        if changed:
            self._persist(jobs)
        return jobs

    def _persist(self, jobs: list[Job] | None = None) -> None:
        jobs = self.jobs if jobs is None else jobs
        finished = [j for j in jobs if j.state not in ACTIVE]
        drop = {j.id for j in finished[:-KEEP_FINISHED]} if len(finished) > KEEP_FINISHED else ()
        atomic.write_json(self.path, {"format": FORMAT, "version": 1,
                                      "jobs": [j.public() for j in jobs if j.id not in drop]})
        self._last_persist = time.monotonic()

    # --- public API ---------------------------------------------------------------------------

    def submit(self, kind: str, options: dict[str, Any], title: str = "",
               meta: dict[str, Any] | None = None) -> Job:
        with self._lock:
            if self._closed:
                raise FaceswapError("The job queue is closed.")
            job = Job(id=uuid.uuid4().hex[:12], kind=kind, title=title or kind, options=options,
                      meta=dict(meta or {}))
            self.jobs.append(job)
            self._changed(job, persist=True)
            self._wake.notify_all()
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            for job in self.jobs:
                if job.id == job_id:
                    return job
        raise KeyError(job_id)

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [job.public() for job in self.jobs]

    def stop(self, job_id: str) -> Job:
        """Stop a job: a queued one is dropped, a running one gets the CLI's Ctrl-C."""
        with self._lock:
            job = self.get(job_id)
            if job.state == "queued":
                job.state, job.finished = "stopped", time.time()
                self._changed(job, persist=True)
            elif job.state == "running" and not job.stop_requested:
                job.stop_requested = True
                if self._process is not None and self._process.poll() is None:
                    self._process.send_signal(signal.SIGINT)
                self._changed(job, persist=True)
            return job

    def retry(self, job_id: str) -> Job:
        """Queue a finished job again; an extract that did not finish resumes where it was."""
        with self._lock:
            job = self.get(job_id)
            if job.state in ACTIVE:
                raise FaceswapError(f"Job '{job.title}' is {job.state}; stop it first.")
            options = dict(job.options)
            if job.kind == "extract" and job.state in ("stopped", "interrupted"):
                options["skip_existing"] = True
            return self.submit(job.kind, options, job.title, job.meta)

    def subscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job is queued or running; False on timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if not any(j.state in ACTIVE for j in self.jobs):
                    return True
            time.sleep(0.05)
        return False

    def close(self, timeout: float = 60.0) -> None:
        """Stop the running job (a train job saves first), wait for it, end the thread."""
        with self._lock:
            self._closed = True
            running = [j for j in self.jobs if j.state == "running"]
            self._wake.notify_all()
        for job in running:
            self.stop(job.id)
        self._thread.join(timeout)
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()  # it would not stop; its files are as the last atomic save left them

    # --- the worker thread --------------------------------------------------------------------

    def _changed(self, job: Job, persist: bool = False) -> None:
        if persist or time.monotonic() - self._last_persist > PERSIST_INTERVAL:
            self._persist()
        event = {"type": "job", "job": job.public()}
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken listener must not stop the queue
                logger.exception("job listener failed")

    def _next(self) -> Job | None:
        with self._lock:
            while not self._closed:
                for job in self.jobs:
                    if job.state == "queued":
                        job.state, job.started = "running", time.time()
                        self._changed(job, persist=True)
                        return job
                self._wake.wait()
        return None

    def _loop(self) -> None:
        while (job := self._next()) is not None:
            try:
                self._run(job)
            except Exception as err:  # the worker could not even start
                logger.exception("job %s failed to run", job.id)
                with self._lock:
                    job.state, job.error = "failed", f"{type(err).__name__}: {err}"
            with self._lock:
                job.finished = time.time()
                self._changed(job, persist=True)
            if self.on_finish is not None:
                try:
                    self.on_finish(job)
                except Exception:
                    logger.exception("on_finish failed for job %s", job.id)

    def _run(self, job: Job) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "FACESWAP_GUI_SERVER_PID": str(os.getpid())}
        process = subprocess.Popen(
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8", errors="replace", env=env,
            # Its own process group: a Ctrl-C meant for the server reaches the job only
            # through close(), which stops it the same way and waits for its save.
            start_new_session=True,
        )
        with self._lock:
            self._process = process
            if job.stop_requested:
                process.send_signal(signal.SIGINT)
        log: deque[str] = deque(job.log, maxlen=LOG_LINES)

        def read_log() -> None:
            assert process.stderr is not None
            for line in process.stderr:
                with self._lock:
                    log.append(line.rstrip())
                    job.log = list(log)

        reader = threading.Thread(target=read_log, daemon=True)
        reader.start()
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps({"kind": job.kind, "options": job.options}))
        process.stdin.close()
        outcome: dict[str, Any] = {}
        for line in process.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            with self._lock:
                if event.get("type") == "progress":
                    job.progress = {k: v for k, v in event.items() if k != "type"}
                    self._changed(job)
                else:
                    outcome = event
        code = process.wait()
        reader.join(5)
        with self._lock:
            self._process = None
            job.log = list(log)
            kind = outcome.get("type")
            if kind == "result":
                job.result = outcome.get("summary")
                stopped = bool(job.result and job.result.get("stopped_early"))
                job.state = "stopped" if stopped else "done"
            elif kind == "stopped":
                job.state = "stopped"
            else:
                job.state = "failed"
                job.error = outcome.get("message") or (
                    f"The worker process ended with code {code}"
                    + (f": {log[-1]}" if log else "."))
