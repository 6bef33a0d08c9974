"""The GUI's project: which sources, face folders and model folder belong together.

A project is a folder holding ``faceswap_project.json``. Relative paths in it are relative to
that folder, so a project folder can be moved (or mounted elsewhere on a GPU box) as a whole.
The file is small, plain JSON, written atomically; unknown keys are refused so that a typo in a
hand edit is reported instead of silently ignored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from faceswap.lib import atomic
from faceswap.lib.errors import FaceswapError
from faceswap.lib.options import field_default
from faceswap.stages.convert.blend import MaskSettings
from faceswap.stages.convert.pipeline import ConvertOptions
from faceswap.stages.extract import ExtractOptions
from faceswap.stages.train.trainer import TrainOptions

FILE_NAME = "faceswap_project.json"
FORMAT = "faceswap-gui-project"
VERSION = 1
# A first GUI session should end while someone watches; TrainOptions' default is for a CLI run
# left alone for days.
FIRST_ITERATIONS = 10_000


def _extract_defaults() -> dict[str, Any]:
    return {name: field_default(ExtractOptions, name) for name in ("size", "every_n")}


def _train_defaults() -> dict[str, Any]:
    return {"batch_size": field_default(TrainOptions, "batch_size"),
            "iterations": FIRST_ITERATIONS,
            "save_interval": field_default(TrainOptions, "save_interval"),
            "config": field_default(TrainOptions, "config")}


def _convert_defaults() -> dict[str, Any]:
    return {"mask": field_default(ConvertOptions, "mask"),
            "color": field_default(ConvertOptions, "color"),
            "blur": field_default(MaskSettings, "type"),
            "kernel_size": field_default(MaskSettings, "kernel_size"),
            "erosion": field_default(MaskSettings, "erosion"),
            "sharpen": field_default(ConvertOptions, "sharpen"),
            "sharpen_amount": field_default(ConvertOptions, "sharpen_amount"),
            "output": ""}  # "": converted/<source name> in the project (options.job_options)


_DEFAULTS: dict[str, Callable[[], dict[str, Any]]] = {
    "extract": _extract_defaults, "train": _train_defaults, "convert": _convert_defaults}


def with_defaults(section: str, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` of the settings ``section`` (extract, train, convert), missing keys filled
    with their defaults."""
    return {**_DEFAULTS[section](), **values}


@dataclass
class Project:
    """What the project file holds; ``folder`` is where it lives (not stored)."""

    folder: Path
    source_a: str = ""  # video, image folder or image of person A (the face to replace)
    source_b: str = ""  # person B (the face put on A)
    faces_a: str = "faces/a"
    faces_b: str = "faces/b"
    alignments_a: str = ""  # "": what extract wrote (set by the extract job), else the default
    alignments_b: str = ""
    model_dir: str = "model"
    trainer: str = field_default(TrainOptions, "trainer")
    extract: dict[str, Any] = field(default_factory=_extract_defaults)
    train: dict[str, Any] = field(default_factory=_train_defaults)
    convert: dict[str, Any] = field(default_factory=_convert_defaults)

    @property
    def path(self) -> Path:
        return self.folder / FILE_NAME

    def resolve(self, value: str | Path) -> Path:
        """``value`` as an absolute path (relative ones are relative to the project folder)."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.folder / path

    def relative(self, path: str | Path) -> str:
        """``path`` relative to the project folder when it lies inside it, else absolute: a
        moved project folder keeps working."""
        path = Path(path).absolute()
        try:
            return path.relative_to(self.folder).as_posix()
        except ValueError:
            return str(path)

    def source(self, side: str) -> Path | None:
        value = getattr(self, f"source_{_side(side)}")
        return self.resolve(value) if value else None

    def faces(self, side: str) -> Path:
        return self.resolve(getattr(self, f"faces_{_side(side)}"))

    def train_preview(self) -> Path:
        """Where a train job (``write_preview``) saves its preview image."""
        return self.resolve(self.model_dir) / "training_preview.png"

    def alignments(self, side: str) -> Path | None:
        """The alignments file of ``side``: the one extract wrote, else the library default."""
        from faceswap.lib import alignments as alignments_file

        recorded = getattr(self, f"alignments_{_side(side)}")
        if recorded:
            return self.resolve(recorded)
        source = self.source(side)
        return None if source is None else alignments_file.default_path(source)

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "folder"}
        return {"format": FORMAT, "version": VERSION, **data}

    def update(self, changes: dict[str, Any]) -> None:
        """Apply ``changes`` (keys of the project file); settings dicts are merged."""
        known = {f.name for f in fields(self)} - {"folder"}
        unknown = sorted(set(changes) - known - {"format", "version"})
        if unknown:
            raise FaceswapError(f"Unknown project setting(s): {', '.join(unknown)}. Known: "
                                f"{', '.join(sorted(known))}.")
        for key, value in changes.items():
            if key in ("format", "version"):
                continue
            current = getattr(self, key)
            if isinstance(current, dict):
                if not isinstance(value, dict):
                    raise FaceswapError(f"Project setting '{key}' must be an object.")
                current.update(value)
            else:
                if not isinstance(value, str):
                    raise FaceswapError(f"Project setting '{key}' must be a string (a path or "
                                        "a name).")
                setattr(self, key, value.strip())

    def save(self) -> Path:
        atomic.write_json(self.path, self.to_json())
        return self.path


def _side(side: str) -> str:
    side = side.lower()
    if side not in ("a", "b"):
        raise FaceswapError(f"Side must be 'a' or 'b', not '{side}'.")
    return side


def load(folder: str | Path) -> Project:
    """The project in ``folder``; a new (unsaved) project with defaults when it has none."""
    folder = Path(folder).resolve()
    project = Project(folder)
    path = folder / FILE_NAME
    if not path.exists():
        return project
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise FaceswapError(f"'{path}' is not a readable project file ({err}). Fix or delete "
                            "it; nothing else in the folder depends on it.") from err
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise FaceswapError(f"'{path}' is not a faceswap GUI project file (no \"format\": "
                            f"\"{FORMAT}\"). Use another project folder.")
    if data.get("version") != VERSION:
        raise FaceswapError(f"'{path}' has project version {data.get('version')}; this faceswap "
                            f"reads version {VERSION}.")
    project.update(data)
    return project
