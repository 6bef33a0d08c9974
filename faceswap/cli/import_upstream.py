"""`faceswap import-upstream`: convert upstream faceswap's alignments, faces or model."""

from __future__ import annotations

import argparse
from pathlib import Path

from faceswap.lib.errors import FaceswapError

HELP = "convert upstream faceswap's .fsa alignments, face PNGs or Original model to this format"
DESCRIPTION = """\
Reads files written by upstream faceswap (github.com/deepfakes/faceswap) without running any of
their code, and writes this project's formats (docs/formats.md, "Importing from upstream
faceswap"). SRC decides what is converted:

  an .fsa file            -> DST: an alignments JSON file (or a folder to write it in)
  a folder of face PNGs   -> DST: a new folder of aligned faces (same pixels, our metadata)
  a model folder / .keras -> DST: a new model folder (upstream's Original model only)

Examples:
  faceswap import-upstream clip_alignments.fsa clip_alignments.json
  faceswap import-upstream faces_upstream/ faces/
  faceswap import-upstream upstream_model/ models/alice_bob
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("src", metavar="SRC", help="Upstream .fsa file, face folder or model.")
    parser.add_argument("dst", metavar="DST", help="Where the converted files go (new).")


_WHAT = ("Pass upstream faceswap's <name>_alignments.fsa, a folder of its face PNGs, or its "
         "model folder (or .keras file).")


def _kind(src: Path) -> str:
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


def run(args: argparse.Namespace) -> int:
    src, dst = Path(args.src), Path(args.dst)
    kind = _kind(src)
    if kind == "alignments":
        from faceswap.tools.upstream.fsa import import_fsa

        target = _alignments_target(src, dst)
        result = import_fsa(src, target)
        print(f"Upstream alignments version {result.version}: {result.faces} faces in "
              f"{len(result.alignments.frames)} frames -> {target}")
        notes = result.notes.lines()
    elif kind == "faces":
        from faceswap.tools.upstream.png import import_faces

        faces = import_faces(src, dst)
        print(f"Converted {len(faces.written)} upstream faces -> {dst}")
        for name, why in sorted(faces.skipped.items()):
            print(f"  skipped {name}: {why}")
        notes = faces.notes.lines()
    else:
        from faceswap.tools.upstream.model import import_model

        model = import_model(src, dst)
        print(f"Imported upstream Original: {model.layers} layers, {model.parameters:,} "
              f"parameters, {model.iterations} iterations -> {model.model_dir}")
        print("Options: " + ", ".join(f"{k}={v}" for k, v in model.options.items()))
        notes = model.notes
    for line in notes:
        print(f"Note: {line}")
    return 0
