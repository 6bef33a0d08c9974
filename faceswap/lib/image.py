"""Reading and writing images, and metadata in PNG text chunks.

Images are BGR uint8 NumPy arrays (OpenCV's order) everywhere in faceswap. PNG metadata is
stored as standard ``tEXt``/``iTXt`` chunks placed before the first ``IDAT``, so any PNG tool
keeps the image readable; faceswap's own record is JSON text under the keyword ``faceswap``.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from faceswap.lib import atomic
from faceswap.lib.errors import FaceswapError

IMAGE_EXTENSIONS = (".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FACE_KEY = "faceswap"
# A compressed text chunk may not inflate past this (a few KB of zlib can hold gigabytes).
MAX_TEXT_BYTES = 64 << 20
# Upstream faceswap's face PNGs use the same keyword but hold Python ``str(dict)`` text, which
# opens with one of its two top-level keys in single quotes.
_UPSTREAM_FACE_TEXT = re.compile(r"\s*\{\s*'(alignments|source)'\s*:")


class UpstreamFaceError(FaceswapError):
    """An aligned face written by upstream faceswap: convert it with `faceswap import-upstream`."""


def is_image_file(path: str | Path) -> bool:
    """True when the file name has an image extension faceswap reads."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def list_images(folder: str | Path) -> list[Path]:
    """Image files directly inside ``folder``, sorted by name (hidden files skipped)."""
    return sorted(
        p for p in Path(folder).iterdir()
        if p.is_file() and is_image_file(p) and not p.name.startswith(".")
    )


def read_image(path: str | Path) -> np.ndarray:
    """The image at ``path`` as BGR uint8 (alpha dropped, grey expanded to 3 channels).

    Raises FaceswapError when the file cannot be read or decoded.
    """
    path = Path(path)
    try:
        data = np.fromfile(path, dtype=np.uint8)  # np.fromfile copes with non-ASCII paths
    except OSError as err:
        raise FaceswapError(f"Cannot read image '{path}': {err.strerror or err}.") from err
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise FaceswapError(
            f"'{path}' is not an image OpenCV can decode (corrupt, truncated or another format). "
            "Remove or replace it."
        )
    return image


def encode_image(image: np.ndarray, extension: str = ".png", quality: int = 95) -> bytes:
    """Encode a BGR image to the bytes of an ``extension`` file."""
    params: list[int] = []
    if extension.lower() in (".jpg", ".jpeg"):
        params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    elif extension.lower() == ".png":
        params = [cv2.IMWRITE_PNG_COMPRESSION, 3]  # a good size/speed balance for faces
    ok, buffer = cv2.imencode(extension, image, params)
    if not ok:
        raise FaceswapError(f"OpenCV could not encode an image as '{extension}'.")
    return buffer.tobytes()


def write_image(path: str | Path, image: np.ndarray, text: dict[str, str] | None = None) -> None:
    """Atomically write ``image``; for a .png, ``text`` is stored as text chunks."""
    path = Path(path)
    data = encode_image(image, path.suffix or ".png")
    if text:
        if path.suffix.lower() != ".png":
            raise ValueError("text metadata can only be written into .png files")
        data = png_add_text(data, text)
    atomic.write_bytes(path, data)


# --- PNG chunks ------------------------------------------------------------------------------

def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _iter_chunks(data: bytes):
    if not data.startswith(PNG_SIGNATURE):
        raise FaceswapError("Not a PNG file (bad signature).")
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise FaceswapError("The PNG file is truncated (a chunk runs past the end).")
        yield pos, kind, data[pos + 8 : pos + 8 + length]
        pos = end
        if kind == b"IEND":
            return


def _check_keyword(key: str) -> bytes:
    raw = key.encode("latin-1")
    if not 1 <= len(raw) <= 79 or b"\x00" in raw:
        raise ValueError(f"PNG text keyword must be 1-79 Latin-1 characters: {key!r}")
    return raw


