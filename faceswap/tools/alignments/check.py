"""`faceswap alignments check`: what is missing from the source, the file or the face folder."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from faceswap.lib import alignments as alignments_file
from faceswap.lib.errors import FaceswapError
from faceswap.tools.alignments._common import (
    _face_label,
    _faces_of,
    _is_video,
    _present,
)

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
