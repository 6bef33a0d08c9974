"""Upstream faceswap files built by hand from the published formats (research notes §6.3, §6.4,
§2, §3.3), for the import tests. Nothing here comes from upstream's code."""

from __future__ import annotations

import pickle
import zlib
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from faceswap.lib.image import encode_image, png_add_text
from faceswap.tools.upstream import geometry


def fsa_bytes(frames: dict[str, Any], version: float = 2.4, protocol: int = 4) -> bytes:
    """An .fsa file: zlib of a pickle of plain containers."""
    payload = {"__meta__": {"version": version}, "__data__": frames}
    return zlib.compress(pickle.dumps(payload, protocol=protocol))


def upstream_mask(frame_shape: tuple[int, int], landmarks: np.ndarray, size: int = 128,
                  centering: str = "face", fill: str = "hull") -> dict[str, Any]:
    """An upstream stored mask: a hull of the landmarks (or a full square) in upstream's crop."""
    matrix = geometry.crop_matrix(landmarks, size, centering, 1.0)
    mask = np.zeros((size, size), np.uint8)
    if fill == "hull":
        points = landmarks @ matrix[:, :2].T + matrix[:, 2]
        cv2.fillConvexPoly(mask, cv2.convexHull(np.rint(points).astype(np.int32)), 255)
    else:
        mask[:] = 255
    return {"mask": zlib.compress(mask.tobytes()), "affine_matrix": matrix,
            "interpolator": cv2.INTER_AREA, "stored_size": size, "stored_centering": centering}


def face_record(landmarks: np.ndarray, box: tuple[int, int, int, int],
                masks: dict[str, Any] | None = None,
                identity: dict[str, Any] | None = None) -> dict[str, Any]:
    x, y, w, h = box
    return {"x": x, "y": y, "w": w, "h": h,
            "landmarks_xy": landmarks.astype(np.float32), "mask": masks or {},
            "identity": identity or {}}


def upstream_face_png(path: Path, frame: np.ndarray, landmarks: np.ndarray,
                      box: tuple[int, int, int, int], frame_key: str, face_index: int = 0,
                      size: int = 128, is_video: bool = False, version: float = 2.4,
                      masks: dict[str, Any] | None = None) -> np.ndarray:
    """Write an upstream aligned face PNG (head crop, str(dict) iTXt header); return the image."""
    matrix = geometry.crop_matrix(landmarks, size, "head", 1.0)
    face = cv2.warpAffine(frame, matrix, (size, size), flags=cv2.INTER_AREA)
    # A header must survive str() -> literal_eval, so arrays travel as lists.
    masks = {name: {**mask, "affine_matrix": np.asarray(mask["affine_matrix"]).tolist()}
             for name, mask in (masks or {}).items()}
    header = {
        "alignments": {**face_record(landmarks, box, masks), "landmarks_xy":
                       landmarks.astype(np.float32).tolist()},
        "source": {"alignments_version": version, "original_filename": path.name,
                   "face_index": face_index, "source_filename": frame_key,
                   "source_is_video": is_video, "source_frame_dims": frame.shape[:2]},
    }
    path.write_bytes(png_add_text(encode_image(face, ".png"), {"faceswap": str(header)}))
    return face


# --- an upstream-style Original .keras ------------------------------------------------------

