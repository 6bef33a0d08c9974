"""FLOPs from layer shapes, against counts done by hand."""

import keras

from faceswap.lib.model.flops import TRAIN_FACTOR, forward_flops, train_flops


def _shared_branch() -> keras.Model:
    inputs = keras.Input((8, 8, 3))
    # 4x4 outputs x (3x3 kernel x 3 in x 4 out) multiply-adds: 2 * 16 * 108 = 3456
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same")(inputs)
    x = keras.layers.LeakyReLU()(x)  # not counted
    # A dense layer on a 4x4x4 map works per position: 2 * 16 * (4 x 3) = 384
    x = keras.layers.Dense(3)(x)
    # Transposed: each of the 4x4 input positions scatters a 2x2x(3 in x 2 out) kernel:
    # 2 * 16 * 24 = 768
    x = keras.layers.Conv2DTranspose(2, 2, strides=2)(x)
    # Depthwise 3x3 on 8x8x2, valid: 6x6 outputs x (3x3x2x1): 2 * 36 * 18 = 1296
    x = keras.layers.DepthwiseConv2D(3)(x)
    x = keras.layers.Flatten()(x)
    # 72 inputs x 5 outputs: 2 * 360 = 720
    return keras.Model(inputs, keras.layers.Dense(5)(x), name="branch")


def test_forward_flops_by_hand():
    branch = _shared_branch()
    assert forward_flops(branch) == 3456 + 384 + 768 + 1296 + 720
    face_a, face_b = keras.Input((8, 8, 3)), keras.Input((8, 8, 3))
    # The shared branch is applied twice, like faceswap's encoder.
    joined = keras.layers.Concatenate()([branch(face_a), branch(face_b)])
    model = keras.Model([face_a, face_b], keras.layers.Dense(2)(joined))  # 2 * 10 * 2 = 40
    assert forward_flops(model) == 2 * (3456 + 384 + 768 + 1296 + 720) + 40
    assert train_flops(model) == TRAIN_FACTOR * forward_flops(model)


def test_original_counts_every_conv_and_dense(tmp_path):
    from fstest import make_original

    model = make_original(tmp_path / "m").model
    # Tiny Original (32 px, base_filters 8) by hand, per (face A, face B) pair:
    encoder = (2 * 16 * 16 * 5 * 5 * 3 * 8      # 5x5 stride-2 convs to 16, 8, 4, 2 px
               + 2 * 8 * 8 * 5 * 5 * 8 * 16
               + 2 * 4 * 4 * 5 * 5 * 16 * 32
               + 2 * 2 * 2 * 5 * 5 * 32 * 64
               + 2 * 256 * 64 + 2 * 64 * 256     # dense bottleneck and back
               + 2 * 2 * 2 * 3 * 3 * 64 * 128)   # upscale conv (then pixel shuffle to 4 px)
    decoder = (2 * 4 * 4 * 3 * 3 * 32 * 64      # three upscales: 4 -> 8 -> 16 -> 32 px
               + 2 * 8 * 8 * 3 * 3 * 16 * 32
               + 2 * 16 * 16 * 3 * 3 * 8 * 16
               + 2 * 32 * 32 * 5 * 5 * 4 * 3)   # 5x5 output conv
    assert forward_flops(model) == 2 * encoder + 2 * decoder
