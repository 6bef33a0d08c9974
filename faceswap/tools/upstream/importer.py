"""`faceswap import-upstream`: one upstream file or folder -> this project's format, by its kind.

SRC decides what is converted: an ``.fsa`` file -> an alignments JSON file (``fsa``), a folder
of face PNGs -> a folder of aligned faces (``png``), a model folder or ``.keras`` file -> a model
folder (``model``, upstream's Original only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faceswap.lib.errors import FaceswapError

KINDS = ("alignments", "faces", "model")
_WHAT = ("Pass upstream faceswap's <name>_alignments.fsa, a folder of its face PNGs, or its "
         "model folder (or .keras file).")


@dataclass
class ImportUpstreamOptions:
    """What `faceswap import-upstream` takes."""

    src: str | Path  # upstream .fsa file, face folder, model folder or .keras file
    dst: str | Path  # where the converted files go (new)


@dataclass
class ImportUpstreamResult:
    """What was imported: ``kind`` (one of KINDS), where it went, the importer's own result
    (FsaImportResult, FacesImportResult or ModelImportResult) and its notes."""

    kind: str
    target: Path
    result: Any
    notes: list[str] = field(default_factory=list)


def source_kind(src: Path) -> str:
    """Which of KINDS ``src`` holds; a FaceswapError for anything else."""
    if src.is_file():
        if src.suffix.lower() == ".fsa":
            return "alignments"
        if src.suffix.lower() == ".keras":
            return "model"
        raise FaceswapError(f"'{src}' is neither an upstream .fsa alignments file nor a .keras "
                            f"model. {_WHAT}")
    if not src.is_dir():
        raise FaceswapError(f"'{src}' does not exist. {_WHAT}")
    if any(src.glob("*.keras")) or any(src.glob("*_state.json")):
        return "model"
    return "faces"


def _alignments_target(src: Path, dst: Path) -> Path:
    if not dst.is_dir():
        return dst
    # Upstream names video alignments '<video>_alignments.fsa' and folder ones 'alignments.fsa'.
    stem = src.stem if src.stem.endswith("_alignments") else f"{src.resolve().parent.name}" \
        "_alignments"
    return dst / f"{stem}.json"


def import_upstream(options: ImportUpstreamOptions,
                    progress: Callable[[int, int], None] | None = None) -> ImportUpstreamResult:
    """Convert ``options.src`` (upstream's) into this project's format at ``options.dst``."""
    src, dst = Path(options.src), Path(options.dst)
    kind = source_kind(src)
    if kind == "alignments":
        from faceswap.tools.upstream.fsa import import_fsa

        target = _alignments_target(src, dst)
        fsa = import_fsa(src, target)
        return ImportUpstreamResult(kind, target, fsa, fsa.notes.lines())
    if kind == "faces":
        from faceswap.tools.upstream.png import import_faces

        faces = import_faces(src, dst)
        return ImportUpstreamResult(kind, dst, faces, faces.notes.lines())
    from faceswap.tools.upstream.model import import_model

    model = import_model(src, dst)
    return ImportUpstreamResult(kind, Path(model.model_dir), model, list(model.notes))
