"""The alignments file: every face found in one source (video, folder or image), per frame.

A UTF-8 JSON document, schema documented in docs/formats.md::

    {"format": "faceswap-alignments", "version": 1,
     "source": {...}, "extract": {...},
     "frames": {"<frame name>": {"dims": [h, w], "faces": [{...}, ...]}, ...}}

Loading validates the whole document; a foreign, corrupt, truncated or too-new file raises
FaceswapError and is never written over. Saving is atomic (faceswap.lib.atomic).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from faceswap.lib import atomic
from faceswap.lib.errors import FaceswapError

FORMAT = "faceswap-alignments"
VERSION = 1
SUFFIX = "_alignments.json"


@dataclass
class Mask:
    """A mask stored in aligned space: ``size`` px square, ``centering`` crop, PNG bytes."""

    png: bytes
    size: int
    centering: str
    coverage: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {"size": self.size, "centering": self.centering, "coverage": self.coverage,
                "png": base64.b64encode(self.png).decode("ascii")}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mask:
        return cls(png=base64.b64decode(data["png"], validate=True), size=int(data["size"]),
                   centering=str(data["centering"]), coverage=float(data.get("coverage", 1.0)))

    def decode(self) -> np.ndarray:
        """The mask as a (size, size) uint8 array."""
        import cv2  # local: keeps `import faceswap.lib.alignments` light for readers

        mask = cv2.imdecode(np.frombuffer(self.png, np.uint8), cv2.IMREAD_GRAYSCALE)
        if mask is None:
            raise FaceswapError("A mask in the alignments file is corrupt (its PNG won't decode).")
        return mask


@dataclass
class Face:
    """One face in one frame."""

    index: int
    box: tuple[int, int, int, int]  # x, y, w, h in frame pixels (as detected)
    score: float
    landmarks: np.ndarray  # (68, 2) float32 frame pixels
    matrix: np.ndarray  # (2, 3) frame -> reference unit space (the "legacy" fit)
    pose: dict[str, float]  # yaw, pitch, roll in degrees
    file: str | None = None  # aligned face file name in the output folder
    masks: dict[str, Mask] = field(default_factory=dict)
    identity: dict[str, list[float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": self.index,
            "box": [int(v) for v in self.box],
            "score": round(float(self.score), 4),
            "landmarks": np.round(self.landmarks.astype(np.float64), 3).tolist(),
            "matrix": self.matrix.astype(np.float64).tolist(),
            "pose": self.pose,
            "file": self.file,
            "masks": {name: mask.to_dict() for name, mask in self.masks.items()},
        }
        if self.identity:
            out["identity"] = {k: [round(float(x), 6) for x in v] for k, v in self.identity.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Face:
        landmarks = np.asarray(data["landmarks"], dtype=np.float32)
        matrix = np.asarray(data["matrix"], dtype=np.float64)
        if landmarks.shape != (68, 2) or matrix.shape != (2, 3):
            raise ValueError("landmarks must be 68x2 and matrix 2x3")
        box = tuple(int(v) for v in data["box"])
        if len(box) != 4:
            raise ValueError("box must be [x, y, w, h]")
        return cls(
            index=int(data["index"]), box=box, score=float(data["score"]), landmarks=landmarks,  # type: ignore[arg-type]
            matrix=matrix, pose={k: float(v) for k, v in data["pose"].items()},
            file=data.get("file"),
            masks={k: Mask.from_dict(v) for k, v in data.get("masks", {}).items()},
            identity={k: [float(x) for x in v] for k, v in data.get("identity", {}).items()},
        )


@dataclass
class Frame:
    dims: tuple[int, int]  # height, width of the frame
    faces: list[Face] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"dims": list(self.dims), "faces": [face.to_dict() for face in self.faces]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Frame:
        dims = tuple(int(v) for v in data["dims"])
        if len(dims) != 2:
            raise ValueError("dims must be [height, width]")
        return cls(dims=dims, faces=[Face.from_dict(f) for f in data["faces"]])  # type: ignore[arg-type]


@dataclass
class Alignments:
    """All faces of one source. ``frames`` keeps insertion (= frame) order."""

    source: dict[str, Any] = field(default_factory=dict)
    extract: dict[str, Any] = field(default_factory=dict)
    frames: dict[str, Frame] = field(default_factory=dict)
    version: int = VERSION

    @property
    def face_count(self) -> int:
        return sum(len(frame.faces) for frame in self.frames.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "source": self.source,
            "extract": self.extract,
            "frames": {name: frame.to_dict() for name, frame in self.frames.items()},
        }


def face_file_name(frame: str, index: int, is_video: bool) -> str:
    """``<frame stem>_<face index>.png``: the name extract gives a face (docs/formats.md).

    A video frame's key is its stem already (and may contain dots); an image's key is its file
    name.
    """
    return f"{frame if is_video else Path(frame).stem}_{index}.png"


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = w * h
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def default_path(input_path: str | Path) -> Path:
    """``<video-or-folder-or-image name>_alignments.json`` beside the input."""
    input_path = Path(input_path).resolve()
    stem = input_path.name if input_path.is_dir() else input_path.stem
    return input_path.parent / f"{stem}{SUFFIX}"


def _fail(path: Path, problem: str) -> FaceswapError:
    return FaceswapError(
        f"'{path}' {problem} It was left untouched. Delete or move it if it is not needed, or "
        "pass -al/--alignments with another file name."
    )


def from_dict(data: Any, path: str | Path = "<alignments>") -> Alignments:
    """Validate a decoded alignments document and build an Alignments."""
    path = Path(path)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _fail(path, "is not a faceswap alignments file (its 'format' is not "
                    f"'{FORMAT}').")
    version = data.get("version")
    if not isinstance(version, int) or version < 1:
        raise _fail(path, f"has an invalid schema version {version!r}.")
    if version > VERSION:
        raise _fail(path, f"was written by a newer faceswap (schema version {version}; this "
                    f"version reads up to {VERSION}). Upgrade faceswap to use it.")
    frames_data = data.get("frames")
    if not isinstance(frames_data, dict):
        raise _fail(path, "has no 'frames' table.")
    frames: dict[str, Frame] = {}
    for name, frame in frames_data.items():
        try:
            frames[name] = Frame.from_dict(frame)
        except (KeyError, TypeError, ValueError) as err:
            raise _fail(path, f"has a damaged entry for frame '{name}' ({err}).") from None
    return Alignments(source=dict(data.get("source") or {}),
                      extract=dict(data.get("extract") or {}), frames=frames, version=version)


def load(path: str | Path) -> Alignments:
    """Read and validate the alignments file at ``path``."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FaceswapError(
            f"No alignments file at '{path}'. Run `faceswap extract` on the source first, or "
            "point -al/--alignments at the right file."
        ) from None
    except OSError as err:
        raise FaceswapError(f"Cannot read '{path}': {err.strerror or err}.") from err
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _fail(path, f"is truncated or corrupt: it is not valid JSON ({err}).") from None
    return from_dict(data, path)


def backup_path(path: str | Path) -> Path:
    """Where a tool keeps the version of ``path`` it replaced: ``<file name>.bk``."""
    path = Path(path)
    return path.with_name(path.name + ".bk")


def save(alignments: Alignments, path: str | Path, backup: bool = False) -> None:
    """Atomically write ``alignments`` to ``path`` (compact JSON, one line per frame).

    With ``backup`` the file being replaced is first copied to ``backup_path(path)``: the tools
    that edit an alignments file (sort, mask, the alignments jobs) keep one step of undo.
    """
    path = Path(path)
    if backup and path.exists():
        atomic.copy_file(path, backup_path(path))
    doc = alignments.to_dict()
    frames = doc.pop("frames")
    head = json.dumps(doc, separators=(",", ":"))[:-1]
    lines = [f"{json.dumps(name)}:{json.dumps(frame, separators=(',', ':'))}"
             for name, frame in frames.items()]
    body = head + ',"frames":{\n' + ",\n".join(lines) + "\n}}\n"
    atomic.write_bytes(path, body.encode("utf-8"))
