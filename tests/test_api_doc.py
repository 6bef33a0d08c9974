"""docs/api.md's examples run as written, and the top-level API is what they use."""

from __future__ import annotations

import re
import subprocess
import sys

from fstest import REPO

import faceswap
from faceswap.lib.provenance import read_provenance

API_DOC = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"```python\n(.*?)```", API_DOC, flags=re.S)


def _run(code: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def test_pipeline_example_runs_and_writes_a_tagged_swap(tmp_path):
    result = _run(EXAMPLES[0], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "extract a: 1/1" in out and "extract b: 1/1" in out
    assert out.count("1 face(s) written to") == 2
    assert "trained 4 iterations" in out and "distance to B:" in out
    swapped = tmp_path / "api_example" / "swapped" / "astronaut.png"
    assert read_provenance(swapped)["synthetic"] is True
    assert (tmp_path / "api_example" / "model" / "original.keras").is_file()


def test_error_example_prints_the_message(tmp_path):
    result = _run(EXAMPLES[1], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "'missing.mp4' does not exist. Pass an image" in result.stdout
    assert not (tmp_path / "faces").exists()


def test_every_documented_name_is_exported_lazily():
    packages = {"lib", "stages", "tools", "plugins"}
    names = set(re.findall(r"faceswap\.([A-Za-z_]+)\b", API_DOC)) - packages
    assert names <= set(faceswap.__all__), names - set(faceswap.__all__)
    code = ("import sys, faceswap; faceswap.extract, faceswap.ExtractOptions; "
            "print(sorted(m for m in ('keras', 'tensorflow') if m in sys.modules))")
    result = _run(code, REPO)
    assert result.stdout.strip() == "[]", result.stderr


def test_result_types_keep_their_old_names():
    assert faceswap.ExtractSummary is faceswap.ExtractResult
    assert faceswap.TrainSummary is faceswap.TrainResult
    assert faceswap.ConvertSummary is faceswap.ConvertResult
    assert faceswap.EvaluateReport is faceswap.EvaluateResult
