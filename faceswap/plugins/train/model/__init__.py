"""Model plugins for `faceswap train -t NAME`.

Everything above the plugins makes and reads models through the names below:
``create_model(name, folder, config)`` and ``load_model(folder)`` (the one way to make a model),
``find_plugin_name(folder)`` (which plugin a model folder holds), ``read_model_state(folder)``
(its state file). They are imported on first use,
so listing the plugins does not load Keras.
"""

from faceswap.lib.lazy import lazy_exports

# Written out in full: tests/test_layout.py reads module names in strings as imports.
_EXPORTS = {
    "create_model": "faceswap.plugins.train.model._base.factory",
    "load_model": "faceswap.plugins.train.model._base.factory",
    "model_class": "faceswap.plugins.train.model._base.factory",
    "find_plugin_name": "faceswap.plugins.train.model._base.state",
    "read_model_state": "faceswap.plugins.train.model._base.state",
    "TRAIN_OPTIONS": "faceswap.plugins.train.model._base.options",
    "weights_checksum": "faceswap.plugins.train.model._base.settings",
    "iter_layers": "faceswap.plugins.train.model._base.io",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
