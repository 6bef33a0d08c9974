"""xseg: a small U-Net that paints the visible face, trained on masks the user drew.

Modelled on the idea of DeepFaceLab's XSeg (a segmentation network fitted to a few dozen hand
painted faces, then run over the whole set) but not its layers: ``depth`` + 1 resolution levels
of two 3x3 convolutions (group norm, leaky ReLU) each, max-pool down, nearest upsampling plus
skip concatenation up, one sigmoid channel out. Only keras.layers and keras.ops are used, so it
runs on every backend and the saved ``.keras`` file loads with ``safe_mode``.

Unlike XSeg it may also be given the face's ``extended`` landmark mask as a fourth input channel
(option ``prior``, on by default): every face faceswap masks has landmarks, and with that
outline as a starting point a small network trained on a few dozen faces only has to learn
where the visible face departs from it (hands, hair, glasses; a hairline above the brows),
instead of finding the face from scratch. Measured in bench/xseg_iou.py.

Input: BGR float32 [0, 1] head-centred aligned faces, ``size`` px square (plus the prior
channel in [0, 1]); output: (size, size, 1) probability that the pixel is visible face.
"""

from __future__ import annotations

import keras
from keras import layers, ops

MODEL_NAME = "xseg"
# Options a new model takes (`faceswap mask train --option KEY=VALUE`); saved with the model.
DEFAULTS: dict[str, int] = {
    "width": 16,  # filters at full resolution; doubled at each level down
    "depth": 3,  # times the resolution halves; the input size must divide by 2**depth
    "prior": 1,  # 1: the extended landmark mask is a fourth input channel; 0: the face alone
}


@keras.saving.register_keras_serializable(package="faceswap_mask", name="xseg_loss")
def xseg_loss(y_true, y_pred):
    """Binary cross-entropy plus soft Dice: BCE for every pixel, Dice so that a thin band of
    occluder inside a large face is not drowned by the many easy pixels."""
    y_pred = ops.clip(y_pred, 1e-6, 1.0 - 1e-6)
    bce = ops.mean(-(y_true * ops.log(y_pred) + (1.0 - y_true) * ops.log(1.0 - y_pred)),
                   axis=(1, 2, 3))
    overlap = ops.sum(y_true * y_pred, axis=(1, 2, 3))
    total = ops.sum(y_true, axis=(1, 2, 3)) + ops.sum(y_pred, axis=(1, 2, 3))
    dice = 1.0 - (2.0 * overlap + 1.0) / (total + 1.0)
    return bce + dice


@keras.saving.register_keras_serializable(package="faceswap_mask", name="AddCoords")
class AddCoords(layers.Layer):
    """Appends two channels holding each pixel's x and y in [-1, 1].

    Aligned faces put the face in nearly the same place every time; with its position as an
    input the network learns that prior in a few hundred steps instead of inferring it from
    padding effects (the CoordConv idea).
    """

    def call(self, inputs):
        shape = ops.shape(inputs)
        ramp_y = ops.linspace(-1.0, 1.0, shape[1])
        ramp_x = ops.linspace(-1.0, 1.0, shape[2])
        grid_y = ops.broadcast_to(ramp_y[None, :, None, None], (shape[0], shape[1], shape[2], 1))
        grid_x = ops.broadcast_to(ramp_x[None, None, :, None], (shape[0], shape[1], shape[2], 1))
        return ops.concatenate([inputs, ops.cast(grid_x, inputs.dtype),
                                ops.cast(grid_y, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 2)


@keras.saving.register_keras_serializable(package="faceswap_mask", name="PriorLogits")
class PriorLogits(layers.Layer):
    """The prior channel (the last input channel, in [0, 1]) as logits: 0/1 become -4/+4,
    i.e. 2 % / 98 % after the sigmoid, confident but still easy to overturn."""

    def call(self, inputs):
        return (inputs[..., -1:] - 0.5) * 8.0

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 1)


def _block(tensor, filters: int, name: str):
    for idx in range(2):
        tensor = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv{idx}")(tensor)
        # Group norm keeps no running statistics, so a mask trained for only a few hundred
        # steps predicts with the same normalisation it trained with (batch norm would not).
        tensor = layers.GroupNormalization(min(4, filters), name=f"{name}_norm{idx}")(tensor)
        tensor = layers.LeakyReLU(0.1, name=f"{name}_act{idx}")(tensor)
    return tensor


def check_options(size: int, options: dict[str, int]) -> dict[str, int]:
    """``DEFAULTS`` updated by ``options``; ValueError naming what is wrong."""
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown xseg option {', '.join(unknown)}; known: "
                         f"{', '.join(sorted(DEFAULTS))}")
    merged = {**DEFAULTS, **{key: int(value) for key, value in options.items()}}
    if merged["width"] < 1 or not 1 <= merged["depth"] <= 6 or merged["prior"] not in (0, 1):
        raise ValueError("xseg needs width >= 1, depth from 1 to 6 and prior 0 or 1")
    if size < 8 or size % (2 ** merged["depth"]):
        raise ValueError(f"the xseg size must be at least 8 and divide by 2**depth = "
                         f"{2 ** merged['depth']} (got {size})")
    return merged


def build(size: int, options: dict[str, int] | None = None) -> keras.Model:
    """An uncompiled xseg network for ``size`` px faces."""
    config = check_options(size, options or {})
    width, depth = config["width"], config["depth"]
    inputs = keras.Input((size, size, 3 + config["prior"]), name="face")
    tensor = AddCoords(name="coords")(inputs)
    skips = []
    for level in range(depth):
        tensor = _block(tensor, width * 2 ** level, f"down{level}")
        skips.append(tensor)
        tensor = layers.MaxPooling2D(2, name=f"pool{level}")(tensor)
    tensor = _block(tensor, width * 2 ** depth, "bottom")
    for level in reversed(range(depth)):
        tensor = layers.UpSampling2D(2, name=f"up{level}")(tensor)
        tensor = layers.Concatenate(name=f"skip{level}")([tensor, skips[level]])
        tensor = _block(tensor, width * 2 ** level, f"dec{level}")
    if not config["prior"]:
        outputs = layers.Conv2D(1, 1, activation="sigmoid", name="mask")(tensor)
        return keras.Model(inputs, outputs, name=MODEL_NAME)
    # The network learns a correction to the prior's logits: a fresh model already returns
    # the landmark mask, and training only has to learn where the visible face departs from it.
    logits = layers.Conv2D(1, 1, kernel_initializer="zeros", name="correction")(tensor)
    logits = layers.Add(name="prior_plus_correction")([PriorLogits(name="prior")(inputs), logits])
    outputs = layers.Activation("sigmoid", name="mask")(logits)
    return keras.Model(inputs, outputs, name=MODEL_NAME)


def compile_model(model: keras.Model, learning_rate: float) -> None:
    """Adam on :func:`xseg_loss`. A continued model gets a fresh Adam: its moments rebuild in
    a few dozen steps, and the loss is registered so the saved compile config loads safely."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=xseg_loss)
