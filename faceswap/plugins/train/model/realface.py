"""RealFace ("Pegasus"): residual encoder, asymmetric decoders, higher output resolution.

The encoder is 3 strided 5×5 convs each followed by two residual blocks, then a fourth conv.
Each decoder starts with its own dense bottleneck; decoder B is the bigger one (a residual
block after every upscale), decoder A is 1/1.5 of its width with plain upscales. 64 px in, 128
px out, 238,241,676 parameters.

Block names are the ones upstream's counter gives (encoder, then decoder A, then decoder B) at
the default options, written literally so weights load by name whatever ``width_scale`` and
``learn_mask`` are.
"""

from __future__ import annotations

from typing import ClassVar

import keras

from faceswap.lib.errors import FaceswapError
from faceswap.lib.model.nn_blocks import Conv2DBlock, ResidualBlock, UpscaleBlock
from faceswap.plugins.train.model._base import ModelBase, Option

L = keras.layers


class Model(ModelBase):
    """RealFace Model."""

    options: ClassVar[dict[str, Option]] = {
        "input_size": Option(64, "Input face size (multiple of 16).", min=64, max=128),
        "output_size": Option(128, "Output face size (multiple of 32).", min=64, max=256),
        "dense_nodes": Option(1536, "Width of decoder B's dense bottleneck (decoder A: 1/1.5).",
                              min=768, max=2048),
        "complexity_encoder": Option(128, "Filters of the first encoder conv (doubled at each "
                                     "of the next three).", min=96, max=160),
        "complexity_decoder": Option(512, "Filters of decoder B's first residual upscale stage "
                                     "(halved at each next; decoder A: 1/1.5).", min=512, max=544),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cfg = self.config
        size, out = cfg["input_size"], cfg["output_size"]
        if size % 16 or out % 32:
            raise FaceswapError(f"RealFace: input_size must be a multiple of 16 and "
                                f"output_size of 32; got {size} and {out}.")
        self.input_shape = (size, size, 3)
        # Pick the bottleneck size (under 10 px) and number of upscales whose start size is
        # closest to the 16× downscaled input.
        candidates = [(out // 16, 4), (out // 32, 5)]
        candidates = [c for c in candidates if c[0] < 10] or candidates
        self.dense_width, self.upscalers = min(candidates, key=lambda c: abs(c[0] * 16 - size))
        self.dense_filters = (1024 - (self.dense_width - 4) * 64) // 16 * 16

    def encoder(self) -> keras.Model:
        """input → input/16 × input/16 × 8c."""
        w, c = self.width, self.config["complexity_encoder"]
        inputs = keras.Input(shape=self.input_shape, name="encoder_in")
        x = inputs
        for i in range(3):
            f = c * 2**i
            x = Conv2DBlock(w(f), activation=None, name=f"conv_{f}_0")(x)
            x = L.LeakyReLU(0.2, name=f"leaky_re_lu_{i}" if i else "leaky_re_lu")(x)
            x = ResidualBlock(w(f), name=f"residual_{f}_0")(x)
            x = ResidualBlock(w(f), name=f"residual_{f}_1")(x)
        x = Conv2DBlock(w(c * 8), name=f"conv_{c * 8}_0")(x)
        return keras.Model(inputs, x, name="encoder")

    def decoder(self, side: str) -> keras.Model:
        """Dense bottleneck → upscales to output_size (and a mask with learn_mask)."""
        w, cfg, n = self.width, self.config, "ab".index(side)
        ratio = 1.5 if side == "a" else 1.0
        size = self.input_shape[0] // 16
        inputs = keras.Input(shape=(size, size, w(cfg["complexity_encoder"] * 8)),
                             name=f"decoder_{side}_in")
        dense_filters = int(self.dense_filters / ratio)
        dw = self.dense_width
        x = L.Flatten(name=f"flatten_{n}" if n else "flatten")(inputs)
        x = L.Dense(w(int(cfg["dense_nodes"] / ratio)), name=f"dense_{2 * n}" if n else "dense")(x)
        x = L.Dense(dw * dw * w(dense_filters), name=f"dense_{2 * n + 1}")(x)
        x = L.Reshape((dw, dw, w(dense_filters)), name=f"reshape_{n}" if n else "reshape")(x)
        xy = UpscaleBlock(w(dense_filters), activation=None, name=f"upscale_{dense_filters}_0")(x)
        x = L.LeakyReLU(0.2, name="leaky_re_lu_xy")(xy)
        x = ResidualBlock(w(dense_filters), use_bias=False, name=f"residual_{dense_filters}_0")(x)
        complexity = int(cfg["complexity_decoder"] / ratio)
        if side == "a":
            for i in range(self.upscalers - 1):
                f = int(complexity / 2**i)
                x = UpscaleBlock(w(f), name=f"upscale_{f}_0")(x)
        else:
            for i in range(self.upscalers - 2):
                f = complexity // 2**i
                x = UpscaleBlock(w(f), activation=None, name=f"upscale_{f}_0")(x)
                x = L.LeakyReLU(0.2, name=f"leaky_re_lu_{i}")(x)
                # The encoder's residual_{c,2c,4c}_0/_1 come first in upstream's counter.
                c = cfg["complexity_encoder"]
                base = 2 if f in (c, 2 * c, 4 * c) else 0
                x = ResidualBlock(w(f), use_bias=False, name=f"residual_{f}_{base}")(x)
                x = ResidualBlock(w(f), name=f"residual_{f}_{base + 1}")(x)
            f = complexity // 2 ** (self.upscalers - 2)
            x = UpscaleBlock(w(f), name=f"upscale_{f}_0")(x)
        mask = None
        if cfg["learn_mask"]:
            mask = L.LeakyReLU(0.1, name=f"mask_{side}_leaky_re_lu")(xy)
            for i in range(self.upscalers - 1):
                f = 384 // 2**i
                mask = UpscaleBlock(w(f), name=f"mask_{side}_upscale_{f}")(mask)
        return keras.Model(inputs, self.side_outputs(side, x, mask), name=f"decoder_{side}")
