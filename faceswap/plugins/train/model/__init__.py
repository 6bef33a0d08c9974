"""Model plugins for `faceswap train -t NAME`.

Everything above the plugins makes and reads models through the names below:
``create_model(name, folder, config)`` and ``load_model(folder)`` (the one way to make a model),
``find_plugin_name(folder)`` (which plugin a model folder holds). They are imported on first use,
so listing the plugins does not load Keras.
"""

import importlib
from typing import Any

_BASE = "faceswap.plugins.train.model._base"
_EXPORTS = {
    "create_model": f"{_BASE}.factory",
    "load_model": f"{_BASE}.factory",
    "model_class": f"{_BASE}.factory",
    "find_plugin_name": f"{_BASE}.state",
    "TRAIN_OPTIONS": f"{_BASE}.options",
    "weights_checksum": f"{_BASE}.settings",
    "iter_layers": f"{_BASE}.io",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
