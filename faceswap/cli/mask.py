"""`faceswap mask`: (re)generate the masks stored with faces, train and apply a learned mask."""

from __future__ import annotations

import argparse
from pathlib import Path

from faceswap.cli._options import OptionPairs, add_field, options_from
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
    from faceswap.lib.align.masks import MASK_TYPES
    from faceswap.tools.mask.apply import ApplyOptions
    from faceswap.tools.mask.draw import MaskOptions
    from faceswap.tools.mask.train import DEFAULT_SIZE
    from faceswap.tools.mask.train import MaskTrainOptions as T

    # One flag may serve several modes; its dest is the field of the same name in each mode's
    # options (MaskOptions, MaskTrainOptions, ApplyOptions).
    parser.add_argument("mode", nargs="?", default="draw", choices=MODES,
                        help="draw (default): landmark masks; train: fit a mask model to painted "
                        "masks; apply: store a mask model's masks.")
    add_field(parser, MaskOptions, "input", "-i", "--input", required=True, type=Path,
              help="A folder of faces from `faceswap extract`, or an alignments file (train: "
              "the face folder whose masks you painted).")
    draw = parser.add_argument_group("draw")
    masks = add_field(draw, MaskOptions, "masks", "-M", "--masks", nargs="+", choices=MASK_TYPES,
                      metavar="MASK")
    masks.help = (f"Masks to draw, from {', '.join(MASK_TYPES)} (default: "
                  f"{' '.join(masks.default)}).")
    add_field(parser, MaskOptions, "only_missing", "--only-missing", action="store_true",
              help="Skip faces that already have every mask asked for (draw, apply).")
    add_field(draw, MaskOptions, "preview", "-p", "--preview", type=Path, metavar="DIR",
              help="Write <face>_mask.png previews of the first mask here (apply: "
              "<face>_xseg.png previews of the learned mask).")
    add_field(draw, MaskOptions, "faces", "-fc", "--faces", type=Path, metavar="DIR",
              help="With an alignments file and -p: the folder of its faces.")
    learned = parser.add_argument_group("train and apply")
    learned.add_argument("-m", "--model-dir", dest="model_dir", type=Path, metavar="DIR",
                         help="The mask model folder (train: new or to continue).")
    add_field(learned, ApplyOptions, "frames", "--frames", type=Path, metavar="PATH",
              help="apply on an alignments file: its video or frame folder (default: the "
              "source recorded in the file).")
    add_field(learned, T, "plugin", "--plugin",
              help="train: the mask plugin (default %(default)s).")
    add_field(learned, T, "mask_dir", "--mask-dir", type=Path, metavar="DIR",
              help="train: the painted masks (default: <faces>/masks).")
    add_field(learned, T, "size", "-sz", "--size", type=int,
              help=f"train: a new model's input size in px (default {DEFAULT_SIZE}; it must divide "
              "by 2**depth).")
    add_field(learned, T, "options", "-O", "--option", action=OptionPairs, type=_option,
              help="train: a new model's plugin option, e.g. width=16 depth=3.")
    add_field(learned, T, "steps", "-s", "--steps", type=int,
              help="train: steps this run (default %(default)s).")
    add_field(learned, T, "batch_size", "-bs", "--batch-size", type=int,
              help="train: faces per step (default %(default)s).")
    add_field(learned, T, "learning_rate", "-lr", "--learning-rate", type=float,
              help="train: Adam's learning rate (default %(default)s).")
    add_field(learned, T, "occlude", "--occlude", type=float,
              help="train: chance that a face gets synthetic occluders (hands, bars, ellipses) "
              "cut out of its mask (default %(default)s; 0 turns them off).")
    add_field(learned, T, "save_every", "-si", "--save-every", type=int,
              help="train: steps between saves (default %(default)s).")
    add_progress_flag(parser)


def _draw(args: argparse.Namespace) -> int:
    from faceswap.tools.mask.draw import MaskOptions, generate_masks

    options = options_from(MaskOptions, args)
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

    options = options_from(MaskTrainOptions, args)
    with progress_bar(args, "mask train", unit="step") as progress:
        result = train_masks(options, progress)
    print(f"Trained on {result.faces} painted faces: {result.iterations} iterations, loss "
          f"{result.loss:.4f}, in {result.seconds:.1f} s{' (stopped)' if result.stopped else ''}."
          f" Saved to '{result.model_file}'.")
    return 0


def _apply(args: argparse.Namespace) -> int:
    from faceswap.tools.mask.apply import ApplyOptions, apply_masks

    options = options_from(ApplyOptions, args)
    with progress_bar(args, "mask apply", unit="face") as progress:
        result = apply_masks(options, progress)
    return _report(f"Mask {result.mask}", result, args.preview)


def run(args: argparse.Namespace) -> int:
    if args.mode != "draw" and args.model_dir is None:
        raise FaceswapError(f"`faceswap mask {args.mode}` needs the mask model folder: -m DIR.")
    return {"draw": _draw, "train": _train, "apply": _apply}[args.mode](args)
