"""Find plugins by family and name: ``model/original``, ``detect/dlib-hog``, ``color/avg-color``.

A plugin is one module in its family's package. Users type names with hyphens; module files use
underscores. Modules whose name starts with an underscore are private helpers, not plugins.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from faceswap.lib.errors import FaceswapError

FAMILIES: dict[str, str] = {
    "model": "faceswap.plugins.train.model",
    "mask": "faceswap.plugins.train.mask",
    "detect": "faceswap.plugins.extract.detect",
    "align": "faceswap.plugins.extract.align",
    "color": "faceswap.plugins.convert.color",
    "writer": "faceswap.plugins.convert.writer",
}


def _package(family: str) -> str:
    try:
        return FAMILIES[family]
    except KeyError:
        raise FaceswapError(
            f"Unknown plugin family '{family}'. Known families: {', '.join(sorted(FAMILIES))}."
        ) from None


def list_plugins(family: str) -> list[str]:
    """The user-facing names of every plugin in ``family``, sorted."""
    package = importlib.import_module(_package(family))
    names = [
        info.name.replace("_", "-")
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    ]
    return sorted(names)


def load_plugin(family: str, name: str) -> ModuleType:
    """Import and return the plugin module ``name`` of ``family``.

    Raises FaceswapError naming the available plugins when ``name`` is unknown.
    """
    available = list_plugins(family)
    key = name.lower().replace("_", "-")
    if key not in available:
        raise FaceswapError(
            f"There is no {family} plugin called '{name}'. Choose one of: {', '.join(available)}."
        )
    return importlib.import_module(f"{_package(family)}.{key.replace('-', '_')}")
