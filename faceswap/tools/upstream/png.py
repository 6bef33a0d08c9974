"""Upstream aligned-face PNGs -> this project's aligned-face PNGs (same pixels, our metadata).

Upstream stores its header in an ``iTXt`` chunk ``faceswap`` as Python ``str(dict)`` text
(research/upstream-faceswap.md §6.4): ``{'alignments': {x, y, w, h, landmarks_xy, mask,
identity}, 'source': {alignments_version, original_filename, face_index, source_filename,
source_is_video, source_frame_dims}}``. It is parsed with ``ast.literal_eval`` (literals only,
nothing is called) after a size check.

The image is upstream's head-centred crop at coverage 1.0, cut with upstream's reference face
(``faceswap.tools.upstream.geometry``). Training here needs the landmarks in the PNG's own pixels,
so they are computed with upstream's matrix for that face; the rest of the geometry follows
from them (alignment is similarity-invariant, docs/formats.md). Only the metadata chunk is
replaced: the PNG's image data is copied byte for byte.
"""

from __future__ import annotations

import ast
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from faceswap.lib import atomic
from faceswap.lib.alignments import face_file_name
from faceswap.lib.errors import FaceswapError
from faceswap.lib.faces import face_metadata
from faceswap.lib.image import (
    FACE_KEY,
    is_upstream_face_text,
    list_images,
    png_add_text,
    png_read_text,
    png_size,
)
from faceswap.tools.upstream import geometry
from faceswap.tools.upstream.faces import Notes, convert_face, our_frame_name

logger = logging.getLogger(__name__)

MAX_HEADER_CHARS = 10_000_000  # a header with eight 512 px masks is well under 1 MB
MIN_VERSION = 2.0  # 1.x faces were cut at legacy centering and carry no usable landmarks


def parse_header(text: str, max_chars: int = MAX_HEADER_CHARS) -> dict[str, Any]:
    """Upstream's ``str(dict)`` face header as a dict (literals only, size-capped)."""
    if len(text) > max_chars:
        raise FaceswapError(
            f"The upstream face header is {len(text):,} characters, above the {max_chars:,} "
            "faceswap reads; refused."
        )
    try:
        header = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as err:
        raise FaceswapError(f"The upstream face header is not a Python literal ({err}).") \
            from None
    if not isinstance(header, dict) or not isinstance(header.get("alignments"), dict) \
            or not isinstance(header.get("source"), dict):
        raise FaceswapError("The upstream face header has no 'alignments' and 'source' tables.")
    return header


def _source_name(frame_key: str, is_video: bool) -> str | None:
    # Upstream 2.4+ keys keep the video's extension ('clip_000001.mp4' -> 'clip.mp4'); older
    # keys end in .png, so only the video's stem is known. An image's folder is not recorded.
    if not is_video:
        return None
    path = PurePosixPath(frame_key)
    stem = path.stem.rsplit("_", 1)[0]
    return stem if path.suffix.lower() == ".png" else f"{stem}{path.suffix}"


def convert_header(header: dict[str, Any], size: int, notes: Notes) -> dict[str, Any]:
    """Our face metadata (docs/formats.md) for an upstream header and a ``size`` px face."""
    source = header["source"]
    version = source.get("alignments_version")
    if not isinstance(version, (int, float)) or isinstance(version, bool):
        raise FaceswapError("The upstream face header has no alignments version.")
    if version < MIN_VERSION:
        raise FaceswapError(
            f"The face was extracted by upstream faceswap with alignments version {version} "
            f"(legacy-centred faces); versions below {MIN_VERSION} are not supported. "
            "Re-extract the faces."
        )
    key = source.get("source_filename")
    if not isinstance(key, str) or not key:
        raise FaceswapError("The upstream face header names no source frame.")
    is_video = bool(source.get("source_is_video"))
    face_index = source.get("face_index")
    if isinstance(face_index, bool) or not isinstance(face_index, int) or face_index < 0:
        raise FaceswapError("The upstream face header has no valid face index.")
    frame = our_frame_name(key, is_video)
    try:
        face = convert_face(header["alignments"], face_index, frame, is_video, notes)
    except (ValueError, TypeError) as err:
        raise FaceswapError(f"The upstream face record is not usable ({err}).") from None
    landmarks = face.landmarks.astype(np.float64)
    matrix = geometry.crop_matrix(landmarks, size, "head", 1.0)
    dims = source.get("source_frame_dims")
    # Older headers do not record the frame size; 0 x 0 marks it unknown, as in imported .fsa.
    frame_dims = [int(v) for v in dims] if isinstance(dims, (list, tuple)) and len(dims) == 2 \
        else [0, 0]
    source_info = {"source": _source_name(key, is_video), "frame": frame,
                   "face_index": face_index, "frame_dims": frame_dims, "is_video": is_video,
                   "alignments": None}
    # "head" here is upstream's head crop: `matrix` and `aligned_landmarks` say exactly where
    # the frame lies in this PNG, and that is what training reads.
    return {**face_metadata(face, size, matrix, source_info, landmarks),
            "imported_from": {"program": "upstream-faceswap", "alignments_version": version,
                              "frame_key": key,
                              "original_filename": source.get("original_filename")}}


