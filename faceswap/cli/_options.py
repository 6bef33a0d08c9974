"""One way from flags to options: a flag's ``dest`` is its options field, its default the field's.

A command's options dataclass (``ExtractOptions``, ``ConvertOptions``...) is the one place its
defaults are written. ``add_field`` adds a flag for one field, taking the default from the
dataclass (help texts show it with ``%(default)s``), and ``options_from`` builds the dataclass
from the parsed flags by field name, so no command copies fields by hand.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any, TypeVar

from faceswap.lib.options import field_default

T = TypeVar("T")


def option_pair(text: str) -> tuple[str, object]:
    """Parse ``KEY=VALUE``; VALUE is JSON when it parses (numbers, true/false), else a string."""
    key, sep, value = text.partition("=")
    if not key or not sep:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


class OptionPairs(argparse.Action):
    """Repeatable ``-X KEY=VALUE`` collected into a dict (later keys win)."""

    def __init__(self, option_strings, dest, **kwargs) -> None:
        kwargs.setdefault("type", option_pair)
        kwargs.setdefault("metavar", "KEY=VALUE")
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        key, value = values
        setattr(namespace, self.dest, {**(getattr(namespace, self.dest, None) or {}), key: value})


def add_field(parser: argparse.ArgumentParser | Any, options: type, name: str, *flags: str,
              dest: str | None = None, **kwargs: Any) -> argparse.Action:
    """Add ``flags`` for field ``name`` of ``options``: dest is the field (or ``dest``, for a
    field of a nested dataclass), the default is the field's unless the flag is required."""
    if not flags[0].startswith("-"):  # a positional: argparse names it, and it is required
        if flags != (name,):
            raise ValueError(f"positional {flags} must be named after the field {name!r}")
        return parser.add_argument(name, **kwargs)
    if not kwargs.get("required") and "default" not in kwargs:
        default = field_default(options, name)
        kwargs["default"] = list(default) if isinstance(default, tuple) else default  # nargs
    return parser.add_argument(*flags, dest=dest or name, **kwargs)


def options_from(options: type[T], args: argparse.Namespace, **given: Any) -> T:
    """``options`` built from the parsed flags whose dest is one of its fields, plus ``given``."""
    values = {item.name: getattr(args, item.name) for item in dataclasses.fields(options)
              if item.init and hasattr(args, item.name)}
    return options(**{**values, **given})


def add_option_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-O", "--option", dest="config", action=OptionPairs, default={},
        help="Set a model/training option, e.g. -O coverage=87.5 -O lowmem=true -O "
        "loss_function=ms_ssim (see docs/usage.md for the list). Fixed options of an existing "
        "model keep their stored value.",
    )
