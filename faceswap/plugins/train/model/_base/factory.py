"""The one way to make a model plugin instance: ``create_model`` and ``load_model``.

Training, convert, evaluate, the ``faceswap model`` tool and the benches all go through these
two functions (like timm's ``create_model``), so choosing the plugin, the folder checks and the
build happen in one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from faceswap.lib import registry
from faceswap.lib.errors import FaceswapError
from faceswap.plugins.train.model._base.state import find_plugin_name

__all__ = ["create_model", "find_plugin_name", "load_model", "model_class"]

if TYPE_CHECKING:
    from faceswap.plugins.train.model._base.model import ModelBase


def model_class(name: str) -> type[ModelBase]:
    """The ``Model`` class of plugin ``name`` (``dfl-sae`` and ``dfl_sae`` both work)."""
    module = registry.load_plugin("model", name)
    model = getattr(module, "Model", None)
    if model is None:
        raise FaceswapError(f"Model plugin '{name}' defines no Model class.")
    return model


def create_model(
    name: str,
    model_dir: str | Path,
    config: dict[str, Any] | None = None,
    *,
    build: bool = True,
    seed: int | None = None,
    **kwargs: Any,
) -> ModelBase:
    """Plugin ``name``'s model in ``model_dir``: new, or resumed when the folder holds one.

    ``kwargs`` go to the plugin (``load_weights``, ``freeze_weights``, ``distributed``,
    ``batch_size``...). A folder holding another plugin's model raises a FaceswapError that
    names it, before anything is written. ``seed`` seeds Keras before the build, so new
    weights are reproducible.
    """
    model = model_class(name)(model_dir, config, **kwargs)
    if seed is not None:
        import keras

        keras.utils.set_random_seed(seed)
    if build:
        model.build()
    return model


def load_model(
    model_dir: str | Path,
    *,
    swap: bool = False,
    predict: bool = True,
    build: bool = True,
    name: str | None = None,
    config: dict[str, Any] | None = None,
    **kwargs: Any,
) -> ModelBase:
    """The trained model in ``model_dir`` (its plugin read from the state file).

    By default the single-direction inference model (A → B; B → A with ``swap``), as convert
    and evaluate use it; ``predict=False`` gives the full training model. ``build=False``
    leaves the Keras model unloaded (convert skips it when a cached conversion exists).
    """
    name = name or find_plugin_name(model_dir)
    return create_model(name, model_dir, config, build=build, predict=predict, swap=swap,
                        **kwargs)