def read_upstream_face(path: str | Path) -> tuple[bytes, dict[str, Any] | None]:
    """(PNG bytes, upstream header or None when the PNG carries no upstream header)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise FaceswapError(f"Cannot read '{path}': {err.strerror or err}.") from err
    try:
        text = png_read_text(data).get(FACE_KEY)
    except FaceswapError as err:
        raise FaceswapError(f"'{path}': {err}") from None
    if text is None or not is_upstream_face_text(text):
        return data, None
    try:
        return data, parse_header(text)
    except FaceswapError as err:
        raise FaceswapError(f"'{path}': {err}") from None


def convert_face_png(data: bytes, header: dict[str, Any], notes: Notes) -> tuple[bytes, str]:
    """(our PNG bytes, the face's canonical file name) for one upstream face PNG."""
    width, height = png_size(data)
    if width != height:
        raise FaceswapError(f"The face is {width}x{height}; upstream faces are square.")
    metadata = convert_header(header, width, notes)
    text = json.dumps(metadata, separators=(",", ":"))
    source = metadata["source"]
    name = face_file_name(source["frame"], source["face_index"], bool(source["is_video"]))
    return png_add_text(data, {FACE_KEY: text}), name


@dataclass
class FacesImportResult:
    """What importing a folder of upstream faces did."""

    written: list[Path] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # file name -> why
    notes: Notes = field(default_factory=Notes)


def import_faces(src: str | Path, dst: str | Path) -> FacesImportResult:
    """Convert every upstream face PNG in folder ``src`` into folder ``dst``.

    Files without an upstream header are skipped (listed in the result); a file whose header is
    damaged stops the run before anything is written, as does a name already taken in ``dst``.
    """
    src, dst = Path(src), Path(dst)
    if not src.is_dir():
        raise FaceswapError(f"'{src}' is not a folder of upstream faces.")
    if dst.resolve() == src.resolve():
        raise FaceswapError("The output folder must differ from the upstream face folder.")
    result = FacesImportResult()
    # First pass: validate every header and fix every output name before writing anything;
    # the second converts again rather than holding a whole face set in memory.
    planned: dict[str, Path] = {}
    for path in list_images(src):
        if path.suffix.lower() != ".png":
            result.skipped[path.name] = "not a PNG"
            continue
        data, header = read_upstream_face(path)
        if header is None:
            result.skipped[path.name] = "no upstream faceswap header"
            continue
        try:
            _, name = convert_face_png(data, header, Notes())
        except FaceswapError as err:
            raise FaceswapError(f"'{path}': {err} Nothing was written.") from None
        if name in planned:
            # Two upstream files for one frame and face (copies, or renamed duplicates).
            result.skipped[path.name] = f"the same frame and face as '{planned[name].name}'"
            continue
        planned[name] = path
    if not planned:
        raise FaceswapError(f"No upstream faceswap face PNGs in '{src}' (each needs upstream's "
                            "'faceswap' header chunk). Nothing was written.")
    taken = sorted(name for name in planned if (dst / name).exists())
    if taken:
        raise FaceswapError(f"'{dst}' already holds {', '.join(taken[:3])}"
                            f"{'…' if len(taken) > 3 else ''}; choose an empty folder. Nothing "
                            "was written.")
    dst.mkdir(parents=True, exist_ok=True)
    for name, path in planned.items():
        data, header = read_upstream_face(path)
        assert header is not None
        converted, _ = convert_face_png(data, header, result.notes)
        atomic.write_bytes(dst / name, converted)
        result.written.append(dst / name)
    logger.info("Converted %d upstream faces into '%s'", len(result.written), dst)
    return result
