"""faceswap: swap one person's face for another's in photos and video.

Importing the package sets the Keras backend default (TensorFlow) and TensorFlow's CPU options.
They must be in the environment before Keras or TensorFlow is first imported, and the package is
the one place every entry point passes through first.
"""

import os

__version__ = "0.1.0"

DEFAULT_BACKEND = "tensorflow"

# Remember where the backend choice came from so `faceswap info` can say why it is active.
BACKEND_SOURCE = (
    "KERAS_BACKEND environment variable" if "KERAS_BACKEND" in os.environ else "default"
)
os.environ.setdefault("KERAS_BACKEND", DEFAULT_BACKEND)
# oneDNN kernels are on by default only on some Intel CPUs; on AMD they took the Original model
# from 1.8 to 3.1 examples/s (docs/benchmarks.md). Users can still set 0 to turn them off.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# The Python API (docs/api.md): each job is one function taking an options dataclass and an
# optional progress callback, the same functions the CLI calls. Imported on first use, so that
# `import faceswap` stays instant and extract never loads Keras.
_API = {
    "extract": "faceswap.lib.extract",
    "ExtractOptions": "faceswap.lib.extract",
    "ExtractSummary": "faceswap.lib.extract",
    "train": "faceswap.lib.training.trainer",
    "TrainOptions": "faceswap.lib.training.trainer",
    "TrainSummary": "faceswap.lib.training.trainer",
    "Progress": "faceswap.lib.training.trainer",
    "convert": "faceswap.lib.convert",
    "ConvertOptions": "faceswap.lib.convert",
    "ConvertSummary": "faceswap.lib.convert",
    "mask_settings": "faceswap.lib.blend",
    "evaluate": "faceswap.lib.evaluate",
    "EvaluateOptions": "faceswap.lib.evaluate",
    "EvaluateReport": "faceswap.lib.evaluate",
    "FaceswapError": "faceswap.lib.errors",
}
__all__ = sorted(_API)


def __getattr__(name: str):
    if name in _API:
        import importlib

        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'faceswap' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
