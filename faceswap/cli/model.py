"""`faceswap model`: inspect a model folder or restore its backup."""

from __future__ import annotations

import argparse

from faceswap.cli._options import add_option_flag
from faceswap.tools import model as model_tools

HELP = "describe a model (parameters, shapes, iterations) or restore it from its backup"
DESCRIPTION = """\
summary: build the model a plugin defines (or load the one in MODEL_DIR) and print its parameter
         counts, sub-models and shapes. Writes nothing.
restore: put <name>.keras.bk and <name>_state.json.bk back in place, e.g. after a bad session.

Examples:
  faceswap model summary -t original -m ./model
  faceswap model summary -t original -m ./model -O lowmem=true
  faceswap model restore -m ./model
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("summary", "restore"))
    parser.add_argument("-m", "--model-dir", required=True, help="The model folder.")
    parser.add_argument("-t", "--trainer", help="Model plugin (default: the one in MODEL_DIR).")
    add_option_flag(parser)


def run(args: argparse.Namespace) -> int:
    if args.action == "restore":
        for path in model_tools.restore(args.model_dir):
            print(f"Restored {path}")
        return 0
    summary = model_tools.summarize(args.model_dir, args.trainer, dict(args.option))
    state = f"trained for {summary.iterations} iterations" if summary.exists else "new, not saved"
    print(f"Model '{summary.name}' ({state})")
    print(f"Parameters: {summary.parameters:,}")
    width = max((len(name) for name in summary.sub_models), default=0)
    for name, count in summary.sub_models.items():
        print(f"  {name:{width}} {count:>13,}")
    print(f"Inputs:  {summary.input_shapes}")
    print(f"Outputs: {summary.output_shapes}")
    return 0
