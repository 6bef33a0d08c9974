"""AutoClip (Seetharaman et al., 2020): clip gradients at a percentile of their own history.

Keras optimizers clip at a fixed norm; AutoClip adapts the threshold to the gradients the model
actually produces, which keeps early spikes from blowing up training without a hand-tuned value.
Written with keras.ops so it runs inside the compiled step on every backend.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


def with_autoclip(optimizer_class: type, percentile: float, history: int = 10_000) -> type:
    """A subclass of ``optimizer_class`` whose gradients are AutoClipped.

    Each step the global gradient norm is stored in a ring buffer of ``history`` entries
    (non-finite norms are not stored) and the gradients are scaled down so their global norm is
    at most the ``percentile``-th percentile of the stored norms.
    """
    if not 0 < percentile <= 100:
        raise ValueError(f"autoclip percentile must be in (0, 100], got {percentile}")

    class AutoClip(optimizer_class):
        def build(self, variables):
            super().build(variables)
            self.autoclip_norms = self.add_variable(
                (history,), initializer="zeros", dtype="float32", name="autoclip_norms")
            self.autoclip_count = self.add_variable(
                (), initializer="zeros", dtype="float32", name="autoclip_count")

        def _clip_gradients(self, grads: list[Any]) -> list[Any]:
            grads = super()._clip_gradients(grads)
            present = [ops.cast(g, "float32") for g in grads if g is not None]
            norm = ops.sqrt(sum(ops.sum(ops.square(g)) for g in present))
            finite = ops.isfinite(norm)
            slots = ops.arange(history, dtype="float32")
            index = ops.mod(self.autoclip_count, float(history))
            norms = ops.where(ops.logical_and(slots == index, finite), norm, self.autoclip_norms)
            count = self.autoclip_count + ops.cast(finite, "float32")
            self.autoclip_norms.assign(norms)
            self.autoclip_count.assign(count)
            valid = ops.minimum(count, float(history))
            ordered = ops.sort(ops.where(slots < valid, norms, float("inf")))
            position = ops.floor(percentile / 100.0 * ops.maximum(valid - 1.0, 0.0))
            threshold = ops.take(ordered, ops.cast(position, "int32"))
            scale = ops.where(
                ops.logical_and(finite, valid > 0),
                ops.minimum(1.0, threshold / ops.maximum(norm, 1e-12)),
                1.0,
            )
            return [None if g is None else g * ops.cast(scale, g.dtype) for g in grads]

    AutoClip.__name__ = f"AutoClip{optimizer_class.__name__}"
    return keras.saving.register_keras_serializable(package="faceswap")(AutoClip)
