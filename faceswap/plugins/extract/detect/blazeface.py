"""MediaPipe BlazeFace (short range, 128x128 input) run through ``cv2.dnn``: the lightest detector.

Google's ``face_detection_short_range.tflite`` (Apache-2.0) ships inside faceswap
(``plugins/extract/weights/``, licence in its NOTICE.md), so it needs no extra package; neither
MediaPipe nor TensorFlow Lite is used. The anchors and box decoding are written here from the
model's published layout.

On the shared clips it finds the same faces as dlib-hog at 6-7x its detection rate (3-7 ms
a frame), and dlib-68 places its landmarks within 0.01-0.02 inter-ocular distances of where it
places them from dlib-hog's boxes (``bench/extract_speed.py --compare blazeface``). It also finds
profiles that dlib-hog misses. The model was trained on selfie-style frames (faces within ~2 m
of the camera): one pass finds faces down to about a tenth of the frame's longer side, a tiled
retry on empty frames down to about 0.07; dlib-hog's upsampled retry reaches smaller ones.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from faceswap.plugins.extract._base import Detection, shipped_weights, to_dlib_box

NAME = "blazeface"
INPUT_SIZE = 128
# Real faces in the shared clips and stills score 0.77 or more; non-faces reached 0.58 (a cat,
# a colour chart, a painting), which MediaPipe's own 0.5 would keep.
CONFIDENCE = 0.65
NMS_IOU = 0.3
# The short-range model misses faces narrower than ~0.1 of the frame's longer side; when a
# frame gives nothing, it is searched again in overlapping tiles this fraction of that side.
TILE_FRACTION = 0.6
# BlazeFace's boxes are dlib's size already but sit a little lower; mapped onto dlib's
# convention (centre shift x, y and scale w, h as fractions of the box): median over 130 faces
# of the shared clips and stills matched to dlib-hog (bench/extract_speed.py --calibrate).
BOX_TO_DLIB = (0.0, -0.035, 0.995, 0.995)
# SSD layers (stride, anchors per cell); layers sharing a stride share one grid, so the model's
# 896 outputs are 16x16 cells x 2 anchors followed by 8x8 cells x 6 anchors.
_LAYERS = ((8, 2), (16, 6))
_local = threading.local()  # cv2.dnn.Net objects must not be shared between threads


def _anchor_centres() -> np.ndarray:
    """(896, 2) anchor centres (x, y) as fractions of the input, in the model's output order."""
    centres = []
    for stride, per_cell in _LAYERS:
        grid = INPUT_SIZE // stride
        ys, xs = np.mgrid[0:grid, 0:grid]
        cells = np.stack([(xs + 0.5) / grid, (ys + 0.5) / grid], axis=-1).reshape(-1, 2)
        centres.append(np.repeat(cells, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


ANCHORS = _anchor_centres()


def model_path() -> Path:
    return shipped_weights("face_detection_short_range.tflite")


def _net() -> cv2.dnn.Net:
    net = getattr(_local, "net", None)
    if net is None:
        net = _local.net = cv2.dnn.readNetFromTFLite(str(model_path()))
    return net


def _letterbox(image_bgr: np.ndarray) -> tuple[np.ndarray, float, int, int]:
    """The image padded to a centred square and resized to the input; scale and padding."""
    height, width = image_bgr.shape[:2]
    side = max(height, width)
    # Padding instead of stretching keeps faces at their true aspect ratio, which is what the
    # model was trained on.
    top, left = (side - height) // 2, (side - width) // 2
    square = cv2.copyMakeBorder(image_bgr, top, side - height - top, left, side - width - left,
                                cv2.BORDER_CONSTANT, value=(0, 0, 0))
    small = cv2.resize(square, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA)
    return small, side / INPUT_SIZE, left, top


def _raw(small_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(896,) sigmoid scores and (896, 16) regressors for a 128x128 BGR input."""
    blob = cv2.dnn.blobFromImage(small_bgr, 1 / 127.5, mean=(127.5, 127.5, 127.5),
                                 swapRB=True)  # NCHW RGB in [-1, 1]
    net = _net()
    net.setInput(blob)
    scores, boxes = net.forward(["classificators", "regressors"])
    # Background anchors give logits below -88, where exp() overflows float32.
    logits = np.clip(scores.reshape(-1), -80.0, 80.0)
    return 1.0 / (1.0 + np.exp(-logits)), boxes.reshape(-1, 16)


def _decode(regressors: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """(N, 4) boxes (x0, y0, x1, y1) as fractions of the input, from raw regressors."""
    # Offsets and sizes come in input pixels relative to an anchor of size 1 (the whole input).
    centre = anchors + regressors[:, :2] / INPUT_SIZE
    size = regressors[:, 2:4] / INPUT_SIZE
    return np.concatenate([centre - size / 2, centre + size / 2], axis=1)


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    low = np.maximum(box[:2], others[:, :2])
    high = np.minimum(box[2:], others[:, 2:])
    inter = np.prod(np.clip(high - low, 0, None), axis=1)
    area = np.prod(box[2:] - box[:2])
    areas = np.prod(others[:, 2:] - others[:, :2], axis=1)
    return inter / np.maximum(area + areas - inter, 1e-9)


def _weighted_nms(boxes: np.ndarray, scores: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """Overlapping boxes merged into their score-weighted mean (MediaPipe's blending NMS).

    Many neighbouring anchors fire on one face; averaging them steadies the box from frame to
    frame more than keeping only the best one.
    """
    order = np.argsort(-scores)
    boxes, scores = boxes[order], scores[order]
    kept = []
    while len(boxes):
        overlap = _iou(boxes[0], boxes) > NMS_IOU
        weights = scores[overlap]
        kept.append(((boxes[overlap] * weights[:, None]).sum(0) / weights.sum(), float(scores[0])))
        boxes, scores = boxes[~overlap], scores[~overlap]
    return kept


def _find(image_bgr: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """Faces as ((x0, y0, x1, y1) in the image's pixels, score), one pass over the whole image."""
    small, scale, left, top = _letterbox(image_bgr)
    scores, regressors = _raw(small)
    hits = scores >= CONFIDENCE
    boxes = _decode(regressors[hits], ANCHORS[hits])
    offset = np.array([left, top, left, top], dtype=np.float32)
    return [(box * INPUT_SIZE * scale - offset, score)
            for box, score in _weighted_nms(boxes, scores[hits])]


def _spans(length: int, tile: int) -> list[int]:
    return [0] if length <= tile else [0, length - tile]


def _find_tiled(image_bgr: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """Faces found in overlapping tiles, each zoomed to the full input: for smaller faces."""
    height, width = image_bgr.shape[:2]
    tile = round(TILE_FRACTION * max(height, width))
    found = []
    for y in _spans(height, tile):
        for x in _spans(width, tile):
            for box, score in _find(image_bgr[y:y + tile, x:x + tile]):
                found.append((box + np.array([x, y, x, y], dtype=np.float32), score))
    found.sort(key=lambda item: -item[1])
    kept: list[tuple[np.ndarray, float]] = []
    for box, score in found:
        # A face in the tiles' overlap is found twice, once maybe cut by a tile edge: the cut
        # box lies mostly inside the whole one, so overlap is measured on the smaller box.
        area = np.prod(box[2:] - box[:2])
        if all(_intersection(box, other) < 0.5 * min(area, np.prod(other[2:] - other[:2]))
               for other, _ in kept):
            kept.append((box, score))
    return kept


def _intersection(a: np.ndarray, b: np.ndarray) -> float:
    size = np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2])
    return float(np.prod(np.clip(size, 0, None)))


def detect(image_bgr: np.ndarray) -> list[Detection]:
    """Faces in ``image_bgr`` as (box, score); box (x, y, w, h) in dlib's convention."""
    found = _find(image_bgr)
    if not found:
        # Like dlib-hog's upsampled retry: only frames with no face pay for the zoomed tiles.
        found = _find_tiled(image_bgr)
    return [
        Detection(to_dlib_box((x0, y0, x1 - x0, y1 - y0), BOX_TO_DLIB), score)
        for (x0, y0, x1, y1), score in found
    ]
