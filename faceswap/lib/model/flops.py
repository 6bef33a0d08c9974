"""FLOPs of a Keras model's convolutions and dense layers, counted from its layer shapes.

Used by the benchmarks to say what share of the CPU's float32 peak a train step reaches. One
multiply-add counts as 2 FLOPs. Only convolutions and dense layers are counted: in faceswap's
models they hold every weight and all but a few per cent of the arithmetic (bias adds,
activations and pixel shuffles are one operation per output value, against hundreds of
multiply-adds per output value in a convolution).
"""

from __future__ import annotations

import math

import keras

#: Training FLOPs per forward FLOP: the backward pass computes the gradient with respect to
#: the inputs and with respect to the weights, each as costly as the forward pass.
TRAIN_FACTOR = 3


def forward_flops(model: keras.Model) -> int:
    """FLOPs of one forward pass of ``model`` for one batch item.

    A sub-model or layer applied several times (faceswap's shared encoder sees face A and face
    B) counts once per application. Needs a functional model: the shapes come from its graph.
    """
    total = 0
    for layer in model.layers:
        # Keras records one inbound node per application of a layer in the graph; there is no
        # public accessor for a layer applied more than once.
        nodes = layer._inbound_nodes
        if isinstance(layer, keras.Model):
            total += len(nodes) * forward_flops(layer)
            continue
        if getattr(layer, "kernel", None) is None:
            continue  # inputs, activations, reshapes, pixel shuffles...
        for node in nodes:
            total += layer_flops(layer, node.input_tensors[0].shape, node.output_tensors[0].shape)
    return total


def layer_flops(layer: keras.layers.Layer, input_shape: tuple, output_shape: tuple) -> int:
    """FLOPs of one application of ``layer`` for one batch item (0 for uncounted layers).

    Shapes include the batch dimension (ignored). Convolutions (1-3 D, depthwise, grouped):
    2 x output positions x kernel size; transposed convolutions: 2 x input positions x kernel
    size; dense layers: 2 x (positions the kernel is applied at) x kernel size.
    """
    kernel = getattr(layer, "kernel", None)
    if kernel is None:
        return 0
    kernel_size = math.prod(kernel.shape)
    if isinstance(layer, keras.layers.Conv2DTranspose | keras.layers.Conv1DTranspose |
                  keras.layers.Conv3DTranspose):
        return 2 * math.prod(input_shape[1:-1]) * kernel_size
    if isinstance(layer, keras.layers.Conv1D | keras.layers.Conv2D | keras.layers.Conv3D |
                  keras.layers.DepthwiseConv2D):
        return 2 * math.prod(output_shape[1:-1]) * kernel_size
    if isinstance(layer, keras.layers.Dense):
        return 2 * math.prod(output_shape[1:-1]) * kernel_size
    return 0


def train_flops(model: keras.Model) -> int:
    """Approximate FLOPs of one train step per batch item: :data:`TRAIN_FACTOR` x forward."""
    return TRAIN_FACTOR * forward_flops(model)
