"""`faceswap convert`: swap person A's face for person B's in images or a video."""

from __future__ import annotations

import argparse
from pathlib import Path

from faceswap.cli._options import OptionPairs, add_field, options_from
from faceswap.cli._progress import add_progress_flag, progress_bar

HELP = "swap person A's face for person B's in images or a video, using a trained model"
DESCRIPTION = """\
For every frame: cut out each face found by `faceswap extract`, run it through the model's
encoder and decoder B, mask it, match its colour, blend it back and write images or a video
that keeps the original timing and audio. Every output is tagged as containing synthetic faces
(read the tag with `faceswap provenance FILE`). Output is written under a temporary name and
renamed only when complete, so an interrupted run never leaves a broken file.

Examples:
  faceswap convert -i alice.mp4 -o alice_as_bob.mp4 -m models/alice_bob
  faceswap convert -i photos/ -o swapped/ -m models/alice_bob -c color-transfer -M components
  faceswap convert -i alice.mp4 -o part.mp4 -m models/alice_bob -R 100-250 -k
"""


def _frame_range(text: str) -> tuple[int, int]:
    start, sep, end = text.partition("-")
    try:
        first, last = int(start), int(end) if sep else int(start)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected START-END frame numbers, got {text!r}") \
            from None
    if first < 0 or last < first:
        raise argparse.ArgumentTypeError(f"bad frame range {text!r}")
    return first, last


def configure(parser: argparse.ArgumentParser) -> None:
    from faceswap.lib.align.masks import CONVERT_MASK_TYPES
    from faceswap.lib.registry import list_plugins
    from faceswap.stages.convert.blend import BLUR_TYPES, SHARPEN_METHODS, MaskSettings
    from faceswap.stages.convert.inference import PRECISIONS, RUNTIMES
    from faceswap.stages.convert.pipeline import ConvertOptions as C

    add_field(parser, C, "input", "-i", "--input", required=True, type=Path,
              help="A video, an image or a folder of images (person A).")
    add_field(parser, C, "output", "-o", "--output", required=True, type=Path,
              help="Output video file (video writer) or folder (other writers).")
    add_field(parser, C, "model_dir", "-m", "--model-dir", required=True, type=Path,
              help="Folder of the trained model.")
    add_field(parser, C, "alignments", "-al", "-p", "--alignments", type=Path,
              help="Alignments file (default: <input>_alignments.json beside it).")
    add_field(parser, C, "mask", "-M", "--mask-type", choices=CONVERT_MASK_TYPES,
              help="Mask to blend with (default %(default)s; predicted needs learn_mask).")
    # The mask's blend settings are fields of MaskSettings, gathered into one in run().
    add_field(parser, MaskSettings, "type", "--mask-blur", dest="mask_blur", choices=BLUR_TYPES,
              help="Mask edge blur (default %(default)s).")
    add_field(parser, MaskSettings, "erosion", "--erosion", type=float,
              help="Shrink (positive %%) or grow (negative) the mask.")
    parser.add_argument("--mask-option", dest="mask_options", action=OptionPairs, default={},
                        help="Mask blend setting: kernel_size, passes, threshold, erosion_top, "
                        "erosion_bottom, erosion_left, erosion_right (e.g. erosion_bottom=-5).")
    add_field(parser, C, "color", "-c", "--color-adjustment", choices=list_plugins("color"),
              help="Colour matching (default %(default)s).")
    add_field(parser, C, "color_options", "-C", "--color-option", action=OptionPairs,
              help="Colour plugin option, e.g. -C threshold=98 (match-hist), -C contrast=10 "
              "(manual-balance).")
    add_field(parser, C, "sharpen", "--sharpen", choices=SHARPEN_METHODS,
              help="Sharpen the swapped face before blending (default %(default)s).")
    add_field(parser, C, "sharpen_amount", "--sharpen-amount", type=float, metavar="PERCENT",
              help="Sharpening strength (default %(default)s%%).")
    add_field(parser, C, "sharpen_radius", "--sharpen-radius", type=float, metavar="PERCENT",
              help="Sharpening radius as a %% of the face size (default %(default)s).")
    add_field(parser, C, "writer", "-w", "--writer", choices=list_plugins("writer"),
              help="Output writer (default: video for video input, else images).")
    add_field(parser, C, "writer_options", "-O", "--writer-option", action=OptionPairs,
              help="Writer option, e.g. -O crf=18 -O preset=slow -O format=jpg.")
    add_field(parser, C, "swap", "-s", "--swap-model", action="store_true",
              help="Swap the other way: B's faces get A's (decoder A).")
    add_field(parser, C, "frame_ranges", "-R", "--frame-ranges", nargs="+", type=_frame_range,
              metavar="START-END", help="Only convert these frames (0-based).")
    add_field(parser, C, "keep_unchanged", "-k", "--keep-unchanged", action="store_true",
              help="With -R, write the other frames unchanged instead of dropping them.")
    add_field(parser, C, "face_scale", "-S", "--face-scale", type=float,
              help="Grow or shrink the swapped face by this %% (-10 to 10).")
    add_field(parser, C, "batch_size", "-bs", "--batch-size", type=int,
              help="Faces per prediction batch (default: the model's convert_batchsize).")
    add_field(parser, C, "inference", "--inference", choices=RUNTIMES,
              help="Forward-pass runtime: auto (OpenVINO when installed, else keras), keras, "
              "xla (TensorFlow XLA), openvino.")
    add_field(parser, C, "inference_precision", "--inference-precision", choices=PRECISIONS,
              help="auto: bfloat16 where the CPU is fast at it and the result stays within one "
              "8-bit level of float32; f32: float32 only.")
    add_field(parser, C, "jobs", "-j", "--jobs", type=int,
              help="Threads patching frames (0: 2).")
    add_field(parser, C, "on_the_fly", "-T", "--on-the-fly", action="store_true",
              help="Extract faces now when there is no alignments file.")
    add_field(parser, C, "reference_video", "-r", "--reference-video", type=Path,
              help="For image input: the video whose audio and fps to use.")
    add_field(parser, C, "smooth", "--smooth", action=argparse.BooleanOptionalAction,
              help="Smooth the landmarks over time so the pasted face does not shake "
              "(default: on for a video input, off for images).")
    add_progress_flag(parser)


def run(args: argparse.Namespace) -> int:
    from faceswap.lib.errors import FaceswapError
    from faceswap.stages.convert.blend import mask_settings
    from faceswap.stages.convert.pipeline import ConvertOptions, convert

    if not -10 <= args.face_scale <= 10:
        raise FaceswapError("-S/--face-scale must be between -10 and 10 (%).")
    settings = mask_settings(args.mask_blur, **{"erosion": args.erosion, **args.mask_options})
    options = options_from(ConvertOptions, args, mask_settings=settings)
    with progress_bar(args, "convert") as progress:
        summary = convert(options, progress)
    print(f"Converted {summary.frames} frames in {summary.seconds:.1f} s "
          f"({summary.fps:.1f} frames/s): {summary.faces_swapped} faces swapped in "
          f"{summary.frames_swapped} frames, {summary.frames_without_face} frames without a face, "
          f"{summary.frames_written} frames written (inference: {summary.inference}).")
    for path in summary.outputs[:5]:
        print(f"Wrote {path}")
    if len(summary.outputs) > 5:
        print(f"... and {len(summary.outputs) - 5} more in {args.output}")
    return 0
