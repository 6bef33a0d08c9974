"""`faceswap mask`: (re)generate the masks stored with faces, train and apply a learned mask."""

from __future__ import annotations

import argparse
from pathlib import Path

from faceswap.cli._progress import add_progress_flag, progress_bar
from faceswap.lib.errors import FaceswapError

HELP = "(re)draw stored landmark masks, or train and apply a learned (XSeg) occlusion mask"
MODES = ("draw", "train", "apply")
DESCRIPTION = """\
Three modes; the first word picks one (draw when left out, so older command lines still work).

draw: draw the landmark masks again from the landmarks stored with each face: into the metadata
of every aligned face PNG of a folder (pixels untouched), or into an alignments file (saved
atomically, the previous version kept as <name>.bk). Use it to add mask kinds to faces
extracted without them, or to fill in faces that lack them (--only-missing). -p writes, per
face, face | mask | masked face side by side, to check the masks by eye.

train: fit a mask network (plugin family "mask", default xseg) to masks you painted, so that
hands, hair and glasses over the face are left out of the swap. Paint a few dozen varied faces
of the face folder: one image per face in <faces>/masks/ (or --mask-dir), with the face's file
name and size, white where the face is visible, black elsewhere. Training continues a model
already in -m and saves every --save-every steps and on Ctrl-C.

apply: predict the trained mask for every face of a face folder (into the PNGs' metadata, for
training with mask_type xseg) or of an alignments file (for convert --mask-type xseg; the frames
are read from the source recorded in it, or --frames).

Examples:
  faceswap mask -i faces/alice -M components extended eye mouth
  faceswap mask -i alice_alignments.json -M eye mouth --only-missing
  faceswap mask -i faces/alice -M extended -p previews/alice
  faceswap mask train -i faces/alice -m xseg_alice -s 3000
  faceswap mask apply -i alice_alignments.json -m xseg_alice
  faceswap mask apply -i faces/alice -m xseg_alice
"""


def _option(text: str) -> tuple[str, int]:
    key, sep, value = text.partition("=")
    try:
        if not sep:
            raise ValueError
        return key.strip(), int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected KEY=INTEGER, got '{text}'") from None


def configure(parser: argparse.ArgumentParser) -> None:
    from faceswap.lib.align.masks import FACE_MASK_TYPES, MASK_TYPES

    parser.add_argument("mode", nargs="?", default="draw", choices=MODES,
                        help="draw (default): landmark masks; train: fit a mask model to painted "
                        "masks; apply: store a mask model's masks.")
    parser.add_argument("-i", "--input", required=True, type=Path,
                        help="A folder of faces from `faceswap extract`, or an alignments file "
                        "(train: the face folder whose masks you painted).")
    draw = parser.add_argument_group("draw")
    draw.add_argument("-M", "--masks", nargs="+", default=list(FACE_MASK_TYPES),
                      choices=MASK_TYPES, metavar="MASK",
                      help=f"Masks to draw, from {', '.join(MASK_TYPES)} (default: "
                      f"{' '.join(FACE_MASK_TYPES)}).")
    parser.add_argument("--only-missing", action="store_true",
                        help="Skip faces that already have every mask asked for (draw, apply).")
    draw.add_argument("-p", "--preview", type=Path, metavar="DIR",
                      help="Write <face>_mask.png previews of the first mask here (apply: "
                      "<face>_xseg.png previews of the learned mask).")
    draw.add_argument("-fc", "--faces", type=Path, metavar="DIR",
                      help="With an alignments file and -p: the folder of its faces.")
    learned = parser.add_argument_group("train and apply")
    learned.add_argument("-m", "--model-dir", type=Path, metavar="DIR",
                         help="The mask model folder (train: new or to continue).")
    learned.add_argument("--frames", type=Path, metavar="PATH",
                         help="apply on an alignments file: its video or frame folder (default: "
                         "the source recorded in the file).")
    learned.add_argument("--plugin", default="xseg",
                         help="train: the mask plugin (default xseg).")
    learned.add_argument("--mask-dir", type=Path, metavar="DIR",
                         help="train: the painted masks (default: <faces>/masks).")
    learned.add_argument("-sz", "--size", type=int,
                         help="train: a new model's input size in px (default 128; it must "
                         "divide by 2**depth).")
    learned.add_argument("-O", "--option", action="append", type=_option, default=[],
                         metavar="KEY=VALUE",
                         help="train: a new model's plugin option, e.g. width=16 depth=3.")
    learned.add_argument("-s", "--steps", type=int, default=2000,
                         help="train: steps this run (default 2000).")
    learned.add_argument("-bs", "--batch-size", type=int, default=8,
                         help="train: faces per step (default 8).")
    learned.add_argument("-lr", "--learning-rate", type=float, default=5e-4,
                         help="train: Adam's learning rate (default 5e-4).")
    learned.add_argument("--occlude", type=float, default=0.5,
                         help="train: chance that a face gets synthetic occluders (hands, bars, "
                         "ellipses) cut out of its mask (default 0.5; 0 turns them off).")
    learned.add_argument("-si", "--save-every", type=int, default=250,
                         help="train: steps between saves (default 250).")
    add_progress_flag(parser)


def _draw(args: argparse.Namespace) -> int:
    from faceswap.tools.mask.draw import MaskOptions, generate_masks

    options = MaskOptions(input=args.input, masks=args.masks, only_missing=args.only_missing,
                          preview=args.preview, faces=args.faces)
    with progress_bar(args, "mask", unit="face") as progress:
        result = generate_masks(options, progress)
    return _report(f"Masks {', '.join(args.masks)}", result, args.preview)


def _report(label: str, result, preview: str | None) -> int:
    """What draw and apply print: faces updated, files left alone, previews written."""
    print(f"{label}: {result.updated} of {result.faces} faces updated in {result.seconds:.1f} s.")
    if result.skipped:
        print(f"{len(result.skipped)} files without faceswap metadata left alone.")
    if result.previews:
        print(f"{len(result.previews)} previews in '{preview}'.")
    return 0


def _train(args: argparse.Namespace) -> int:
    from faceswap.tools.mask.train import MaskTrainOptions, train_masks

    options = MaskTrainOptions(
        faces=args.input, model_dir=args.model_dir, mask_dir=args.mask_dir, plugin=args.plugin,
        size=args.size, options=dict(args.option), steps=args.steps, batch_size=args.batch_size,
        learning_rate=args.learning_rate, occlude=args.occlude, save_every=args.save_every)
    with progress_bar(args, "mask train", unit="step") as progress:
        result = train_masks(options, progress)
    print(f"Trained on {result.faces} painted faces: {result.iterations} iterations, loss "
          f"{result.loss:.4f}, in {result.seconds:.1f} s{' (stopped)' if result.stopped else ''}."
          f" Saved to '{result.model_file}'.")
    return 0


def _apply(args: argparse.Namespace) -> int:
    from faceswap.tools.mask.apply import ApplyOptions, apply_masks

    options = ApplyOptions(input=args.input, model_dir=args.model_dir, frames=args.frames,
                           only_missing=args.only_missing, preview=args.preview)
    with progress_bar(args, "mask apply", unit="face") as progress:
        result = apply_masks(options, progress)
    return _report(f"Mask {result.mask}", result, args.preview)


def run(args: argparse.Namespace) -> int:
    if args.mode != "draw" and args.model_dir is None:
        raise FaceswapError(f"`faceswap mask {args.mode}` needs the mask model folder: -m DIR.")
    return {"draw": _draw, "train": _train, "apply": _apply}[args.mode](args)