def png_add_text(png: bytes, text: dict[str, str], international: bool = True) -> bytes:
    """PNG bytes with one text chunk per ``key -> text`` inserted before the first IDAT.

    ``international=True`` writes ``iTXt`` (UTF-8, uncompressed); ``False`` writes ``tEXt``
    (Latin-1, for readers that only know the basic chunk). Existing chunks with the same
    keyword are removed, so writing twice replaces rather than duplicates.
    """
    chunks = []
    for key, value in text.items():
        keyword = _check_keyword(key)
        if international:
            body = keyword + b"\x00\x00\x00\x00\x00" + value.encode("utf-8")
            chunks.append(_chunk(b"iTXt", body))
        else:
            chunks.append(_chunk(b"tEXt", keyword + b"\x00" + value.encode("latin-1")))
    out = [PNG_SIGNATURE]
    inserted = False
    for pos, kind, body in _iter_chunks(png):
        if kind in (b"tEXt", b"iTXt", b"zTXt") and body.split(b"\x00", 1)[0].decode(
            "latin-1"
        ) in text:
            continue
        if kind == b"IDAT" and not inserted:
            out.extend(chunks)
            inserted = True
        out.append(png[pos : pos + 12 + len(body)])
    if not inserted:
        raise FaceswapError("The PNG data has no image (IDAT) chunk.")
    return b"".join(out)


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header chunk, without decoding the image."""
    for _, kind, body in _iter_chunks(png):
        if kind == b"IHDR" and len(body) >= 8:
            width, height = struct.unpack(">II", body[:8])
            return int(width), int(height)
        break
    raise FaceswapError("The PNG data has no header (IHDR) chunk.")


def _inflate_text(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_TEXT_BYTES + 1)
    except zlib.error as err:
        raise FaceswapError(f"A compressed PNG text chunk is corrupt ({err}).") from None
    if len(out) > MAX_TEXT_BYTES:
        raise FaceswapError(f"A compressed PNG text chunk inflates past {MAX_TEXT_BYTES:,} "
                            "bytes; refused.")
    return out


def png_read_text(png: bytes) -> dict[str, str]:
    """Every ``tEXt``, ``zTXt`` and ``iTXt`` chunk of a PNG as ``keyword -> text``."""
    result: dict[str, str] = {}
    for _, kind, body in _iter_chunks(png):
        if kind == b"IDAT":
            continue
        if kind == b"tEXt":
            key, _, value = body.partition(b"\x00")
            result[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"zTXt":
            key, _, rest = body.partition(b"\x00")
            result[key.decode("latin-1")] = _inflate_text(rest[1:]).decode("latin-1")
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\x00")
            compressed, rest = rest[0], rest[2:]
            _language, _, rest = rest.partition(b"\x00")
            _translated, _, value = rest.partition(b"\x00")
            if compressed:
                value = _inflate_text(value)
            result[key.decode("latin-1")] = value.decode("utf-8")
    return result


def read_png_text(path: str | Path) -> dict[str, str]:
    """The text chunks of the PNG file at ``path``."""
    path = Path(path)
    try:
        return png_read_text(path.read_bytes())
    except OSError as err:
        raise FaceswapError(f"Cannot read '{path}': {err.strerror or err}.") from err
    except FaceswapError as err:
        raise FaceswapError(f"'{path}': {err}") from None


def write_face_png(path: str | Path, face: np.ndarray, metadata: dict[str, Any]) -> None:
    """Atomically write an aligned face PNG carrying ``metadata`` as JSON (keyword ``faceswap``)."""
    write_image(path, face, {FACE_KEY: json.dumps(metadata, separators=(",", ":"))})


def read_face_metadata(path: str | Path) -> dict[str, Any]:
    """The faceswap metadata of an aligned face PNG (see docs/formats.md).

    Raises FaceswapError when the file has none (not written by ``faceswap extract``).
    """
    text = read_png_text(path).get(FACE_KEY)
    if text is None:
        raise FaceswapError(
            f"'{path}' has no faceswap metadata: it was not written by `faceswap extract`. "
            "Extract faces with `faceswap extract` and train on its output folder."
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        if is_upstream_face_text(text):
            folder = Path(path).parent
            raise UpstreamFaceError(
                f"'{path}' is an aligned face written by upstream faceswap (deepfakes/faceswap):"
                " its metadata uses upstream's layout and framing, which faceswap does not read "
                f"directly. Convert the faces first: `faceswap import-upstream '{folder}' "
                "NEW_FOLDER`, then use NEW_FOLDER."
            ) from None
        raise FaceswapError(f"The faceswap metadata in '{path}' is corrupt: {err}.") from err


def is_upstream_face_text(text: str) -> bool:
    """True when a ``faceswap`` PNG text chunk holds upstream faceswap's ``str(dict)`` header."""
    return _UPSTREAM_FACE_TEXT.match(text[:64]) is not None
