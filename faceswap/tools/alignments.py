"""Face-set maintenance on alignments files: the library behind `faceswap alignments JOB`.

Plain functions returning dataclasses (no printing, no progress bars) so the CLI and a future
GUI call the same code:

- ``check``: frames missing from the source or from the file, frames with no or several faces,
  faces whose PNG is gone.
- ``remove_faces``: drop the faces whose PNG the user deleted from the faces folder.
- ``alignments_from_faces``: rebuild an alignments file from the metadata inside face PNGs.
- ``merge``: two alignments files of one source into one.
- ``draw``: frames with boxes and landmarks drawn, to look at the alignments.
- ``export_json`` / ``import_json``: a plain, pretty-printed JSON other tools can read, and back.
- ``rename_faces``: face PNGs back to their canonical ``<frame stem>_<face index>.png`` names.

Every job that changes an alignments file writes it atomically and first keeps the previous
version as ``<name>.bk`` beside it (``save_with_backup``). Input is validated before anything is
written, so a FaceswapError always leaves every file as it was.

Faces in a folder are identified by the metadata inside each PNG (source name, frame, face
index), not by file name: users rename files when sorting, and a renamed face is still there.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from faceswap.lib import alignments as alignments_file
from faceswap.lib import atomic
from faceswap.lib.alignments import Alignments, Face, Frame, box_iou, face_file_name
from faceswap.lib.errors import FaceswapError
from faceswap.lib.faces import is_face_metadata
from faceswap.lib.image import is_image_file, read_face_metadata

EXPORT_FORMAT = "faceswap-alignments-export"
EXPORT_VERSION = 1
MERGE_IOU = 0.5  # boxes overlapping more than this are the same face found twice

FaceKey = tuple[str, int]  # (frame name, face index)


# --- shared helpers ---------------------------------------------------------------------------

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


# --- check ------------------------------------------------------------------------------------

@dataclass
class CheckResult:
    """Problems in one alignments file. A list is None when it was not checked (no source or
    no faces folder given)."""

    alignments: str
    frames: int
    faces: int
    no_faces: list[str]  # frames with zero faces
    multi_faces: list[str]  # frames with two faces or more
    source: str | None = None  # the source that was compared, if any
    missing_frames: list[str] | None = None  # in the file, not in the source
    # source frames (at the file's every-Nth step) that the file does not list
    missing_alignments: list[str] | None = None
    faces_dir: str | None = None
    missing_faces: list[str] | None = None  # face files of the alignments not in faces_dir
    extra_faces: list[str] | None = None  # PNGs of this source whose face is not in the file

    CATEGORIES = ("missing_frames", "missing_alignments", "no_faces", "multi_faces",
                  "missing_faces", "extra_faces")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _source_keys(source_path: Path, every_n: int) -> tuple[list[str], list[str]]:
    """(every frame key of the source, the keys an every-``every_n`` extract would list)."""
    from faceswap.lib.sources import open_source

    source = open_source(source_path)
    keys = source.keys
    if keys is None:  # a video that does not say how many frames it has: count by decoding
        keys = [item.key for item in source.items()]
    return keys, keys[::max(1, every_n)]


def check(alignments_path: str | Path, source: str | Path | None = None,
          faces_dir: str | Path | None = None) -> CheckResult:
    """Report what is wrong with an alignments file.

    ``source`` defaults to the path recorded in the file when it still exists (without one the
    frame comparisons are skipped). A source none of whose frames the file lists is refused: it
    is not the file's source. Writes nothing.
    """
    path = Path(alignments_path)
    data = alignments_file.load(path)
    is_video = _is_video(data)
    report = CheckResult(
        alignments=str(path), frames=len(data.frames), faces=data.face_count,
        no_faces=[n for n, f in data.frames.items() if not f.faces],
        multi_faces=[n for n, f in data.frames.items() if len(f.faces) > 1],
    )
    if source is None and data.source.get("path") and Path(data.source["path"]).exists():
        source = data.source["path"]
    if source is not None:
        every_n = int(data.extract.get("every_n", 1) or 1)
        keys, expected = _source_keys(Path(source), every_n)
        in_source = set(keys)
        if data.frames and keys and not in_source & data.frames.keys():
            raise FaceswapError(
                f"'{source}' is not the source of '{path}': none of its {len(keys)} frames is in "
                f"the file (it was extracted from '{data.source.get('path', 'unknown')}'). Pass "
                "the video or folder it was extracted from with -i."
            )
        report.source = str(source)
        report.missing_frames = [n for n in data.frames if n not in in_source]
        report.missing_alignments = [k for k in expected if k not in data.frames]
    if faces_dir is not None:
        scan = _faces_of(data, path, faces_dir)
        report.faces_dir = str(faces_dir)
        report.missing_faces = [_face_label(name, face, is_video)
                                for name, frame in data.frames.items() for face in frame.faces
                                if not _present(face, name, scan)]
        known = {(name, face.index) for name, frame in data.frames.items() for face in frame.faces}
        report.extra_faces = sorted(scan.name(p) for key, paths in scan.faces.items()
                                    if key not in known for p in paths)
    return report


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


# --- merge ------------------------------------------------------------------------------------

@dataclass
class MergeResult:
    alignments: str  # the merged file
    frames: int
    faces: int
    frames_added: int  # frames only the second file had
    faces_added: int  # faces of the second file added to frames both files have
    duplicates: int  # faces of the second file dropped: the same face as one already there
    renumbered: list[tuple[str, int, int]]  # (frame, index in the second file, new index)
    backup: str | None = None


def merge(first: str | Path, second: str | Path, output: str | Path | None = None,
          iou_threshold: float = MERGE_IOU) -> MergeResult:
    """Merge the alignments file ``second`` into ``first`` (both of one source).

    Rule: every face of ``first`` is kept as it is. A face of ``second`` is added unless its
    box overlaps a face already in that frame by IoU > ``iou_threshold`` (the same face found
    twice; the first file's version wins). An added face keeps its index when the frame has no
    face of that index yet; otherwise it gets the next free index and the file name that goes
    with it (reported in ``renumbered``: its PNG from the second run has the old name). Frames
    are listed in frame order. The result goes to ``output`` (default: ``first``, whose old
    version is kept as ``<name>.bk``).
    """
    first, second = Path(first), Path(second)
    a, b = alignments_file.load(first), alignments_file.load(second)
    name_a, name_b = source_name(a), source_name(b)
    if name_a and name_b and (name_a != name_b or a.source.get("kind") != b.source.get("kind")):
        raise FaceswapError(
            f"'{first}' belongs to '{name_a}' and '{second}' to '{name_b}': only alignments of "
            "the same source can be merged. Nothing was written."
        )
    target = Path(output) if output is not None else first
    if target.resolve() != first.resolve():
        _load_existing_target(target)
    is_video = _is_video(a) if a.source else _is_video(b)
    result = MergeResult(str(target), 0, 0, 0, 0, 0, [])
    frames = dict(a.frames)
    for name, frame_b in b.frames.items():
        frame_a = frames.get(name)
        if frame_a is None:
            frames[name] = frame_b
            result.frames_added += 1
            continue
        if tuple(frame_a.dims) != tuple(frame_b.dims):
            raise FaceswapError(
                f"Frame '{name}' is {frame_a.dims[1]}x{frame_a.dims[0]} in '{first}' but "
                f"{frame_b.dims[1]}x{frame_b.dims[0]} in '{second}': these files are not of "
                "the same source. Nothing was written."
            )
        faces = list(frame_a.faces)
        for face in frame_b.faces:
            if any(box_iou(face.box, kept.box) > iou_threshold for kept in faces):
                result.duplicates += 1
                continue
            used = {kept.index for kept in faces}
            if face.index in used:
                new_index = max(used) + 1
                result.renumbered.append((name, face.index, new_index))
                face.index, face.file = new_index, face_file_name(name, new_index, is_video)
            faces.append(face)
            result.faces_added += 1
        frames[name] = Frame(dims=frame_a.dims, faces=sorted(faces, key=lambda f: f.index))
    merged = Alignments(source=a.source or b.source, extract=a.extract or b.extract,
                        frames={name: frames[name] for name in sorted(frames)})
    backup = save_with_backup(merged, target)
    result.frames, result.faces = len(merged.frames), merged.face_count
    result.backup = str(backup) if backup else None
    return result


# --- draw -------------------------------------------------------------------------------------

@dataclass
class DrawResult:
    output_dir: str
    frames_written: int
    faces_drawn: int
    not_in_source: list[str]  # frames of the file the source does not have


def annotate(image: np.ndarray, faces: list[Face]) -> np.ndarray:
    """A copy of ``image`` with each face's box (green), 68 landmarks (red) and index drawn."""
    import cv2

    out = image.copy()
    thickness = max(1, round(max(image.shape[:2]) / 500))
    for face in faces:
        x, y, w, h = face.box
        cv2.rectangle(out, (x, y), (x + w, y + h), (0, 255, 0), thickness, cv2.LINE_AA)
        for px, py in np.rint(face.landmarks).astype(int):
            cv2.circle(out, (int(px), int(py)), thickness + 1, (0, 0, 255), -1, cv2.LINE_AA)
        cv2.putText(out, str(face.index), (x, max(12, y - 4)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.5 * thickness, (0, 255, 0), thickness, cv2.LINE_AA)
    return out


def draw(alignments_path: str | Path, output_dir: str | Path, source: str | Path | None = None,
         progress: Callable[[int, int], None] | None = None) -> DrawResult:
    """Write every frame the alignments file lists with its faces drawn on it.

    Video frames are written as ``<frame>.jpg``, images under their own name. ``source``
    defaults to the path recorded in the file. ``progress(done, total)`` after each frame.
    """
    from faceswap.lib.image import write_image
    from faceswap.lib.sources import open_source

    path = Path(alignments_path)
    data = alignments_file.load(path)
    if source is None:
        source = data.source.get("path")
        if not source or not Path(source).exists():
            raise FaceswapError(f"The source recorded in '{path}' ({source or 'none'}) is not "
                                "there. Pass the video or folder of images with -i.")
    reader = open_source(source)
    out = Path(output_dir)
    if reader.kind != "video" and out.resolve() == (
            reader.path if reader.kind == "images" else reader.path.parent).resolve():
        raise FaceswapError(f"'{out}' is the source's own folder: drawing there would overwrite "
                            "the frames. Pass another output folder with -o.")
    if reader.keys is not None and data.frames and not set(reader.keys) & data.frames.keys():
        raise FaceswapError(f"'{source}' is not the source of '{path}': none of its frames is in "
                            "the file. Pass the video or folder it was extracted from with -i.")
    atomic.check_writable(out)
    result = DrawResult(str(out), 0, 0, [])
    wanted = len(data.frames)
    seen: set[str] = set()
    for item in reader.items():
        frame = data.frames.get(item.key)
        if frame is None:
            continue
        seen.add(item.key)
        image = annotate(item.load(), frame.faces)
        name = f"{item.key}.jpg" if reader.is_video else item.key
        write_image(out / name, image)
        result.frames_written += 1
        result.faces_drawn += len(frame.faces)
        if progress is not None:
            progress(result.frames_written, wanted)
        if len(seen) == wanted:
            break  # every listed frame drawn: no need to decode the rest of a video
    result.not_in_source = [name for name in data.frames if name not in seen]
    return result


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
    from faceswap.lib.align import AlignedFace
    from faceswap.lib.faces import landmark_masks

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
