"""`faceswap evaluate`: measure how good a swap is (identity, pose, expression, ...)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from faceswap.cli._options import add_field, options_from
from faceswap.cli._progress import add_progress_flag, progress_bar

if TYPE_CHECKING:
    from faceswap.stages.evaluate import EvaluateResult

HELP = "measure a swap: identity, pose, expression, reconstruction and temporal stability"
DESCRIPTION = """\
Converts sampled frames of person A's input with the model (or reads an output converted
before, --swapped) and measures, over those frames:
  identity        dlib embedding distance of the swapped face to B's and to A's mean face, and
                  the share of frames closer to B (identity retrieval)
  pose            mean |yaw|, |pitch|, |roll| difference between source and swapped face
  expression      mouth and eye landmark distance, in inter-ocular distances
  reconstruction  SSIM and PSNR of A->A and B->B (held-out faces with --holdout-a/-b)
  temporal        frame-to-frame change of the swapped face relative to the source's (video)
Prints a table; --json writes every number with its definition, the model's iterations and
the versions used. Definitions: docs/evaluate.md.

Examples:
  faceswap evaluate -m models/alice_bob -i alice.mp4 -B faces/bob
  faceswap evaluate -m models/alice_bob -i alice.mp4 -B faces/bob --holdout-a held/alice \\
      --holdout-b held/bob --frames 100 --json eval.json
  faceswap evaluate -i alice.mp4 -B faces/bob --swapped alice_as_bob.mp4
"""


def configure(parser: argparse.ArgumentParser) -> None:
    from faceswap.stages.evaluate import EvaluateOptions as E

    add_field(parser, E, "input", "-i", "--input", required=True, type=Path,
              help="Person A's video, image or folder of images (the source).")
    add_field(parser, E, "faces_b", "-B", "--faces-b", required=True, type=Path,
              help="Person B: the folder of faces `faceswap extract` wrote, a folder of photos, "
              "an image or a video.")
    add_field(parser, E, "model_dir", "-m", "--model-dir", type=Path,
              help="Folder of the trained model (needed unless --swapped is given; with "
              "--swapped it adds reconstruction and the iteration count).")
    add_field(parser, E, "alignments", "-al", "-p", "--alignments", type=Path,
              help="Alignments file of the input (default: <input>_alignments.json beside it).")
    add_field(parser, E, "frames", "--frames", type=int, metavar="N",
              help="Frames to sample evenly from the input (default %(default)s).")
    parser.add_argument("--json", type=Path, metavar="OUT",
                        help="Also write the report (with metric definitions) to this JSON file.")
    add_field(parser, E, "swapped", "--swapped", type=Path, metavar="FILE",
              help="Evaluate this already converted output of -i (video or folder of frames) "
              "instead of converting.")
    add_field(parser, E, "holdout_a", "--holdout-a", type=Path, metavar="DIR",
              help="Faces of A not used in training, for the A->A reconstruction.")
    add_field(parser, E, "holdout_b", "--holdout-b", type=Path, metavar="DIR",
              help="Faces of B not used in training, for the B->B reconstruction.")
    add_progress_flag(parser)


def run(args: argparse.Namespace) -> int:
    from faceswap.stages.evaluate import EvaluateOptions, evaluate, write_report

    options = options_from(EvaluateOptions, args)
    with progress_bar(args, "evaluate") as progress:
        report = evaluate(options, progress)
    print(format_table(report))
    if args.json:
        write_report(report, args.json)
        print(f"Wrote {args.json}")
    return 0


def _fmt(value: float | None, spec: str = ".3f", suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def format_table(report: EvaluateResult) -> str:
    """The report as the text table `faceswap evaluate` prints."""
    r, idt, pose, expr, tmp = (report.reconstruction, report.identity, report.pose,
                               report.expression, report.temporal)
    model = report.model
    rows: list[tuple[str, str, str]] = [
        ("model", f"{model['name']}, {model['iterations']} iterations" if model else "none",
         ""),
        ("frames", f"{report.frames.evaluated} of {report.frames.sampled} sampled",
         f"swapped face detected in {report.frames.swapped_face_detected}"),
        ("identity: distance to B", _fmt(idt.distance_to_b), "lower is better (<0.6 same person)"),
        ("identity: distance to A", _fmt(idt.distance_to_a), "higher: less of A left"),
        ("identity: retrieval", _fmt(None if idt.retrieval is None else 100 * idt.retrieval,
                                     ".1f", "%"), "frames closer to B than to A"),
        ("identity: source to B / A to B",
         f"{_fmt(idt.source_distance_to_b)} / {_fmt(idt.a_to_b)}", "reference points"),
        ("pose: |dyaw| |dpitch| |droll|",
         " ".join(_fmt(v, ".2f") for v in (pose.yaw, pose.pitch, pose.roll)), "degrees"),
        ("expression: mouth / eyes",
         f"{_fmt(expr.mouth)} / {_fmt(expr.eyes)}", "x inter-ocular distance"),
    ]
    for side, label in (("a", "A->A"), ("b", "B->B")):
        part = getattr(r, side)
        if part is None:
            rows.append((f"reconstruction {label}", "n/a", r.skipped or ""))
        else:
            rows.append((f"reconstruction {label}",
                         f"SSIM {_fmt(part.ssim)}  PSNR {_fmt(part.psnr, '.2f')}",
                         f"{part.faces} faces, {part.data}"))
    rows.append(("temporal: change ratio", _fmt(tmp.ratio),
                 tmp.skipped or f"{tmp.pairs} pairs; swapped {_fmt(tmp.swapped_change, '.2f')} "
                                f"vs source {_fmt(tmp.source_change, '.2f')}"))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}".rstrip() for a, b, c in rows)
