"""Convert tests keep OpenVINO's conversion cache (lib/inference.py) out of the home folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _openvino_cache(tmp_path_factory):
    patcher = pytest.MonkeyPatch()
    patcher.setenv("FACESWAP_CACHE", str(tmp_path_factory.mktemp("faceswap_cache")))
    yield
    patcher.undo()
