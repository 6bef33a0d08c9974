"""Upstream ``.fsa`` alignments -> this project's alignments JSON, without running its pickle.

An ``.fsa`` file is zlib-compressed pickle of plain containers (research/upstream-faceswap.md
§6.3): ``{"__meta__": {"version": 2.4}, "__data__": {frame_key: {"faces": [...],
"video_meta": {...}}}}``. A pickle can name any Python callable, so it is read with an
Unpickler whose ``find_class`` only resolves the handful of NumPy names a plain numeric array or
scalar pickles to (``ALLOWED_GLOBALS``), each replaced by a checked stand-in that refuses object
and structured dtypes. The decompressed size is capped before the pickle is even parsed.
"""

from __future__ import annotations

import io
import logging
import pickle
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from faceswap.lib import alignments as alignments_file
from faceswap.lib.alignments import Alignments, Frame
from faceswap.lib.errors import FaceswapError
from faceswap.lib.version import __version__
from faceswap.tools.upstream.faces import Notes, convert_face, inflate, is_video_key, our_frame_name

logger = logging.getLogger(__name__)

MAX_DECOMPRESSED = 1 << 30  # 1 GiB: ~100k faces with masks and thumbnails
MIN_VERSION = 2.0  # upstream refuses older files too
_NUMERIC_KINDS = "biufc"  # bool, int, uint, float, complex


def _checked_dtype(*args: Any) -> np.dtype:
    # Called as numpy.dtype(code, align, copy) by the pickle; the code decides the kind before
    # any field layout (set later by __setstate__) exists, so object and structured dtypes are
    # stopped here.
    code = args[0] if args else None
    if not isinstance(code, str) or len(args) > 3:
        raise FaceswapError(f"The pickle builds a NumPy dtype from {code!r}; refused.")
    # align=False, copy=True: what NumPy's own pickles pass, so the state set next lands on a
    # fresh dtype object.
    dtype = np.dtype(code, False, True)
    if dtype.kind not in _NUMERIC_KINDS:
        raise FaceswapError(
            f"The pickle holds a NumPy array of dtype '{dtype}' (kind '{dtype.kind}'); only "
            "numeric arrays are read (object and structured arrays can carry code)."
        )
    return dtype


def _require_numeric(dtype: Any) -> np.dtype:
    if not isinstance(dtype, np.dtype) or dtype.kind not in _NUMERIC_KINDS or dtype.fields:
        raise FaceswapError(f"The pickle holds a NumPy value of dtype {dtype!r}; refused.")
    return dtype


def _reconstruct(subtype: Any, shape: Any, typecode: Any) -> np.ndarray:
    # ndarray.__setstate__ (the pickle's next step) sets the real shape, dtype and data; the
    # placeholder is empty whatever shape the pickle asks for.
    del shape, typecode
    if subtype is not np.ndarray:
        raise FaceswapError(f"The pickle rebuilds an array of type {subtype!r}; refused.")
    return np.ndarray((0,), dtype=np.uint8)


def _scalar(dtype: Any, data: Any = b"") -> Any:
    dtype = _require_numeric(dtype)
    if not isinstance(data, bytes) or len(data) != dtype.itemsize:
        raise FaceswapError("The pickle holds a malformed NumPy scalar; refused.")
    return np.frombuffer(data, dtype=dtype)[0]


def _frombuffer(buffer: Any, dtype: Any, shape: Any, order: Any) -> np.ndarray:
    dtype = _require_numeric(dtype)
    if order not in ("C", "F"):
        raise FaceswapError("The pickle holds a malformed NumPy array; refused.")
    return np.frombuffer(bytes(buffer), dtype=dtype).reshape(shape, order=order).copy()


def _latin1_bytes(text: Any, encoding: Any = "utf-8") -> bytes:
    # Pickle protocols 0-2 store bytes as _codecs.encode(text, "latin1"); no other codec is
    # let through (some decompress, which would dodge the size cap).
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise FaceswapError("The pickle calls a text codec other than latin1; refused.")
    return text.encode("latin-1")


