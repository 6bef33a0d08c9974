"""The training preview: a grid of faces and what the model makes of them (headless PNG)."""

from __future__ import annotations

from pathlib import Path

import cv2
import keras
import numpy as np

from faceswap.lib import atomic
from faceswap.lib.image import encode_image

COLUMNS = ("A", "A > A", "A > B", "B", "B > B", "B > A")


def predict_preview(model, faces_a: np.ndarray, faces_b: np.ndarray) -> list[np.ndarray]:
    """The six preview columns for float32 BGR faces in [0, 1].

    Input A always goes through decoder A and input B through decoder B, so feeding the same
    faces to both inputs gives the reconstruction and the swap in one call.
    """
    columns = [faces_a]
    picks = [model.face_output("a"), model.face_output("b")]
    for faces, order in ((faces_a, (0, 1)), (faces_b, (1, 0))):
        # Each side's input at its own size; the columns are scaled to one tile size later.
        inputs = [_fit(faces, shape) for shape in model.input_shapes]
        # A direct call, not predict(): under a multi-worker strategy predict() gathers its
        # outputs from every worker (a collective op), and only the chief draws the preview.
        outputs = model.model(inputs, training=False)
        outputs = outputs if isinstance(outputs, list | tuple) else [outputs]
        faces_out = [keras.ops.convert_to_numpy(outputs[i]) for i in picks]
        if faces is faces_b:
            columns.append(faces_b)
        columns += [faces_out[order[0]], faces_out[order[1]]]
    return columns


def _fit(faces: np.ndarray, shape) -> np.ndarray:
    size = shape[1]
    if faces.shape[1] == size:
        return faces
    return np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in faces])


def preview_grid(columns: list[np.ndarray], size: int = 128) -> np.ndarray:
    """Lay the columns out as a uint8 BGR image with a header row of column names."""
    rows = len(columns[0])
    header = 24
    grid = np.full((header + rows * size, len(columns) * size, 3), 255, np.uint8)
    for col, (title, faces) in enumerate(zip(COLUMNS, columns, strict=True)):
        cv2.putText(grid, title, (col * size + 6, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0),
                    1, cv2.LINE_AA)
        for row, face in enumerate(faces):
            tile = cv2.resize(face, (size, size), interpolation=cv2.INTER_CUBIC)
            # Clip after the cubic resize: it overshoots at sharp edges, and a value below 0
            # would wrap around to a bright speck in uint8.
            tile = np.clip(np.rint(tile * 255), 0, 255).astype(np.uint8)
            top = header + row * size
            grid[top:top + size, col * size:(col + 1) * size] = tile
    return grid


def write_preview(model, faces_a: np.ndarray, faces_b: np.ndarray, target: str | Path) -> Path:
    """Predict and write the preview grid PNG atomically; returns its path."""
    grid = preview_grid(predict_preview(model, faces_a, faces_b))
    atomic.write_bytes(target, encode_image(grid, ".png"))
    return Path(target)
