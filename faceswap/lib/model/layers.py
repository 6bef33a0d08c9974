"""Custom Keras layers, written with keras.ops only so they run on every backend."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="faceswap")
class PixelShuffler(keras.layers.Layer):
    """Sub-pixel upscale (NHWC) in TensorFlow ``depth_to_space`` channel order.

    ``out[b, h*r + i, w*r + j, k] = in[b, h, w, (i*r + j) * C + k]``. Using one fixed order on
    every backend means a saved kernel means the same thing whichever backend loads it.
    """

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = int(size)

    def call(self, inputs):
        r = self.size
        _, height, width, channels = inputs.shape
        height = ops.shape(inputs)[1] if height is None else height
        width = ops.shape(inputs)[2] if width is None else width
        out_channels = channels // (r * r)
        x = ops.reshape(inputs, (-1, height, width, r, r, out_channels))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (-1, height * r, width * r, out_channels))

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        r = self.size
        if channels % (r * r):
            raise ValueError(f"PixelShuffler: {channels} channels do not divide by {r * r}")
        return (
            batch,
            None if height is None else height * r,
            None if width is None else width * r,
            channels // (r * r),
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size}


def _reflect_pad_amount(size: int, stride: int, kernel_size: int) -> int:
    if size % stride == 0:
        return max(kernel_size - stride, 0)
    return max(kernel_size - size % stride, 0)


@keras.saving.register_keras_serializable(package="faceswap")
class ReflectionPadding2D(keras.layers.Layer):
    """Reflect-pad an NHWC image so a following "valid" conv gives TF "same" output sizes.

    Total pad per axis is ``k − s`` when the size divides by the stride, else ``k − size % s``
    (never negative); the odd pixel goes bottom/right, as with TF "same".
    """

    def __init__(self, stride: int = 2, kernel_size: int = 5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stride = int(stride)
        self.kernel_size = int(kernel_size)

    def _pads(self, height: int, width: int) -> tuple[tuple[int, int], tuple[int, int]]:
        pads = []
        for size in (height, width):
            total = _reflect_pad_amount(size, self.stride, self.kernel_size)
            pads.append((total // 2, total - total // 2))
        return pads[0], pads[1]

    def call(self, inputs):
        _, height, width, _ = inputs.shape
        rows, cols = self._pads(height, width)
        return ops.pad(inputs, ((0, 0), rows, cols, (0, 0)), mode="reflect")

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        rows, cols = self._pads(height, width)
        return (batch, height + sum(rows), width + sum(cols), channels)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "stride": self.stride, "kernel_size": self.kernel_size}


@keras.saving.register_keras_serializable(package="faceswap")
class KResizeImages(keras.layers.Layer):
    """Resize an NHWC image by ``size`` (to round(H·size) × round(W·size))."""

    def __init__(self, size: float = 2, interpolation: str = "nearest", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = size
        self.interpolation = interpolation

    def _target(self, height: int, width: int) -> tuple[int, int]:
        return round(height * self.size), round(width * self.size)

    def call(self, inputs):
        _, height, width, _ = inputs.shape
        return ops.image.resize(inputs, self._target(height, width),
                                interpolation=self.interpolation)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        return (batch, *self._target(height, width), channels)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size, "interpolation": self.interpolation}


@keras.saving.register_keras_serializable(package="faceswap")
class Swish(keras.layers.Layer):
    """``β·x · sigmoid(β·x)``."""

    def __init__(self, beta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.beta = float(beta)

    def call(self, inputs):
        scaled = inputs * self.beta
        return scaled * ops.sigmoid(scaled)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta": self.beta}


@keras.saving.register_keras_serializable(package="faceswap")
class InstanceNormalization(keras.layers.Layer):
    """faceswap's instance norm: ``(x − mean) / (std + eps) · gamma + beta``.

    With ``axis=None`` (what every plugin uses) mean and population std are taken per sample
    over H, W and C together and gamma/beta are single scalars (2 weights), which is what
    upstream builds despite the name. ``axis=-1`` gives the textbook per-channel version.
    """

    def __init__(self, axis: int | None = None, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale

    def build(self, input_shape):
        shape = (1,) if self.axis is None else (input_shape[self.axis],)
        self.gamma = self.add_weight(shape=shape, initializer="ones", name="gamma") \
            if self.scale else None
        self.beta = self.add_weight(shape=shape, initializer="zeros", name="beta") \
            if self.center else None

    def call(self, inputs):
        rank = len(inputs.shape)
        if self.axis is None:
            axes = tuple(range(1, rank))
        else:
            channel = self.axis % rank
            axes = tuple(i for i in range(1, rank) if i != channel)
        mean = ops.mean(inputs, axis=axes, keepdims=True)
        std = ops.sqrt(ops.mean(ops.square(inputs - mean), axis=axes, keepdims=True))
        out = (inputs - mean) / (std + self.epsilon)
        if self.gamma is not None:
            out = out * ops.cast(self.gamma, out.dtype)
        if self.beta is not None:
            out = out + ops.cast(self.beta, out.dtype)
        return out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale}


@keras.saving.register_keras_serializable(package="faceswap")
class AdaInstanceNormalization(keras.layers.Layer):
    """Adaptive instance norm: inputs ``[x, beta, gamma]``, beta/gamma shaped (B, 1, 1, C).

    x is normalised per sample and channel over H and W: ``(x − mean) / (std + eps)``.
    ``momentum`` is kept for config compatibility only (upstream never uses it).
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis
        self.momentum = momentum
        self.epsilon = float(epsilon)

    def call(self, inputs):
        x, beta, gamma = inputs
        rank = len(x.shape)
        channel = self.axis % rank
        axes = tuple(i for i in range(1, rank) if i != channel)
        mean = ops.mean(x, axis=axes, keepdims=True)
        std = ops.sqrt(ops.mean(ops.square(x - mean), axis=axes, keepdims=True))
        return (x - mean) / (std + self.epsilon) * gamma + beta

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="faceswap")
class GroupNormalization(keras.layers.Layer):
    """Group norm over NHWC: ``group`` channel groups, stats over (H, W, channels in group)."""

    def __init__(self, axis: int = -1, gamma_init: str = "one", beta_init: str = "zero",
                 epsilon: float = 1e-6, group: int = 32, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis
        self.gamma_init = gamma_init
        self.beta_init = beta_init
        self.epsilon = float(epsilon)
        self.group = int(group)

    @staticmethod
    def _init(name: str) -> str:
        return {"one": "ones", "zero": "zeros"}.get(name, name)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels < self.group or channels % self.group:
            raise ValueError(f"GroupNormalization: {channels} channels do not split into "
                             f"{self.group} groups")
        shape = (1, 1, 1, channels)
        self.gamma = self.add_weight(shape=shape, initializer=self._init(self.gamma_init),
                                     name="gamma")
        self.beta = self.add_weight(shape=shape, initializer=self._init(self.beta_init),
                                    name="beta")

    def call(self, inputs):
        _, height, width, channels = inputs.shape
        grouped = ops.reshape(inputs, (-1, height, width, self.group, channels // self.group))
        mean = ops.mean(grouped, axis=(1, 2, 4), keepdims=True)
        var = ops.var(grouped, axis=(1, 2, 4), keepdims=True)
        grouped = (grouped - mean) / ops.sqrt(var + self.epsilon)
        out = ops.reshape(grouped, (-1, height, width, channels))
        return out * ops.cast(self.gamma, out.dtype) + ops.cast(self.beta, out.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "gamma_init": self.gamma_init,
                "beta_init": self.beta_init, "epsilon": self.epsilon, "group": self.group}


@keras.saving.register_keras_serializable(package="faceswap")
class RMSNormalization(keras.layers.Layer):
    """Root-mean-square norm: ``scale · x / sqrt(mean(x²) + eps)`` (+ offset with ``bias``).

    With ``0 < partial < 1`` only the first ``int(C·partial)`` channels give the statistic.
    """

    def __init__(self, axis: int = -1, epsilon: float = 1e-8, partial: float = 0.0,
                 bias: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= partial <= 1.0:
            raise ValueError(f"RMSNormalization: partial must be in [0, 1], not {partial}")
        self.axis = axis
        self.epsilon = float(epsilon)
        self.partial = float(partial)
        self.bias = bias

    def build(self, input_shape):
        shape = (input_shape[self.axis],)
        self.scale = self.add_weight(shape=shape, initializer="ones", name="scale")
        self.offset = self.add_weight(shape=shape, initializer="zeros", name="offset") \
            if self.bias else None

    def call(self, inputs):
        channels = inputs.shape[self.axis]
        if 0.0 < self.partial < 1.0:
            count = int(channels * self.partial)
            part = ops.take(inputs, ops.arange(count), axis=self.axis)
            mean_square = ops.mean(ops.square(part), axis=self.axis, keepdims=True)
        else:
            mean_square = ops.mean(ops.square(inputs), axis=self.axis, keepdims=True)
        out = inputs / ops.sqrt(mean_square + self.epsilon) * ops.cast(self.scale, inputs.dtype)
        if self.offset is not None:
            out = out + ops.cast(self.offset, out.dtype)
        return out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "partial": self.partial, "bias": self.bias}
