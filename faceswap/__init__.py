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
