"""`faceswap train` (planned: issue #4)."""

from faceswap.cli._planned import accept_anything, not_ready

HELP = "train a model on two folders of faces (person A and person B)"
DESCRIPTION = """\
Teach one shared encoder and two decoders (A and B) to rebuild warped faces of each person.
Shows loss and examples/second, writes previews, saves safely every few hundred iterations and
resumes exactly where it stopped (Ctrl-C saves and exits).

Planned: faceswap train -A FACES_A -B FACES_B -m MODEL_DIR -t original [-bs 16] [-it N] [-s N] [-w]
"""


def configure(parser):
    accept_anything(parser)


def run(args):
    return not_ready("train", 4)
