"""`faceswap convert`: swap person A's face for person B's in images or a video."""

from __future__ import annotations

import argparse
from pathlib import Path

from faceswap.cli._options import option_pair
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
    from faceswap.stages.convert.blend import BLUR_TYPES, SHARPEN_METHODS
    from faceswap.stages.convert.inference import PRECISIONS, RUNTIMES

    parser.add_argument("-i", "--input", required=True, type=Path,
                        help="A video, an image or a folder of images (person A).")
    parser.add_argument("-o", "--output", required=True, type=Path,
                        help="Output video file (video writer) or folder (other writers).")
    parser.add_argument("-m", "--model-dir", required=True, type=Path,
                        help="Folder of the trained model.")
    parser.add_argument("-al", "-p", "--alignments", type=Path,
                        help="Alignments file (default: <input>_alignments.json beside it).")
    parser.add_argument("-M", "--mask-type", default="extended",
                        choices=CONVERT_MASK_TYPES,
                        help="Mask to blend with (default extended; predicted needs learn_mask).")
    parser.add_argument("--mask-blur", default="normalized",
                        choices=BLUR_TYPES, help="Mask edge blur.")
    parser.add_argument("--erosion", type=float, default=0.0,
                        help="Shrink (positive %%) or grow (negative) the mask.")
    parser.add_argument("--mask-option", action="append", type=option_pair, default=[],
                        metavar="KEY=VALUE",
                        help="Mask blend setting: kernel_size, passes, threshold, erosion_top, "
                        "erosion_bottom, erosion_left, erosion_right (e.g. erosion_bottom=-5).")
    parser.add_argument("-c", "--color-adjustment", default="avg-color",
                        choices=list_plugins("color"), help="Colour matching (default avg-color).")
    parser.add_argument("-C", "--color-option", action="append", type=option_pair, default=[],
                        metavar="KEY=VALUE",
                        help="Colour plugin option, e.g. -C threshold=98 (match-hist), "
                        "-C contrast=10 (manual-balance).")
    parser.add_argument("--sharpen", default="none",
                        choices=SHARPEN_METHODS,
                        help="Sharpen the swapped face before blending (default none).")
    parser.add_argument("--sharpen-amount", type=float, default=150.0, metavar="PERCENT",
                        help="Sharpening strength (default 150%%).")
    parser.add_argument("--sharpen-radius", type=float, default=0.3, metavar="PERCENT",
                        help="Sharpening radius as a %% of the face size (default 0.3).")
    parser.add_argument("-w", "--writer", choices=list_plugins("writer"),
                        help="Output writer (default: video for video input, else images).")
    parser.add_argument("-O", "--writer-option", action="append", type=option_pair, default=[],
                        metavar="KEY=VALUE",
                        help="Writer option, e.g. -O crf=18 -O preset=slow -O format=jpg.")
    parser.add_argument("-s", "--swap-model", action="store_true",
                        help="Swap the other way: B's faces get A's (decoder A).")
    parser.add_argument("-R", "--frame-ranges", nargs="+", type=_frame_range,
                        metavar="START-END", help="Only convert these frames (0-based).")
    parser.add_argument("-k", "--keep-unchanged", action="store_true",
                        help="With -R, write the other frames unchanged instead of dropping them.")
    parser.add_argument("-S", "--face-scale", type=float, default=0.0,
                        help="Grow or shrink the swapped face by this %% (-10 to 10).")
    parser.add_argument("-bs", "--batch-size", type=int,
                        help="Faces per prediction batch (default: the model's convert_batchsize).")
    parser.add_argument("--inference", default="auto", choices=RUNTIMES,
                        help="Forward-pass runtime: auto (OpenVINO when installed, else keras), "
                        "keras, xla (TensorFlow XLA), openvino.")
    parser.add_argument("--inference-precision", default="auto", choices=PRECISIONS,
                        help="auto: bfloat16 where the CPU is fast at it and the result stays "
                        "within one 8-bit level of float32; f32: float32 only.")
    parser.add_argument("-j", "--jobs", type=int, default=0,
                        help="Threads patching frames (0: 2).")
    parser.add_argument("-T", "--on-the-fly", action="store_true",
                        help="Extract faces now when there is no alignments file.")
    parser.add_argument("-r", "--reference-video", type=Path,
                        help="For image input: the video whose audio and fps to use.")
    parser.add_argument("--smooth", action=argparse.BooleanOptionalAction, default=None,
                        help="Smooth the landmarks over time so the pasted face does not shake "
                        "(default: on for a video input, off for images).")
    add_progress_flag(parser)


def run(args: argparse.Namespace) -> int:
    from faceswap.lib.errors import FaceswapError
    from faceswap.stages.convert.blend import mask_settings
    from faceswap.stages.convert.pipeline import ConvertOptions, convert

    if not -10 <= args.face_scale <= 10:
        raise FaceswapError("-S/--face-scale must be between -10 and 10 (%).")
    options = ConvertOptions(
        input=args.input, output=args.output, model_dir=args.model_dir,
        alignments=args.alignments, mask=args.mask_type,
        mask_settings=mask_settings(args.mask_blur,
                                    **{"erosion": args.erosion, **dict(args.mask_option)}),
        color=args.color_adjustment, color_options=dict(args.color_option),
        sharpen=args.sharpen, sharpen_amount=args.sharpen_amount,
        sharpen_radius=args.sharpen_radius, writer=args.writer,
        writer_options=dict(args.writer_option), swap=args.swap_model,
        frame_ranges=args.frame_ranges, keep_unchanged=args.keep_unchanged,
        face_scale=args.face_scale, batch_size=args.batch_size, jobs=args.jobs,
        inference=args.inference, inference_precision=args.inference_precision,
        on_the_fly=args.on_the_fly, reference_video=args.reference_video, smooth=args.smooth,
    )
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
