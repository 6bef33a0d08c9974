"""One input, whatever it is: an image, a folder of images or a video.

extract, convert and evaluate all read "person A's input" the same way, and the keys they use
must agree because they meet in the alignments file: a folder's images are keyed by file name
(``frame_0001.png``), a video's frames by ``<video stem>_<index:06d>`` (``video.frame_name``).
``open_source`` decides what the path is, once, with the same error messages everywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import IMAGE_EXTENSIONS, is_image_file, list_images, read_image
from faceswap.lib.video import frame_name, is_video_file, video_info
from faceswap.lib.video import frames as video_frames

logger = logging.getLogger(__name__)

KINDS = ("image", "images", "video")


@dataclass(frozen=True)
class SourceFrame:
    """One frame of a source; ``load()`` decodes it (raises FaceswapError when unreadable)."""

    index: int  # position in the source (video frame number, or image position in the folder)
    key: str  # the frame's key in the alignments file
    stem: str  # base name for files derived from the frame
    load: Callable[[], np.ndarray]


@dataclass
class Source:
    """A readable input. ``keys`` lists every frame's key in order (None: a video that does not
    say how many frames it has); ``total`` counts the frames ``frames()`` yields.

    ``rate`` is a video's exact frame rate (None for images, or a video that does not say), so
    the convert writer can time its frames without opening the input again; ``fps`` is its
    float view, defaulting to ``float(rate)``, for the JSON files and filters that take a number.
    """

    path: Path
    kind: str  # one of KINDS
    keys: list[str] | None
    total: int
    every_n: int = 1
    fps: float | None = None
    rate: Fraction | None = None
    info: dict[str, Any] = field(default_factory=dict)  # what the alignments file records
    _items: Callable[[], Iterator[SourceFrame]] | None = None

    def __post_init__(self) -> None:
        if self.fps is None and self.rate:
            self.fps = float(self.rate)

    @property
    def is_video(self) -> bool:
        return self.kind == "video"

    def items(self) -> Iterator[SourceFrame]:
        """Every ``every_n``-th frame, not yet decoded (images are read by ``load()``)."""
        assert self._items is not None
        return self._items()

    def frames(self) -> Iterator[tuple[int, str, str, np.ndarray]]:
        """``(index, key, stem, bgr)`` for every ``every_n``-th frame, decoded."""
        for item in self.items():
            yield item.index, item.key, item.stem, item.load()


def open_source(path: str | Path, every_n: int = 1) -> Source:
    """The frames of an image, a folder of images or a video (anything FFmpeg decodes).

    Raises FaceswapError naming the problem when the path is missing, an empty folder or a file
    that is neither an image nor a video.
    """
    if every_n < 1:
        raise FaceswapError("-een/--extract-every-n must be 1 or more.")
    path = Path(path)
    absolute = str(path.absolute())
    if path.is_dir():
        images = list_images(path)
        if not images:
            raise FaceswapError(
                f"The folder '{path}' holds no images (looked for "
                f"{'/'.join(e.lstrip('.') for e in IMAGE_EXTENSIONS)}). Pass a folder of images, "
                "an image or a video."
            )
        chosen = list(enumerate(images))[::every_n]

        def folder_items() -> Iterator[SourceFrame]:
            for index, image in chosen:
                yield SourceFrame(index, image.name, image.stem, lambda p=image: read_image(p))

        return Source(path, "images", [p.name for p in images], len(chosen), every_n,
                      info={"path": absolute, "kind": "images", "frame_count": len(images)},
                      _items=folder_items)
    if not path.exists():
        raise FaceswapError(f"'{path}' does not exist. Pass an image, a folder of images or a "
                            "video.")
    if is_image_file(path):
        def image_items() -> Iterator[SourceFrame]:
            yield SourceFrame(0, path.name, path.stem, lambda: read_image(path))

        return Source(path, "image", [path.name], 1, every_n,
                      info={"path": absolute, "kind": "image", "frame_count": 1},
                      _items=image_items)
    # Anything else is tried as video; FFmpeg decides (video_info raises a clear error).
    info = video_info(path)
    if not is_video_file(path):
        logger.info("'%s' has no video extension but FFmpeg can decode it; treating it as video.",
                    path.name)

    def video_items() -> Iterator[SourceFrame]:
        for index, name, frame in video_frames(path, every_n=every_n):
            yield SourceFrame(index, name, name, lambda f=frame: f)

    keys = [frame_name(path, i) for i in range(info.frame_count)] if info.frame_count else None
    total = -(-info.frame_count // every_n) if info.frame_count else 0
    return Source(path, "video", keys, total, every_n, fps=info.fps, rate=info.rate, info={
        "path": absolute, "kind": "video", "frame_count": info.frame_count, "fps": info.fps,
        "width": info.width, "height": info.height, "rotation": info.rotation,
        "codec": info.codec}, _items=video_items)
