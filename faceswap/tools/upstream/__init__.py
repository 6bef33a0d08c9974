"""Reading upstream faceswap's (deepfakes/faceswap) files without running any of their code.

- ``fsa``: ``.fsa`` alignments (zlib + pickle) through a restricted unpickler -> alignments JSON;
- ``png``: aligned-face PNGs with upstream's ``str(dict)`` header -> our face PNGs;
- ``model``: an Original ``.keras`` model (config + weights read directly) -> our model folder;
- ``geometry``: upstream's alignment geometry, to place landmarks in its face crops;
- ``faces``: one upstream face record -> our Face (shared by fsa and png).

``importer``: ``faceswap import-upstream SRC DST`` picks one of them by what SRC is.
"""
