"""Lightweight: a smaller Original for low-memory machines.

One encoder (3 strided 5×5 convs, a 512-wide dense bottleneck, one upscale) and one decoder per
person (3 pixel-shuffle upscales, a 5×5 sigmoid output). 64 px in, 64 px out, 51,066,374
parameters.

Block names are the ones upstream's counter gives (encoder, then decoder A, then decoder B),
written literally so weights load by name whatever ``width_scale`` and ``learn_mask`` are.
"""

from __future__ import annotations

import keras

from faceswap.lib.model.nn_blocks import Conv2DBlock, UpscaleBlock
from faceswap.plugins.train.model._base import ModelBase

L = keras.layers


class Model(ModelBase):
    """Lightweight Faceswap Model (no options of its own)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.input_shape = (64, 64, 3)

    def encoder(self) -> keras.Model:
        """64×64×3 → 8×8×256."""
        w = self.width
        inputs = keras.Input(shape=self.input_shape, name="encoder_in")
        x = Conv2DBlock(w(128), name="conv_128_0")(inputs)
        x = Conv2DBlock(w(256), name="conv_256_0")(x)
        x = Conv2DBlock(w(512), name="conv_512_0")(x)
        x = L.Flatten(name="flatten")(x)
        x = L.Dense(w(512), name="dense")(x)
        x = L.Dense(4 * 4 * w(512), name="dense_1")(x)
        x = L.Reshape((4, 4, w(512)), name="reshape")(x)
        x = UpscaleBlock(w(256), name="upscale_256_0")(x)
        return keras.Model(inputs, x, name="encoder")

    def decoder(self, side: str) -> keras.Model:
        """8×8×256 → 64×64×3 (and a 64×64×1 mask with learn_mask)."""
        w, n = self.width, "ab".index(side)
        inputs = keras.Input(shape=(8, 8, w(256)), name=f"decoder_{side}_in")
        x = UpscaleBlock(w(512), name=f"upscale_512_{n}")(inputs)
        x = UpscaleBlock(w(256), name=f"upscale_256_{n + 1}")(x)
        x = UpscaleBlock(w(128), name=f"upscale_128_{n}")(x)
        mask = None
        if self.config["learn_mask"]:
            mask = inputs
            for filters in (512, 256, 128):
                mask = UpscaleBlock(w(filters), name=f"mask_{side}_upscale_{filters}")(mask)
        return keras.Model(inputs, self.side_outputs(side, x, mask), name=f"decoder_{side}")
