"""Face-set maintenance on alignments files: the library behind `faceswap alignments JOB`.

Plain functions returning dataclasses (no printing, no progress bars) so the CLI and the GUI
call the same code; ``alignments(AlignmentsOptions, progress)`` runs one job by name:

- ``check`` (check.py): frames missing from the source or from the file, frames with no or
  several faces, faces whose PNG is gone.
- ``remove_faces``, ``alignments_from_faces``, ``rename_faces`` (face_files.py): drop the faces
  whose PNG the user deleted; rebuild an alignments file from the metadata inside face PNGs;
  face PNGs back to their canonical ``<frame stem>_<face index>.png`` names.
- ``merge`` (merge.py): two alignments files of one source into one.
- ``draw`` (draw.py): frames with boxes and landmarks drawn, to look at the alignments.
- ``export_json`` / ``import_json`` (exchange.py): a plain JSON other tools can read, and back.

Every job that changes an alignments file writes it atomically and first keeps the previous
version as ``<name>.bk`` beside it (``save_with_backup``). Input is validated before anything is
written, so a FaceswapError always leaves every file as it was.

Faces in a folder are identified by the metadata inside each PNG (source name, frame, face
index), not by file name: users rename files when sorting, and a renamed face is still there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from faceswap.lib.errors import FaceswapError
from faceswap.tools.alignments._common import FaceFolder, save_with_backup, scan_faces, source_name
from faceswap.tools.alignments.check import CheckResult, check
from faceswap.tools.alignments.draw import DrawResult, annotate, draw
from faceswap.tools.alignments.exchange import ExportResult, ImportResult, export_json, import_json
from faceswap.tools.alignments.face_files import (
    FromFacesResult,
    RemoveResult,
    RenameResult,
    alignments_from_faces,
    remove_faces,
    rename_faces,
)
from faceswap.tools.alignments.merge import MergeResult, merge

JOBS = ("check", "remove-faces", "from-faces", "merge", "draw", "export", "import", "rename")

# Which options each job needs, and the flag that gives each (for the message).
_NEEDS = {
    "check": ("alignments",), "remove-faces": ("alignments", "faces_dir"),
    "from-faces": ("faces_dir", "alignments"), "merge": ("alignments", "other"),
    "draw": ("alignments", "output"), "export": ("alignments", "output"),
    "import": ("input", "alignments"), "rename": ("faces_dir",),
}
_FLAGS = {"alignments": "-al FILE", "faces_dir": "-fc FOLDER", "other": "--other FILE",
          "output": "-o", "input": "-i"}

AlignmentsResult = (CheckResult | RemoveResult | FromFacesResult | MergeResult | DrawResult
                    | ExportResult | ImportResult | RenameResult)


@dataclass
class AlignmentsOptions:
    """What `faceswap alignments JOB` takes (the CLI flag in brackets)."""

    job: str  # one of JOBS
    alignments: str | Path | None = None  # -al: the alignments file
    faces_dir: str | Path | None = None  # -fc: the aligned face PNGs extract wrote
    input: str | Path | None = None  # -i: the source (check, draw, from-faces); import's JSON
    output: str | Path | None = None  # -o: check's report, merge's file, draw's folder, export
    other: str | Path | None = None  # --other: merge's second file
    no_masks: bool = False  # --no-masks: export without the mask PNGs
    dry_run: bool = False  # --dry-run: remove-faces, rename say what would change


def alignments(options: AlignmentsOptions,
               progress: Callable[[int, int], None] | None = None) -> AlignmentsResult:
    """Run ``options.job`` and return its result dataclass (check's report is returned, not
    written: ``CheckResult.to_dict()`` is the JSON)."""
    o = options
    if o.job not in JOBS:
        raise FaceswapError(f"Unknown alignments job '{o.job}'; choose from {', '.join(JOBS)}.")
    missing = [_FLAGS[name] for name in _NEEDS[o.job] if not getattr(o, name)]
    if missing:
        raise FaceswapError(f"`faceswap alignments {o.job}` needs {' and '.join(missing)}. "
                            "See `faceswap alignments --help`.")
    jobs: dict[str, Callable[[], AlignmentsResult]] = {
        "check": lambda: check(o.alignments, o.input, o.faces_dir),
        "remove-faces": lambda: remove_faces(o.alignments, o.faces_dir, dry_run=o.dry_run),
        "from-faces": lambda: alignments_from_faces(o.faces_dir, o.alignments, o.input),
        "merge": lambda: merge(o.alignments, o.other, o.output),
        "draw": lambda: draw(o.alignments, o.output, o.input, progress),
        "export": lambda: export_json(o.alignments, o.output, masks=not o.no_masks),
        "import": lambda: import_json(o.input, o.alignments),
        "rename": lambda: rename_faces(o.faces_dir, o.alignments, dry_run=o.dry_run),
    }
    return jobs[o.job]()


__all__ = [
    "JOBS", "AlignmentsOptions", "AlignmentsResult", "CheckResult", "DrawResult",
    "ExportResult", "FaceFolder", "FromFacesResult", "ImportResult", "MergeResult",
    "RemoveResult", "RenameResult", "alignments", "alignments_from_faces", "annotate", "check",
    "draw", "export_json", "import_json", "merge", "remove_faces", "rename_faces",
    "save_with_backup", "scan_faces", "source_name",
]
