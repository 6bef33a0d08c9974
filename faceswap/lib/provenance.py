"""The "contains synthetic faces" tag that every ``faceswap convert`` output carries.

The tag is a plain-English sentence (for people and generic metadata viewers) plus a small JSON
payload (for programs): tool, version, UTC creation time, model name. It is stored where each
format keeps free text, so ordinary tools show it and re-saving in most editors keeps it:

* PNG: an ``iTXt`` chunk ``faceswap-provenance`` (sentence + JSON), a ``Description`` chunk
  (sentence) and an XMP packet naming the IPTC digital source type for AI composites.
* JPEG: a ``COM`` segment (sentence + JSON) and the same XMP packet in ``APP1``, both placed
  right after the JFIF/EXIF header segments (before them would break JFIF, which must come first).
* GIF: a comment extension (sentence + JSON).
* MP4/MOV/MKV: container metadata ``comment`` (sentence + JSON) and ``description`` (sentence),
  set by the video writer through PyAV (``video_metadata``).

``read_provenance(path)`` reads any of them back; ``faceswap provenance FILE`` prints it.
"""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from faceswap.lib import image as image_lib
from faceswap.lib.errors import FaceswapError
from faceswap.lib.version import __version__

KEY = "faceswap-provenance"  # PNG keyword and the marker line in free-text comments
SENTENCE = "This image/video contains synthetic (AI-swapped) faces. Made with faceswap {version}."
# IPTC NewsCodes term for "edited with trained algorithmic media" (what C2PA/IPTC readers look for).
DIGITAL_SOURCE_TYPE = (
    "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
)
XMP_KEYWORD = "XML:com.adobe.xmp"  # the PNG iTXt keyword XMP readers look for
_XMP_JPEG_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
_GIF_SIGNATURES = (b"GIF87a", b"GIF89a")


def make_info(info: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """The full provenance payload: defaults (tool, version, created now) updated by ``info``.

    Passing an already complete payload returns it unchanged (apart from dropping ``None``
    values), so writers can call this on whatever the caller gave them.
    """
    version = __version__
    payload: dict[str, Any] = {
        "synthetic": True,
        "text": SENTENCE.format(version=version),
        "tool": "faceswap",
        "version": version,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "digital_source_type": DIGITAL_SOURCE_TYPE,
    }
    payload.update(info or {})
    payload.update(fields)
    return {key: value for key, value in payload.items() if value is not None}


def tag_text(info: dict[str, Any] | None = None) -> str:
    """The free-text form: the sentence, then a ``faceswap-provenance: {json}`` line."""
    payload = make_info(info)
    return f"{payload['text']}\n{KEY}: {json.dumps(payload, separators=(',', ':'))}"


def parse_tag_text(text: str) -> dict[str, Any] | None:
    """The payload inside a free-text tag, or None when ``text`` holds no faceswap tag."""
    marker = f"{KEY}:"
    for line in text.splitlines():
        if line.startswith(marker):
            try:
                payload = json.loads(line[len(marker):])
            except json.JSONDecodeError:
                return None
            return payload if isinstance(payload, dict) else None
    return None


def video_metadata(info: dict[str, Any] | None = None) -> dict[str, str]:
    """Container metadata for a video (MP4 writes these as ``©cmt`` and ``desc`` atoms)."""
    payload = make_info(info)
    return {"comment": tag_text(payload), "description": payload["text"]}


def xmp_packet(info: dict[str, Any] | None = None) -> str:
    """A minimal XMP packet: description, creator tool and the IPTC digital source type."""
    payload = make_info(info)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">'
        f"<xmp:CreatorTool>{escape(payload['tool'])} {escape(str(payload['version']))}"
        "</xmp:CreatorTool>"
        f"<Iptc4xmpExt:DigitalSourceType>{escape(payload['digital_source_type'])}"
        "</Iptc4xmpExt:DigitalSourceType>"
        '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">'
        f"{escape(payload['text'])}</rdf:li></rdf:Alt></dc:description>"
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )


# --- PNG -------------------------------------------------------------------------------------

