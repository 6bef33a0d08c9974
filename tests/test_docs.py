"""docs/usage.md documents every flag of every command and every training option."""

import pytest
from fstest import REPO

from faceswap.cli.main import COMMANDS, build_parser
from faceswap.plugins.train.model._base.options import TRAIN_OPTIONS
from faceswap.plugins.train.model.original import Model

USAGE = (REPO / "docs" / "usage.md").read_text(encoding="utf-8")


def _subparsers():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


@pytest.mark.parametrize("command", COMMANDS)
def test_every_flag_is_documented(command):
    assert f"## faceswap {command}" in USAGE
    for action in _subparsers()[command]._actions:
        longs = [o for o in action.option_strings if o.startswith("--")]
        if not longs or longs[0] in ("--help", "--backend", "--loglevel"):
            continue
        assert any(flag in USAGE for flag in longs), f"{command} {longs[0]} not in usage.md"


def test_every_training_option_is_documented():
    for name in {**TRAIN_OPTIONS, **Model.options}:
        assert f"`{name}`" in USAGE, name
