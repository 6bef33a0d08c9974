"""Weight initializers the blocks need, registered so `.keras` files load with safe_mode."""

from __future__ import annotations

from typing import Any

import keras
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
