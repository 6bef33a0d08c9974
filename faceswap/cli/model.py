"""`faceswap model`: inspect a model folder or restore its backup."""

from __future__ import annotations

import argparse

from faceswap.cli._options import add_field, add_option_flag, options_from

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
    from faceswap.tools.model import ACTIONS, ModelOptions

    add_field(parser, ModelOptions, "action", "action", choices=ACTIONS)
    add_field(parser, ModelOptions, "model_dir", "-m", "--model-dir", required=True,
              help="The model folder.")
    add_field(parser, ModelOptions, "trainer", "-t", "--trainer",
              help="Model plugin (default: the one in MODEL_DIR).")
    add_option_flag(parser)


def run(args: argparse.Namespace) -> int:
    from faceswap.tools.model import ModelOptions, model

    result = model(options_from(ModelOptions, args))
    for path in result.restored:
        print(f"Restored {path}")
    summary = result.summary
    if summary is None:
        return 0
    state = f"trained for {summary.iterations} iterations" if summary.exists else "new, not saved"
    print(f"Model '{summary.name}' ({state})")
    print(f"Parameters: {summary.parameters:,}")
    width = max((len(name) for name in summary.sub_models), default=0)
    for name, count in summary.sub_models.items():
        print(f"  {name:{width}} {count:>13,}")
    print(f"Inputs:  {summary.input_shapes}")
    print(f"Outputs: {summary.output_shapes}")
    return 0
