"""`faceswap extract` (planned: issue #5)."""

from faceswap.cli._planned import accept_anything, not_ready

HELP = "find faces in images or video, align them and write aligned faces + an alignments file"
DESCRIPTION = """\
Find every face in an image, a folder of images or a video; place 68 landmarks on each; align it
to a reference face; write one aligned face PNG per face (with its landmarks in the PNG) and one
alignments file per source, so that `faceswap train` can learn from the faces and
`faceswap convert` can paste swapped faces back exactly. Resumable with --skip-existing.

Planned: faceswap extract -i INPUT -o OUTPUT_DIR [-D DETECTOR] [-A ALIGNER] [-sz 256] [-een N]
"""


def configure(parser):
    accept_anything(parser)


def run(args):
    return not_ready("extract", 5)
