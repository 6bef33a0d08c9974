"""The GUI's default settings are the library's: a default changed in an options dataclass
(ExtractOptions, TrainOptions, ConvertOptions, MaskSettings) reaches the page and the jobs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import faceswap
from faceswap.gui import project as project_file
from faceswap.gui.app import create_app
from faceswap.gui.convert_preview import convert_options
from faceswap.gui.options import job_options
from faceswap.gui.worker import _options
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


def _default(options: type, name: str):
    (found,) = [f for f in dataclasses.fields(options) if f.name == name]
    return found.default_factory() if found.default is dataclasses.MISSING else found.default


def test_a_new_project_shows_the_library_defaults(tmp_path):
    with TestClient(create_app(tmp_path, TOKEN)) as client:
        project = client.get("/api/project", headers={"Authorization": f"Bearer {TOKEN}"})
    assert project.status_code == 200
    shown = project.json()
    for section, settings in LIBRARY_FIELDS.items():
        for key, (options, name) in settings.items():
            assert shown[section][key] == _default(options, name), (section, key)
    assert shown["trainer"] == _default(faceswap.TrainOptions, "trainer")


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
            assert getattr(built, name) == _default(cls, name), (kind, key)
    _, options = job_options(project, "convert", "a")
    options["mask_settings"] = faceswap.mask_settings(**options["mask_settings"])
    paths = {"input": Path("in"), "output": Path("out"), "model_dir": Path("model")}
    for built in (_options(faceswap.ConvertOptions, options), convert_options({}, **paths)):
        assert built.mask_settings == MaskSettings()
        for name in ("mask", "color", "sharpen", "sharpen_amount"):
            assert getattr(built, name) == _default(faceswap.ConvertOptions, name), name
