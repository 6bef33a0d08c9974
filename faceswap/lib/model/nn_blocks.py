"""Building blocks for model plugins, after upstream faceswap's `nn_blocks`.

Blocks are small callables: ``x = Conv2DBlock(128)(x)`` adds named Keras layers to a functional
graph. Weight loading (``-l``) matches layers by name, so plugins give every block a literal
``name=`` (the name upstream's counter produces, e.g. ``"conv_128_0"``): inserting a block then
renames nothing else. Without a name, a per-build counter makes one (``conv_128_0``,
``upscale_512_1``...); ``ModelBase.build`` calls :func:`reset_naming` before building.

Model-wide options (upstream's global ``icnr_init``, ``conv_aware_init``, ``reflect_padding``)
live in :data:`OPTIONS`, set by :func:`configure` before every build; every block reads them.

"same" padding follows TensorFlow's rule on every Keras backend (for a 5×5, stride-2 conv on an
even input: 1 pixel top/left, 2 bottom/right), and PixelShuffler uses TF's channel order, so a
kernel means the same thing on TensorFlow, JAX and PyTorch.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import keras

from faceswap.lib.model.initializers import ICNR, ConvolutionAware
from faceswap.lib.model.layers import (
    InstanceNormalization,
    KResizeImages,
    PixelShuffler,
    ReflectionPadding2D,
    Swish,
)

_NAMES: Counter[str] = Counter()

#: Model-wide block options (upstream's global train options), set by :func:`configure`.
OPTIONS: dict[str, bool] = {"icnr_init": False, "conv_aware_init": False, "reflect_padding": False}

_ACTIVATIONS = ("leakyrelu", "swish", "prelu", None)


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


def _initializer(kernel_initializer: Any, is_upscale: bool) -> Any:
    # Priority: conv-aware (global option) > the model's own init > He uniform; ICNR wraps
    # upscale convs, always at scale 2 (as upstream, even before a ×4 shuffle).
    if OPTIONS["conv_aware_init"]:
        init = ConvolutionAware()
    elif kernel_initializer is not None:
        init = keras.initializers.get(kernel_initializer)
    else:
        init = keras.initializers.HeUniform()
    if is_upscale and OPTIONS["icnr_init"]:
        init = ICNR(initializer=init, scale=2)
    return init


def Conv2D(  # noqa: N802 - a layer factory named like the layer it makes
    filters: int,
    kernel_size: int,
    *,
    strides: int = 1,
    padding: str = "same",
    kernel_initializer: Any = None,
    is_upscale: bool = False,
    name: str | None = None,
    **kwargs: Any,
) -> keras.layers.Conv2D:
    """A Keras Conv2D with faceswap's init rules (see module doc); zero bias init."""
    return keras.layers.Conv2D(
        filters, kernel_size, strides=strides, padding=padding,
        kernel_initializer=_initializer(kernel_initializer, is_upscale),
        name=name or _get_name(f"conv2d_{filters}"), **kwargs,
    )


def DepthwiseConv2D(  # noqa: N802 - a layer factory named like the layer it makes
    kernel_size: int,
    *,
    strides: int = 1,
    padding: str = "same",
    depthwise_initializer: Any = None,
    is_upscale: bool = False,
    name: str | None = None,
    **kwargs: Any,
) -> keras.layers.DepthwiseConv2D:
    """A Keras DepthwiseConv2D with the same init rules as :func:`Conv2D`."""
    return keras.layers.DepthwiseConv2D(
        kernel_size, strides=strides, padding=padding,
        depthwise_initializer=_initializer(depthwise_initializer, is_upscale),
        name=name or _get_name("dwconv2d"), **kwargs,
    )


def _activation(kind: str | None, name: str, relu_alpha: float = 0.1) -> keras.layers.Layer | None:
    if kind == "leakyrelu":
        return keras.layers.LeakyReLU(negative_slope=relu_alpha, name=f"{name}_leakyrelu")
    if kind == "swish":
        return Swish(name=f"{name}_swish")
    if kind == "prelu":
        return keras.layers.PReLU(name=f"{name}_prelu")
    if kind is None:
        return None
    raise ValueError(f"Unsupported activation {kind!r}; choose one of {_ACTIVATIONS}")


class _Sequence:
    """A block made of layers applied one after the other."""

    layers: list[keras.layers.Layer]

    def __call__(self, inputs):
        x = inputs
        for layer in self.layers:
            x = layer(x)
        return x


