"""IAE: intermediate auto-encoder, with one decoder shared by both people.

A conv-only encoder (4 strided 5×5 convs); three dense "intermediate" blocks, `inter_a`,
`inter_b` and the shared `inter_both`; and one `decoder` (4 pixel-shuffle upscales, a 5×5
sigmoid output). Side X decodes Concatenate([inter_X(e), inter_both(e)]), so the person lives
in inter_a/inter_b and everything shared in inter_both. 64 px in and out, 117,816,003
parameters.

Block names are the ones upstream's counter gives, written literally so weights load by name
whatever ``width_scale`` and ``learn_mask`` are.
"""

from __future__ import annotations

import keras

from faceswap.lib.model.nn_blocks import Conv2DBlock, Conv2DOutput, UpscaleBlock
from faceswap.plugins.train.model._base import ModelBase

L = keras.layers


class Model(ModelBase):
    """Improved Autoencoder Model (no options of its own)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.input_shape = (64, 64, 3)

    def build_model(self, inputs: list[keras.KerasTensor]) -> keras.Model:
        """Shared encoder, per-side and shared intermediates, one shared decoder."""
        encoder = self.encoder()
        inters = {name: self.intermediate(name, i)
                  for i, name in enumerate(("inter_a", "inter_b", "inter_both"))}
        decoder = self.decoder("both")
        outputs = []
        for side, face in zip("ab", inputs, strict=True):
            encoded = encoder(face)
            joined = L.Concatenate(name=f"concatenate_{side}")(
                [inters[f"inter_{side}"](encoded), inters["inter_both"](encoded)])
            decoded = decoder(joined)
            outputs += decoded if isinstance(decoded, list) else [decoded]
        return keras.Model(inputs, outputs, name=self.model_name)

    def encoder(self) -> keras.Model:
        """64×64×3 → 16384 (4×4×1024 flattened)."""
        w = self.width
        inputs = keras.Input(shape=self.input_shape, name="encoder_in")
        x = inputs
        for filters in (128, 256, 512, 1024):
            x = Conv2DBlock(w(filters), name=f"conv_{filters}_0")(x)
        x = L.Flatten(name="flatten")(x)
        return keras.Model(inputs, x, name="encoder")

    def intermediate(self, name: str, index: int) -> keras.Model:
        """16384 → Dense(1024) → Dense(8192) → 4×4×512."""
        w = self.width
        inputs = keras.Input(shape=(4 * 4 * w(1024),), name=f"{name}_in")
        x = L.Dense(w(1024), name=f"dense_{2 * index}" if index else "dense")(inputs)
        x = L.Dense(4 * 4 * w(512), name=f"dense_{2 * index + 1}")(x)
        x = L.Reshape((4, 4, w(512)), name=f"reshape_{index}" if index else "reshape")(x)
        return keras.Model(inputs, x, name=name)

    def decoder(self, side: str = "both") -> keras.Model:
        """The shared decoder: 4×4×1024 → 64×64×3 (and a 64×64×1 mask with learn_mask)."""
        w = self.width
        inputs = keras.Input(shape=(4, 4, 2 * w(512)), name="decoder_in")
        x = inputs
        for filters in (512, 256, 128, 64):
            x = UpscaleBlock(w(filters), name=f"upscale_{filters}_0")(x)
        outputs = [Conv2DOutput(3, 5, name="face_out")(x)]
        if self.config["learn_mask"]:
            mask = inputs
            for filters in (512, 256, 128, 64):
                mask = UpscaleBlock(w(filters), name=f"mask_upscale_{filters}")(mask)
            outputs.append(Conv2DOutput(1, 5, name="mask_out")(mask))
        return keras.Model(inputs, outputs, name="decoder")
