"""Jobs on a face folder and its alignments file: remove-faces, from-faces, rename."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faceswap.lib import alignments as alignments_file
from faceswap.lib import atomic
from faceswap.lib.alignments import Alignments, Face, Frame, face_file_name
from faceswap.lib.errors import FaceswapError
from faceswap.tools.alignments._common import (
    FaceFolder,
    FaceKey,
    _face_label,
    _faces_of,
    _is_video,
    _load_existing_target,
    _present,
    save_with_backup,
    scan_faces,
    source_name,
)

# --- remove-faces -----------------------------------------------------------------------------


@dataclass
class RemoveResult:
    alignments: str
    removed: list[str]  # face files (names as the alignments file has them) dropped
    kept: int  # faces left in the file
    frames_emptied: list[str]  # frames that lost their last face (kept, with no faces)
    backup: str | None = None  # the previous file, when it was rewritten
    dry_run: bool = False


def remove_faces(alignments_path: str | Path, faces_dir: str | Path,
                 dry_run: bool = False) -> RemoveResult:
    """Drop from the alignments file every face whose PNG is no longer in ``faces_dir``.

    The faces left keep their indices and file names (an index names a face within its frame,
    it need not be contiguous), so no PNG is renamed or rewritten. Frames that lose every face
    stay in the file with no faces, as extract records face-less frames. Refuses a folder that
    holds none of the file's faces (a wrong folder would otherwise empty the file). The file is
    rewritten only when something was removed; the old version is kept as ``<name>.bk``.
    """
    path = Path(alignments_path)
    data = alignments_file.load(path)
    scan = _faces_of(data, path, faces_dir)
    is_video = _is_video(data)
    removed: list[str] = []
    emptied: list[str] = []
    kept = 0
    for name, frame in data.frames.items():
        present = [_present(face, name, scan) for face in frame.faces]
        keep = [face for face, here in zip(frame.faces, present, strict=True) if here]
        removed.extend(_face_label(name, face, is_video)
                       for face, here in zip(frame.faces, present, strict=True) if not here)
        if frame.faces and not keep:
            emptied.append(name)
        frame.faces = keep
        kept += len(keep)
    if removed and not kept:
        raise FaceswapError(
            f"'{scan.folder}' holds none of the {len(removed)} faces of '{path}', so every face "
            "would be removed. Nothing was changed. Check that this is the folder `faceswap "
            "extract` wrote these faces to."
        )
    result = RemoveResult(str(path), removed, kept, emptied, dry_run=dry_run)
    if removed and not dry_run:
        backup = save_with_backup(data, path)
        result.backup = str(backup) if backup else None
    return result


# --- from-faces -------------------------------------------------------------------------------

@dataclass
class FromFacesResult:
    alignments: str
    source: str
    frames: int
    faces: int
    no_metadata: list[str]  # images skipped: not written by `faceswap extract`
    duplicates: list[str]  # second copies of a face already taken (same frame and index)
    backup: str | None = None


def _face_from_metadata(meta: dict[str, Any], file_name: str) -> Face:
    info, face = meta["source"], meta["face"]
    return Face.from_dict({
        "index": info["face_index"], "box": face["box"], "score": face.get("score", 0.0),
        "landmarks": face["landmarks"], "matrix": face["legacy_matrix"],
        "pose": face.get("pose", {}), "file": file_name, "masks": face.get("masks", {}),
        "identity": face.get("identity", {}),
    })


def alignments_from_faces(faces_dir: str | Path, alignments_path: str | Path,
                          source: str | Path | None = None) -> FromFacesResult:
    """Rebuild an alignments file from the metadata inside the face PNGs of ``faces_dir``.

    Each face keeps its current file name. Frames are listed only when at least one of their
    faces is in the folder: face-less frames leave no PNG, so `extract --skip-existing` would
    look at them again. ``source`` (the video or folder, optional) fills in the source details
    and must be the one the faces came from. A folder with faces of several sources is refused;
    an existing ``alignments_path`` must be an alignments file and is kept as ``<name>.bk``.
    """
    path = Path(alignments_path)
    scan = scan_faces(faces_dir)
    if not scan.metadata:
        raise FaceswapError(
            f"'{scan.folder}' holds no face written by `faceswap extract` (no PNG with faceswap "
            "metadata). Pass the folder `faceswap extract -o` wrote the faces to."
        )
    names = sorted({str(meta["source"].get("source")) for meta in scan.metadata.values()})
    if len(names) > 1:
        raise FaceswapError(
            f"'{scan.folder}' holds faces of {len(names)} sources ({', '.join(names)}); an "
            "alignments file describes one. Move each source's faces into its own folder first."
        )
    name = names[0]
    if source is not None and Path(source).name != name:
        raise FaceswapError(f"The faces in '{scan.folder}' were extracted from '{name}', not "
                            f"'{Path(source).name}'. Pass -i {name}, or no -i.")
    _load_existing_target(path)
    first = next(iter(scan.metadata.values()))["source"]
    if source is not None:
        from faceswap.lib.sources import open_source

        info = open_source(source).info
    else:
        frames_seen = {m["source"]["frame"] for m in scan.metadata.values()}
        kind = ("video" if first.get("is_video") else
                "image" if frames_seen == {name} else "images")
        info = {"path": name, "kind": kind}
    sizes = {int(m["face"].get("size", 0)) for m in scan.metadata.values()}
    mask_names = sorted({k for m in scan.metadata.values() for k in m["face"].get("masks", {})})
    first_face = next(iter(scan.metadata.values()))["face"]
    data = Alignments(source=info, extract={
        "size": sizes.pop() if len(sizes) == 1 else None,
        "centering": first_face.get("centering"), "coverage": first_face.get("coverage"),
        "masks": mask_names, "rebuilt_from_faces": str(scan.folder.absolute()),
    })
    duplicates: list[str] = []
    table: dict[str, tuple[tuple[int, int], dict[int, Face]]] = {}
    for key, paths in sorted(scan.faces.items()):
        frame, index = key
        # Of several copies of one face, the one under its extract name is the face.
        chosen, *others = sorted(paths, key=lambda p: (p.name != _canonical(scan.metadata[p]), p))
        duplicates.extend(scan.name(p) for p in others)
        meta = scan.metadata[chosen]
        try:
            face = _face_from_metadata(meta, scan.name(chosen))
            dims = tuple(int(v) for v in meta["source"]["frame_dims"])
        except (KeyError, TypeError, ValueError) as err:
            raise FaceswapError(f"The faceswap metadata in '{chosen}' is incomplete ({err}). "
                                "Nothing was written. Move that file out of the folder and run "
                                "again.") from None
        table.setdefault(frame, (dims, {}))[1][index] = face  # type: ignore[arg-type]
    for frame in sorted(table):  # frame keys sort in frame order for videos and image folders
        dims, faces = table[frame]
        data.frames[frame] = Frame(dims=dims, faces=[faces[i] for i in sorted(faces)])
    backup = save_with_backup(data, path)
    return FromFacesResult(str(path), name, len(data.frames), data.face_count,
                           [scan.name(p) for p in scan.no_metadata], duplicates,
                           str(backup) if backup else None)


# --- rename -----------------------------------------------------------------------------------

@dataclass
class RenameResult:
    folder: str
    renamed: list[tuple[str, str]]  # (old name, new name)
    already_named: int  # faces that had their canonical name already
    conflicts: list[str]  # faces left as they are: their name is taken by another file
    no_metadata: list[str]  # images skipped: not written by `faceswap extract`
    dry_run: bool = False
    alignments_updated: int = 0  # faces whose ``file`` entry was set to their new name
    backup: str | None = None


def _canonical(meta: dict[str, Any]) -> str:
    info = meta["source"]
    return face_file_name(str(info["frame"]), int(info["face_index"]), bool(info.get("is_video")))


def _follow_names(data: Alignments, scan: FaceFolder, final: dict[Path, str]) -> int:
    """Point the ``file`` entries of ``data`` at the names its faces have in the folder now."""
    name = source_name(data)
    where: dict[FaceKey, str] = {}
    # Where a face has several copies, the one under its canonical name wins.
    for path in sorted(scan.metadata,
                       key=lambda p: Path(final[p]).name != _canonical(scan.metadata[p])):
        info = scan.metadata[path]["source"]
        if name is None or info.get("source") == name:
            where.setdefault((str(info["frame"]), int(info["face_index"])), final[path])
    updated = 0
    for frame_name, frame in data.frames.items():
        for face in frame.faces:
            new = where.get((frame_name, face.index))
            if new is not None and face.file != new:
                face.file = new
                updated += 1
    return updated


def rename_faces(faces_dir: str | Path, alignments_path: str | Path | None = None,
                 dry_run: bool = False) -> RenameResult:
    """Rename the face PNGs of ``faces_dir`` back to ``<frame stem>_<face index>.png``.

    The names come from each PNG's metadata (frame, face index, whether the source was a video),
    so files renamed by sorting get their extract names back. With ``alignments_path`` that
    file's ``file`` entries are set to the faces' names afterwards (previous version kept as
    ``<name>.bk``). A face whose canonical name is held by a file that stays (a copy of the same
    face, or an unrelated image) is left alone and reported. Names that swap places among the
    faces are resolved through a temporary name.
    """
    scan = scan_faces(faces_dir)
    # Read the alignments first: a foreign or corrupt file stops the job before any rename.
    data = alignments_file.load(alignments_path) if alignments_path is not None else None
    result = RenameResult(str(scan.folder), [], 0, [], [scan.name(p) for p in scan.no_metadata],
                          dry_run)
    # Each face is renamed inside the folder it is in; names are compared as relative paths.
    canon = {path: path.parent / _canonical(meta) for path, meta in sorted(scan.metadata.items())}
    claimed = {target for path, target in canon.items() if path == target}
    result.already_named = len(claimed)
    plan: dict[Path, Path] = {}
    for path, target in canon.items():
        if path == target:
            continue
        if target in claimed:
            result.conflicts.append(scan.name(path))
            continue
        claimed.add(target)
        plan[path] = target
    # A target held by a file that stays (not a face, or a face that cannot move) blocks the
    # move; that face then stays too, which may block another: repeat until nothing changes.
    blocked = True
    while blocked:
        blocked = False
        for path, target in list(plan.items()):
            if target.exists() and target not in plan:
                result.conflicts.append(scan.name(path))
                del plan[path]
                blocked = True
    result.renamed = [(scan.name(p), scan.name(t)) for p, t in plan.items()]
    final = {p: scan.name(plan.get(p, p)) for p in scan.metadata}
    if data is not None:
        result.alignments_updated = _follow_names(data, scan, final)
    if dry_run:
        return result
    atomic.move_files(plan)
    if data is not None and result.alignments_updated:
        backup = save_with_backup(data, alignments_path)  # type: ignore[arg-type]
        result.backup = str(backup) if backup else None
    return result
