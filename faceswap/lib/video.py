"""Video frames through PyAV (FFmpeg inside the wheel): stable names, every-Nth, rotation.

Frames are numbered from 0 in decode (presentation) order, which is the order every PyAV/FFmpeg
reader returns them, so names are the same on every run and in every faceswap command:
``<video stem>_<frame index:06d>`` (``frame_name``). Frames come back as C-contiguous BGR uint8
arrays, already turned upright when the container carries a rotation (phone videos).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from faceswap.lib.errors import FaceswapError

VIDEO_EXTENSIONS = (".avi", ".flv", ".m4v", ".mkv", ".mov", ".mp4", ".mpeg", ".mpg", ".ts",
                    ".webm", ".wmv")


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    frame_count: int  # from the container; 0 when it does not say
    fps: float  # float(rate), 0.0 when unknown: what JSON files record
    width: int  # after rotation
    height: int
    rotation: int  # degrees counter-clockwise applied to make frames upright
    codec: str
    # Exact (29.97 is 30000/1001): a float rate makes output timestamps drift on long videos.
    rate: Fraction | None = None


def is_video_file(path: str | Path) -> bool:
    """True when the file name has a common video extension."""
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


def first_video(*paths: str | Path | None) -> Path | None:
    """The first of ``paths`` that is an existing video file: convert's output takes its frame
    rate and its audio from the same one (the input video, else ``--reference-video``)."""
    for path in paths:
        if path is not None and is_video_file(path) and Path(path).is_file():
            return Path(path)
    return None


def frame_name(video: str | Path, index: int) -> str:
    """The stable name of frame ``index`` (0-based) of ``video``: ``<stem>_<index:06d>``."""
    return f"{Path(video).stem}_{index:06d}"


def _import_av():
    try:
        import av
    except ImportError as err:
        raise FaceswapError("PyAV is not installed. Install it with: pip install av") from err
    return av


def _open(path: Path):
    av = _import_av()
    if not path.is_file():
        raise FaceswapError(f"No video file at '{path}'.")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as err:
        raise FaceswapError(
            f"'{path}' is not a video FFmpeg can read ({err}). Pass a video file (mp4, mov, mkv, "
            "...), an image or a folder of images."
        ) from None
    if not container.streams.video:
        container.close()
        raise FaceswapError(f"'{path}' has no video stream. Pass a file that contains video.")
    return container


def _rotation(stream, frame=None) -> int:
    # PyAV >= 13 exposes the display-matrix rotation on frames; older containers use a tag.
    angle = getattr(frame, "rotation", None) if frame is not None else None
    if angle is None:
        try:
            angle = int(float(stream.metadata.get("rotate", 0)))
        except ValueError:
            angle = 0
    return round(angle) % 360


def _upright(image: np.ndarray, rotation: int) -> np.ndarray:
    # ``rotation`` is counter-clockwise degrees the frame must be turned to display upright.
    turns = {90: 1, 180: 2, 270: 3}.get(rotation, 0)
    return np.rot90(image, turns) if turns else image


def video_info(path: str | Path) -> VideoInfo:
    """Size, frame count, exact frame rate and rotation of the first video stream."""
    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        rotation = _rotation(stream)
        try:
            first = next(container.decode(stream))
            rotation = _rotation(stream, first)
            width, height = first.width, first.height
        except StopIteration:
            raise FaceswapError(f"'{path}' contains no decodable video frames.") from None
        except _import_av().error.FFmpegError as err:
            raise FaceswapError(f"'{path}' could not be decoded: {err}.") from None
        if rotation in (90, 270):
            width, height = height, width
        # FFmpeg leaves average_rate unset for some streams (raw elementary streams, say); its
        # guess from the codec's timing is then the best there is.
        exact = stream.average_rate or stream.guessed_rate
        rate = Fraction(exact) if exact else None
        return VideoInfo(path=path, frame_count=int(stream.frames or 0),
                         fps=float(rate) if rate else 0.0, width=width, height=height,
                         rotation=rotation, codec=stream.codec_context.name, rate=rate)
    finally:
        container.close()


def frames(
    path: str | Path, every_n: int = 1, start: int = 0
) -> Iterator[tuple[int, str, np.ndarray]]:
    """Yield ``(index, name, bgr)`` for every ``every_n``-th frame from index ``start``.

    Frames that are skipped are still decoded (needed for inter-frame codecs) but not converted,
    which is the expensive part.
    """
    if every_n < 1:
        raise ValueError("every_n must be >= 1")
    path = Path(path)
    av = _import_av()
    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # frame-threaded decoding
        index = -1
        try:
            for frame in container.decode(stream):
                index += 1
                if index < start or (index - start) % every_n:
                    continue
                image = frame.to_ndarray(format="bgr24")  # swscale handles odd sizes
                image = _upright(image, _rotation(stream, frame))
                yield index, frame_name(path, index), np.ascontiguousarray(image)
        except av.error.FFmpegError as err:
            if index < 0:
                raise FaceswapError(
                    f"'{path}' could not be decoded as video ({err}). Pass a video file, an "
                    "image or a folder of images."
                ) from None
            raise FaceswapError(
                f"Decoding '{path}' failed after frame {index} ({err}). The file may be "
                "truncated; frames up to that point were processed."
            ) from None
    finally:
        container.close()
