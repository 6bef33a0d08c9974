"""Model folder tools behind `faceswap model`: summary and restore from backup."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faceswap.lib import atomic
from faceswap.lib.errors import FaceswapError
from faceswap.plugins.train.model import find_plugin_name


@dataclass
class ModelSummaryResult:
    name: str
    iterations: int
    parameters: int
    sub_models: dict[str, int]
    input_shapes: list[Any]
    output_shapes: list[Any]
    exists: bool


def summarize(model_dir: str | Path, plugin: str | None = None,
              config: dict[str, Any] | None = None) -> ModelSummaryResult:
    """Build (new) or load (existing) the model in ``model_dir`` and describe it.

    Nothing is written: a new model is built in memory only.
    """
    from faceswap.plugins.train.model import create_model

    instance = create_model(plugin or find_plugin_name(model_dir), model_dir, config)
    keras_model = instance.model
    return ModelSummaryResult(
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
