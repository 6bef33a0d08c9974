"""Flags shared by several commands."""

from __future__ import annotations

import argparse
import json


def option_pair(text: str) -> tuple[str, object]:
    """Parse ``KEY=VALUE``; VALUE is JSON when it parses (numbers, true/false), else a string."""
    key, sep, value = text.partition("=")
    if not key or not sep:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def add_option_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-O", "--option", action="append", type=option_pair, default=[], metavar="KEY=VALUE",
        help="Set a model/training option, e.g. -O coverage=87.5 -O lowmem=true -O "
        "loss_function=ms_ssim (see docs/usage.md for the list). Fixed options of an existing "
        "model keep their stored value.",
    )
