"""`faceswap alignments JOB`: flags -> faceswap.tools.alignments.alignments -> printed result."""

from __future__ import annotations

import argparse

from faceswap.cli._options import add_field, options_from
from faceswap.cli._progress import add_progress_flag, progress_bar

HELP = "check, clean and repair alignments files and face folders (face-set tools)"
DESCRIPTION = """\
Jobs on an alignments file (-al) and the face folder extract wrote (-fc). A job that changes an
alignments file keeps the previous version beside it as <name>.bk.

  check         frames missing from the source or from the file, frames with no face or with
                several, faces whose PNG is gone (-i source, -fc faces; -o writes a JSON report)
  remove-faces  after deleting face PNGs from -fc, drop those faces from the file
  from-faces    rebuild the file -al from the metadata inside the PNGs of -fc
  merge         add the faces of --other (same source) to -al, or write both to -o
  draw          frames with boxes and the 68 landmarks drawn, into the folder -o
  export        the file as plain, pretty-printed JSON (-o); import reads it back (-i)
  rename        face PNGs of -fc back to their extract names <frame>_<index>.png (with -al,
                that file's face names follow)

Examples:
  faceswap alignments check -al clip_alignments.json -fc faces
  faceswap alignments remove-faces -al clip_alignments.json -fc faces
  faceswap alignments from-faces -fc faces -al clip_alignments.json -i clip.mp4
  faceswap alignments merge -al part1_alignments.json --other part2_alignments.json
  faceswap alignments draw -al clip_alignments.json -o check_frames
  faceswap alignments export -al clip_alignments.json -o clip.json --no-masks
  faceswap alignments import -i clip.json -al clip_alignments.json
  faceswap alignments rename -fc faces
"""


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the alignments flags to ``parser``."""
    from faceswap.tools.alignments import JOBS
    from faceswap.tools.alignments import AlignmentsOptions as A

    add_field(parser, A, "job", "job", choices=JOBS, help="What to do (see above).")
    add_field(parser, A, "alignments", "-al", "--alignments", metavar="FILE",
              help="The alignments file (the file written by from-faces and import; rename: "
              "optional, its face names follow the files).")
    add_field(parser, A, "faces_dir", "-fc", "--faces", metavar="FOLDER",
              help="The folder of aligned face PNGs extract wrote.")
    add_field(parser, A, "input", "-i", "--input", metavar="PATH",
              help="check, draw, from-faces: the source video, folder or image (default: the "
              "path recorded in the file); import: the exported JSON.")
    add_field(parser, A, "output", "-o", "--output", metavar="PATH",
              help="check: JSON report file; merge: merged file (default: replace -al); draw: "
              "folder for the frames; export: the JSON file.")
    add_field(parser, A, "other", "--other", metavar="FILE",
              help="merge: the second alignments file, added to -al.")
    parser.add_argument("-n", "--limit", type=int, default=10, metavar="N",
                        help="check: names listed per problem (default 10; all are in -o).")
    add_field(parser, A, "no_masks", "--no-masks", action="store_true",
              help="export: leave out the mask PNGs (import draws them again from the "
              "landmarks).")
    add_field(parser, A, "dry_run", "--dry-run", action="store_true",
              help="remove-faces, rename: say what would change, change nothing.")
    add_progress_flag(parser)


def _names(names: list[str] | None, limit: int) -> str:
    if names is None:
        return "not checked"
    shown = ", ".join(names[:limit])
    more = f", ... (+{len(names) - limit})" if len(names) > limit else ""
    return f"{len(names)}" + (f": {shown}{more}" if names else "")


def _check(report, args: argparse.Namespace) -> None:
    from faceswap.lib.atomic import write_json

    print(f"Alignments: {report.alignments} ({report.frames} frames, {report.faces} faces)")
    print(f"Source: {report.source or 'not found (pass -i to compare frames)'}")
    print(f"Faces folder: {report.faces_dir or 'none (pass -fc to look for face files)'}")
    rows = [
        ("missing-frames", "in the file, not in the source", report.missing_frames),
        ("missing-alignments", "source frames not in the file", report.missing_alignments),
        ("no-faces", "frames with no face", report.no_faces),
        ("multi-faces", "frames with 2+ faces", report.multi_faces),
        ("missing-faces", "faces whose PNG is not in -fc", report.missing_faces),
        ("extra-faces", "PNGs in -fc the file does not list", report.extra_faces),
    ]
    for name, meaning, names in rows:
        print(f"  {name:19} {_names(names, args.limit)}  ({meaning})")
    if args.output:
        write_json(args.output, report.to_dict())
        print(f"Report: {args.output}")


def _backup_line(backup: str | None) -> None:
    if backup:
        print(f"Previous version kept as {backup}")


def _remove_faces(removed, args: argparse.Namespace) -> None:
    verb = "Would remove" if removed.dry_run else "Removed"
    emptied = len(removed.frames_emptied)
    print(f"{verb} {len(removed.removed)} faces whose PNG is gone; {removed.kept} faces kept"
          + (f", {emptied} frames left with none." if emptied else "."))
    for name in removed.removed[:args.limit]:
        print(f"  {name}")
    if not removed.removed:
        print(f"{removed.alignments} is unchanged.")
    _backup_line(removed.backup)


def _from_faces(built, args: argparse.Namespace) -> None:
    print(f"Wrote {built.alignments}: {built.frames} frames, {built.faces} faces of "
          f"'{built.source}'.")
    if built.no_metadata:
        print(f"Skipped {len(built.no_metadata)} images without faceswap metadata.")
    if built.duplicates:
        print(f"Skipped {len(built.duplicates)} copies of faces already taken: "
              f"{', '.join(built.duplicates[:args.limit])}")
    _backup_line(built.backup)


def _merge(merged, args: argparse.Namespace) -> None:
    print(f"Wrote {merged.alignments}: {merged.frames} frames, {merged.faces} faces "
          f"({merged.frames_added} frames and {merged.faces_added} faces added from "
          f"{args.other}, {merged.duplicates} duplicate faces dropped).")
    for frame, old, new in merged.renumbered:
        print(f"  {frame}: face {old} of {args.other} is now face {new} (rename its PNG)")
    _backup_line(merged.backup)


def _draw(drawn, args: argparse.Namespace) -> None:
    print(f"Wrote {drawn.frames_written} frames with {drawn.faces_drawn} faces drawn to "
          f"{drawn.output_dir}.")
    if drawn.not_in_source:
        print(f"{len(drawn.not_in_source)} frames of the file are not in the source: "
              f"{', '.join(drawn.not_in_source[:args.limit])}")


def _export(exported, args: argparse.Namespace) -> None:
    print(f"Wrote {exported.path}: {exported.frames} frames, {exported.faces} faces.")


def _import(imported, args: argparse.Namespace) -> None:
    print(f"Wrote {imported.alignments}: {imported.frames} frames, {imported.faces} faces"
          + (f" ({imported.masks_rebuilt} with masks drawn from landmarks)."
             if imported.masks_rebuilt else "."))
    _backup_line(imported.backup)


def _rename(renamed, args: argparse.Namespace) -> None:
    verb = "Would rename" if renamed.dry_run else "Renamed"
    print(f"{verb} {len(renamed.renamed)} faces; {renamed.already_named} already had their "
          "name.")
    for old, new in renamed.renamed[:args.limit]:
        print(f"  {old} -> {new}")
    if renamed.conflicts:
        print(f"Left {len(renamed.conflicts)} faces as they are (their name is taken): "
              f"{', '.join(renamed.conflicts[:args.limit])}")
    if renamed.no_metadata:
        print(f"Skipped {len(renamed.no_metadata)} images without faceswap metadata.")
    if args.alignments:
        print(f"{'Would update' if renamed.dry_run else 'Updated'} "
              f"{renamed.alignments_updated} face names in {args.alignments}.")
        _backup_line(renamed.backup)


_PRINT = {"check": _check, "remove-faces": _remove_faces, "from-faces": _from_faces,
          "merge": _merge, "draw": _draw, "export": _export, "import": _import,
          "rename": _rename}


def run(args: argparse.Namespace) -> int:
    """Run one job and print its result. Returns the exit status."""
    from faceswap.tools.alignments import AlignmentsOptions, alignments

    # Only draw reports progress; the bar appears at its first report.
    with progress_bar(args, args.job) as progress:
        result = alignments(options_from(AlignmentsOptions, args), progress)
    _PRINT[args.job](result, args)
    return 0
