"""One way from flags to options: every flag's dest is its options field, every default is the
dataclass's (written once), and the CLI builds the same options a Python user gets."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from faceswap.cli._options import OptionPairs, add_field, options_from
from faceswap.cli.main import build_parser
from faceswap.lib.options import field_default
from faceswap.stages.convert.blend import MaskSettings
from faceswap.stages.convert.pipeline import ConvertOptions
from faceswap.stages.evaluate import EvaluateOptions
from faceswap.stages.extract import ExtractOptions
from faceswap.stages.train.trainer import TrainOptions
from faceswap.tools.alignments import AlignmentsOptions
from faceswap.tools.demo import DemoOptions
from faceswap.tools.mask.apply import ApplyOptions
from faceswap.tools.mask.draw import MaskOptions
from faceswap.tools.mask.train import MaskTrainOptions
from faceswap.tools.model import ModelOptions
from faceswap.tools.sort import SortOptions
from faceswap.tools.upstream.importer import ImportUpstreamOptions

# command, the options it builds, the smallest command line, the required fields it gives.
CASES = [
    ("extract", ExtractOptions, ["-i", "in", "-o", "out"], {"input": "in", "output_dir": "out"}),
    ("train", TrainOptions, ["-A", "a", "-B", "b", "-m", "m"],
     {"input_a": "a", "input_b": "b", "model_dir": "m"}),
    ("convert", ConvertOptions, ["-i", "in", "-o", "out", "-m", "m"],
     {"input": "in", "output": "out", "model_dir": "m"}),
    ("evaluate", EvaluateOptions, ["-i", "in", "-B", "b"], {"input": "in", "faces_b": "b"}),
    ("sort", SortOptions, ["-i", "faces"], {"input": "faces"}),
    ("mask", MaskOptions, ["-i", "faces"], {"input": "faces"}),
    ("mask", MaskTrainOptions, ["train", "-i", "faces", "-m", "m"],
     {"input": "faces", "model_dir": "m"}),
    ("mask", ApplyOptions, ["apply", "-i", "faces", "-m", "m"],
     {"input": "faces", "model_dir": "m"}),
    ("alignments", AlignmentsOptions, ["check"], {"job": "check"}),
    ("model", ModelOptions, ["summary", "-m", "m"], {"action": "summary", "model_dir": "m"}),
    ("demo", DemoOptions, [], {}),
    ("import-upstream", ImportUpstreamOptions, ["a.fsa", "b.json"],
     {"src": "a.fsa", "dst": "b.json"}),
]
# Flags that are the command line's own business, not an options field.
CLI_ONLY = {"help", "backend", "loglevel", "no_progress", "command", "mode", "limit", "json",
            "mixed_precision", "mask_blur", "erosion", "mask_options"}


def _subparser(name: str) -> argparse.ArgumentParser:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


def _normalise(value):
    # Paths typed on the command line arrive as Path, tuples as lists: compare as text.
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    return value if value is None or isinstance(value, (bool, int, float, dict)) else str(value)


@pytest.mark.parametrize(("command", "options", "argv", "required"), CASES,
                         ids=[f"{c[0]}-{c[1].__name__}" for c in CASES])
def test_the_cli_builds_the_options_a_python_user_gets(command, options, argv, required):
    args = _subparser(command).parse_args(argv)
    built = options_from(options, args)
    expected = options(**required)
    for item in dataclasses.fields(options):
        assert _normalise(getattr(built, item.name)) == _normalise(
            getattr(expected, item.name)), f"{command}: {item.name}"


@pytest.mark.parametrize("command", sorted({c[0] for c in CASES}))
def test_every_flag_is_named_after_an_options_field(command):
    fields = {f.name for case in CASES if case[0] == command for f in dataclasses.fields(case[1])}
    dests = {a.dest for a in _subparser(command)._actions} - CLI_ONLY
    assert dests - fields == set()


def test_mask_blend_flags_default_to_mask_settings():
    args = _subparser("convert").parse_args(["-i", "a", "-o", "b", "-m", "c"])
    assert (args.mask_blur, args.erosion, args.mask_options) == (
        MaskSettings().type, MaskSettings().erosion, {})


def test_option_pairs_collect_into_a_fresh_dict():
    parser = argparse.ArgumentParser()
    add_field(parser, ConvertOptions, "color_options", "-C", action=OptionPairs)
    first = parser.parse_args(["-C", "threshold=98", "-C", "mode=fast", "-C", "threshold=90"])
    assert first.color_options == {"threshold": 90, "mode": "fast"}
    assert parser.parse_args([]).color_options == {}  # the default is not the dict above
    with pytest.raises(SystemExit):
        parser.parse_args(["-C", "novalue"])


def test_field_default_copies_mutable_defaults_and_names_missing_fields():
    assert field_default(ConvertOptions, "color_options") is not field_default(
        ConvertOptions, "color_options")
    assert field_default(ExtractOptions, "masks") == ExtractOptions.masks
    with pytest.raises(AttributeError, match="no field 'colour'"):
        field_default(ConvertOptions, "colour")
    with pytest.raises(ValueError, match="has no default"):
        field_default(ConvertOptions, "input")


def test_building_every_command_loads_no_backend():
    # configure() reads defaults from the options dataclasses: importing them must stay cheap,
    # and `--backend` must still be able to choose Keras's backend afterwards.
    from fstest import run_python

    result = run_python("import sys; from faceswap.cli.main import build_parser; "
                        "build_parser(); print(sorted(m for m in ('keras', 'tensorflow', 'jax', "
                        "'torch') if m in sys.modules))")
    assert result.stdout.strip() == "[]", result.stderr[-2000:]


def test_a_command_reads_only_its_own_options():
    # `faceswap train ...` must not import convert's or the tools' modules just to build its
    # parser; `faceswap --help` still lists every command.
    from fstest import run_python

    result = run_python(
        "import sys, contextlib, io; from faceswap.cli.main import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    main(['train', '--help'])\n"
        "print('--iterations' in out.getvalue(), sorted(m for m in ('faceswap.stages.train', "
        "'faceswap.stages.convert', 'faceswap.stages.evaluate', 'faceswap.tools.alignments', "
        "'faceswap.tools.sort') if m in sys.modules))")
    assert result.stdout.strip() == "True ['faceswap.stages.train']", result.stderr[-2000:]
    top = run_python("from faceswap.cli.main import main\nmain(['--help'])")
    for command in ("extract", "evaluate", "import-upstream", "gui"):
        assert f"    {command}" in top.stdout
