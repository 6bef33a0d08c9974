"""Model plugins for `faceswap train -t NAME`.

``create_model(name, folder, config)`` and ``load_model(folder)`` (from ``_base.factory``) are
the one way to make a model; they are imported on first use, so listing the plugins does not
load Keras.
"""

from typing import Any

__all__ = ["create_model", "load_model"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from faceswap.plugins.train.model._base import factory

        return getattr(factory, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
