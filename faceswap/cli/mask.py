"""`faceswap mask`: (re)generate the masks stored with faces, and preview them."""

from __future__ import annotations

import argparse
from pathlib import Path

from faceswap.cli._progress import add_progress_flag, progress_bar

HELP = "(re)generate the stored masks of a face folder or alignments file; write previews"
DESCRIPTION = """\
Draw the landmark masks again from the landmarks stored with each face: into the metadata of
every aligned face PNG of a folder (pixels untouched), or into an alignments file (saved
atomically, the previous version kept as <name>.bk). Use it to add mask kinds to faces
extracted without them, or to fill in faces that lack them (--only-missing). -p writes, per
face, face | mask | masked face side by side, to check the masks by eye.

Examples:
  faceswap mask -i faces/alice -M components extended eye mouth
  faceswap mask -i alice_alignments.json -M eye mouth --only-missing
  faceswap mask -i faces/alice -M extended -p previews/alice
"""


def configure(parser: argparse.ArgumentParser) -> None:
    from faceswap.lib.align.masks import FACE_MASK_TYPES, MASK_TYPES

    parser.add_argument("-i", "--input", required=True, type=Path,
                        help="A folder of faces from `faceswap extract`, or an alignments file.")
    parser.add_argument("-M", "--masks", nargs="+", default=list(FACE_MASK_TYPES),
                        choices=MASK_TYPES, metavar="MASK",
                        help=f"Masks to draw, from {', '.join(MASK_TYPES)} (default: "
                        f"{' '.join(FACE_MASK_TYPES)}).")
    parser.add_argument("--only-missing", action="store_true",
                        help="Skip faces that already have every mask asked for.")
    parser.add_argument("-p", "--preview", type=Path, metavar="DIR",
                        help="Write <face>_mask.png previews of the first mask here.")
    parser.add_argument("-fc", "--faces", type=Path, metavar="DIR",
                        help="With an alignments file and -p: the folder of its faces.")
    add_progress_flag(parser)


def run(args: argparse.Namespace) -> int:
    from faceswap.lib.mask_tool import MaskOptions, generate_masks

    options = MaskOptions(input=args.input, masks=args.masks, only_missing=args.only_missing,
                          preview=args.preview, faces=args.faces)
    with progress_bar(args, "mask", unit="face") as progress:
        result = generate_masks(options, progress)
    print(f"Masks {', '.join(args.masks)}: {result.updated} of {result.faces} faces updated in "
          f"{result.seconds:.1f} s.")
    if result.skipped:
        print(f"{len(result.skipped)} files without faceswap metadata left alone.")
    if result.previews:
        print(f"{len(result.previews)} previews in '{args.preview}'.")
    return 0
