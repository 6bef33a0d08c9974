"""Building blocks for model plugins, after upstream faceswap's `nn_blocks`.

Blocks are small callables: ``x = Conv2DBlock(128)(x)`` adds named Keras layers to a functional
graph. Names come from a per-build counter (``conv_128_0``, ``upscale_512_0``...) because
weight loading matches layers by name: the same plugin must produce the same names every time,
so ``ModelBase.build`` calls :func:`reset_naming` before building.

"same" padding follows TensorFlow's rule on every Keras backend (for a 5×5, stride-2 conv on an
even input: 1 pixel top/left, 2 bottom/right), and PixelShuffler uses TF's channel order, so a
kernel means the same thing on TensorFlow, JAX and PyTorch.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import keras

from faceswap.lib.model.initializers import ICNR
from faceswap.lib.model.layers import PixelShuffler

_NAMES: Counter[str] = Counter()

#: Model-wide block options (upstream's global train options), set by :func:`configure`.
OPTIONS: dict[str, bool] = {"icnr_init": False, "conv_aware_init": False, "reflect_padding": False}


def reset_naming() -> None:
    """Start block numbering from 0 again (called at the start of every model build)."""
    _NAMES.clear()


def configure(*, icnr_init: bool, conv_aware_init: bool, reflect_padding: bool) -> None:
    """Set the model-wide options every block reads (called before every model build)."""
    OPTIONS.update(icnr_init=icnr_init, conv_aware_init=conv_aware_init,
                   reflect_padding=reflect_padding)


def _get_name(prefix: str) -> str:
    name = f"{prefix}_{_NAMES[prefix]}"
    _NAMES[prefix] += 1
    return name


def conv2d(
    filters: int,
    kernel_size: int,
    *,
    strides: int = 1,
    padding: str = "same",
    name: str,
    kernel_initializer: Any = None,
    icnr_scale: int | None = None,
) -> keras.layers.Conv2D:
    """A Conv2D with faceswap's default init: He uniform, wrapped in ICNR when asked."""
    init = kernel_initializer or keras.initializers.HeUniform()
    if icnr_scale:
        init = ICNR(initializer=init, scale=icnr_scale)
    return keras.layers.Conv2D(
        filters, kernel_size, strides=strides, padding=padding, kernel_initializer=init, name=name
    )


class Conv2DBlock:
    """Conv2D → LeakyReLU: the downscaling block of faceswap encoders (5×5, stride 2)."""

    def __init__(
        self,
        filters: int,
        kernel_size: int = 5,
        strides: int = 2,
        padding: str = "same",
        activation: str | None = "leakyrelu",
        relu_alpha: float = 0.1,
        name: str | None = None,
        kernel_initializer: Any = None,
        icnr_scale: int | None = None,
    ) -> None:
        if activation not in ("leakyrelu", None):
            raise ValueError(f"Conv2DBlock: unsupported activation {activation!r}")
        self.name = name or _get_name(f"conv_{filters}")
        self.layers = [
            conv2d(
                filters, kernel_size, strides=strides, padding=padding,
                name=f"{self.name}_conv2d", kernel_initializer=kernel_initializer,
                icnr_scale=icnr_scale,
            )
        ]
        if activation == "leakyrelu":
            self.layers.append(
                keras.layers.LeakyReLU(negative_slope=relu_alpha, name=f"{self.name}_leakyrelu")
            )

    def __call__(self, inputs):
        x = inputs
        for layer in self.layers:
            x = layer(x)
        return x


class UpscaleBlock:
    """Conv (filters·scale² channels) → LeakyReLU → PixelShuffler: upscale by ``scale_factor``.

    ``icnr_init`` initialises the conv with ICNR, which avoids checkerboard artefacts early in
    training.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int = 3,
        padding: str = "same",
        scale_factor: int = 2,
        relu_alpha: float = 0.1,
        icnr_init: bool = False,
        name: str | None = None,
    ) -> None:
        self.name = name or _get_name(f"upscale_{filters}")
        self.conv = Conv2DBlock(
            filters * scale_factor**2, kernel_size, strides=1, padding=padding,
            relu_alpha=relu_alpha, name=f"{self.name}_conv2d",
            icnr_scale=scale_factor if icnr_init else None,
        )
        self.shuffle = PixelShuffler(size=scale_factor, name=f"{self.name}_pixelshuffler")

    def __call__(self, inputs):
        return self.shuffle(self.conv(inputs))


class Conv2DOutput:
    """The final conv of a decoder, then an activation forced to float32.

    Under mixed precision every layer computes in float16; a float16 sigmoid saturates and the
    loss goes unstable, so the output activation always runs in float32.
    """

    def __init__(
        self, filters: int, kernel_size: int, activation: str = "sigmoid",
        padding: str = "same", name: str = "output",
    ) -> None:
        self.name = _get_name(name)
        self.conv = conv2d(filters, kernel_size, padding=padding, name=f"{self.name}_conv2d")
        self.activation = keras.layers.Activation(activation, dtype="float32", name=self.name)

    def __call__(self, inputs):
        return self.activation(self.conv(inputs))


class ResidualBlock:
    """Conv → LeakyReLU(0.2) → Conv → add input → LeakyReLU(0.2) (the dfaker residual block).

    The second conv starts small (variance scaling 0.2) so the block begins close to identity.
    """

    def __init__(self, filters: int, kernel_size: int = 3, name: str | None = None) -> None:
        self.name = name or _get_name(f"residual_{filters}")
        self.conv_1 = conv2d(filters, kernel_size, name=f"{self.name}_conv2d_0")
        self.act_1 = keras.layers.LeakyReLU(negative_slope=0.2, name=f"{self.name}_leakyrelu_1")
        self.conv_2 = conv2d(
            filters, kernel_size, name=f"{self.name}_conv2d_1",
            kernel_initializer=keras.initializers.VarianceScaling(
                scale=0.2, mode="fan_in", distribution="uniform"
            ),
        )
        self.add = keras.layers.Add(name=f"{self.name}_add")
        self.act_2 = keras.layers.LeakyReLU(negative_slope=0.2, name=f"{self.name}_leakyrelu_3")

    def __call__(self, inputs):
        x = self.conv_2(self.act_1(self.conv_1(inputs)))
        return self.act_2(self.add([x, inputs]))
