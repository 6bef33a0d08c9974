"""`faceswap provenance`: show the "contains synthetic faces" tag of converted files."""

from __future__ import annotations

import argparse
import json
import sys

from faceswap.lib.errors import FaceswapError
from faceswap.lib.provenance import read_provenance

HELP = "show the 'synthetic faces' tag that faceswap convert puts in every output file"
DESCRIPTION = """\
Reads the provenance tag from PNG (text chunk), JPEG (comment), GIF (comment) and video files
(container comment/description metadata) and prints it. Exits with status 1 if any file has no
tag or cannot be read, so scripts can check a batch of files.

Examples:
  faceswap provenance swapped.mp4
  faceswap provenance out/*.png
  faceswap provenance --json frame_000001.jpg
"""

_FIELDS = ("tool", "version", "created", "model")
_HIDDEN = ("text", "synthetic")  # already said by the first line


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="Files to check.")
    parser.add_argument(
        "--json", action="store_true", help="Print each tag as one line of JSON instead."
    )


def run(args: argparse.Namespace) -> int:
    failed = 0
    for name in args.files:
        try:
            payload = read_provenance(name)
        except FaceswapError as err:
            print(f"{name}: cannot read it: {err}", file=sys.stderr)
            failed += 1
            continue
        if payload is None:
            print(
                f"{name}: no faceswap provenance tag (not written by `faceswap convert`, or the "
                "tag was stripped by a program that re-saved the file).",
                file=sys.stderr,
            )
            failed += 1
            continue
        if args.json:
            print(json.dumps({"file": str(name), **payload}, ensure_ascii=False))
            continue
        print(f"{name}: {payload.get('text', 'synthetic faces (faceswap)')}")
        # Known fields first, then whatever else the writer recorded (e.g. iterations).
        keys = [k for k in _FIELDS if k in payload]
        keys += [k for k in payload if k not in keys and k not in _HIDDEN]
        for key in keys:
            print(f"  {key + ':':11} {payload[key]}")
    if failed:
        print(f"{failed} of {len(args.files)} file(s) had no readable tag.", file=sys.stderr)
    return 1 if failed else 0
