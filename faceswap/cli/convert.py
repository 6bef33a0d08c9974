"""`faceswap convert` (planned: issue #6)."""

from faceswap.cli._planned import accept_anything, not_ready

HELP = "swap person A's face for person B's in images or a video, using a trained model"
DESCRIPTION = """\
For every frame: cut out each face found by extract, run it through the model's encoder and
decoder B, mask it, match its colour, blend it back and write images or a video that keeps the
original timing and audio. Every output is tagged as containing synthetic faces.

Planned: faceswap convert -i INPUT -o OUTPUT -m MODEL_DIR [-al ALIGNMENTS] [-M MASK] [-c COLOR]
"""


def configure(parser):
    accept_anything(parser)


def run(args):
    return not_ready("convert", 6)
