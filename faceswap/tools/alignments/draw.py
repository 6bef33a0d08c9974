"""`faceswap alignments draw`: frames with boxes and landmarks drawn, to look at alignments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceswap.lib import alignments as alignments_file
from faceswap.lib import atomic
from faceswap.lib.alignments import Face
from faceswap.lib.errors import FaceswapError

# --- draw -------------------------------------------------------------------------------------


@dataclass
class DrawResult:
    output_dir: str
    frames_written: int
    faces_drawn: int
    not_in_source: list[str]  # frames of the file the source does not have


def annotate(image: np.ndarray, faces: list[Face]) -> np.ndarray:
    """A copy of ``image`` with each face's box (green), 68 landmarks (red) and index drawn."""
    import cv2

    out = image.copy()
    thickness = max(1, round(max(image.shape[:2]) / 500))
    for face in faces:
        x, y, w, h = face.box
        cv2.rectangle(out, (x, y), (x + w, y + h), (0, 255, 0), thickness, cv2.LINE_AA)
        for px, py in np.rint(face.landmarks).astype(int):
            cv2.circle(out, (int(px), int(py)), thickness + 1, (0, 0, 255), -1, cv2.LINE_AA)
        cv2.putText(out, str(face.index), (x, max(12, y - 4)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.5 * thickness, (0, 255, 0), thickness, cv2.LINE_AA)
    return out


def draw(alignments_path: str | Path, output_dir: str | Path, source: str | Path | None = None,
         progress: Callable[[int, int], None] | None = None) -> DrawResult:
    """Write every frame the alignments file lists with its faces drawn on it.

    Video frames are written as ``<frame>.jpg``, images under their own name. ``source``
    defaults to the path recorded in the file. ``progress(done, total)`` after each frame.
    """
    from faceswap.lib.image import write_image
    from faceswap.lib.sources import open_source

    path = Path(alignments_path)
    data = alignments_file.load(path)
    if source is None:
        source = data.source.get("path")
        if not source or not Path(source).exists():
            raise FaceswapError(f"The source recorded in '{path}' ({source or 'none'}) is not "
                                "there. Pass the video or folder of images with -i.")
    reader = open_source(source)
    out = Path(output_dir)
    if reader.kind != "video" and out.resolve() == (
            reader.path if reader.kind == "images" else reader.path.parent).resolve():
        raise FaceswapError(f"'{out}' is the source's own folder: drawing there would overwrite "
                            "the frames. Pass another output folder with -o.")
    if reader.keys is not None and data.frames and not set(reader.keys) & data.frames.keys():
        raise FaceswapError(f"'{source}' is not the source of '{path}': none of its frames is in "
                            "the file. Pass the video or folder it was extracted from with -i.")
    atomic.check_writable(out)
    result = DrawResult(str(out), 0, 0, [])
    wanted = len(data.frames)
    seen: set[str] = set()
    for item in reader.items():
        frame = data.frames.get(item.key)
        if frame is None:
            continue
        seen.add(item.key)
        image = annotate(item.load(), frame.faces)
        name = f"{item.key}.jpg" if reader.is_video else item.key
        write_image(out / name, image)
        result.frames_written += 1
        result.faces_drawn += len(frame.faces)
        if progress is not None:
            progress(result.frames_written, wanted)
        if len(seen) == wanted:
            break  # every listed frame drawn: no need to decode the rest of a video
    result.not_in_source = [name for name in data.frames if name not in seen]
    return result
