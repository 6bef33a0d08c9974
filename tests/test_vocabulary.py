"""Each list of names users type (mask kinds, blur types, losses, mask channels) exists once.

A second copy drifts: a mask added in one place was refused by another. These tests read every
module of the package and fail when a literal spells out one of the lists again.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from faceswap.lib.align import masks
from faceswap.stages.convert.blend import BLUR_TYPES, SHARPEN_METHODS

PACKAGE = Path(__file__).resolve().parents[1] / "faceswap"

# name -> (the list, the module that alone may write it out)
VOCABULARY = {
    "FACE_MASK_TYPES": (masks.FACE_MASK_TYPES, "lib/align/masks.py"),
    "MASK_TYPES": (masks.MASK_TYPES, "lib/align/masks.py"),
    "TRAIN_MASK_TYPES": (masks.TRAIN_MASK_TYPES, "lib/align/masks.py"),
    "CONVERT_MASK_TYPES": (masks.CONVERT_MASK_TYPES, "lib/align/masks.py"),
    "MASK_CHANNELS": (masks.MASK_CHANNELS, "lib/align/masks.py"),
    "BLUR_TYPES": (BLUR_TYPES, "stages/convert/blend.py"),
    "SHARPEN_METHODS": (SHARPEN_METHODS, "stages/convert/blend.py"),
}


def _loss_names() -> tuple[str, ...]:
    # The keys of losses.LOSSES, read from the source so the test needs no Keras.
    tree = ast.parse((PACKAGE / "lib/model/losses.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "LOSSES":
            return tuple(key.value for key in node.value.keys)  # type: ignore[union-attr]
    raise AssertionError("LOSSES not found in lib/model/losses.py")


def string_literals(source: str) -> list[tuple[int, frozenset[str]]]:
    """(line, names) of every tuple, list or set literal made only of 2+ string constants."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Tuple | ast.List | ast.Set) and len(node.elts) >= 2 and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            found.append((node.lineno, frozenset(e.value for e in node.elts)))  # type: ignore[attr-defined]
    return found


def redefinitions(vocabulary: dict[str, tuple[tuple[str, ...], str]]) -> list[str]:
    wanted = {frozenset(names): (name, home) for name, (names, home) in vocabulary.items()}
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        for line, names in string_literals(path.read_text(encoding="utf-8")):
            if names in wanted and wanted[names][1] != relative:
                name, home = wanted[names]
                problems.append(f"{relative}:{line} spells out {name}; import it from {home}")
    return problems


def test_no_module_spells_out_a_list_of_names_again():
    vocabulary = {**VOCABULARY, "LOSSES": (_loss_names(), "lib/model/losses.py")}
    assert redefinitions(vocabulary) == []


def test_the_checker_finds_a_copy():
    # The scan must see literals: the home module's own definitions are found...
    in_masks = {names for _, names in string_literals((PACKAGE / "lib/align/masks.py").read_text())}
    assert frozenset(masks.FACE_MASK_TYPES) in in_masks
    # ...and a copy anywhere else is reported (here: pretend blend.py is not BLUR_TYPES' home).
    moved = {"BLUR_TYPES": (BLUR_TYPES, "lib/elsewhere.py")}
    assert redefinitions(moved) == [
        f"stages/convert/blend.py:{line} spells out BLUR_TYPES; import it from lib/elsewhere.py"
        for line, names in string_literals((PACKAGE / "stages/convert/blend.py").read_text())
        if names == frozenset(BLUR_TYPES)
    ] != []


@pytest.mark.parametrize("loss", _loss_names())
def test_every_loss_is_an_option_choice(loss):
    pytest.importorskip("keras")
    from faceswap.plugins.train.model._base.options import TRAIN_OPTIONS

    assert loss in TRAIN_OPTIONS["loss_function"].choices
