"""Custom Keras layers, written with keras.ops only so they run on every backend."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="faceswap")
class PixelShuffler(keras.layers.Layer):
    """Sub-pixel upscale (NHWC) in TensorFlow ``depth_to_space`` channel order.

    ``out[b, h*r + i, w*r + j, k] = in[b, h, w, (i*r + j) * C + k]``. Using one fixed order on
    every backend means a saved kernel means the same thing whichever backend loads it.
    """

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = int(size)

    def call(self, inputs):
        r = self.size
        _, height, width, channels = inputs.shape
        height = ops.shape(inputs)[1] if height is None else height
        width = ops.shape(inputs)[2] if width is None else width
        out_channels = channels // (r * r)
        x = ops.reshape(inputs, (-1, height, width, r, r, out_channels))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (-1, height * r, width * r, out_channels))

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        r = self.size
        if channels % (r * r):
            raise ValueError(f"PixelShuffler: {channels} channels do not divide by {r * r}")
        return (
            batch,
            None if height is None else height * r,
            None if width is None else width * r,
            channels // (r * r),
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size}
