"""The `faceswap` command: help texts, info, exit codes and messages on bad input."""

import json
import subprocess
import sys

import pytest
from fstest import REPO, TINY, digest, make_original, train_steps

from faceswap.cli.main import main


def _cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "faceswap.cli.main", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=timeout)


@pytest.mark.parametrize("command", ["extract", "train", "convert", "model", "info"])
def test_help_explains_each_command(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "--backend" in text
    assert len(text) > 300


def test_top_level_help_lists_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("extract", "train", "convert", "info"):
        assert command in out


def test_info_reports_backend_and_versions():
    result = _cli("info")
    assert result.returncode == 0, result.stderr
    assert "Keras backend:    tensorflow (chosen by" in result.stdout
    assert "keras" in result.stdout and "numpy" in result.stdout
    assert "Precision policy: float32" in result.stdout
    assert "Device:" in result.stdout


def test_info_lists_exactly_the_packages_faceswap_imports():
    import ast

    from faceswap.cli.info import PACKAGES

    imported = set()
    for path in (REPO / "faceswap").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
            elif (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "package_file"
                  and isinstance(node.args[0], ast.Constant)):
                imported.add(node.args[0].value)  # model files read from inside a package
    third_party = {name for name in imported
                   if name not in sys.stdlib_module_names and name != "faceswap"}
    assert set(PACKAGES) == third_party
    result = _cli("info")
    for name in ("tqdm", "pillow", "opencv-python-headless", "dlib-bin"):
        assert f"  {name} " in result.stdout.lower(), name
    assert "mediapipe" not in result.stdout


def test_every_imported_package_is_declared_and_the_licence_ships():
    import re
    import tomllib

    from faceswap.cli.info import PACKAGES

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"],
                    *(r for extra in project["optional-dependencies"].values() for r in extra)]
    declared = {re.split(r"[\[<>=!;~ ]", r, maxsplit=1)[0].lower() for r in requirements}
    for module, distributions in PACKAGES.items():
        assert declared & {d.lower() for d in distributions}, f"{module} is not declared"
    assert project["license"] == "MIT"
    for path in project["license-files"]:
        assert (REPO / path).is_file(), path
    assert "MIT License" in (REPO / "LICENSE").read_text()


def test_info_backend_flag_selects_jax():
    pytest.importorskip("jax")
    result = _cli("info", "--backend", "jax")
    assert result.returncode == 0, result.stderr
    assert "Keras backend:    jax (chosen by --backend flag)" in result.stdout


def test_model_summary_of_a_new_model_writes_nothing(tmp_path, capsys):
    options = [f"-O{k}={v}" for k, v in TINY.items()]
    assert main(["model", "summary", "-t", "original", "-m", str(tmp_path / "m"), *options]) == 0
    out = capsys.readouterr().out
    assert "Model 'original' (new, not saved)" in out and "encoder" in out
    assert not (tmp_path / "m").exists()


def test_full_size_summary_counts(tmp_path, capsys):
    assert main(["model", "summary", "-t", "original", "-m", str(tmp_path / "m")]) == 0
    assert "Parameters: 82,062,470" in capsys.readouterr().out


def test_corrupt_model_gives_clear_error_and_changes_nothing(tmp_path):
    model = make_original(tmp_path / "m")
    train_steps(model, 1)
    model.save()
    path = tmp_path / "m" / "original.keras"
    path.write_bytes(path.read_bytes()[:1000])
    before = digest(tmp_path / "m")
    result = _cli("model", "summary", "-m", str(tmp_path / "m"))
    assert result.returncode == 1
    assert "truncated or corrupt" in result.stderr and "Traceback" not in result.stderr
    assert digest(tmp_path / "m") == before


def test_folder_of_other_plugin_gives_clear_error(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "dfaker_state.json").write_text(json.dumps({"name": "dfaker", "iterations": 1}))
    before = digest(folder)
    result = _cli("model", "summary", "-t", "original", "-m", str(folder))
    assert result.returncode == 1
    assert "different model" in result.stderr and "-t dfaker" in result.stderr
    assert digest(folder) == before


def test_unknown_plugin(tmp_path, capsys):
    assert main(["model", "summary", "-t", "nope", "-m", str(tmp_path)]) == 1
    assert "no model plugin called 'nope'" in capsys.readouterr().err


def test_restore_from_backup(tmp_path, capsys):
    import numpy as np

    folder = tmp_path / "m"
    model = make_original(folder)
    for loss in (0.5, 0.2):
        train_steps(model, 1)
        model.io.history[-1] = loss
        model.save()
    backup_state = json.loads((folder / "original_state.json.bk").read_text())
    train_steps(model, 1)
    model.add_history(np.array([9.0, 9.0]))
    model.save()
    assert main(["model", "restore", "-m", str(folder)]) == 0
    assert json.loads((folder / "original_state.json").read_text()) == backup_state