def tag_png(png_bytes: bytes, info: dict[str, Any] | None = None) -> bytes:
    """PNG bytes with the tag added as text chunks (replacing an earlier tag)."""
    payload = make_info(info)
    return image_lib.png_add_text(
        png_bytes,
        {
            KEY: tag_text(payload),
            "Description": payload["text"],
            XMP_KEYWORD: xmp_packet(payload),
        },
    )


def _read_png(data: bytes) -> dict[str, Any] | None:
    text = image_lib.png_read_text(data).get(KEY)
    return parse_tag_text(text) if text is not None else None


# --- JPEG ------------------------------------------------------------------------------------

def _jpeg_segments(data: bytes):
    """Yield ``(start, end, marker, body)`` for each header segment up to (not including) SOS."""
    if not data.startswith(b"\xff\xd8"):
        raise FaceswapError("Not a JPEG file (no SOI marker).")
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise FaceswapError("The JPEG header is corrupt (expected a marker).")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0xDA or marker == 0xD9:  # SOS / EOI: image data starts, header over
            return
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise FaceswapError("The JPEG file is truncated (a segment runs past the end).")
        yield pos, end, marker, data[pos + 4 : end]
        pos = end


def _segment(marker: int, body: bytes) -> bytes:
    if len(body) > 65533:
        raise ValueError("JPEG segment body longer than 65533 bytes")
    return bytes((0xFF, marker)) + struct.pack(">H", len(body) + 2) + body


def _is_our_xmp(body: bytes) -> bool:
    return DIGITAL_SOURCE_TYPE.encode() in body and b"<xmp:CreatorTool>faceswap " in body


def tag_jpeg(jpeg_bytes: bytes, info: dict[str, Any] | None = None) -> bytes:
    """JPEG bytes with a COM segment and an XMP APP1 segment (an earlier tag is replaced)."""
    payload = make_info(info)
    ours = _segment(0xFE, tag_text(payload).encode("utf-8")) + _segment(
        0xE1, _XMP_JPEG_HEADER + xmp_packet(payload).encode("utf-8")
    )
    keep: list[bytes] = []
    insert_at = 0  # index in keep after the leading APP0 (JFIF) / APP1 (EXIF) segments
    header_end = 2
    for start, end, marker, body in _jpeg_segments(jpeg_bytes):
        header_end = end
        earlier_tag = (
            marker == 0xFE and parse_tag_text(body.decode("utf-8", "replace")) is not None
        ) or (marker == 0xE1 and body.startswith(_XMP_JPEG_HEADER) and _is_our_xmp(body))
        if earlier_tag:
            continue
        keep.append(jpeg_bytes[start:end])
        if marker in (0xE0, 0xE1) and insert_at == len(keep) - 1:
            insert_at = len(keep)
    keep.insert(insert_at, ours)
    return b"\xff\xd8" + b"".join(keep) + jpeg_bytes[header_end:]


def _read_jpeg(data: bytes) -> dict[str, Any] | None:
    for _, _, marker, body in _jpeg_segments(data):
        if marker == 0xFE:
            payload = parse_tag_text(body.decode("utf-8", errors="replace"))
            if payload is not None:
                return payload
    return None


# --- GIF -------------------------------------------------------------------------------------

def _gif_sub_blocks(data: bytes, pos: int) -> tuple[bytes, int]:
    """Concatenated data sub-blocks starting at ``pos`` and the position after the terminator."""
    out = bytearray()
    while True:
        if pos >= len(data):
            raise FaceswapError("The GIF file is truncated (a data block runs past the end).")
        size = data[pos]
        pos += 1
        if size == 0:
            return bytes(out), pos
        out += data[pos : pos + size]
        pos += size


