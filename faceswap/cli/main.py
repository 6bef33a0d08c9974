"""The ``faceswap`` command: sub-commands, ``--backend``, logging and error-to-exit-code mapping.

Each sub-command lives in ``faceswap/cli/<command>.py`` and exposes ``HELP`` (one line),
``DESCRIPTION`` (the --help text), ``configure(parser)`` and ``run(args) -> int``. Modules are
imported only when their command runs, so ``faceswap --help`` never loads Keras, and only the
command being run reads its options (each ``configure`` imports its stage for the defaults).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

import faceswap
from faceswap.lib.errors import FaceswapError

COMMANDS = (
    "extract", "train", "convert", "evaluate", "sort", "mask", "alignments", "demo", "provenance",
    "model", "info", "import-upstream", "gui",
)
BACKENDS = ("tensorflow", "jax", "torch")

logger = logging.getLogger("faceswap")


def _command_module(name: str):
    return importlib.import_module(f"faceswap.cli.{name.replace('-', '_')}")  # import-upstream


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: every sub-command configured, or with ``only``, just that one.

    The others keep their name and help line (``faceswap --help`` lists them all): configuring
    one imports its stage module, and all thirteen cost about a quarter of the start-up time.
    """
    parser = argparse.ArgumentParser(
        prog="faceswap",
        description="Swap one person's face for another's in photos and video. "
        "Run `extract` on both people, `train` a model on the two face folders, then "
        "`convert` person A's video with person B's face.",
    )
    parser.add_argument("--version", action="version", version=f"faceswap {faceswap.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = _command_module(name)
        command = sub.add_parser(
            name,
            help=module.HELP,
            description=module.DESCRIPTION,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_argument(
            "--backend",
            choices=BACKENDS,
            help="Keras backend to run on (default: $KERAS_BACKEND, else tensorflow).",
        )
        command.add_argument(
            "-L", "--loglevel", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
            help="How much to log (default INFO).",
        )
        if only is None or only == name:
            module.configure(command)
    return parser


def select_backend(name: str | None) -> None:
    """Make ``name`` the Keras backend; must run before Keras is imported."""
    if not name:
        return
    current = os.environ.get("KERAS_BACKEND")
    if "keras" in sys.modules and current != name:
        raise FaceswapError(
            f"Keras is already running on '{current}'; cannot switch to '{name}' in this process."
        )
    os.environ["KERAS_BACKEND"] = name
    faceswap.BACKEND_SOURCE = "--backend flag"


def _setup_logging(level: str) -> None:
    # Only faceswap's own loggers speak at INFO; libraries (JAX, absl) stay at WARNING.
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(message)s", datefmt="%H:%M:%S")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logger.setLevel(getattr(logging, level))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``faceswap`` console script. Returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # The top-level parser takes no option with a value, so a command is always the first word.
    parser = build_parser(only=argv[0] if argv and argv[0] in COMMANDS else "")
    args, extra = parser.parse_known_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    if extra and not getattr(args, "accepts_extra", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    _setup_logging(args.loglevel)
    try:
        select_backend(args.backend)
        return int(_command_module(args.command).run(args) or 0)
    except FaceswapError as err:
        logger.error("%s", err)
        return 1
    except KeyboardInterrupt:
        logger.error("Interrupted. Files that were being written were left as they were before.")
        return 130


if __name__ == "__main__":
    sys.exit(main())
