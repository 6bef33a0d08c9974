"""The project view: the project file, the choices its selects offer, the file browser."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from faceswap.gui import project as project_file
from faceswap.gui.state import State
from faceswap.lib import registry
from faceswap.lib.align.masks import CONVERT_MASK_TYPES
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import is_image_file
from faceswap.lib.video import is_video_file
from faceswap.stages.convert.blend import BLUR_TYPES, SHARPEN_METHODS

router = APIRouter()


def _project_json(project: project_file.Project) -> dict[str, Any]:
    return {**project.to_json(), "folder": str(project.folder)}


@router.get("/api/project")
def get_project(state: State) -> dict:
    with state.lock:
        return _project_json(state.project)


@router.put("/api/project")
def put_project(changes: dict[str, Any], state: State) -> dict:
    with state.lock:
        changes = {k: v for k, v in changes.items() if k != "folder"}
        before = state.project.to_json()
        try:
            state.project.update(changes)
        except FaceswapError:
            # update() may have applied some keys before refusing one: none of them stay.
            state.project = project_file.Project(state.project.folder)
            state.project.update(before)
            raise
        state.project.save()
        return _project_json(state.project)


@router.get("/api/choices")
def choices() -> dict:
    return {"masks": list(CONVERT_MASK_TYPES), "colors": registry.list_plugins("color"),
            "blurs": list(BLUR_TYPES), "sharpen": list(SHARPEN_METHODS),
            "trainers": registry.list_plugins("model")}


@router.get("/api/browse")
def browse(state: State, path: str = "") -> dict:
    """Folders and media files under ``path`` (relative to the project), for the pickers."""
    folder = state.project.resolve(path or ".").resolve()
    if not folder.is_dir():
        raise FaceswapError(f"'{folder}' is not a folder.")
    entries = []
    for child in sorted(folder.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower())):
        if child.name.startswith("."):
            continue
        kind = ("folder" if child.is_dir() else "video" if is_video_file(child)
                else "image" if is_image_file(child) else None)
        if kind:
            entries.append({"name": child.name, "path": str(child), "kind": kind})
    return {"path": str(folder), "parent": str(folder.parent), "entries": entries}
