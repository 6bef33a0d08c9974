"""The convert view: the frames of person A's source, one frame, the live swapped preview."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from faceswap.gui import project as project_file
from faceswap.gui.convert_preview import frames_with_faces, read_frame
from faceswap.gui.state import State
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import encode_image

router = APIRouter()


def _source_a(project: project_file.Project) -> Path:
    source = project.source("a")
    if source is None:
        raise FaceswapError("Pick person A's source in the project first.")
    return source


@router.get("/api/convert/frames")
def convert_frames(state: State) -> dict:
    frames = frames_with_faces(_source_a(state.project), state.project.alignments("a"))
    return {"frames": [asdict(f) for f in frames]}


@router.get("/api/convert/frame/{index}")
def convert_frame(index: int, state: State) -> Response:
    _, frame = read_frame(_source_a(state.project), index)
    return Response(encode_image(frame, ".jpg", quality=90), media_type="image/jpeg")


@router.post("/api/convert/preview")
def convert_preview(request: dict[str, Any], state: State) -> Response:
    project = state.project
    settings = {**project.convert, **(request.get("settings") or {})}
    image = state.preview.render(_source_a(project), int(request.get("index", 0)),
                                 project.resolve(project.model_dir), project.alignments("a"),
                                 settings)
    return Response(image, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
