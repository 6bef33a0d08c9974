"""DFL-SAE: DeepFaceLab's SAE model in its two architectures, `df` and `liae`.

df: one encoder (4 strided convs, a dense bottleneck, one upscale) and a decoder per person.
liae: a conv-only encoder, a shared `intermediate_both` and a B-only `intermediate_b` dense
block, and one `decoder_both` (side A concatenates the shared intermediate with itself). Each
decoder stage is an upscale, LeakyReLU(0.2) and two residual blocks. `multiscale_decoder` also
outputs the face at 1/4 and 1/2 size: per side 32, 64, 128 px (at input 128), then the mask.
128 px in and out; 130,008,718 parameters for df, 121,746,593 for liae.

Block names are upstream's counter names at the published widths (``width_scale`` does not
change them), so ``-l`` loads weights by name whatever the width.
"""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

import keras

from faceswap.lib.errors import FaceswapError
from faceswap.lib.model.nn_blocks import Conv2DBlock, Conv2DOutput, ResidualBlock, UpscaleBlock
from faceswap.plugins.train.model._base import ModelBase, Option

L = keras.layers


class Model(ModelBase):
    """DFL-SAE (df / liae)."""

    options: ClassVar[dict[str, Option]] = {
        "input_size": Option(128, "Face size in pixels (multiple of 16).", min=64, max=256),
        "architecture": Option("df", "df: a decoder per person; liae: shared intermediate "
                               "layers and one decoder.", choices=("df", "liae")),
        "autoencoder_dims": Option(0, "Bottleneck width (0: 256 for liae, 512 for df).",
                                   min=0, max=1024),
        "encoder_dims": Option(42, "Encoder filters per colour channel.", min=21, max=85),
        "decoder_dims": Option(21, "Decoder filters per colour channel.", min=10, max=85),
        "multiscale_decoder": Option(False, "Also output (and train) the face at 1/4 and 1/2 "
                                     "of the output size."),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        size = self.config["input_size"]
        if size % 16:
            raise FaceswapError(f"DFL-SAE: input_size must be a multiple of 16, not {size}.")
        self.input_shape = (size, size, 3)
        self.arch = self.config["architecture"]
        self.ae_dims = self.config["autoencoder_dims"] or (256 if self.arch == "liae" else 512)
        self.low = size // 16
        self._names: Counter[str] = Counter()

    @property
    def model_name(self) -> str:
        return f"dfl_sae_{self.arch}"

    @property
    def freeze_layers(self) -> list[str]:
        return [f"encoder_{self.arch}"]

    load_layers = freeze_layers  # both name the architecture's encoder, as upstream

    def _name(self, prefix: str) -> str:
        self._names[prefix] += 1
        return f"{prefix}_{self._names[prefix] - 1}"

    def _upscale(self, x, filters: int, activation: str | None = "leakyrelu"):
        name = self._name(f"upscale_{filters}")
        x = UpscaleBlock(self.width(filters), activation=activation, name=name)(x)
        # Decoder stages replace the block's LeakyReLU(0.1) by a 0.2 one after the shuffle.
        return x if activation else L.LeakyReLU(0.2, name=f"{name}_leakyrelu")(x)

    def build_model(self, inputs: list[keras.KerasTensor]) -> keras.Model:
        """df: encoder → decoder per side; liae: encoder → intermediates → shared decoder."""
        self._names.clear()
        encoder = self.encoder()
        enc_a, enc_b = encoder(inputs[0]), encoder(inputs[1])
        if self.arch == "df":
            sides = [self.decoder("a")(enc_a), self.decoder("b")(enc_b)]
        else:
            both, inter_b = self.intermediate("both"), self.intermediate("b")
            decoder = self.decoder("both")
            sides = [decoder(L.Concatenate(name="concatenate")([both(enc_a), both(enc_a)])),
                     decoder(L.Concatenate(name="concatenate_1")([inter_b(enc_b), both(enc_b)]))]
        return keras.Model(inputs, [out for side in sides for out in side], name=self.model_name)

    def encoder(self) -> keras.Model:
        """Four 5×5 stride-2 convs; df adds the dense bottleneck and an upscale."""
        inputs = keras.Input(shape=self.input_shape, name="encoder_in")
        x = inputs
        for mult in (1, 2, 4, 8):
            filters = 3 * self.config["encoder_dims"] * mult
            x = Conv2DBlock(self.width(filters), name=self._name(f"conv_{filters}"))(x)
        x = L.Flatten(name="flatten")(x)
        if self.arch == "df":
            x = self._dense_upscale(x, self.ae_dims)
        return keras.Model(inputs, x, name=f"encoder_{self.arch}")

    def _dense_upscale(self, x, channels: int):
        x = L.Dense(self.width(self.ae_dims), name="dense")(x)
        x = L.Dense(self.low * self.low * self.width(channels), name="dense_1")(x)
        x = L.Reshape((self.low, self.low, self.width(channels)), name="reshape")(x)
        return self._upscale(x, channels)

    def intermediate(self, side: str) -> keras.Model:
        """liae: Dense(ae) → Dense(low²·2ae) → reshape → upscale, from the flat encoding."""
        flat = self.low * self.low * self.width(24 * self.config["encoder_dims"])
        inputs = keras.Input(shape=(flat,), name=f"intermediate_{side}_in")
        outputs = self._dense_upscale(inputs, 2 * self.ae_dims)
        return keras.Model(inputs, outputs, name=f"intermediate_{side}")

    def decoder(self, side: str) -> keras.Model:
        """Three upscale + 2-residual stages, the face output(s) and the mask branch."""
        channels = (self.width(self.ae_dims) if self.arch == "df"
                    else 2 * self.width(2 * self.ae_dims))
        inputs = keras.Input(shape=(2 * self.low, 2 * self.low, channels),
                             name=f"decoder_{side}_in")
        x, outputs = inputs, []
        for scale, mult in ((32, 8), (64, 4), (128, 2)):
            filters = 3 * self.config["decoder_dims"] * mult
            x = self._upscale(x, filters, activation=None)
            for _ in range(2):
                x = ResidualBlock(self.width(filters), name=self._name(f"residual_{filters}"))(x)
            if scale == 128 or self.config["multiscale_decoder"]:
                # Upstream's names say 32/64/128 whatever the input size.
                outputs.append(Conv2DOutput(3, 5, name=f"face_out_{scale}_{side}")(x))
        if self.config["learn_mask"]:
            y = inputs
            for mult in (8, 4, 2):  # upstream: the raw decoder_dims here, not 3·decoder_dims
                y = self._upscale(y, self.config["decoder_dims"] * mult)
            outputs.append(Conv2DOutput(1, 5, name=f"mask_out_{side}")(y))
        return keras.Model(inputs, outputs, name=f"decoder_{side}")
