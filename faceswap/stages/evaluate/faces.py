"""Faces to measure: landmarks near a known box, a person's reference faces, identity."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceswap.lib.alignments import box_iou
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import is_image_file, list_images, read_face_metadata, read_image
from faceswap.lib.video import frames as video_frames
from faceswap.lib.video import video_info
from faceswap.stages.evaluate.metrics import sample_evenly

logger = logging.getLogger(__name__)

#: Detections overlapping the known face box less than this are another face (or none).
MIN_IOU = 0.3

Box = tuple[int, int, int, int]


@dataclass
class Measured:
    landmarks: np.ndarray
    box: Box
    detected: bool  # False: the detector found nothing near the expected box


class FaceTools:
    """Detector, aligner and identity embedding, loaded once."""

    def __init__(self, detector: str, aligner: str) -> None:
        from faceswap.lib.registry import load_plugin

        self.detector = load_plugin("detect", detector)
        self.aligner = load_plugin("align", aligner)

    def measure(self, image: np.ndarray, box: Sequence[int]) -> Measured:
        """Landmarks of the face near ``box``: detect in a window around it, then align."""
        x, y, w, h = (int(v) for v in box)
        pad = max(w, h)
        height, width = image.shape[:2]
        x0, y0 = max(0, x - pad), max(0, y - pad)
        x1, y1 = min(width, x + w + pad), min(height, y + h + pad)
        # A window, not the frame: cheaper, and other faces in the frame cannot be picked.
        found = [((d.box[0] + x0, d.box[1] + y0, d.box[2], d.box[3]))
                 for d in self.detector.detect(np.ascontiguousarray(image[y0:y1, x0:x1]))]
        scored = [(box_iou(b, (x, y, w, h)), b) for b in found]
        best = max(scored, default=(0.0, None), key=lambda item: item[0])
        detected = best[1] is not None and best[0] >= MIN_IOU
        use: Box = tuple(int(v) for v in best[1]) if detected else (x, y, w, h)  # type: ignore[assignment,arg-type]
        landmarks = np.asarray(self.aligner.landmarks(image, use), dtype=np.float64)
        return Measured(landmarks, use, detected)

    def largest(self, image: np.ndarray) -> Measured | None:
        """The largest face of ``image`` (None: no face)."""
        found = self.detector.detect(image)
        if not found:
            return None
        box = max(found, key=lambda d: d.box[2] * d.box[3]).box
        landmarks = np.asarray(self.aligner.landmarks(image, box), dtype=np.float64)
        return Measured(landmarks, tuple(int(v) for v in box), True)  # type: ignore[arg-type]

    @staticmethod
    def embedding(image: np.ndarray, measured: Measured) -> np.ndarray:
        from faceswap.lib.identity import face_embedding

        return face_embedding(image, measured.box, measured.landmarks)


def landmark_box(landmarks: np.ndarray) -> Box:
    low, high = landmarks.min(axis=0), landmarks.max(axis=0)
    return (int(low[0]), int(low[1]), int(high[0] - low[0]) + 1, int(high[1] - low[1]) + 1)


@dataclass
class FaceImage:
    """One reference face: the image it is in and its landmarks there."""

    image: np.ndarray
    landmarks: np.ndarray
    box: Box
    name: str


def png_landmarks(path: Path) -> np.ndarray | None:
    # Faces written by `faceswap extract` carry their landmarks: no detection needed.
    if path.suffix.lower() != ".png":
        return None
    try:
        face = read_face_metadata(path).get("face") or {}
    except FaceswapError:
        return None
    points = face.get("aligned_landmarks") if isinstance(face, dict) else None
    if points is None:
        return None
    points = np.asarray(points, dtype=np.float64)
    return points if points.shape == (68, 2) and np.isfinite(points).all() else None


def load_faces(path: Path, count: int, tools: FaceTools) -> list[FaceImage]:
    """Up to ``count`` faces of one person from a folder of faces/images, an image or a video."""
    path = Path(path)
    out: list[FaceImage] = []

    def add(image: np.ndarray, name: str, landmarks: np.ndarray | None) -> None:
        if landmarks is None:
            found = tools.largest(image)
            if found is None:
                logger.debug("No face in '%s'; not used.", name)
                return
            out.append(FaceImage(image, found.landmarks, found.box, name))
        else:
            out.append(FaceImage(image, landmarks, landmark_box(landmarks), name))

    if path.is_dir():
        images = list_images(path)
        if not images:
            raise FaceswapError(f"The folder '{path}' holds no images of faces.")
        for image_path in sample_evenly(images, count):
            try:
                image = read_image(image_path)
            except FaceswapError as err:
                logger.warning("Skipping '%s': %s", image_path, err)
                continue
            add(image, image_path.name, png_landmarks(image_path))
    elif is_image_file(path):
        add(read_image(path), path.name, png_landmarks(path))
    elif path.exists():
        info = video_info(path)
        every = max(1, info.frame_count // count) if info.frame_count else 1
        for _, name, frame in video_frames(path, every_n=every):
            add(frame, name, None)
            if len(out) >= count:
                break
    else:
        raise FaceswapError(f"'{path}' does not exist. Pass a folder of faces, an image or a "
                            "video of the person.")
    if not out:
        raise FaceswapError(f"No face found in '{path}'. Pass faces extracted with "
                            "`faceswap extract`, or photos/video where the face is visible.")
    return out
