"""The GUI's default settings are the library's: a default changed in an options dataclass
(ExtractOptions, TrainOptions, ConvertOptions, MaskSettings) reaches the page and the jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

import faceswap
from faceswap.gui import project as project_file
from faceswap.gui.app import create_app
from faceswap.gui.convert_preview import convert_options
from faceswap.gui.options import job_options
from faceswap.gui.worker import _options
from faceswap.lib.options import field_default
from faceswap.stages.convert.blend import MaskSettings

TestClient = pytest.importorskip("fastapi.testclient").TestClient

TOKEN = "defaults-test-token-0123456789"
# Each GUI setting and the library field it feeds; written out here, not read from the GUI,
# so that the test sees a GUI default that stops following the library.
LIBRARY_FIELDS = {
    "extract": {"size": (faceswap.ExtractOptions, "size"),
                "every_n": (faceswap.ExtractOptions, "every_n")},
    "train": {"batch_size": (faceswap.TrainOptions, "batch_size"),
              "save_interval": (faceswap.TrainOptions, "save_interval"),
              "config": (faceswap.TrainOptions, "config")},
    "convert": {"mask": (faceswap.ConvertOptions, "mask"),
                "color": (faceswap.ConvertOptions, "color"),
                "sharpen": (faceswap.ConvertOptions, "sharpen"),
                "sharpen_amount": (faceswap.ConvertOptions, "sharpen_amount"),
                "blur": (MaskSettings, "type"),
                "kernel_size": (MaskSettings, "kernel_size"),
                "erosion": (MaskSettings, "erosion")},
}


def test_a_new_project_shows_the_library_defaults(tmp_path):
    with TestClient(create_app(tmp_path, TOKEN)) as client:
        project = client.get("/api/project", headers={"Authorization": f"Bearer {TOKEN}"})
    assert project.status_code == 200
    shown = project.json()
    for section, settings in LIBRARY_FIELDS.items():
        for key, (options, name) in settings.items():
            assert shown[section][key] == field_default(options, name), (section, key)
    assert shown["trainer"] == field_default(faceswap.TrainOptions, "trainer")


def test_settings_left_out_get_the_library_defaults(tmp_path):
    """A project file written by hand may leave settings out: jobs and the preview then run
    with the library's defaults."""
    project = project_file.Project(tmp_path, source_a="alice", source_b="bob", extract={},
                                   train={}, convert={})
    classes = {"extract": faceswap.ExtractOptions, "train": faceswap.TrainOptions}
    for kind in classes:
        _, options = job_options(project, kind, "a")
        built = _options(classes[kind], options)
        for key, (cls, name) in LIBRARY_FIELDS[kind].items():
            assert getattr(built, name) == field_default(cls, name), (kind, key)
    _, options = job_options(project, "convert", "a")
    options["mask_settings"] = faceswap.mask_settings(**options["mask_settings"])
    paths = {"input": Path("in"), "output": Path("out"), "model_dir": Path("model")}
    for built in (_options(faceswap.ConvertOptions, options), convert_options({}, **paths)):
        assert built.mask_settings == MaskSettings()
        for name in ("mask", "color", "sharpen", "sharpen_amount"):
            assert getattr(built, name) == field_default(faceswap.ConvertOptions, name), name


def test_the_server_starts_without_loading_a_backend(tmp_path):
    # Keras and its backend load only when a view needs a model (seconds of start-up).
    from fstest import run_python

    result = run_python(
        "import sys; from faceswap.gui.app import create_app; "
        f"create_app({str(tmp_path)!r}, None); "
        "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))")
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr[-2000:]