def _gif_blocks(data: bytes):
    """Yield ``(start, end, kind, label, body)`` for every block after the global colour table.

    ``kind`` is 0x21 (extension, ``label`` its type) or 0x2C (image); parsing stops at the trailer.
    """
    if data[:6] not in _GIF_SIGNATURES or len(data) < 13:
        raise FaceswapError("Not a GIF file (bad signature).")
    flags = data[10]
    pos = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    while pos < len(data):
        start, kind = pos, data[pos]
        if kind == 0x3B:  # trailer
            return
        if kind == 0x21:
            label = data[pos + 1]
            body, pos = _gif_sub_blocks(data, pos + 2)
            yield start, pos, kind, label, body
        elif kind == 0x2C:
            local = data[pos + 9]
            pos += 10 + (3 * 2 ** ((local & 7) + 1) if local & 0x80 else 0)
            _, pos = _gif_sub_blocks(data, pos + 1)  # +1 skips the LZW minimum code size
            yield start, pos, kind, 0, b""
        else:
            raise FaceswapError("The GIF file is corrupt (unknown block type).")
    raise FaceswapError("The GIF file is truncated (no trailer).")


def gif_comment_block(text: str) -> bytes:
    """A GIF comment extension holding ``text`` (split into 255-byte sub-blocks)."""
    raw = text.encode("utf-8")
    blocks = b"".join(bytes((len(part),)) + part for part in
                      (raw[i : i + 255] for i in range(0, len(raw), 255)))
    return b"\x21\xfe" + blocks + b"\x00"


def tag_gif(gif_bytes: bytes, info: dict[str, Any] | None = None) -> bytes:
    """GIF bytes with a comment extension holding the tag (an earlier tag is replaced).

    The comment goes after any application extension that follows the colour table (the
    NETSCAPE looping block is expected there) and before the first frame.
    """
    comment = gif_comment_block(tag_text(info))
    out = bytearray()
    flags = gif_bytes[10] if len(gif_bytes) > 10 else 0
    header_end = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    out += gif_bytes[:header_end]
    inserted = False
    pos = header_end
    for start, end, kind, label, body in _gif_blocks(gif_bytes):
        pos = end
        if kind == 0x21 and label == 0xFE and parse_tag_text(body.decode("utf-8", "replace")):
            continue
        if not inserted and not (kind == 0x21 and label == 0xFF):
            out += comment
            inserted = True
        out += gif_bytes[start:end]
    if not inserted:
        out += comment
    out += gif_bytes[pos:]
    return bytes(out)


def _read_gif(data: bytes) -> dict[str, Any] | None:
    for _, _, kind, label, body in _gif_blocks(data):
        if kind == 0x21 and label == 0xFE:
            payload = parse_tag_text(body.decode("utf-8", errors="replace"))
            if payload is not None:
                return payload
    return None


# --- video -----------------------------------------------------------------------------------

def _read_video(path: Path) -> dict[str, Any] | None:
    try:
        import av
    except ImportError as err:
        raise FaceswapError("PyAV is not installed. Install it with: pip install av") from err
    try:
        with av.open(str(path)) as container:
            metadata = dict(container.metadata)
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as err:
        raise FaceswapError(
            f"'{path}' is not a PNG, JPEG, GIF or a video FFmpeg can read ({err})."
        ) from None
    # Matroska stores tag names in upper case (COMMENT), MP4/MOV in lower case.
    metadata = {key.lower(): value for key, value in metadata.items()}
    for key in ("comment", "description"):
        payload = parse_tag_text(metadata.get(key, ""))
        if payload is not None:
            return payload
    return None


def read_provenance(path: str | Path) -> dict[str, Any] | None:
    """The provenance payload of a PNG, JPEG, GIF or video file, or None when it has no tag.

    Raises FaceswapError when the file cannot be read or is not one of those formats.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
            is_image = head == image_lib.PNG_SIGNATURE or head[:2] == b"\xff\xd8" or (
                head[:6] in _GIF_SIGNATURES
            )
            # Images are small and parsed in memory; videos are left to FFmpeg.
            data = head + handle.read() if is_image else b""
    except OSError as err:
        raise FaceswapError(f"Cannot read '{path}': {err.strerror or err}.") from err
    try:
        if head == image_lib.PNG_SIGNATURE:
            return _read_png(data)
        if head[:2] == b"\xff\xd8":
            return _read_jpeg(data)
        if head[:6] in _GIF_SIGNATURES:
            return _read_gif(data)
    except FaceswapError as err:
        raise FaceswapError(f"'{path}': {err} The file may be truncated or corrupt.") from None
    return _read_video(path)
