"""Model folder tools behind `faceswap model`: summary and restore from backup."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faceswap.lib import atomic
from faceswap.lib.errors import FaceswapError
from faceswap.plugins.train.model import find_plugin_name

ACTIONS = ("summary", "restore")


@dataclass
class ModelOptions:
    """What `faceswap model` takes (the CLI flag in brackets)."""

    action: str  # summary or restore
    model_dir: str | Path  # -m
    trainer: str | None = None  # -t: the plugin (default: the one the folder holds)
    config: dict[str, Any] = field(default_factory=dict)  # -O: options of a new model (summary)


@dataclass
class ModelSummary:
    name: str
    iterations: int
    parameters: int
    sub_models: dict[str, int]
    input_shapes: list[Any]
    output_shapes: list[Any]
    exists: bool


def summarize(model_dir: str | Path, plugin: str | None = None,
              config: dict[str, Any] | None = None) -> ModelSummary:
    """Build (new) or load (existing) the model in ``model_dir`` and describe it.

    Nothing is written: a new model is built in memory only.
    """
    from faceswap.plugins.train.model import create_model

    instance = create_model(plugin or find_plugin_name(model_dir), model_dir, config)
    keras_model = instance.model
    return ModelSummary(
        name=instance.name,
        iterations=instance.iterations,
        parameters=keras_model.count_params(),
        sub_models={
            layer.name: layer.count_params()
            for layer in keras_model.layers if hasattr(layer, "layers")
        },
        input_shapes=instance.input_shapes,
        output_shapes=instance.output_shapes,
        exists=instance.io.model_exists,
    )


def restore(model_dir: str | Path) -> list[Path]:
    """Put the ``.bk`` backups of the model in ``model_dir`` back in place (atomically)."""
    name = find_plugin_name(model_dir)
    model_dir = Path(model_dir)
    backups = [model_dir / f"{name}.keras.bk", model_dir / f"{name}_state.json.bk"]
    missing = [str(p) for p in backups if not p.is_file()]
    if missing:
        raise FaceswapError(f"No backup to restore: missing {', '.join(missing)}.")
    restored = []
    for backup in backups:
        target = backup.with_suffix("")
        atomic.copy_file(backup, target)
        restored.append(target)
    return restored


@dataclass
class ModelResult:
    """What `faceswap model` did: a summary, or the files restored."""

    action: str
    summary: ModelSummary | None = None
    restored: list[Path] = field(default_factory=list)


def model(options: ModelOptions, progress: Callable[[int, int], None] | None = None
          ) -> ModelResult:
    """Describe the model in ``options.model_dir`` or restore its backup (``options.action``)."""
    if options.action == "restore":
        return ModelResult("restore", restored=restore(options.model_dir))
    if options.action != "summary":
        raise FaceswapError(f"Unknown action '{options.action}'; choose {' or '.join(ACTIONS)}.")
    return ModelResult("summary", summary=summarize(options.model_dir, options.trainer,
                                                    options.config))
