"""Villain: villainguy's model, a deep residual encoder and residual decoders.

The encoder runs 16 residual blocks at 64 px, two conv + pixel-shuffle stages, separable convs
and a dense bottleneck; each decoder is 3 upscales, each followed by a residual block. 128 px
in and out, 155,115,014 parameters (lowmem: 8 residual blocks, no last separable conv, a 512
bottleneck; 118,660,614).

Block names are the ones upstream's counter gives at the default options (encoder, then decoder
A, then decoder B), written literally so weights load by name whatever ``width_scale``,
``lowmem`` and ``learn_mask`` are.
"""

from __future__ import annotations

from typing import ClassVar

import keras

from faceswap.lib.model.layers import PixelShuffler
from faceswap.lib.model.nn_blocks import (
    Conv2DBlock,
    ResidualBlock,
    SeparableConv2DBlock,
    UpscaleBlock,
)
from faceswap.plugins.train.model._base import ModelBase, Option

L = keras.layers


def _init() -> keras.initializers.Initializer:
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


class Model(ModelBase):
    """Villain Faceswap Model."""

    options: ClassVar[dict[str, Option]] = {
        "lowmem": Option(False, "Half the residual blocks, no last separable conv and a 512 "
                         "bottleneck (less RAM). Not compatible with a model built without it."),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.input_shape = (128, 128, 3)
        self.low_mem = self.config["lowmem"]
        self.encoder_dim = 512 if self.low_mem else 1024

    def encoder(self) -> keras.Model:
        """128×128×3 → 16×16×512."""
        w = self.width
        # The convs feeding a ×2 pixel shuffle need a multiple of 4 channels at any width.
        f = max(4, w(128) // 4 * 4)
        inputs = keras.Input(shape=self.input_shape, name="encoder_in")
        tmp = Conv2DBlock(f, activation=None, kernel_initializer=_init(), name="conv_128_0")(inputs)
        x = L.LeakyReLU(0.2, name="leaky_re_lu")(tmp)
        for i in range(8 if self.low_mem else 16):
            x = ResidualBlock(f, kernel_initializer=_init(), name=f"residual_128_{i}")(x)
        x = L.Add(name="add")([x, L.LeakyReLU(0.1, name="leaky_re_lu_1")(tmp)])
        for i in (1, 2):
            x = Conv2DBlock(f, kernel_initializer=_init(), name=f"conv_128_{i}")(x)
            x = PixelShuffler(name=f"pixel_shuffler_{i}")(x)
        x = Conv2DBlock(f, kernel_initializer=_init(), name="conv_128_3")(x)
        x = SeparableConv2DBlock(w(256), kernel_initializer=_init(),
                                 name="separableconv2d_256_0")(x)
        x = Conv2DBlock(w(512), kernel_initializer=_init(), name="conv_512_0")(x)
        if not self.low_mem:
            x = SeparableConv2DBlock(w(1024), kernel_initializer=_init(),
                                     name="separableconv2d_1024_0")(x)
        x = L.Flatten(name="flatten")(x)
        x = L.Dense(w(self.encoder_dim), kernel_initializer=_init(), name="dense")(x)
        x = L.Dense(8 * 8 * w(1024), kernel_initializer=_init(), name="dense_1")(x)
        x = L.Reshape((8, 8, w(1024)), name="reshape")(x)
        x = UpscaleBlock(w(512), kernel_initializer=_init(), name="upscale_512_0")(x)
        return keras.Model(inputs, x, name="encoder")

    def decoder(self, side: str) -> keras.Model:
        """16×16×512 → 128×128×3 (and a 128×128×1 mask with learn_mask)."""
        w, n = self.width, "ab".index(side)
        inputs = keras.Input(shape=(16, 16, w(512)), name=f"decoder_{side}_in")
        x = inputs
        # Upstream's counter: upscale_512_0 and residual_128_0…15 are the encoder's.
        for filters, up, res in ((512, n + 1, n), (256, n, n), (128, n, 16 + n)):
            x = UpscaleBlock(w(filters), activation=None, kernel_initializer=_init(),
                             name=f"upscale_{filters}_{up}")(x)
            x = L.LeakyReLU(0.2, name=f"leaky_re_lu_{filters}")(x)
            x = ResidualBlock(w(filters), kernel_initializer=_init(),
                              name=f"residual_{filters}_{res}")(x)
        mask = None
        if self.config["learn_mask"]:
            mask = inputs
            for filters in (512, 256, 128):
                mask = UpscaleBlock(w(filters), name=f"mask_{side}_upscale_{filters}")(mask)
        return keras.Model(inputs, self.side_outputs(side, x, mask), name=f"decoder_{side}")
