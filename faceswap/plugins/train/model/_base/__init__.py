"""The base every model plugin builds on (the seed's ModelBase), and the factory that makes them.

Names are imported on first use: ``state`` (read by `faceswap model`, convert and the GUI to find
a folder's plugin) must not pull Keras in with ``model``.
"""

import importlib
from typing import Any

_EXPORTS = {
    "ModelBase": "model",
    "TRAIN_OPTIONS": "options",
    "Option": "options",
    "create_model": "factory",
    "load_model": "factory",
    "model_class": "factory",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
