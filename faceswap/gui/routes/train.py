"""The train view: the preview image of the last save, the loss history, the model's options."""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from faceswap.gui import project as project_file
from faceswap.gui.state import State
from faceswap.lib import registry
from faceswap.lib.errors import FaceswapError
from faceswap.plugins.train.model import read_model_state
from faceswap.stages.train import logs

HISTORY_POINTS = 2000  # the loss graph needs no more points than a screen has pixels

router = APIRouter()


def model_info(project: project_file.Project) -> dict[str, Any]:
    """The model folder's state (iterations, sessions) and every option with its value."""
    model_dir = project.resolve(project.model_dir)
    stored: dict[str, Any] = {}
    iterations = sessions = 0
    name = project.trainer
    # No model yet, or one the page cannot read: show the project's choices instead.
    with contextlib.suppress(FaceswapError, ValueError, TypeError):
        state = read_model_state(model_dir)
        name = str(state["name"])
        stored = dict(state.get("config") or {})
        iterations = int(state.get("iterations", 0))
        sessions = len(state.get("sessions") or {})
    # Here, not at the top: the options pull in Keras, which the server needs only for this.
    from faceswap.plugins.train.model import TRAIN_OPTIONS

    plugin = registry.load_plugin("model", name)
    definitions = {**TRAIN_OPTIONS, **getattr(plugin.Model, "options", {})}
    requested = project.train.get("config", {})
    options = []
    for key, option in definitions.items():
        value = stored.get(key, requested.get(key, option.default))
        options.append({"name": key, "value": value, "default": option.default,
                        "help": option.help, "fixed": option.fixed,
                        "choices": list(option.choices) if option.choices else None,
                        "min": option.min, "max": option.max, "stored": key in stored})
    preview = project.train_preview()
    return {"trainer": name, "exists": bool(stored), "iterations": iterations,
            "sessions": sessions, "folder": str(model_dir), "options": options,
            "preview": preview.stat().st_mtime if preview.is_file() else None}


def loss_history(project: project_file.Project) -> dict[str, Any]:
    """Loss A and B of every iteration of every session, thinned to HISTORY_POINTS."""
    model_dir = project.resolve(project.model_dir)
    logs_dirs = sorted(model_dir.glob("*_logs")) if model_dir.is_dir() else []
    if not logs_dirs:
        return {"iterations": [], "loss_a": [], "loss_b": []}
    steps_a, loss_a = logs.loss_history(logs_dirs[0], "loss_a")
    steps_b, loss_b = logs.loss_history(logs_dirs[0], "loss_b")
    count = min(len(steps_a), len(steps_b))
    pick = np.unique(np.linspace(0, count - 1, min(count, HISTORY_POINTS)).astype(int)) if count \
        else np.array([], int)
    return {"iterations": np.asarray(steps_a)[pick].tolist(),
            "loss_a": np.asarray(loss_a)[pick].tolist(),
            "loss_b": np.asarray(loss_b)[pick].tolist()}


@router.get("/api/train/preview")
def train_preview(state: State) -> FileResponse:
    path = state.project.train_preview()
    if not path.is_file():
        raise HTTPException(404, "No preview yet: it is written at each save of a train job.")
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.get("/api/train/history")
def train_history(state: State) -> dict:
    return loss_history(state.project)


@router.get("/api/train/model")
def train_model(state: State) -> dict:
    return model_info(state.project)
