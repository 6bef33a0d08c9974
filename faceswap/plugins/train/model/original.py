"""Original: the first faceswap model, and the template for model plugins.

One encoder shared by both people (4 strided 5×5 convs, a 1024-wide dense bottleneck, one
upscale) and one decoder per person (3 pixel-shuffle upscales, a 5×5 sigmoid output). 64 px in,
64 px out, 82,062,470 parameters (lowmem: 60,565,126).

As the template it shows the minimum a plugin writes: its options, its input shape, ``encoder()``
and ``decoder(side)``. ``ModelBase.build_model`` joins them (one shared encoder, a decoder per
side); plugins with another layout (IAE, DFL-SAE's liae) override it.
"""

from __future__ import annotations

from typing import ClassVar

import keras

from faceswap.lib.model.nn_blocks import Conv2DBlock, UpscaleBlock
from faceswap.plugins.train.model._base import ModelBase, Option


class Model(ModelBase):
    """Original Faceswap Model."""

    options: ClassVar[dict[str, Option]] = {
        "lowmem": Option(False, "Drop the last encoder conv and halve the bottleneck (less RAM). "
                         "Models built with and without it are not compatible."),
        "input_size": Option(64, "Face size in pixels (multiple of 16).", min=16, max=256),
        "base_filters": Option(
            128, "Filters of the first encoder conv; every other width scales with it. Lower it "
            "for a quick, small model.", min=8, max=512,
        ),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        size = self.config["input_size"]
        if size % 16:
            raise ValueError(f"Original: input_size must be a multiple of 16, not {size}")
        self.input_shape = (size, size, 3)
        self.low_mem = self.config["lowmem"]
        self.filters = self.width(self.config["base_filters"])
        self.encoder_dim = self.filters * (4 if self.low_mem else 8)

    def encoder(self) -> keras.Model:
        """The shared encoder: 64×64×3 → 8×8×(4·base_filters)."""
        f = self.filters
        inputs = keras.Input(shape=self.input_shape, name="encoder_in")
        x = Conv2DBlock(f)(inputs)
        x = Conv2DBlock(f * 2)(x)
        x = Conv2DBlock(f * 4)(x)
        if not self.low_mem:
            x = Conv2DBlock(f * 8)(x)
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(self.encoder_dim, name="dense")(x)
        side = self.input_shape[0] // 16
        x = keras.layers.Dense(side * side * f * 8, name="dense_1")(x)
        x = keras.layers.Reshape((side, side, f * 8), name="reshape")(x)
        x = UpscaleBlock(f * 4)(x)
        return keras.Model(inputs, x, name="encoder")

    def decoder(self, side: str) -> keras.Model:
        """One person's decoder: 8×8 → 64×64×3 (plus a 64×64×1 mask with learn_mask)."""
        f = self.filters
        size = self.input_shape[0] // 8
        inputs = keras.Input(shape=(size, size, f * 4), name=f"decoder_{side}_in")
        x = y = inputs
        for filters in (f * 2, f, f // 2):
            x = UpscaleBlock(filters)(x)
        if self.config["learn_mask"]:
            for filters in (f * 2, f, f // 2):
                y = UpscaleBlock(filters)(y)
        outputs = self.side_outputs(side, x, y if self.config["learn_mask"] else None)
        return keras.Model(inputs, outputs, name=f"decoder_{side}")
