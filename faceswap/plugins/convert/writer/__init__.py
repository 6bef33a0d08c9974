"""Convert writers: where swapped frames go (``faceswap convert -w NAME``).

One module per writer, found by ``faceswap.lib.registry`` (family ``writer``). Each exposes a
one-line module docstring, an ``OPTIONS`` dict of defaults (overridden with ``-O key=value``) and
``class Writer`` with this life cycle:

* ``Writer(output, *, fps=None, source=None, reference_video=None, options=None, info=None)``:
  ``output`` is a file (``video``, ``gif``) or a folder (``images``, ``patch``); ``fps`` the
  frame rate to write at, exact as a ``Fraction`` (``Source.rate``, or the reference video's for
  image input; a float becomes the nearest fraction with denominator <= 1001; None: 25);
  ``source`` the convert input and ``reference_video`` the video for image input, both read
  only for their audio; ``info`` extra provenance fields such as ``{"model": "original"}``.
* ``write(name, frame)``: one BGR uint8 frame, in frame order; ``name`` is the frame's stem.
* ``close() -> list[Path]``: finish and move outputs into place; returns the paths written.
* ``abort()``: drop unfinished output. Nothing half-written ever appears under a final name:
  every file is written to a temporary name beside it and renamed when complete.

Writers are also context managers (``close`` on success, ``abort`` on an exception). Every file
they write carries the "synthetic faces" provenance tag (``faceswap.lib.provenance``).
"""
