"""The faces view: a side's face folder listed, thumbnails, deleting faces."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from faceswap.gui.faces import delete_faces, face_path, list_faces, thumbnail
from faceswap.gui.state import State
from faceswap.lib.errors import FaceswapError

router = APIRouter()


@router.get("/api/faces/{side}")
def faces(side: str, state: State) -> dict:
    folder = state.project.faces(side)
    alignments = state.project.alignments(side)
    return {"folder": str(folder), "alignments": str(alignments) if alignments else None,
            "faces": list_faces(folder)}


@router.get("/api/faces/{side}/thumb")
def face_thumb(side: str, name: str, state: State) -> Response:
    path = face_path(state.project.faces(side), name)
    return Response(thumbnail(path), media_type="image/jpeg",
                    headers={"Cache-Control": "private, max-age=3600"})


@router.post("/api/faces/{side}/delete")
def face_delete(side: str, request: dict[str, Any], state: State) -> dict:
    names = request.get("names")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise FaceswapError("'names' must be a list of face file names.")
    with state.lock:
        result = delete_faces(state.project.faces(side), names, state.project.alignments(side))
    return asdict(result)