class Conv2DBlock(_Sequence):
    """[reflect pad] → Conv2D → [instance|batch norm] → [LeakyReLU|Swish|PReLU].

    The encoders' downscaling block (5×5, stride 2). Extra keywords (``kernel_initializer``,
    ``use_bias``, ``is_upscale``) go to the conv. With the global ``reflect_padding`` on, the
    input is reflect-padded and the conv runs "valid", whatever ``padding`` says (as upstream).
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int = 5,
        strides: int = 2,
        padding: str = "same",
        normalization: str | None = None,
        activation: str | None = "leakyrelu",
        use_depthwise: bool = False,
        relu_alpha: float = 0.1,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if normalization not in (None, "batch", "instance"):
            raise ValueError(f"Conv2DBlock: unsupported normalization {normalization!r}")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"Conv2DBlock: unsupported activation {activation!r}")
        self.name = name or _get_name(f"conv_{filters}")
        self.layers = []
        if OPTIONS["reflect_padding"]:
            self.layers.append(ReflectionPadding2D(
                stride=strides, kernel_size=kernel_size, name=f"{self.name}_reflectionpadding2d"))
            padding = "valid"
        if use_depthwise:
            if "kernel_initializer" in kwargs:
                kwargs["depthwise_initializer"] = kwargs.pop("kernel_initializer")
            self.layers.append(DepthwiseConv2D(kernel_size, strides=strides, padding=padding,
                                               name=f"{self.name}_dwconv2d", **kwargs))
        else:
            self.layers.append(Conv2D(filters, kernel_size, strides=strides, padding=padding,
                                      name=f"{self.name}_conv2d", **kwargs))
        if normalization == "instance":
            self.layers.append(InstanceNormalization(name=f"{self.name}_instancenorm"))
        elif normalization == "batch":
            self.layers.append(keras.layers.BatchNormalization(axis=3,
                                                               name=f"{self.name}_batchnorm"))
        act = _activation(activation, self.name, relu_alpha)
        if act is not None:
            self.layers.append(act)


class Conv2DOutput(_Sequence):
    """The final conv of a decoder, then an activation forced to float32.

    Under mixed precision every layer computes in float16; a float16 sigmoid saturates and the
    loss goes unstable, so the output activation always runs in float32. Never reflect-padded,
    never ICNR. Layers: ``{name}_{n}_conv2d`` and ``{name}_{n}`` (``face_out_a_0``).
    """

    def __init__(
        self, filters: int, kernel_size: int, activation: str = "sigmoid",
        padding: str = "same", name: str = "output", **kwargs: Any,
    ) -> None:
        self.name = _get_name(name)
        self.layers = [
            Conv2D(filters, kernel_size, padding=padding, name=f"{self.name}_conv2d", **kwargs),
            keras.layers.Activation(activation, dtype="float32", name=self.name),
        ]


class UpscaleBlock(_Sequence):
    """Conv (filters·scale² channels, stride 1) → [norm] → activation → PixelShuffler(scale).

    The conv is an "upscale" conv, so the global ``icnr_init`` ICNR-initialises it, which
    avoids checkerboard artefacts early in training. Layers: ``{name}_conv2d_conv2d``,
    ``{name}_conv2d_leakyrelu``, ``{name}_pixelshuffler``.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int = 3,
        padding: str = "same",
        scale_factor: int = 2,
        normalization: str | None = None,
        activation: str | None = "leakyrelu",
        relu_alpha: float = 0.1,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.name = name or _get_name(f"upscale_{filters}")
        conv = Conv2DBlock(
            filters * scale_factor**2, kernel_size, strides=1, padding=padding,
            normalization=normalization, activation=activation, relu_alpha=relu_alpha,
            name=f"{self.name}_conv2d", is_upscale=True, **kwargs,
        )
        self.layers = [*conv.layers,
                       PixelShuffler(size=scale_factor, name=f"{self.name}_pixelshuffler")]


