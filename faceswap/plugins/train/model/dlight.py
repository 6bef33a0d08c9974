"""DLight: a light, high-resolution DFaker variant with deliberately unequal decoders.

The encoder is 5 strided 5×5 convs, each concatenated with an average-pooled copy of its input,
then a dense bottleneck to 4×4×1024. Decoder A (the source face) is small: bilinear upsampling
and 4 hybrid 2× upscales; decoder B (the face swapped in) is large, with residual blocks and
batch norm (``details=good``) or fast 2× upscales (``details=fast``). 128 px in, 256 px out,
143,614,006 parameters.

Block names are the ones upstream's counter gives at the default options (encoder, then decoder
A, then decoder B), written literally so weights load by name whatever ``width_scale`` and
``learn_mask`` are.
"""

from __future__ import annotations

from typing import ClassVar

import keras

from faceswap.lib.errors import FaceswapError
from faceswap.lib.model.nn_blocks import Conv2DBlock, ResidualBlock, Upscale2xBlock, UpscaleBlock
from faceswap.plugins.train.model._base import ModelBase, Option

L = keras.layers
_DIMS = {"lowmem": 512, "fair": 1024, "best": 1536}


class Model(ModelBase):
    """DLight Autoencoder Model."""

    options: ClassVar[dict[str, Option]] = {
        "features": Option("best", "Encoder size: lowmem, fair or best (bottleneck 640, 1152 "
                           "or 1664).", choices=tuple(_DIMS)),
        "details": Option("good", "Decoder B: good (residual, slower) or fast.",
                          choices=("fast", "good")),
        "output_size": Option(256, "Output face size: 128, 256 or 384 (the input is always 128).",
                              min=128, max=384, choices=(128, 256, 384)),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        out = self.config["output_size"]
        if out not in (128, 256, 384):
            raise FaceswapError(f"DLight: output_size must be 128, 256 or 384, not {out}.")
        self.input_shape = (128, 128, 3)
        self.ratio = out // 64
        self.enc_filters = 48 if self.config["features"] == "lowmem" else 64
        self.encoder_dim = _DIMS[self.config["features"]] + 128

    def encoder(self) -> keras.Model:
        """128×128×3 → 4×4×1024."""
        w = self.width
        inputs = keras.Input(shape=self.input_shape, name="encoder_in")
        x = inputs
        for i in range(5):
            f = self.enc_filters * 2**i // 2
            pooled = L.LeakyReLU(0.1, name=f"leaky_re_lu_{i}")(
                L.AveragePooling2D(2, name=f"average_pooling2d_{i}")(x))
            x = L.Concatenate(name=f"concatenate_{i}")(
                [Conv2DBlock(w(f), name=f"conv_{f}_0")(x), pooled])
        x = L.Flatten(name="flatten")(x)
        x = L.Dropout(0.05, name="dropout")(L.Dense(w(self.encoder_dim), name="dense")(x))
        x = L.Dropout(0.05, name="dropout_1")(L.Dense(4 * 4 * w(1024), name="dense_1")(x))
        x = L.Reshape((4, 4, w(1024)), name="reshape")(x)
        return keras.Model(inputs, x, name="encoder")

    def decoder(self, side: str) -> keras.Model:
        """4×4×1024 → output_size² (and a mask with learn_mask)."""
        r = self.ratio

        def w(filters: int) -> int:
            # Multiples of 8 at any width_scale: a hybrid 2× upscale's half width then still
            # divides by 4, as an ICNR-initialised conv needs (full-size widths already do).
            return max(8, self.width(filters) // 8 * 8)

        fast = side == "b" and self.config["details"] == "fast"
        name = "decoder_b_fast" if fast else f"decoder_{side}"
        inputs = keras.Input(shape=(4, 4, self.width(1024)), name=f"{name}_in")
        if side == "a":
            x = xy = L.UpSampling2D(r, interpolation="bilinear", name="upsampling2d")(inputs)
            for f, n in ((256, 0), (128, 0), (64, 0), (32, 0)):
                x = Upscale2xBlock(w(f), name=f"upscale2x_{f}_hyb_{n}",
                                   upscale_name=f"upscale_{f // 2}_{n}")(x)
        elif fast:
            x = xy = UpscaleBlock(w(512), scale_factor=r, name="upscale_512_0")(inputs)
            for f, n in ((512, 1), (256, 0), (128, 1), (64, 1)):
                x = Upscale2xBlock(w(f), fast=True, name=f"upscale2x_{f}_fast_0",
                                   upscale_name=f"upscale_{f}_{n}")(x)
        else:
            xy = Upscale2xBlock(w(512), scale_factor=r, activation=None,
                                name="upscale2x_512_hyb_0", upscale_name="upscale_256_0")(inputs)
            # Per stage: filters, its residual blocks (as use_bias flags), batch norm after.
            stages = ((512, (True, False, False), False), (512, (True, False), True),
                      (256, (True,), False), (128, (False,), True))
            x, res = xy, {512: 0, 256: 0, 128: 0}
            for i, (f, biases, norm) in enumerate(stages):
                if i:  # every _0 of these names is taken (decoder A or the ×ratio stage)
                    x = Upscale2xBlock(w(f), activation=None, name=f"upscale2x_{f}_hyb_1",
                                       upscale_name=f"upscale_{f // 2}_1")(x)
                x = L.LeakyReLU(0.2, name=f"leaky_re_lu_{i}")(x)
                for bias in biases:
                    x = ResidualBlock(w(f), use_bias=bias, name=f"residual_{f}_{res[f]}")(x)
                    res[f] += 1
                if norm:
                    x = L.BatchNormalization(name=f"batch_normalization_{i}")(x)
            x = Upscale2xBlock(w(64), name="upscale2x_64_hyb_1", upscale_name="upscale_32_1")(x)
        mask = None
        if self.config["learn_mask"]:
            # Only decoder B (good) activates XY before its mask branch, as upstream.
            mask = xy if side == "a" or fast else L.LeakyReLU(0.1, name="mask_leaky_re_lu")(xy)
            for f in (128, 64, 32, 16):
                mask = Upscale2xBlock(w(f), name=f"mask_upscale2x_{f}",
                                      upscale_name=f"mask_upscale_{f // 2}")(mask)
        return keras.Model(inputs, self.side_outputs(side, x, mask), name=name)
