"""README.md's commands: the test command must be the one CI runs."""

import re

from fstest import REPO


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```bash\n(.+?)\n```", text, flags=re.M)


def test_readme_starts_with_two_commands():
    commands = _readme_commands()
    assert len(commands) >= 2
    assert commands[0] == 'pip install -e ".[cpu]" && faceswap demo'


def test_ci_runs_the_readme_test_command():
    test_command = _readme_commands()[1]
    ci_lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci_lines, f"{test_command!r} is not a line of .ci/run"


def test_test_file_names_are_unique():
    # Without __init__.py files pytest imports tests by basename: two test_cli.py in different
    # folders stop the whole run at collection.
    names = [path.name for path in (REPO / "tests").rglob("*.py") if path.name != "conftest.py"]
    assert sorted({n for n in names if names.count(n) > 1}) == []
