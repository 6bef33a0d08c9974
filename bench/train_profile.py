"""Where the Original train step's time goes on TensorFlow: network, loss, masks, optimizer.

Times, on the same compiled model and fixed random tensors (batch 16 per side, 64 px, default
losses and Adam, as `faceswap train` builds them), each as its own tf.function so the parts can
be subtracted:

* the whole step (``train_on_batch``);
* the network forward pass, and forward + gradients (the backward pass through the network and
  the loss);
* the loss alone on fixed predictions, forward + its gradient: FaceLoss as compiled, SSIM and
  MSE maps alone, and FaceLoss without masks (the difference is the mask weighting);
* Adam's update alone, on fixed gradients.

TensorFlow only: the parts are cut with tf.function and tf.GradientTape.

    python bench/train_profile.py [--batch 16] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _time(function, repeats: int) -> float:
    """Median seconds of ``function()`` after two warm-up calls (tracing, thread pools)."""
    for _ in range(2):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    os.environ["KERAS_BACKEND"] = "tensorflow"
    sys.path.insert(0, str(REPO))
    import keras
    import numpy as np
    import tensorflow as tf

    from faceswap.lib.model.losses import FaceLoss, mse, ssim
    from faceswap.lib.system import cpu_name
    from faceswap.plugins.train.model import create_model

    keras.utils.set_random_seed(0)
    plugin = create_model("original", tempfile.mkdtemp(), {})
    model = plugin.model
    rng = np.random.default_rng(0)
    channels = 3 + len(plugin.mask_channels)
    inputs = [tf.constant(rng.random((args.batch, 64, 64, 3), dtype=np.float32))
              for _ in range(2)]
    targets = [tf.constant(rng.random((args.batch, 64, 64, channels), dtype=np.float32))
               for _ in range(2)]
    predictions = [tf.constant(rng.random((args.batch, 64, 64, 3), dtype=np.float32))
                   for _ in range(2)]
    losses = model.loss  # one FaceLoss per output, as compiled
    bare = FaceLoss(mask_channels=(), penalized=False)
    variables = model.trainable_variables

    def total_loss(function, outputs) -> tf.Tensor:
        return tf.add_n([function(t, p) for t, p in zip(targets, outputs, strict=True)])

    def loss_and_gradient(function):
        @tf.function
        def run():
            with tf.GradientTape() as tape:
                tape.watch(predictions)
                value = total_loss(function, predictions)
            return tape.gradient(value, predictions)
        return run

    @tf.function
    def forward():
        return model(inputs, training=True)

    @tf.function
    def forward_backward():
        with tf.GradientTape() as tape:
            value = tf.add_n([loss(t, p) for loss, t, p in
                              zip(losses, targets, model(inputs, training=True), strict=True)])
        return tape.gradient(value, variables)

    gradients = [tf.constant(np.asarray(g)) for g in forward_backward()]
    optimizer = model.optimizer

    @tf.function
    def apply():
        optimizer.apply(gradients, variables)

    def mean_map(function):
        return lambda t, p: tf.reduce_mean(function(t[..., :3], p))

    functions = {
        "step": lambda: model.train_on_batch(inputs, targets),
        "forward": forward,
        "forward_backward": forward_backward,
        "loss": loss_and_gradient(losses[0]),
        "ssim": loss_and_gradient(mean_map(ssim)),
        "mse": loss_and_gradient(mean_map(mse)),
        "unmasked": loss_and_gradient(lambda t, p: bare(t[..., :3], p)),
        "optimizer": apply,
    }
    # TensorFlow's eager executor is synchronous: a call returns when its result is ready.
    parts = {name: _time(function, args.repeats) for name, function in functions.items()}
    step = parts["step"]
    backward = parts["forward_backward"] - parts["forward"] - parts["loss"]
    other = step - parts["forward_backward"] - parts["optimizer"]

    def share(seconds: float) -> str:
        return f"{seconds:.3f} s ({100 * seconds / step:.0f}%)"

    print(f"train_profile: step {step:.3f} s = network forward {share(parts['forward'])} + "
          f"network backward {share(backward)} + loss fwd+bwd {share(parts['loss'])} [SSIM "
          f"{parts['ssim']:.3f}, MSE {parts['mse']:.3f}, mask weighting "
          f"{parts['loss'] - parts['unmasked']:.3f}] + Adam update {share(parts['optimizer'])} "
          f"+ rest {share(other)} (Original, batch {args.batch} per side, 64 px, TensorFlow "
          f"{tf.__version__}; {cpu_name()}, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
