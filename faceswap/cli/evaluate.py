"""`faceswap evaluate`: measure how good a swap is (identity, pose, expression, ...)."""

from __future__ import annotations

import argparse
from pathlib import Path

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
    parser.add_argument("-i", "--input", required=True, type=Path,
                        help="Person A's video, image or folder of images (the source).")
    parser.add_argument("-B", "--faces-b", required=True, type=Path,
                        help="Person B: the folder of faces `faceswap extract` wrote, a folder "
                        "of photos, an image or a video.")
    parser.add_argument("-m", "--model-dir", type=Path,
                        help="Folder of the trained model (needed unless --swapped is given; "
                        "with --swapped it adds reconstruction and the iteration count).")
    parser.add_argument("-al", "-p", "--alignments", type=Path,
                        help="Alignments file of the input (default: <input>_alignments.json "
                        "beside it).")
    parser.add_argument("--frames", type=int, default=50, metavar="N",
                        help="Frames to sample evenly from the input (default 50).")
    parser.add_argument("--json", type=Path, metavar="OUT",
                        help="Also write the report (with metric definitions) to this JSON file.")
    parser.add_argument("--swapped", type=Path, metavar="FILE",
                        help="Evaluate this already converted output of -i (video or folder of "
                        "frames) instead of converting.")
    parser.add_argument("--holdout-a", type=Path, metavar="DIR",
                        help="Faces of A not used in training, for the A->A reconstruction.")
    parser.add_argument("--holdout-b", type=Path, metavar="DIR",
                        help="Faces of B not used in training, for the B->B reconstruction.")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from faceswap.lib.evaluate import EvaluateOptions, evaluate, format_table, write_report

    options = EvaluateOptions(
        input=args.input, faces_b=args.faces_b, model_dir=args.model_dir,
        alignments=args.alignments, frames=args.frames, swapped=args.swapped,
        holdout_a=args.holdout_a, holdout_b=args.holdout_b,
    )
    bar = tqdm(unit="frame", desc="Measuring", dynamic_ncols=True)

    def progress(done: int, total: int) -> None:
        if total and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    try:
        report = evaluate(options, progress)
    finally:
        bar.close()
    print(format_table(report))
    if args.json:
        write_report(report, args.json)
        print(f"Wrote {args.json}")
    return 0
