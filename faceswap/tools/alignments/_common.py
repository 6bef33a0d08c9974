"""What the alignments jobs share: backups, reading face folders, naming faces."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faceswap.lib import alignments as alignments_file
from faceswap.lib.alignments import Alignments, Face, face_file_name
from faceswap.lib.errors import FaceswapError
from faceswap.lib.faces import is_face_metadata
from faceswap.lib.image import is_image_file, read_face_metadata

EXPORT_FORMAT = "faceswap-alignments-export"
EXPORT_VERSION = 1
MERGE_IOU = 0.5  # boxes overlapping more than this are the same face found twice

FaceKey = tuple[str, int]  # (frame name, face index)


def save_with_backup(data: Alignments, path: str | Path) -> Path | None:
    """Atomically write ``data`` to ``path``, keeping the file it replaces as ``<name>.bk``
    (``alignments.save(backup=True)``). Returns the backup's path, or None when there was no
    file to keep."""
    path = Path(path)
    existed = path.exists()
    alignments_file.save(data, path, backup=True)
    return alignments_file.backup_path(path) if existed else None


def _load_existing_target(path: Path) -> None:
    # A file we are about to replace must be an alignments file: never write over anything else.
    if path.exists():
        alignments_file.load(path)


def source_name(data: Alignments) -> str | None:
    """The file or folder name the alignments were extracted from (None when not recorded)."""
    recorded = data.source.get("path")
    return Path(str(recorded)).name if recorded else None


def _is_video(data: Alignments) -> bool:
    return data.source.get("kind") == "video"


def _require_folder(folder: str | Path, what: str) -> Path:
    folder = Path(folder)
    if not folder.is_dir():
        raise FaceswapError(f"The {what} '{folder}' does not exist or is not a folder. Pass the "
                            "folder `faceswap extract -o` wrote the faces to.")
    return folder


@dataclass
class FaceFolder:
    """What a faces folder holds, read from each PNG's metadata."""

    folder: Path
    faces: dict[FaceKey, list[Path]] = field(default_factory=dict)  # faces of the wanted source
    metadata: dict[Path, dict[str, Any]] = field(default_factory=dict)  # every faceswap face
    foreign: list[Path] = field(default_factory=list)  # faceswap faces of other sources
    no_metadata: list[Path] = field(default_factory=list)  # images faceswap did not write

    def name(self, path: Path) -> str:
        """``path`` as an alignments ``file`` entry: relative to the folder, with ``/``."""
        return path.relative_to(self.folder).as_posix()


def _images_under(folder: Path) -> list[Path]:
    # Sub-folders too: `faceswap sort -g` groups faces into them (and the alignments file's
    # names follow, as "group/name.png"); hidden files and folders are skipped.
    return sorted(p for p in folder.rglob("*") if p.is_file() and is_image_file(p)
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def scan_faces(faces_dir: str | Path, source: str | None = None) -> FaceFolder:
    """Read the metadata of every image in ``faces_dir`` and its sub-folders; faces of
    ``source`` (a source file or folder name, None: any) are indexed by (frame, face index)."""
    folder = _require_folder(faces_dir, "faces folder")
    scan = FaceFolder(folder)
    for path in _images_under(folder):
        try:
            meta = read_face_metadata(path) if path.suffix.lower() == ".png" else None
        except FaceswapError:  # no metadata, or not a PNG inside
            meta = None
        if not is_face_metadata(meta):
            scan.no_metadata.append(path)
            continue
        info = meta.get("source") or {}
        try:
            key = (str(info["frame"]), int(info["face_index"]))
        except (KeyError, TypeError, ValueError):
            scan.no_metadata.append(path)
            continue
        scan.metadata[path] = meta
        if source is not None and info.get("source") != source:
            scan.foreign.append(path)
            continue
        scan.faces.setdefault(key, []).append(path)
    return scan


def _faces_of(data: Alignments, alignments_path: Path, faces_dir: str | Path) -> FaceFolder:
    """Scan ``faces_dir`` for the faces of ``data``; refuse a folder of another source."""
    scan = scan_faces(faces_dir, source_name(data))
    known = {(name, face.index) for name, frame in data.frames.items() for face in frame.faces}
    if scan.foreign and not (known & scan.faces.keys()):
        others = sorted({str(scan.metadata[p]["source"].get("source")) for p in scan.foreign})
        raise FaceswapError(
            f"'{scan.folder}' holds faces of {', '.join(others)}, not of '{source_name(data)}' "
            f"(the source of '{alignments_path}'). Nothing was changed. Pass the faces folder "
            "extracted from that source, or the alignments file of these faces."
        )
    return scan


def _present(face: Face, frame: str, scan: FaceFolder) -> bool:
    # A face counts as present when a PNG's metadata names it; a same-named file without
    # metadata also counts, so a face is never dropped while a file of its name is there.
    if (frame, face.index) in scan.faces:
        return True
    return bool(face.file) and any(scan.name(p) == face.file for p in scan.no_metadata)


def _face_label(frame: str, face: Face, is_video: bool) -> str:
    return face.file or face_file_name(frame, face.index, is_video)
