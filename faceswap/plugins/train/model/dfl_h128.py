"""DFL-H128: DeepFaceLab's H128 model, a 128 px Original with a wider bottleneck.

One encoder (4 strided 5×5 convs, a 512-wide dense bottleneck reshaped to 8×8, one upscale) and
one decoder per person (3 pixel-shuffle upscales, a 5×5 sigmoid output). 128 px in and out,
107,716,102 parameters (lowmem: a 256-wide bottleneck, 48,244,102).

Block names are the ones upstream's counter gives (encoder, then decoder A, then decoder B),
written literally so weights load by name whatever ``width_scale`` and ``learn_mask`` are.
"""

from __future__ import annotations

from typing import ClassVar

import keras

from faceswap.lib.model.nn_blocks import Conv2DBlock, UpscaleBlock
from faceswap.plugins.train.model._base import ModelBase, Option

L = keras.layers


class Model(ModelBase):
    """DFL H128 Model."""

    options: ClassVar[dict[str, Option]] = {
        "lowmem": Option(False, "Halve the bottleneck (256 instead of 512) to use less RAM. "
                         "Models built with and without it are not compatible."),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.input_shape = (128, 128, 3)
        self.encoder_dim = 256 if self.config["lowmem"] else 512

    def encoder(self) -> keras.Model:
        """128×128×3 → 16×16×d (d = 512, or 256 with lowmem)."""
        w, d = self.width, self.encoder_dim
        inputs = keras.Input(shape=self.input_shape, name="encoder_in")
        x = inputs
        for filters in (128, 256, 512, 1024):
            x = Conv2DBlock(w(filters), name=f"conv_{filters}_0")(x)
        x = L.Flatten(name="flatten")(x)
        x = L.Dense(w(d), name="dense")(x)
        x = L.Dense(8 * 8 * w(d), name="dense_1")(x)
        x = L.Reshape((8, 8, w(d)), name="reshape")(x)
        x = UpscaleBlock(w(d), name=f"upscale_{d}_0")(x)
        return keras.Model(inputs, x, name="encoder")

    def decoder(self, side: str) -> keras.Model:
        """16×16×d → 128×128×3 (and a 128×128×1 mask with learn_mask)."""
        w, d, n = self.width, self.encoder_dim, "ab".index(side)
        inputs = keras.Input(shape=(16, 16, w(d)), name=f"decoder_{side}_in")
        x = UpscaleBlock(w(d), name=f"upscale_{d}_{n + 1}")(inputs)  # _0 is the encoder's
        x = UpscaleBlock(w(d // 2), name=f"upscale_{d // 2}_{n}")(x)
        x = UpscaleBlock(w(d // 4), name=f"upscale_{d // 4}_{n}")(x)
        mask = None
        if self.config["learn_mask"]:
            mask = inputs
            for filters in (d, d // 2, d // 4):
                mask = UpscaleBlock(w(filters), name=f"mask_{side}_upscale_{filters}")(mask)
        return keras.Model(inputs, self.side_outputs(side, x, mask), name=f"decoder_{side}")
