"""Names a package exports but imports on first use (a module ``__getattr__``, PEP 562).

``import faceswap`` and listing the model plugins must not load Keras or OpenCV; the names they
export still work as ``from faceswap import train``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(module_name: str, exports: Mapping[str, str],
                 aliases: Mapping[str, str] | None = None) -> Callable[[str], Any]:
    """The ``__getattr__`` for ``module_name``: ``exports`` maps each name to its module's name.

    ``aliases`` maps old names to exported ones. A name once imported is kept in the module, so
    later lookups do not come back here.
    """
    aliases = dict(aliases or {})
    namespace = sys.modules[module_name].__dict__

    def lookup(name: str) -> Any:
        current = aliases.get(name, name)
        if current not in exports:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[current]), current)
        namespace[name] = value
        return value

    return lookup