#: Every global an .fsa pickle may name: what NumPy 1.x (numpy.core) and 2.x (numpy._core)
#: write for plain numeric arrays (protocols 2-5) and scalars, and the latin1 encoder protocol 2
#: stores bytes with. Anything else is refused.
ALLOWED_GLOBALS: dict[tuple[str, str], Callable[..., Any] | type] = {
    ("_codecs", "encode"): _latin1_bytes,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _checked_dtype,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.multiarray", "scalar"): _scalar,
    ("numpy._core.multiarray", "scalar"): _scalar,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler that resolves only ``ALLOWED_GLOBALS``; any other name is refused."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise FaceswapError(
                f"Refused to load the pickle: it names the Python global '{module}.{name}', and "
                "an alignments file only needs plain containers and numeric NumPy arrays. The "
                "file is damaged or was built to run code; nothing was run."
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        raise FaceswapError("Refused to load the pickle: it uses persistent ids.")


def check_values(value: Any) -> None:
    """Refuse any NumPy value in ``value`` (nested containers) that is not plain numeric.

    The dtype stand-in already stops object and structured dtypes at creation, but a pickle
    also sets each dtype's state afterwards; this makes sure no array came out carrying objects.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif isinstance(item, (np.ndarray, np.generic)):
            dtype = item.dtype
            if dtype.kind not in _NUMERIC_KINDS or dtype.fields or dtype.hasobject:
                raise FaceswapError(f"The pickle holds a NumPy value of dtype '{dtype}'; only "
                                    "numeric arrays are read.")


def restricted_loads(data: bytes) -> Any:
    """Unpickle ``data`` allowing only plain containers and numeric NumPy values."""
    try:
        value = RestrictedUnpickler(io.BytesIO(data)).load()
        check_values(value)
        return value
    except FaceswapError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError, MemoryError, RecursionError, OverflowError) as err:
        raise FaceswapError(f"The pickle is corrupt ({type(err).__name__}: {err}).") from None


def read_fsa(path: str | Path, max_bytes: int = MAX_DECOMPRESSED) -> dict[str, Any]:
    """The raw content of an upstream ``.fsa`` file (validated top level, version >= 2.0)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            compressed = handle.read(max_bytes + 1)
    except OSError as err:
        raise FaceswapError(f"Cannot read '{path}': {err.strerror or err}.") from err
    if len(compressed) > max_bytes:
        raise FaceswapError(f"'{path}' is larger than {max_bytes:,} bytes; refused.")
    try:
        raw = inflate(compressed, max_bytes, "The file")
        data = restricted_loads(raw)
    except FaceswapError as err:
        raise FaceswapError(f"'{path}': {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("__data__"), dict):
        raise FaceswapError(f"'{path}' is not an upstream faceswap alignments file (no "
                            "'__data__' table).")
    meta = data.get("__meta__")
    version = meta.get("version") if isinstance(meta, dict) else None
    if not isinstance(version, (int, float)) or isinstance(version, bool):
        raise FaceswapError(f"'{path}' has no alignments version; it is not an upstream .fsa "
                            "file faceswap can read.")
    if version < MIN_VERSION:
        raise FaceswapError(
            f"'{path}' is an upstream alignments file of version {version}; versions below "
            f"{MIN_VERSION} are not supported (upstream refuses them too). Update it with "
            "upstream faceswap first."
        )
    return data


def _video_source(frames: dict[str, Any], version: float, path: Path) -> tuple[bool, str | None]:
    """(is this a video's alignments, the video's stem) from the frame keys."""
    keys = list(frames)
    if not keys:
        return False, None
    if version >= 2.4:
        video = [is_video_key(k) for k in keys]
        if any(video) and not all(video):
            raise FaceswapError(f"'{path}' mixes video frame keys and image names; refused.")
        stem = keys[0].rsplit("_", 1)[0] if video[0] else None
        return bool(video[0]), stem
    # Before 2.4 video frames were keyed '<stem>_<n>.png', like images: a video is when every key
    # follows that pattern and either the frames carry video_meta (2.2+) or the file is named
    # '<stem>_alignments.fsa' after the video, as upstream names it.
    pattern = re.compile(r"^(?P<stem>.+)_\d{6,}\.png$")
    matches = [pattern.match(k) for k in keys]
    stems = {m["stem"] for m in matches if m}
    if not all(matches) or len(stems) != 1:
        return False, None
    stem = stems.pop()
    has_meta = any(isinstance(f, dict) and f.get("video_meta") for f in frames.values())
    return has_meta or path.stem == f"{stem}_alignments", stem


@dataclass
class FsaImportResult:
    """The converted file and what the conversion noted."""

    alignments: Alignments
    version: float
    faces: int
    notes: Notes


def convert_fsa(data: dict[str, Any], path: str | Path = "<fsa>") -> FsaImportResult:
    """This project's Alignments for the raw content ``read_fsa`` returned."""
    path = Path(path)
    version = float(data["__meta__"]["version"])
    frames_raw = data["__data__"]
    is_video, stem = _video_source(frames_raw, version, path)
    notes = Notes()
    out = Alignments()
    count = 0
    for key, entry in frames_raw.items():
        if not isinstance(key, str) or not isinstance(entry, dict):
            raise FaceswapError(f"'{path}' has a damaged frame entry {key!r}.")
        name = our_frame_name(key, is_video)
        faces_raw = entry.get("faces") or []
        if not isinstance(faces_raw, list):
            raise FaceswapError(f"'{path}': the faces of frame '{key}' are not a list.")
        faces = []
        # A face keeps upstream's index even when one before it is unusable, so it keeps the
        # file name its imported PNG gets (indices may have gaps, as after remove-faces).
        for index, raw in enumerate(faces_raw):
            try:
                faces.append(convert_face(raw, index, name, is_video, notes))
            except (ValueError, TypeError) as err:
                notes.add(f"Skipped a face that is not usable ({err})")
        if isinstance(faces_raw, list) and any(isinstance(f, dict) and "thumb" in f
                                               for f in faces_raw):
            notes.add("Thumbnails are not carried over (this project does not store them)")
        # Upstream does not record frame sizes; 0 x 0 marks them unknown.
        out.frames[name] = Frame(dims=(0, 0), faces=faces)
        count += len(faces)
    out.source = {"kind": "video" if is_video else "images",
                  "upstream_alignments": str(path.name), "upstream_version": version}
    # Upstream keeps '<video stem>_alignments.fsa' beside the video and 'alignments.fsa' inside
    # the frames folder; where that tells the source, record it as extract would.
    first = next(iter(frames_raw), "")
    suffix = PurePosixPath(first).suffix if isinstance(first, str) else ""
    if is_video and stem and suffix and suffix.lower() != ".png":
        out.source["path"] = str((path.parent / f"{stem}{suffix}").absolute())
    elif not is_video and path.name == "alignments.fsa":
        out.source["path"] = str(path.parent.absolute())
    out.extract = {"imported_from": "upstream-faceswap", "centering": "head", "coverage": 1.0,
                   "masks": sorted({m for f in out.frames.values() for face in f.faces
                                    for m in face.masks}),
                   "faceswap_version": __version__}
    return FsaImportResult(alignments=out, version=version, faces=count, notes=notes)


def import_fsa(src: str | Path, dst: str | Path,
               max_bytes: int = MAX_DECOMPRESSED) -> FsaImportResult:
    """Read upstream ``src`` (.fsa) and write this project's alignments JSON to ``dst``."""
    dst = Path(dst)
    if dst.exists():
        raise FaceswapError(f"'{dst}' already exists; choose a new file name for the converted "
                            "alignments (nothing was written).")
    result = convert_fsa(read_fsa(src, max_bytes), src)
    alignments_file.save(result.alignments, dst)
    logger.info("Wrote %d faces in %d frames to '%s'", result.faces,
                len(result.alignments.frames), dst)
    return result
