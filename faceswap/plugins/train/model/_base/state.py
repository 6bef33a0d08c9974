"""The model's state file, ``<name>_state.json``: iterations, sessions, loss, options."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from faceswap.lib import atomic
from faceswap.lib.errors import FaceswapError

logger = logging.getLogger(__name__)

STATE_VERSION = 1


class State:
    """What a model remembers between sessions, saved beside its ``.keras`` file.

    Keys of the JSON file: ``name`` (the plugin, which convert uses to find it), ``version``,
    ``iterations`` (global count), ``sessions`` (``{"1": {timestamp, batchsize, iterations,
    no_logs, config}}``, where ``config`` holds the updatable options used that session),
    ``lowest_avg_loss`` (the backup criterion) and ``config`` (every option, as created).
    """

    def __init__(self, model_dir: Path, name: str) -> None:
        self.name = name
        self.path = Path(model_dir) / f"{name}_state.json"
        self.iterations = 0
        self.sessions: dict[str, dict[str, Any]] = {}
        self.lowest_avg_loss: float | None = None
        self.config: dict[str, Any] | None = None  # None: a new model
        if self.path.exists():
            self._load()
        self.session_id = str(max((int(k) for k in self.sessions), default=0) + 1)

    @property
    def exists(self) -> bool:
        """True when the state was read from an existing file."""
        return self.config is not None

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise FaceswapError(
                f"The state file '{self.path}' is unreadable or corrupt ({err}). Restore it from "
                f"'{self.path.name}.bk' or a snapshot folder; nothing was changed."
            ) from err
        if not isinstance(data, dict) or "iterations" not in data or "name" not in data:
            raise FaceswapError(
                f"'{self.path}' is not a faceswap state file. Move it out of the model folder."
            )
        if data["name"] != self.name:
            raise FaceswapError(
                f"'{self.path}' belongs to a '{data['name']}' model, not '{self.name}'. "
                f"Use -t {data['name'].replace('_', '-')} or another model folder."
            )
        self.iterations = int(data["iterations"])
        self.sessions = {str(k): v for k, v in data.get("sessions", {}).items()}
        self.lowest_avg_loss = data.get("lowest_avg_loss")
        self.config = dict(data.get("config", {}))

    def new_session(self, batch_size: int, no_logs: bool, config: dict[str, Any]) -> None:
        """Open this run's session entry, recording the updatable options it uses."""
        self.sessions[self.session_id] = {
            "timestamp": time.time(),
            "no_logs": no_logs,
            "batchsize": batch_size,
            "iterations": 0,
            "config": dict(config),
        }

    def increment(self) -> None:
        """Count one training iteration, globally and for this session."""
        self.iterations += 1
        if self.session_id in self.sessions:
            self.sessions[self.session_id]["iterations"] += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": STATE_VERSION,
            "iterations": self.iterations,
            "sessions": {k: v for k, v in self.sessions.items() if v["iterations"] > 0},
            "lowest_avg_loss": self.lowest_avg_loss,
            "config": self.config,
        }

    def save(self, path: Path | None = None) -> None:
        atomic.write_json(path or self.path, self.to_dict())


def read_model_state(model_dir: str | Path) -> dict[str, Any]:
    """The contents of the single ``*_state.json`` in ``model_dir`` (convert, evaluate, the GUI)."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise FaceswapError(f"Model folder '{model_dir}' does not exist.")
    states = sorted(model_dir.glob("*_state.json"))
    if len(states) != 1:
        raise FaceswapError(
            f"Expected one '<model>_state.json' in '{model_dir}', found {len(states)}. "
            "Point -m at the folder `faceswap train` saved the model in."
        )
    try:
        data = json.loads(states[0].read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise FaceswapError(f"'{states[0]}' is not a readable faceswap state file.") from err
    if not isinstance(data, dict) or "name" not in data:
        raise FaceswapError(f"'{states[0]}' is not a readable faceswap state file.")
    return data


def find_plugin_name(model_dir: str | Path) -> str:
    """The plugin of the model in ``model_dir``, from its single ``*_state.json``."""
    return str(read_model_state(model_dir)["name"])
