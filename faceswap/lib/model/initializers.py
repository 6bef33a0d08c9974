"""Weight initializers the blocks need, registered so `.keras` files load with safe_mode."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="faceswap")
class ICNR(keras.initializers.Initializer):
    """ICNR init for a conv feeding a PixelShuffler (Aitken et al., 2017).

    Every sub-pixel position starts with the same kernel, so the first upscale is a clean
    nearest-neighbour one instead of a checkerboard. The sub-kernel is *tiled* along the output
    channels, which is correct for the TF depth_to_space channel order that PixelShuffler uses
    (channel ``(i * r + j) * C + k``); torch's PixelShuffle order would need repeat-interleave.
    """

    def __init__(self, initializer: Any = "he_uniform", scale: int = 2) -> None:
        self.initializer = keras.initializers.get(initializer)
        self.scale = scale

    def __call__(self, shape, dtype=None):
        *kernel, channels_out = shape
        if channels_out % (self.scale**2):
            raise ValueError(f"ICNR: {channels_out} output channels do not divide by scale²")
        sub = self.initializer((*kernel, channels_out // self.scale**2), dtype=dtype)
        return ops.tile(sub, [1] * len(kernel) + [self.scale**2])

    def get_config(self) -> dict[str, Any]:
        return {"initializer": keras.initializers.serialize(self.initializer), "scale": self.scale}


@keras.saving.register_keras_serializable(package="faceswap")
class ConvolutionAware(keras.initializers.Initializer):
    """Convolution-aware init (Aghajanyan, 2017): filters orthogonal in Fourier space.

    For each input channel, the output filters' 2-D real spectra are taken from stacked random
    orthonormal bases, brought back to the spatial domain, jittered by ``eps_std`` noise and
    scaled to He variance (2 / fan_in). Non-conv shapes get an Orthogonal init.

    The decomposition is costly for big kernels and the saved weights replace it anyway, so
    the saved config has ``initialized=True`` and a reloaded model draws HeUniform instead.
    """

    def __init__(self, eps_std: float = 0.05, seed: int | None = None,
                 initialized: bool = False) -> None:
        self.eps_std = eps_std
        self.seed = seed
        self.initialized = initialized

    def __call__(self, shape, dtype=None):
        dtype = dtype or "float32"
        if self.initialized:
            return keras.initializers.HeUniform(seed=self.seed)(shape, dtype=dtype)
        if len(shape) != 4:
            return keras.initializers.Orthogonal(seed=self.seed)(shape, dtype=dtype)
        rows, cols, stack, count = (int(d) for d in shape)
        rng = np.random.default_rng(self.seed)
        freq_shape = (rows, cols // 2 + 1)
        size = freq_shape[0] * freq_shape[1]
        blocks = -(-count // size)
        # Orthonormal bases of the spectrum, stacked until there is one row per output filter.
        random = rng.standard_normal((stack, blocks, size, size))
        basis, _ = np.linalg.qr(random)
        basis = basis.reshape(stack, blocks * size, size)[:, :count]
        spectra = basis.reshape(stack, count, *freq_shape)
        filters = np.fft.irfft2(spectra, s=(rows, cols))
        filters += rng.normal(0.0, self.eps_std, filters.shape)
        filters *= np.sqrt(2.0 / (rows * cols * stack) / max(float(filters.var()), 1e-12))
        kernel = filters.transpose(2, 3, 0, 1)  # (stack, count, r, c) -> (r, c, stack, count)
        return ops.convert_to_tensor(kernel.astype(np.float32), dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {"eps_std": self.eps_std, "seed": self.seed, "initialized": True}
