"""DFaker: Original's encoder with a residual decoder that doubles the output resolution.

The encoder is Original's (4 strided 5×5 convs, a 1024-wide dense bottleneck, one upscale).
Each decoder stage is an upscale, LeakyReLU(0.2) and a residual block. 64 px in, 128 px out,
113,330,822 parameters (output_size 256: 128 px in, 256 px out, 258,046,598).

Block names are the ones upstream's counter gives (encoder, then decoder A, then decoder B),
written literally so weights load by name whatever ``width_scale`` and ``learn_mask`` are.
"""

from __future__ import annotations

from typing import ClassVar

import keras

from faceswap.lib.errors import FaceswapError
from faceswap.lib.model.nn_blocks import Conv2DBlock, ResidualBlock, UpscaleBlock
from faceswap.plugins.train.model._base import ModelBase, Option

L = keras.layers


class Model(ModelBase):
    """DFaker Model."""

    options: ClassVar[dict[str, Option]] = {
        "output_size": Option(128, "Output face size: 128 (64 px in) or 256 (128 px in).",
                              min=128, max=256, choices=(128, 256)),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.out_size = self.config["output_size"]
        if self.out_size not in (128, 256):
            raise FaceswapError(f"DFaker: output_size must be 128 or 256, not {self.out_size}.")
        size = self.out_size // 2
        self.input_shape = (size, size, 3)

    def encoder(self) -> keras.Model:
        """Original's encoder: input → 8×8×512 (the dense always reshapes to 4×4)."""
        w = self.width
        inputs = keras.Input(shape=self.input_shape, name="encoder_in")
        x = inputs
        for filters in (128, 256, 512, 1024):
            x = Conv2DBlock(w(filters), name=f"conv_{filters}_0")(x)
        x = L.Flatten(name="flatten")(x)
        x = L.Dense(w(1024), name="dense")(x)
        x = L.Dense(4 * 4 * w(1024), name="dense_1")(x)
        x = L.Reshape((4, 4, w(1024)), name="reshape")(x)
        x = UpscaleBlock(w(512), name="upscale_512_0")(x)
        return keras.Model(inputs, x, name="encoder")

    def decoder(self, side: str) -> keras.Model:
        """8×8×512 → output_size² × 3 (and a mask with learn_mask)."""
        w, n = self.width, "ab".index(side)
        inputs = keras.Input(shape=(8, 8, w(512)), name=f"decoder_{side}_in")
        init = keras.initializers.RandomNormal(mean=0.0, stddev=0.02)
        stages = (1024, 512, 256, 128) if self.out_size == 256 else (512, 256, 128)
        x = inputs
        for i, filters in enumerate(stages):
            index = n + 1 if filters == 512 else n  # upscale_512_0 is the encoder's
            x = UpscaleBlock(w(filters), activation=None, name=f"upscale_{filters}_{index}")(x)
            x = L.LeakyReLU(0.2, name=f"leaky_re_lu_{n * len(stages) + i}")(x)
            x = ResidualBlock(w(filters), kernel_initializer=init,
                              name=f"residual_{filters}_{n}")(x)
        x = UpscaleBlock(w(64), name=f"upscale_64_{n}")(x)
        mask = None
        if self.config["learn_mask"]:
            mask = inputs
            for filters in (*stages, 64):
                mask = UpscaleBlock(w(filters), name=f"mask_{side}_upscale_{filters}")(mask)
        return keras.Model(inputs, self.side_outputs(side, x, mask), name=f"decoder_{side}")
