"""A video (PyAV, H.264 mp4 by default) with the source's frame rate, frame count and audio."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from faceswap.lib import atomic, provenance
from faceswap.lib.errors import FaceswapError
from faceswap.lib.video import first_video
from faceswap.plugins.convert.writer._base import WriterBase, check_frame

logger = logging.getLogger(__name__)

# container None: from OUTPUT's suffix. audio: copy the source's (or reference video's) audio.
OPTIONS: dict[str, Any] = {
    "codec": "libx264", "crf": 23, "preset": "medium", "container": None, "audio": True,
}
# -O container=NAME (or OUTPUT's suffix) -> FFmpeg muxer name. Only containers that keep the
# provenance comment are offered: MPEG-PS/TS (.mpg, .ts) have nowhere to store it.
CONTAINERS = {"mp4": "mp4", "m4v": "mp4", "mov": "mov", "mkv": "matroska", "avi": "avi",
              "flv": "flv", "webm": "webm"}
_CRF_CODECS = ("libx264", "libx265")  # the encoders that take crf/preset
_SMPTE170M, _RANGE_LIMITED = 6, 1  # FFmpeg's AVCOL_*_SMPTE170M (BT.601) and AVCOL_RANGE_MPEG


class _AbortedError(Exception):
    """Handed to atomic_path to make it discard the temporary file."""


def _av():
    try:
        import av
    except ImportError as err:
        raise FaceswapError("PyAV is not installed. Install it with: pip install av") from err
    return av


class Writer(WriterBase):
    """Encodes frames as they arrive into a temporary file beside OUTPUT, muxing the source's
    audio packets alongside (copied, not re-encoded), and renames it to OUTPUT on ``close``.

    Frames get timestamps 0, 1, 2, ... at ``fps`` (the source's exact rate, as convert passes
    it), so the output has exactly as many frames as were written and the same fps (FFmpeg's
    CLI would instead duplicate or drop frames to a constant rate; see docs on the frame-count
    gotcha).
    """

    OPTIONS = OPTIONS
    NAME = "video"

    def __init__(self, output: Path, **kwargs) -> None:
        super().__init__(output, **kwargs)
        container = self.options["container"]
        if container is not None and str(container).lower() not in CONTAINERS:
            raise FaceswapError(
                f"Unknown container '{container}'. Choose one of: {', '.join(CONTAINERS)}."
            )
        if container is None and self.output.suffix.lower().lstrip(".") not in CONTAINERS:
            raise FaceswapError(
                f"The video writer needs an output file name ending in one of "
                f"{', '.join('.' + key for key in CONTAINERS)}; got '{self.output}'. Use e.g. "
                "-o swapped.mp4, or pick another writer with -w."
            )
        self.format = CONTAINERS[str(container).lower()] if container else None
        self.codec = str(self.options["codec"])
        if self.codec not in _av().codecs_available:
            raise FaceswapError(
                f"This FFmpeg build has no '{self.codec}' encoder. Use -O codec=libx264."
            )
        self.rate = self.frame_rate()
        atomic.check_writable(self.output.parent)
        self.frame_count = 0
        self._stack: contextlib.ExitStack | None = None
        self._container = None
        self._stream = None
        self._size: tuple[int, int] | None = None  # width, height as given
        self._padded: tuple[int, int] | None = None  # width, height encoded (even)
        self._audio_in = None
        self._audio: Iterator[tuple[float, Any]] | None = None
        self._audio_next: tuple[float, Any] | None = None
        self._result: list[Path] | None = None  # set once closed or aborted

    # --- opening -----------------------------------------------------------------------------

    def _audio_source(self) -> Path | None:
        if not self.options["audio"]:
            return None
        return first_video(self.source, self.reference_video)

    def _open(self, width: int, height: int) -> None:
        av = _av()
        self._size = (width, height)
        # yuv420p stores colour at half resolution, so H.264 needs even sizes: pad by repeating
        # the last row/column (cropping would lose picture).
        self._padded = (width + width % 2, height + height % 2)
        if self._padded != self._size:
            logger.warning(
                "Frames are %dx%d; yuv420p video needs even sizes, so the video is padded to "
                "%dx%d by repeating the last row/column.", width, height, *self._padded,
            )
        stack = contextlib.ExitStack()
        tmp = stack.enter_context(atomic.atomic_path(self.output))
        self._stack = stack
        try:
            options = {}
            if (self.format or self.output.suffix.lower().lstrip(".")) in ("mp4", "m4v", "mov"):
                options["movflags"] = "+faststart"  # index first: plays while downloading
            self._container = av.open(
                str(tmp), "w", format=self.format, container_options=options
            )
            self._container.metadata.update(provenance.video_metadata(self.info))
            stream = self._container.add_stream(self.codec, rate=self.rate)
            stream.width, stream.height = self._padded
            stream.pix_fmt = "yuv420p"
            # swscale converts BGR with BT.601 limited-range coefficients; say so in the stream,
            # or players guess BT.709 for HD sizes and shift the colours.
            context = stream.codec_context
            context.colorspace = context.color_primaries = context.color_trc = _SMPTE170M
            context.color_range = _RANGE_LIMITED
            crf = str(self.options["crf"])
            if self.codec in _CRF_CODECS:
                stream.options = {"crf": crf, "preset": str(self.options["preset"])}
            elif self.codec.startswith("libvpx"):
                # VP8/VP9 use crf only in constant-quality mode, which needs bitrate 0.
                stream.options = {"crf": crf, "b": "0"}
            self._stream = stream
            self._open_audio()
        except (av.error.FFmpegError, ValueError) as err:
            self.abort()
            raise FaceswapError(
                f"Cannot write '{self.output}' with codec {self.codec} ({err}). Check the output "
                "extension suits the codec (e.g. .mp4 or .mkv for libx264, .webm for libvpx-vp9)."
            ) from None

    def _open_audio(self) -> None:
        path = self._audio_source()
        if path is None:
            return
        av = _av()
        source = av.open(str(path))
        if not source.streams.audio:
            source.close()
            return
        self._audio_in = source
        template = source.streams.audio[0]
        # Keep audio in step with video: if the source's video starts later than 0, its audio
        # packets move back by the same amount, as our video starts at 0.
        video = source.streams.video[0] if source.streams.video else None
        offset = float(video.start_time * video.time_base) if video is not None and (
            video.start_time) else 0.0
        name = template.codec_context.name
        if name in self._container.supported_codecs:
            try:
                out = self._container.add_stream_from_template(template)
                self._audio = self._copy_audio(template, out, offset)
                logger.info("Copying the %s audio of '%s' (no re-encode).", name, path.name)
                return
            except (av.error.FFmpegError, ValueError) as err:
                logger.warning("Cannot copy the %s audio of '%s' (%s).", name, path.name, err)
        # AAC where the container takes it; WebM takes only Opus/Vorbis.
        codec = "aac" if "aac" in self._container.supported_codecs else "libopus"
        logger.warning("Re-encoding the %s audio of '%s' to %s for this container.",
                       name, path.name, "AAC" if codec == "aac" else "Opus")
        channels = template.codec_context.layout.nb_channels
        if codec == "aac":
            out = self._container.add_stream("aac", rate=template.codec_context.sample_rate)
            # A default layout for the channel count: an "unspecified order" layout (e.g. from
            # Matroska PCM) makes the AAC encoder refuse to open.
            out.layout = f"{channels}c"
        else:  # libopus runs at 48 kHz, mono or stereo; PyAV resamples the decoded audio
            out = self._container.add_stream("libopus", rate=48000)
            out.layout = "mono" if channels == 1 else "stereo"
        self._audio = self._encode_audio(template, out, offset)

    def _copy_audio(self, template, out, offset: float) -> Iterator[tuple[float, Any]]:
        shift = round(offset / template.time_base) if offset else 0
        for packet in self._audio_in.demux(template):
            if packet.dts is None:  # the demuxer's empty flush packet
                continue
            if shift:
                packet.pts = packet.pts - shift if packet.pts is not None else None
                packet.dts -= shift
            when = float(packet.dts * packet.time_base)
            packet.stream = out
            yield when, packet

    def _encode_audio(self, template, out, offset: float) -> Iterator[tuple[float, Any]]:
        for packet in self._audio_in.demux(template):
            for frame in packet.decode():
                if frame.pts is not None and offset:
                    frame.pts -= round(offset / frame.time_base)
                for encoded in out.encode(frame):
                    yield float(encoded.dts * encoded.time_base), encoded
        for encoded in out.encode(None):
            yield float(encoded.dts * encoded.time_base), encoded

    def _mux_audio(self, until: float | None) -> None:
        # Interleave: mux audio up to the time of the last video frame (all of it when None),
        # so players do not have to seek between a block of video and a block of audio.
        if self._audio is None:
            return
        while True:
            if self._audio_next is None:
                self._audio_next = next(self._audio, None)
                if self._audio_next is None:
                    self._audio = None
                    return
            when, packet = self._audio_next
            if until is not None and when > until:
                return
            self._container.mux(packet)
            self._audio_next = None

    # --- writing -----------------------------------------------------------------------------

    def write(self, name: str, frame: np.ndarray) -> None:
        if self._result is not None:
            raise FaceswapError("This video writer is already closed; make a new one.")
        frame = check_frame(frame)
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        elif frame.shape[2] == 4:
            frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
        height, width = frame.shape[:2]
        if self._container is None:
            self._open(width, height)
        if (width, height) != self._size:
            raise FaceswapError(
                f"Frame '{name}' is {width}x{height} but the video is {self._size[0]}x"
                f"{self._size[1]}; every frame of a video must have the same size."
            )
        if self._padded != self._size:
            frame = cv2.copyMakeBorder(frame, 0, self._padded[1] - height, 0,
                                       self._padded[0] - width, cv2.BORDER_REPLICATE)
        av = _av()
        video_frame = av.VideoFrame.from_ndarray(frame, format="bgr24")
        video_frame.pts = self.frame_count
        video_frame.time_base = Fraction(1) / self.rate
        try:
            for packet in self._stream.encode(video_frame):
                self._container.mux(packet)
            self._mux_audio(self.frame_count / float(self.rate))
        except av.error.FFmpegError as err:
            self.abort()
            raise FaceswapError(
                f"Encoding '{self.output}' failed at frame '{name}': {err}."
            ) from None
        self.frame_count += 1

    def close(self) -> list[Path]:
        if self._result is not None:  # closing twice is harmless
            return list(self._result)
        if self._container is None:
            logger.warning("No frames were written, so no video was made at '%s'.", self.output)
            self.abort()
            return []
        av = _av()
        try:
            for packet in self._stream.encode(None):  # flush the encoder's delayed frames
                self._container.mux(packet)
            self._mux_audio(None)
            self._container.close()
            self._container = None
            self._close_audio()
            stack, self._stack = self._stack, None
            stack.close()  # fsync, then rename the temporary file to OUTPUT
        except av.error.FFmpegError as err:
            self.abort()
            raise FaceswapError(f"Finishing '{self.output}' failed: {err}.") from None
        except BaseException:
            self.abort()
            raise
        logger.info("Wrote %d frames at %s fps to '%s'.", self.frame_count, self.rate, self.output)
        self._result = [self.output]
        return [self.output]

    def _close_audio(self) -> None:
        self._audio = None
        if self._audio_in is not None:
            with contextlib.suppress(Exception):
                self._audio_in.close()
            self._audio_in = None

    def abort(self) -> None:
        if self._result is None:
            self._result = []
        if self._container is not None:
            # Closing writes a trailer into the temporary file, which is deleted just below.
            with contextlib.suppress(Exception):
                self._container.close()
            self._container = None
        self._close_audio()
        if self._stack is not None:
            stack, self._stack = self._stack, None
            # atomic_path removes its temporary file when its block ends with an exception.
            stack.__exit__(_AbortedError, _AbortedError(), None)