def _pixel_shuffler_class():
    import keras
    from keras import ops

    class PixelShuffler(keras.layers.Layer):
        """Upstream's config shape: size as a pair and a data_format argument."""

        def __init__(self, size=(2, 2), data_format=None, **kwargs):
            super().__init__(**kwargs)
            self.size = (size, size) if isinstance(size, int) else tuple(size)
            self.data_format = data_format or "channels_last"

        def call(self, inputs):
            r = self.size[0]
            _, height, width, channels = inputs.shape
            x = ops.reshape(inputs, (-1, height, width, r, r, channels // (r * r)))
            x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
            return ops.reshape(x, (-1, height * r, width * r, channels // (r * r)))

        def compute_output_shape(self, shape):
            r = self.size[0]
            return (shape[0], shape[1] * r, shape[2] * r, shape[3] // (r * r))

        def get_config(self):
            return {**super().get_config(), "size": self.size, "data_format": self.data_format}

    # Saved configs then name upstream's module and class, as upstream's files do.
    PixelShuffler.__module__ = "lib.model.layers"
    return PixelShuffler


def build_upstream_original(size: int = 32, filters: int = 8, lowmem: bool = False,
                            learn_mask: bool = False, seed: int = 0):
    """A width-reduced Original with upstream's layer names (Keras's auto Dense names
    deliberately not 'dense'/'dense_1', as in a process that built other models first)."""
    import keras

    shuffler = _pixel_shuffler_class()
    counts: dict[str, int] = {}

    def name(prefix: str) -> str:
        counts[prefix] = counts.get(prefix, -1) + 1
        return f"{prefix}_{counts[prefix]}"

    def conv_block(x, f, kernel=5, strides=2, block=None):
        block = block or name(f"conv_{f}")
        x = keras.layers.Conv2D(f, kernel, strides=strides, padding="same",
                                name=f"{block}_conv2d")(x)
        return keras.layers.LeakyReLU(negative_slope=0.1, name=f"{block}_leakyrelu")(x)

    def upscale(x, f):
        block = name(f"upscale_{f}")
        x = conv_block(x, f * 4, kernel=3, strides=1, block=f"{block}_conv2d")
        return shuffler(name=f"{block}_pixelshuffler")(x)

    inputs = keras.Input((size, size, 3), name="encoder_in")
    x = inputs
    for mult in (1, 2, 4) if lowmem else (1, 2, 4, 8):
        x = conv_block(x, filters * mult)
    x = keras.layers.Flatten(name="flatten_3")(x)
    x = keras.layers.Dense(filters * (4 if lowmem else 8), name="dense_6")(x)
    side = size // 16
    x = keras.layers.Dense(side * side * filters * 8, name="dense_7")(x)
    x = keras.layers.Reshape((side, side, filters * 8), name="reshape_3")(x)
    encoder = keras.Model(inputs, upscale(x, filters * 4), name="encoder")

    def decoder(side_name):
        d_in = keras.Input((size // 8, size // 8, filters * 4))
        outputs = []
        for kind, channels in (("face", 3), ("mask", 1))[:2 if learn_mask else 1]:
            y = d_in
            for f in (filters * 2, filters, filters // 2):
                y = upscale(y, f)
            block = name(f"{kind}_out_{side_name}")
            y = keras.layers.Conv2D(channels, 5, padding="same", name=f"{block}_conv2d")(y)
            outputs.append(keras.layers.Activation("sigmoid", dtype="float32", name=block)(y))
        return keras.Model(d_in, outputs if learn_mask else outputs[0],
                           name=f"decoder_{side_name}")

    face_a = keras.Input((size, size, 3), name="face_in_a")
    face_b = keras.Input((size, size, 3), name="face_in_b")
    dec_a, dec_b = decoder("a"), decoder("b")
    outputs = [dec_a(encoder(face_a)), dec_b(encoder(face_b))]
    if learn_mask:  # face_a, mask_a, face_b, mask_b
        outputs = [*outputs[0], *outputs[1]]
    model = keras.Model([face_a, face_b], outputs, name="original")
    rng = np.random.default_rng(seed)
    # Random biases too, so a bias left behind would change the predictions.
    model.set_weights([rng.normal(0, 0.05, w.shape).astype(np.float32)
                       for w in model.get_weights()])
    return model


def save_upstream_model(model, folder: Path, iterations: int = 1234,
                        config: dict[str, Any] | None = None) -> Path:
    """original.keras (+ optimizer.pt member, as upstream appends) and original_state.json."""
    import json
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "original.keras"
    model.save(path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("optimizer.pt", b"not read: a torch pickle in upstream's files")
    state = {"name": "original", "sessions": {}, "lowest_avg_loss": 0.05,
             "iterations": iterations, "mixed_precision_layers": [], "lr_finder": -1.0,
             "config": config or {"centering": "face", "coverage": 87.5, "lowmem": False,
                                  "learning_rate": 3e-5, "ada_beta_1": 0.9, "optimizer": "adam",
                                  "mask_type": "bisenet-fp_face", "save_optimizer": "exit"}}
    (folder / "original_state.json").write_text(json.dumps(state), encoding="utf-8")
    return path
