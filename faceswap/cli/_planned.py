"""Shared behaviour of commands whose implementation has not landed yet."""

from __future__ import annotations

import argparse

from faceswap.lib.errors import FaceswapError


def not_ready(command: str, issue: int) -> int:
    raise FaceswapError(
        f"`faceswap {command}` is planned but not implemented in this version (issue #{issue}). "
        f"`faceswap {command} --help` describes what it will do."
    )


def accept_anything(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(accepts_extra=True)
