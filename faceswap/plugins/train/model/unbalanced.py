"""Unbalanced: andenixa's model with a light decoder A and a heavy, residual decoder B.

One encoder (5 strided 5×5 convs, the first two instance-normalised, a dense bottleneck
reshaped to input/16); decoder A is 4 plain 5×5 pixel-shuffle upscales with spatial dropout,
decoder B adds a residual block after its first three upscales. 128 px in and out,
207,046,186 parameters (lowmem: 107,962,506).

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


def _init() -> keras.initializers.Initializer:
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


class Model(ModelBase):
    """Unbalanced Model."""

    options: ClassVar[dict[str, Option]] = {
        "input_size": Option(128, "Face size in and out (multiple of 64).", min=64, max=512),
        "lowmem": Option(False, "Smaller bottleneck and decoders (less RAM); overrides nodes and "
                         "the complexity options. Not compatible with a model built without it."),
        "nodes": Option(1024, "Width of the dense bottleneck.", min=512, max=4096),
        "complexity_encoder": Option(128, "Filters of the first encoder conv.", min=64, max=1024),
        "complexity_decoder_a": Option(384, "Filters of decoder A's first upscale.",
                                       min=64, max=1024),
        "complexity_decoder_b": Option(512, "Filters of decoder B's first upscale.",
                                       min=64, max=1024),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cfg = self.config
        size = cfg["input_size"]
        if size % 64:
            raise FaceswapError(f"Unbalanced: input_size must be a multiple of 64, not {size}.")
        self.input_shape = (size, size, 3)
        self.low_mem = cfg["lowmem"]
        # Upstream's lowmem ignores the user's sizes and uses its own smaller ones.
        self.nodes, self.enc, self.dense_channels, self.dec_a, self.dec_b = (
            (512, 128, 384, 320, 384) if self.low_mem else
            (cfg["nodes"], cfg["complexity_encoder"], 512,
             cfg["complexity_decoder_a"], cfg["complexity_decoder_b"]))

    def encoder(self) -> keras.Model:
        """input → input/16 × input/16 × 512 (384 with lowmem)."""
        w, c, ds = self.width, self.enc, self.input_shape[0] // 16
        inputs = keras.Input(shape=self.input_shape, name="encoder_in")
        x = Conv2DBlock(w(c), normalization="instance", kernel_initializer=_init(),
                        name=f"conv_{c}_0")(inputs)
        x = Conv2DBlock(w(c * 2), normalization="instance", kernel_initializer=_init(),
                        name=f"conv_{c * 2}_0")(x)
        for filters in (c * 4, c * 6, c * 8):
            x = Conv2DBlock(w(filters), kernel_initializer=_init(), name=f"conv_{filters}_0")(x)
        x = L.Flatten(name="flatten")(x)
        x = L.Dense(w(self.nodes), kernel_initializer=_init(), name="dense")(x)
        x = L.Dense(ds * ds * w(self.dense_channels), kernel_initializer=_init(),
                    name="dense_1")(x)
        x = L.Reshape((ds, ds, w(self.dense_channels)), name="reshape")(x)
        return keras.Model(inputs, x, name="encoder")

    def decoder(self, side: str) -> keras.Model:
        """input/16 → input (and a mask with learn_mask); decoder B is the heavy one."""
        w, ds = self.width, self.input_shape[0] // 16
        inputs = keras.Input(shape=(ds, ds, w(self.dense_channels)), name=f"decoder_{side}_in")
        c = self.dec_a if side == "a" else self.dec_b
        x = inputs
        if side == "a":
            for i, (filters, n) in enumerate(((c, 0), (c, 1), (c // 2, 0), (c // 4, 0))):
                x = UpscaleBlock(w(filters), kernel_size=5, kernel_initializer=_init(),
                                 name=f"upscale_{filters}_{n}")(x)
                if i < 2:
                    rate = 0.15 if i and self.low_mem else 0.25
                    x = L.SpatialDropout2D(rate, name=f"spatial_dropout2d_{i}")(x)
        elif self.low_mem:
            for filters in (c, c // 2, c // 4, c // 8):
                x = UpscaleBlock(w(filters), kernel_size=5, kernel_initializer=_init(),
                                 name=f"upscale_{filters}_0")(x)
        else:
            for i, (filters, n) in enumerate(((c, 0), (c, 1), (c // 2, 0))):
                x = UpscaleBlock(w(filters), kernel_size=5, activation=None,
                                 kernel_initializer=_init(), name=f"upscale_{filters}_{n}")(x)
                x = L.LeakyReLU(0.2, name=f"leaky_re_lu_{i}")(x)
                x = ResidualBlock(w(filters), kernel_initializer=_init(),
                                  name=f"residual_{filters}_{n}")(x)
            x = UpscaleBlock(w(c // 4), kernel_size=5, kernel_initializer=_init(),
                             name=f"upscale_{c // 4}_0")(x)
        mask = None
        if self.config["learn_mask"]:
            mask = inputs
            widths = (c, c // 2, c // 4, c // 8) if side == "b" and self.low_mem else (
                c, c, c // 2, c // 4)
            for i, filters in enumerate(widths):
                mask = UpscaleBlock(w(filters), name=f"mask_{side}_upscale_{filters}_{i}")(mask)
        return keras.Model(inputs, self.side_outputs(side, x, mask), name=f"decoder_{side}")
