"""faceswap: swap one person's face for another's in photos and video.

Importing the package sets the Keras backend default (TensorFlow) and TensorFlow's CPU options,
and turns OpenVINO's usage telemetry off. They must be in place before Keras, TensorFlow or
OpenVINO is first imported, and the package is the one place every entry point passes through
first.
"""

import os
import sys

from faceswap.lib.lazy import lazy_exports
from faceswap.lib.version import __version__ as __version__  # re-exported

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
# Nothing phones home: OpenVINO (the optional convert runtime) sends usage events to Google
# Analytics from `import openvino` on, unless CI=true; its converter falls back to a do-nothing
# stub when this package cannot be imported (stages/convert/inference._openvino covers an
# OpenVINO the caller imported before faceswap).
sys.modules.setdefault("openvino_telemetry", None)  # type: ignore[arg-type]

# The Python API (docs/api.md): each job is one function taking an options dataclass and an
# optional progress callback, the same functions the CLI calls. Imported on first use, so that
# `import faceswap` stays instant and extract never loads Keras.
_API = {
    "extract": "faceswap.stages.extract",
    "ExtractOptions": "faceswap.stages.extract",
    "ExtractResult": "faceswap.stages.extract",
    "train": "faceswap.stages.train.trainer",
    "TrainOptions": "faceswap.stages.train.trainer",
    "TrainResult": "faceswap.stages.train.trainer",
    "Progress": "faceswap.stages.train.trainer",
    "convert": "faceswap.stages.convert.pipeline",
    "ConvertOptions": "faceswap.stages.convert.pipeline",
    "ConvertResult": "faceswap.stages.convert.pipeline",
    "mask_settings": "faceswap.stages.convert.blend",
    "evaluate": "faceswap.stages.evaluate",
    "EvaluateOptions": "faceswap.stages.evaluate",
    "EvaluateResult": "faceswap.stages.evaluate",
    "FaceswapError": "faceswap.lib.errors",
}
__all__ = sorted(_API)
# The result types' names before every command's result ended in "Result": still importable.
_RENAMED = {"ExtractSummary": "ExtractResult", "TrainSummary": "TrainResult",
            "ConvertSummary": "ConvertResult", "EvaluateReport": "EvaluateResult"}


__getattr__ = lazy_exports(__name__, _API, aliases=_RENAMED)


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
