"""`faceswap alignments merge`: two alignments files of one source into one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from faceswap.lib import alignments as alignments_file
from faceswap.lib.alignments import Alignments, Frame, box_iou, face_file_name
from faceswap.lib.errors import FaceswapError
from faceswap.tools.alignments._common import (
    MERGE_IOU,
    _is_video,
    _load_existing_target,
    save_with_backup,
    source_name,
)

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