class Upscale2xBlock:
    """Upscale by ``scale_factor`` with a pixel-shuffle branch and an interpolation branch.

    f' = filters when ``fast``, else filters − int(filters·sr_ratio). Branch S is
    UpscaleBlock(f'); branch L is a bare upscale conv(f', 3) → UpSampling2D. Fast adds them
    (filters channels); hybrid concatenates S and L (2·f' channels). Nothing after the join.
    ``upscale_name`` names the inner UpscaleBlock (default: the counter's ``upscale_{f'}_{n}``).
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int = 3,
        padding: str = "same",
        activation: str | None = "leakyrelu",
        interpolation: str = "bilinear",
        sr_ratio: float = 0.5,
        scale_factor: int = 2,
        fast: bool = False,
        name: str | None = None,
        upscale_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.fast = fast
        self.name = name or _get_name(f"upscale2x_{filters}_{'fast' if fast else 'hyb'}")
        sub = filters if fast else filters - int(filters * sr_ratio)
        self.conv = self.upsample = None
        if fast or sub > 0:
            self.conv = Conv2D(sub, 3, padding=padding, is_upscale=True,
                               name=f"{self.name}_conv2d", **kwargs)
            self.upsample = keras.layers.UpSampling2D(
                size=scale_factor, interpolation=interpolation, name=f"{self.name}_upsampling2D")
        self.upscale = UpscaleBlock(sub, kernel_size=kernel_size, padding=padding,
                                    scale_factor=scale_factor, activation=activation,
                                    name=upscale_name, **kwargs)
        self.join = (keras.layers.Add(name=f"{self.name}_add") if fast
                     else keras.layers.Concatenate(name=f"{self.name}_concatenate"))

    def __call__(self, inputs):
        short = self.upscale(inputs)
        if self.conv is None:
            return short
        long = self.upsample(self.conv(inputs))
        return self.join([long, short] if self.fast else [short, long])


class UpscaleResizeImagesBlock:
    """Resize + conv, added to a stride-2 transposed conv, then LeakyReLU(0.2)/Swish/PReLU."""

    def __init__(
        self,
        filters: int,
        kernel_size: int = 3,
        padding: str = "same",
        activation: str = "leakyrelu",
        scale_factor: int = 2,
        interpolation: str = "bilinear",
        name: str | None = None,
    ) -> None:
        if activation is None or activation not in _ACTIVATIONS:
            raise ValueError(f"UpscaleResizeImagesBlock: unsupported activation {activation!r}")
        self.name = name or _get_name(f"upscale_ri_{filters}")
        self.resize = KResizeImages(size=scale_factor, interpolation=interpolation,
                                    name=f"{self.name}_resize")
        self.conv = Conv2D(filters, kernel_size, padding=padding, is_upscale=True,
                           name=f"{self.name}_conv")
        # Upstream uses a plain Keras transposed conv here (glorot, never conv-aware/ICNR).
        self.conv_trans = keras.layers.Conv2DTranspose(
            filters, 3, strides=2, padding=padding, name=f"{self.name}_convtrans")
        self.add = keras.layers.Add(name=f"{self.name}_add")
        self.act = _activation(activation, self.name, relu_alpha=0.2)

    def __call__(self, inputs):
        return self.act(self.add([self.conv(self.resize(inputs)), self.conv_trans(inputs)]))


class UpscaleDNYBlock(_Sequence):
    """UpSampling2D(bilinear) → 2 × Conv2DBlock(stride 1, LeakyReLU 0.2), after the Disney
    high-resolution face-swap paper."""

    def __init__(
        self,
        filters: int,
        kernel_size: int = 3,
        padding: str = "same",
        activation: str | None = "leakyrelu",
        size: int = 2,
        interpolation: str = "bilinear",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.name = name or _get_name(f"upscale_dny_{filters}")
        self.layers = [keras.layers.UpSampling2D(size=size, interpolation=interpolation,
                                                 name=f"{self.name}_upsample2d")]
        for i in (1, 2):
            self.layers += Conv2DBlock(
                filters, kernel_size, strides=1, padding=padding, activation=activation,
                relu_alpha=0.2, name=f"{self.name}_conv2d_{i}", is_upscale=True, **kwargs,
            ).layers


class ResidualBlock:
    """[pad] Conv → LeakyReLU(0.2) → [pad] Conv → add input → LeakyReLU(0.2) (dfaker style).

    The second conv starts small (variance scaling 0.2, unless conv-aware init is on) so the
    block begins close to identity. Keywords (``kernel_initializer``, ``use_bias``) go to both
    convs, except that the second conv's init is always replaced. The input must already have
    ``filters`` channels.
    """

    def __init__(self, filters: int, kernel_size: int = 3, padding: str = "same",
                 name: str | None = None, **kwargs: Any) -> None:
        self.name = name or _get_name(f"residual_{filters}")
        reflect = OPTIONS["reflect_padding"]
        if reflect:
            padding = "valid"
        self.layers: list[keras.layers.Layer] = []
        if reflect:
            self.layers.append(ReflectionPadding2D(1, kernel_size,
                                                   name=f"{self.name}_reflectionpadding2d_0"))
        self.layers += [
            Conv2D(filters, kernel_size, padding=padding, name=f"{self.name}_conv2d_0", **kwargs),
            keras.layers.LeakyReLU(negative_slope=0.2, name=f"{self.name}_leakyrelu_1"),
        ]
        if reflect:
            self.layers.append(ReflectionPadding2D(1, kernel_size,
                                                   name=f"{self.name}_reflectionpadding2d_1"))
        second = {**kwargs, "kernel_initializer": keras.initializers.VarianceScaling(
            scale=0.2, mode="fan_in", distribution="uniform")}
        self.layers.append(Conv2D(filters, kernel_size, padding=padding,
                                  name=f"{self.name}_conv2d_1", **second))
        self.add = keras.layers.Add(name=f"{self.name}_add")
        self.act = keras.layers.LeakyReLU(negative_slope=0.2, name=f"{self.name}_leakyrelu_3")

    def __call__(self, inputs):
        x = inputs
        for layer in self.layers:
            x = layer(x)
        return self.act(self.add([x, inputs]))


class SeparableConv2DBlock:
    """SeparableConv2D (depth multiplier 1, "same"; both inits follow the wrapper rules) → ReLU.

    Never reflect-padded.
    """

    def __init__(self, filters: int, kernel_size: int = 5, strides: int = 2,
                 name: str | None = None, kernel_initializer: Any = None) -> None:
        self.name = name or _get_name(f"separableconv2d_{filters}")
        self.conv = keras.layers.SeparableConv2D(
            filters, kernel_size, strides=strides, padding="same",
            depthwise_initializer=_initializer(kernel_initializer, False),
            pointwise_initializer=_initializer(kernel_initializer, False),
            name=f"{self.name}_seperableconv2d")
        self.act = keras.layers.Activation("relu", name=f"{self.name}_relu")

    def __call__(self, inputs):
        return self.act(self.conv(inputs))
