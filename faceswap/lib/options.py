"""Options dataclasses: each default is written once, in the dataclass, and read from it.

The CLI's flags and the GUI's settings show the defaults of the library's options dataclasses
(ExtractOptions, ConvertOptions, ...) through ``field_default`` instead of repeating them, so
they cannot drift from what the Python API does.
"""

from __future__ import annotations

import dataclasses
from typing import Any


def field_default(options: type, name: str) -> Any:
    """The default of field ``name`` of the dataclass ``options`` (a fresh one for factories)."""
    for item in dataclasses.fields(options):
        if item.name == name:
            if item.default is not dataclasses.MISSING:
                return item.default
            if item.default_factory is not dataclasses.MISSING:
                return item.default_factory()
            raise ValueError(f"{options.__name__}.{name} has no default")
    raise AttributeError(f"{options.__name__} has no field {name!r}")
