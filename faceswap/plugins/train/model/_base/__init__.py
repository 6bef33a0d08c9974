"""The base every model plugin builds on (the seed's ModelBase), and the factory that makes them.

Names are imported on first use: ``state`` (read by `faceswap model`, convert and the GUI to find
a folder's plugin) must not pull Keras in with ``model``.
"""

from faceswap.lib.lazy import lazy_exports

# Written out in full: tests/test_layout.py reads module names in strings as imports.
_EXPORTS = {
    "ModelBase": "faceswap.plugins.train.model._base.model",
    "TRAIN_OPTIONS": "faceswap.plugins.train.model._base.options",
    "Option": "faceswap.plugins.train.model._base.options",
    "create_model": "faceswap.plugins.train.model._base.factory",
    "load_model": "faceswap.plugins.train.model._base.factory",
    "model_class": "faceswap.plugins.train.model._base.factory",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
