"""The CPU's measured float32 peak: the best rate of a large matrix product, in GFLOP/s."""

from __future__ import annotations

import time


def matmul_peak(sizes: tuple[int, ...] = (2048, 4096), repeats: int = 3) -> tuple[float, str]:
    """Best float32 GFLOP/s of square products of ``sizes``, and which library reached it.

    Tries NumPy's BLAS and the active Keras backend's matmul (the library the train step runs
    on, with the same threads); a well-tuned matmul is as close to a CPU's float32 peak as real
    code gets, so it is the yardstick for the train step's share of the peak.
    """
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    best: dict[str, float] = {}

    def timed(label: str, flops: float, product) -> None:
        product()  # warm up: thread pools, kernel selection
        for _ in range(repeats):
            start = time.perf_counter()
            product()
            rate = flops / (time.perf_counter() - start) / 1e9
            best[label] = max(best.get(label, 0.0), rate)

    backend = keras.backend.backend()
    for size in sizes:
        left = rng.random((size, size), dtype=np.float32)
        right = rng.random((size, size), dtype=np.float32)
        flops = 2.0 * size**3
        timed("numpy", flops, lambda a=left, b=right: a @ b)
        tensors = keras.ops.convert_to_tensor(left), keras.ops.convert_to_tensor(right)
        # Reading one value back waits for the product without timing a copy of it.
        timed(backend, flops, lambda t=tensors: float(
            keras.ops.convert_to_numpy(keras.ops.matmul(*t)[0, 0])))
    label = max(best, key=best.get)
    return best[label], label
