"""What the GUI's routes share: one object on ``app.state.gui``, handed to them as a dependency.

Keeping it on the app (not in module globals) lets several apps, each with its own project,
queue and token, live in one process: the tests start one per project folder.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from faceswap.gui import project as project_file
from faceswap.gui.convert_preview import ConvertPreview
from faceswap.gui.jobs import Job, JobQueue


@dataclass
class GuiState:
    """The project, the job queue, the convert preview and the access token."""

    project: project_file.Project
    queue: JobQueue
    token: str | None  # None: no auth (`faceswap gui` allows that on loopback only)
    preview: ConvertPreview = field(default_factory=ConvertPreview)
    # Endpoints run in the thread pool, and the queue's thread records extract results: both
    # change the project.
    lock: threading.RLock = field(default_factory=threading.RLock)

    @classmethod
    def open(cls, folder: Path, token: str | None, queue: JobQueue | None = None) -> GuiState:
        """The state for the project in ``folder``; ``queue`` defaults to a new one there."""
        project = project_file.load(folder)
        state = cls(project, queue or JobQueue(project.folder), token)
        if state.queue.on_finish is None:
            state.queue.on_finish = state.job_finished
        return state

    def job_finished(self, job: Job) -> None:
        """Remember where extract wrote the alignments file (read-only inputs move it)."""
        side = job.meta.get("side")
        if job.kind == "extract" and job.state == "done" and side in ("a", "b") and job.result:
            with self.lock:
                setattr(self.project, f"alignments_{side}",
                        self.project.relative(job.result["alignments_path"]))
                self.project.save()


def gui_state(request: Request) -> GuiState:
    return request.app.state.gui


# A route's parameter of this type gets the app's GuiState.
State = Annotated[GuiState, Depends(gui_state)]
