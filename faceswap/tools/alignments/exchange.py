"""`faceswap alignments export / import`: plain JSON that other tools read, and back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faceswap.lib import alignments as alignments_file
from faceswap.lib import atomic
from faceswap.lib.align import AlignedFace
from faceswap.lib.alignments import Alignments, Face
from faceswap.lib.errors import FaceswapError
from faceswap.lib.faces import landmark_masks
from faceswap.tools.alignments._common import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    _load_existing_target,
    save_with_backup,
)

# --- export / import --------------------------------------------------------------------------


@dataclass
class ExportResult:
    path: str
    frames: int
    faces: int


@dataclass
class ImportResult:
    alignments: str
    frames: int
    faces: int
    masks_rebuilt: int  # faces whose masks were drawn again from their landmarks
    backup: str | None = None


def _to_export(data: Alignments, masks: bool) -> dict[str, Any]:
    frames = []
    for name, frame in data.frames.items():
        faces = []
        for face in frame.faces:
            raw = face.to_dict()
            x, y, w, h = raw["box"]
            entry = {"index": raw["index"], "file": raw["file"],
                     "box": {"x": x, "y": y, "width": w, "height": h}, "score": raw["score"],
                     "landmarks": raw["landmarks"], "matrix": raw["matrix"],
                     "pose": raw["pose"]}
            if masks:
                entry["masks"] = raw["masks"]
            if "identity" in raw:
                entry["identity"] = raw["identity"]
            faces.append(entry)
        frames.append({"name": name, "height": frame.dims[0], "width": frame.dims[1],
                       "faces": faces})
    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "source": data.source,
            "extract": data.extract, "frames": frames}


def _dumps(value: Any, indent: int = 0) -> str:
    """JSON with one key per line, but lists of numbers (landmarks, matrices) on one line."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {_dumps(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value and any(isinstance(v, dict) for v in value):
        items = [f"{inner}{_dumps(v, indent + 2)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value, separators=(", ", ": "))


def export_json(alignments_path: str | Path, output: str | Path,
                masks: bool = True) -> ExportResult:
    """Write the alignments as plain, pretty-printed JSON (docs/usage.md has the layout).

    Frames are a list in frame order, boxes have named fields; ``masks=False`` leaves out the
    base64 mask PNGs (``import_json`` draws them again from the landmarks).
    """
    data = alignments_file.load(alignments_path)
    text = _dumps(_to_export(data, masks)) + "\n"
    atomic.write_bytes(output, text.encode("utf-8"))
    return ExportResult(str(output), len(data.frames), data.face_count)


def _rebuild_masks(face: Face, extract: dict[str, Any]) -> dict[str, alignments_file.Mask]:
    # The same drawing extract and `faceswap mask` use, so the masks come back identical.
    return landmark_masks(AlignedFace.from_landmarks(face.landmarks), extract.get("masks") or ())


def import_json(json_path: str | Path, alignments_path: str | Path) -> ImportResult:
    """Turn a file written by ``export_json`` (possibly edited) back into an alignments file.

    The result is validated like any alignments file before it is written; faces exported
    without masks get the file's landmark masks (``extract.masks``) drawn again. An existing
    ``alignments_path`` must be an alignments file and is kept as ``<name>.bk``.
    """
    json_path, path = Path(json_path), Path(alignments_path)
    try:
        doc = json.loads(json_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FaceswapError(f"No file at '{json_path}'. Pass a file written by `faceswap "
                            "alignments export`.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise FaceswapError(f"'{json_path}' is not readable JSON ({err}). Nothing was "
                            "written.") from None
    if not isinstance(doc, dict) or doc.get("format") != EXPORT_FORMAT:
        raise FaceswapError(f"'{json_path}' is not a faceswap alignments export (its 'format' is "
                            f"not '{EXPORT_FORMAT}'). Nothing was written.")
    version = doc.get("version")
    if not isinstance(version, int) or not 1 <= version <= EXPORT_VERSION:
        raise FaceswapError(f"'{json_path}' has export version {version!r}; this faceswap reads "
                            f"version {EXPORT_VERSION}. Nothing was written.")
    extract = dict(doc.get("extract") or {})
    frames: dict[str, Any] = {}
    rebuild: list[tuple[str, int]] = []
    try:
        for frame in doc["frames"]:
            faces = []
            for pos, face in enumerate(frame["faces"]):
                box = face["box"]
                entry = {**face, "box": [box["x"], box["y"], box["width"], box["height"]]}
                if "masks" not in face:
                    rebuild.append((frame["name"], pos))
                faces.append(entry)
            frames[str(frame["name"])] = {"dims": [frame["height"], frame["width"]],
                                          "faces": faces}
    except (KeyError, TypeError) as err:
        raise FaceswapError(f"'{json_path}' has a damaged frame or face entry (missing {err}). "
                            "Nothing was written.") from None
    data = alignments_file.from_dict(
        {"format": alignments_file.FORMAT, "version": alignments_file.VERSION,
         "source": doc.get("source") or {}, "extract": extract, "frames": frames}, json_path)
    for name, pos in rebuild:
        face = data.frames[name].faces[pos]
        face.masks = _rebuild_masks(face, extract)
    _load_existing_target(path)
    backup = save_with_backup(data, path)
    return ImportResult(str(path), len(data.frames), data.face_count,
                        sum(1 for name, pos in rebuild if data.frames[name].faces[pos].masks),
                        str(backup) if backup else None)
