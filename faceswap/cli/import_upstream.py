"""`faceswap import-upstream`: convert upstream faceswap's alignments, faces or model."""

from __future__ import annotations

import argparse

from faceswap.cli._options import add_field, options_from

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
    from faceswap.tools.upstream.importer import ImportUpstreamOptions

    add_field(parser, ImportUpstreamOptions, "src", "src", metavar="SRC",
              help="Upstream .fsa file, face folder or model.")
    add_field(parser, ImportUpstreamOptions, "dst", "dst", metavar="DST",
              help="Where the converted files go (new).")


def run(args: argparse.Namespace) -> int:
    from faceswap.tools.upstream.importer import ImportUpstreamOptions, import_upstream

    imported = import_upstream(options_from(ImportUpstreamOptions, args))
    result = imported.result
    if imported.kind == "alignments":
        print(f"Upstream alignments version {result.version}: {result.faces} faces in "
              f"{len(result.alignments.frames)} frames -> {imported.target}")
    elif imported.kind == "faces":
        print(f"Converted {len(result.written)} upstream faces -> {imported.target}")
        for name, why in sorted(result.skipped.items()):
            print(f"  skipped {name}: {why}")
    else:
        print(f"Imported upstream Original: {result.layers} layers, {result.parameters:,} "
              f"parameters, {result.iterations} iterations -> {result.model_dir}")
        print("Options: " + ", ".join(f"{k}={v}" for k, v in result.options.items()))
    for line in imported.notes:
        print(f"Note: {line}")
    return 0
