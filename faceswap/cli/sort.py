"""`faceswap sort`: order or group a folder of faces, to find the ones to delete."""

from __future__ import annotations

import argparse
from pathlib import Path

from faceswap.cli._options import add_field, options_from
from faceswap.cli._progress import add_progress_flag, progress_bar

HELP = "sort a folder of faces by identity, blur, size, pose or colour (rename or group)"
DESCRIPTION = """\
Put the faces that do not belong together, so they can be looked at and deleted at once. Without
-g the files are renamed in order (00001_<name>.png, ...); with -g they are moved into one
sub-folder per group (their names unchanged). -k copies instead of moving; -o writes elsewhere.
Give the alignments file with -al to keep its face names in step (so `faceswap alignments
remove-faces` still finds them); `faceswap alignments rename` puts canonical names back.

Methods (-s sorts, -g groups):
  identity  dlib face embedding: with -r, by distance to the person in the reference photos
            (-g: match / other); without, clustered into people (-g: person_01 = the largest)
  blur      sharpest first (variance of the Laplacian over the face); -g: --bins groups
  size      largest face (in the source frame) first
  yaw, pitch, roll   head pose from the landmarks, ascending; -g: --bins equal-width ranges
  hist      colour histogram: similar colours next to each other; -g: --bins colour clusters

Examples:
  faceswap sort -i faces/alice -s identity -g identity -r alice.jpg
  faceswap sort -i faces/alice -s blur            # the blurred faces end up last
  faceswap sort -i faces/alice -g yaw -b 6 -k -o faces/alice_by_yaw
"""


def configure(parser: argparse.ArgumentParser) -> None:
    from faceswap.tools.sort import SORT_METHODS
    from faceswap.tools.sort import SortOptions as S

    add_field(parser, S, "input", "-i", "--input", required=True, type=Path,
              help="Folder of faces (from `faceswap extract`).")
    add_field(parser, S, "output", "-o", "--output", type=Path,
              help="Where the sorted faces go (default: the input folder itself).")
    add_field(parser, S, "method", "-s", "--sort-by", choices=SORT_METHODS,
              help="Order of the faces (default %(default)s).")
    add_field(parser, S, "group_by", "-g", "--group-by", choices=SORT_METHODS,
              help="Move the faces into one sub-folder per group of this method.")
    add_field(parser, S, "bins", "-b", "--bins", type=int,
              help="Groups for blur, size, yaw, pitch, roll and hist (default %(default)s).")
    add_field(parser, S, "keep", "-k", "--keep", action="store_true",
              help="Copy the faces; leave the originals where they are.")
    add_field(parser, S, "references", "-r", "--reference", nargs="+", type=Path,
              metavar="IMAGE", help="Photos of the person to sort by (identity).")
    add_field(parser, S, "threshold", "-t", "--threshold", type=float,
              help="Identity distance still counted as one person (default %(default)s; lower "
              "is stricter).")
    add_field(parser, S, "alignments", "-al", "--alignments", type=Path,
              help="Alignments file of these faces: its face names follow the moves (the "
              "previous version is kept as <name>.bk).")
    add_progress_flag(parser)


def run(args: argparse.Namespace) -> int:
    from faceswap.tools.sort import SortOptions, sort_faces

    options = options_from(SortOptions, args)
    with progress_bar(args, "identity", unit="face") as progress:
        result = sort_faces(options, progress)
    where = args.output or args.input
    verb = "Copied" if args.keep else "Sorted"
    print(f"{verb} {len(result.files)} faces by {args.method} into '{where}' in "
          f"{result.seconds:.1f} s.")
    for group, count in sorted(result.groups.items()):
        print(f"  {group}: {count}")
    if not result.groups and result.files:
        print(f"First: {result.files[0].name}  Last: {result.files[-1].name}")
    if args.alignments:
        print(f"Alignments: {result.alignments_updated} face names updated in "
              f"'{args.alignments}'.")
    return 0
