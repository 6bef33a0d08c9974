"""Phaze-A's options (upstream names, defaults, ranges, fixed-ness), GUI presets and curves."""

from __future__ import annotations

import math
from typing import Any

from faceswap.lib.errors import FaceswapError
from faceswap.plugins.train.model._base import Option

UPSCALERS = ("resize_images", "subpixel", "upscale_fast", "upscale_hybrid", "upsample2d")
DEC_UPSCALERS = ("subpixel", "resize_images", "upscale_fast", "upscale_hybrid", "upscale_dny")
SUB_MODELS = ("encoder", "fc_a", "fc_b", "fc_both", "fc_shared", "fc_gblock", "g_block_a",
              "g_block_b", "g_block_both", "decoder_a", "decoder_b", "decoder_both")

#: Keras-application encoders: (constructor, default input size, min size, input scaling,
#: constructor arguments). Scaling (0, 255) multiplies by 255, (-1, 1) maps x to 2x-1.
_EFF = {f"efficientnet_b{i}": (f"EfficientNetB{i}", size, 32, (0, 255), {})
        for i, size in enumerate((224, 240, 260, 300, 380, 456, 528, 600))}
_EFF2 = {f"efficientnet_v2_{k}": (f"EfficientNetV2{k.upper()}", size, 32, (-1, 1),
                                  {"include_preprocessing": False})
         for k, size in (("b0", 224), ("b1", 240), ("b2", 260), ("b3", 300), ("s", 384),
                         ("m", 480), ("l", 480))}
KERAS_ENCODERS: dict[str, tuple[str, int, int, tuple[int, int], dict[str, Any]]] = {
    **{f"convnext_{k}": (f"ConvNeXt{k.title().replace('_', '')}", 224, 32, (0, 255), {})
       for k in ("tiny", "small", "base", "large", "extra_large")},
    **{f"densenet{n}": (f"DenseNet{n}", 224, 32, (0, 1), {}) for n in (121, 169, 201)},
    **_EFF, **_EFF2,
    "inception_resnet_v2": ("InceptionResNetV2", 299, 75, (-1, 1), {}),
    "inception_v3": ("InceptionV3", 299, 75, (-1, 1), {}),
    "mobilenet": ("MobileNet", 224, 32, (-1, 1), {}),
    "mobilenet_v2": ("MobileNetV2", 224, 32, (-1, 1), {}),
    "mobilenet_v3_large": ("MobileNetV3Large", 224, 32, (-1, 1), {}),
    "mobilenet_v3_small": ("MobileNetV3Small", 224, 32, (-1, 1), {}),
    "nasnet_large": ("NASNetLarge", 331, 32, (-1, 1), {}),
    "nasnet_mobile": ("NASNetMobile", 224, 32, (-1, 1), {}),
    **{f"resnet{n}{v}": (f"ResNet{n}{v[1:].upper()}", 224, 32, (-1, 1), {})
       for n in (50, 101, 152) for v in ("", "_v2")},
    "vgg16": ("VGG16", 224, 32, (0, 255), {}),
    "vgg19": ("VGG19", 224, 32, (0, 255), {}),
    "xception": ("Xception", 299, 71, (-1, 1), {}),
}
#: Upstream's CLIP-ViT encoders: listed so the choice exists, refused at build (they only make
#: sense from pretrained weights, which are never downloaded).
CLIP_ENCODERS = ("clipv_farl-b-16-16", "clipv_farl-b-16-64", "clipv_vit-b-16", "clipv_vit-b-32",
                 "clipv_vit-l-14", "clipv_vit-l-14-336px")
ENCODERS = ("fs_original", *CLIP_ENCODERS, *sorted(KERAS_ENCODERS))
NORMS = ("none", "batch", "group", "instance", "layer", "rms")


def _o(default: Any, text: str, low: float | None = None, high: float | None = None,
       choices: tuple[Any, ...] | None = None, fixed: bool = True) -> Option:
    return Option(default, text, fixed=fixed, choices=choices, min=low, max=high)


OPTIONS: dict[str, Option] = {
    "output_size": _o(128, "Output face size in pixels (multiple of 16).", 64, 2048),
    "shared_fc": _o("none", "A fully-connected part shared by both sides: none, full (its own "
                    "fc_shared) or half (fc_a/fc_both reused).", choices=("none", "full", "half")),
    "enable_gblock": _o(True, "Add the StyleGAN-like G-Block between fc and decoder."),
    "split_fc": _o(True, "One fully-connected part per side instead of one for both."),
    "split_gblock": _o(False, "One G-Block per side instead of one for both."),
    "split_decoders": _o(False, "One decoder per side instead of one for both."),
    "enc_architecture": _o("fs_original", "Encoder network: fs_original (faceswap's own) or a "
                           "Keras application, built untrained (CLIP encoders are refused).",
                           choices=ENCODERS),
    "enc_scaling": _o(7, "Encoder input size as a percentage of its default size.", 0, 200),
    "enc_load_weights": _o(True, "Start a Keras-application encoder from ImageNet weights: "
                           "never downloaded here, so set it false for those encoders."),
    "bottleneck_type": _o("dense", "How the encoder output is reduced.",
                          choices=("average_pooling", "dense", "max_pooling", "flatten")),
    "bottleneck_norm": _o("none", "Normalisation before the bottleneck.",
                          choices=("none", "instance", "layer", "rms")),
    "bottleneck_size": _o(1024, "Width of a dense bottleneck.", 128, 4096),
    "bottleneck_in_encoder": _o(True, "Bottleneck at the end of the encoder, not in each fc."),
    "fc_depth": _o(1, "Dense layers in each fc.", 0, 16),
    "fc_min_filters": _o(1024, "Filters of the first fc dense (times fc_dimensions²).", 16, 5120),
    "fc_max_filters": _o(1024, "Filters of the last fc dense (times fc_dimensions²).", 128, 5120),
    "fc_dimensions": _o(4, "Height and width of the fc output before upsampling.", 1, 16),
    "fc_filter_slope": _o(-0.5, "Curve of the fc dense widths.", -0.99, 0.99),
    "fc_dropout": _o(0.0, "Dropout before each fc dense.", 0.0, 0.99, fixed=False),
    "fc_upsampler": _o("upsample2d", "Upsampler at the end of the fc.", choices=UPSCALERS),
    "fc_upsamples": _o(1, "Upsamples (×2 each) at the end of the fc.", 0, 4),
    "fc_upsample_filters": _o(512, "Filters of the fc upsamplers.", 128, 5120),
    "fc_gblock_depth": _o(3, "Dense layers of fc_gblock.", 1, 16),
    "fc_gblock_min_nodes": _o(512, "Nodes of the first fc_gblock dense.", 128, 5120),
    "fc_gblock_max_nodes": _o(512, "Nodes of the last fc_gblock dense.", 128, 5120),
    "fc_gblock_filter_slope": _o(-0.5, "Curve of the fc_gblock widths.", -0.99, 0.99),
    "fc_gblock_dropout": _o(0.0, "Dropout before each fc_gblock dense.", 0.0, 0.99, fixed=False),
    "dec_upscale_method": _o("subpixel", "Decoder upscaler.", choices=DEC_UPSCALERS),
    "dec_upscales_in_fc": _o(0, "Decoder upscales done at the end of the fc.", 0, 6),
    "dec_norm": _o("none", "Normalisation in each decoder stage.", choices=NORMS),
    "dec_min_filters": _o(64, "Filters of the last decoder upscale.", 16, 512),
    "dec_max_filters": _o(512, "Filters of the first decoder upscale.", 256, 5120),
    "dec_slope_mode": _o("full", "How decoder widths go from max to min.",
                         choices=("full", "cap_max", "cap_min")),
    "dec_filter_slope": _o(-0.45, "Curve of the decoder widths.", -0.99, 0.99),
    "dec_res_blocks": _o(1, "Residual blocks after each decoder upscale.", 0, 8),
    "dec_output_kernel": _o(5, "Kernel size of the output convolution.", 1, 9),
    "dec_gaussian": _o(True, "Gaussian noise after each decoder upscale."),
    "dec_skip_last_residual": _o(True, "No residual blocks after the last upscale."),
    "freeze_layers": _o(["keras_encoder"], "Sub-models -f freezes, as a list or comma-separated "
                        "(keras_encoder: the Keras-application backbone inside encoder).",
                        fixed=False),
    "load_layers": _o(["encoder"], "Sub-models -l loads, as a list or comma-separated."),
    "fs_original_depth": _o(4, "fs_original: number of downscales.", 2, 10),
    "fs_original_min_filters": _o(128, "fs_original: filters of the first conv.", 16, 2048),
    "fs_original_max_filters": _o(1024, "fs_original: filter cap.", 256, 8192),
    "fs_original_use_alt": _o(False, "fs_original: the stride-1 + max-pool (DNY) encoder."),
    "mobilenet_width": _o(1.0, "MobileNet alpha.", 0.1, 2.0),
    "mobilenet_depth": _o(1, "MobileNet v1 depth multiplier.", 1, 10),
    "mobilenet_dropout": _o(0.001, "MobileNet v1 dropout.", 0.001, 2.0),
    "mobilenet_minimalistic": _o(False, "MobileNet v3 minimalistic (never applied upstream)."),
}

_OLD = {"enable_gblock": False, "dec_gaussian": False, "enc_load_weights": False,
        "freeze_layers": ["encoder"]}
_FC8 = {"split_fc": False, "fc_dimensions": 8, "fc_upsampler": "subpixel"}
_SAE = {**_OLD, "output_size": 128, "enc_scaling": 13, "fs_original_min_filters": 126,
        "fs_original_max_filters": 1008, "fc_min_filters": 512, "fc_max_filters": 512,
        "dec_min_filters": 128, "dec_max_filters": 504, "dec_filter_slope": -0.33,
        "dec_res_blocks": 2, "dec_skip_last_residual": False}
_SAEHD = {**_OLD, "output_size": 128, "enc_scaling": 13, "fs_original_min_filters": 64,
          "fs_original_max_filters": 512, "bottleneck_size": 256, "bottleneck_in_encoder": False,
          "dec_min_filters": 128, "dec_filter_slope": -0.33, "dec_output_kernel": 1,
          "dec_skip_last_residual": False}
_DNY = {**_OLD, "fs_original_use_alt": True, "fs_original_min_filters": 16,
        "fs_original_max_filters": 512, "split_fc": False, "bottleneck_size": 512,
        "fc_depth": 0, "fc_dimensions": 1, "fc_min_filters": 512, "fc_max_filters": 512,
        "fc_filter_slope": 0.0, "fc_upsamples": 2, "fc_upsample_filters": 128,
        "fc_gblock_depth": 1, "fc_gblock_min_nodes": 128, "fc_gblock_max_nodes": 128,
        "split_decoders": True, "dec_upscale_method": "upscale_dny", "dec_min_filters": 16,
        "dec_slope_mode": "cap_max", "dec_filter_slope": 0.5, "dec_res_blocks": 0,
        "dec_output_kernel": 1, "dec_skip_last_residual": False}
_CLIP = {"enc_architecture": "clipv_farl-b-16-64", "enable_gblock": False, "dec_gaussian": False,
         "split_fc": False, "bottleneck_type": "flatten", "fc_upsampler": "subpixel",
         "split_decoders": True, "dec_slope_mode": "cap_min", "dec_filter_slope": 0.5}

#: Upstream's GUI presets: the options each one changes from the defaults.
PRESETS: dict[str, dict[str, Any]] = {
    "original": {**_OLD, "output_size": 64, "split_fc": False, "fc_upsampler": "subpixel",
                 "split_decoders": True, "dec_max_filters": 256, "dec_filter_slope": -0.33,
                 "dec_res_blocks": 0, "dec_skip_last_residual": False},
    "lightweight": {**_OLD, "output_size": 64, "fs_original_depth": 3,
                    "fs_original_max_filters": 512, "split_fc": False, "bottleneck_size": 512,
                    "fc_min_filters": 512, "fc_max_filters": 512, "fc_upsampler": "subpixel",
                    "fc_upsample_filters": 256, "split_decoders": True, "dec_min_filters": 128,
                    "dec_filter_slope": -0.33, "dec_res_blocks": 0,
                    "dec_skip_last_residual": False},
    "dfaker": {**_OLD, "split_fc": False, "fc_upsampler": "subpixel", "split_decoders": True},
    "dfl-h128": {**_OLD, **_FC8, "enc_scaling": 13, "bottleneck_size": 512,
                 "fc_min_filters": 512, "fc_max_filters": 512, "split_decoders": True,
                 "dec_min_filters": 128, "dec_filter_slope": -0.33, "dec_res_blocks": 0,
                 "dec_skip_last_residual": False},
    "dfl-sae-df": {**_SAE, **_FC8, "bottleneck_size": 512, "split_decoders": True},
    "dfl-sae-liae": {**_SAE, **_FC8, "split_fc": True, "shared_fc": "half",
                     "bottleneck_size": 256, "bottleneck_in_encoder": False},
    "dfl-saehd-df": {**_SAEHD, **_FC8, "fc_min_filters": 256, "fc_max_filters": 256,
                     "fc_upsample_filters": 256, "split_decoders": True},
    "dfl-saehd-liae": {**_SAEHD, **_FC8, "split_fc": True, "shared_fc": "half",
                       "fc_min_filters": 512, "fc_max_filters": 512},
    "iae": {**_OLD, "output_size": 64, "shared_fc": "full", "bottleneck_in_encoder": False,
            "fc_min_filters": 512, "fc_max_filters": 512, "fc_upsampler": "subpixel",
            "fc_upsamples": 0, "dec_res_blocks": 0, "dec_skip_last_residual": False},
    "dny256": {**_DNY, "output_size": 256, "enc_scaling": 25, "fs_original_depth": 7,
               "dec_upscales_in_fc": 1},
    "dny512": {**_DNY, "output_size": 512, "enc_scaling": 50, "fs_original_depth": 8,
               "dec_upscales_in_fc": 2},
    "dny1024": {**_DNY, "output_size": 1024, "enc_scaling": 100, "fs_original_depth": 9,
                "dec_upscales_in_fc": 2},
    "clipfaker128": {**_CLIP, "enc_scaling": 29},
    "clipfaker256": {**_CLIP, "output_size": 256, "enc_scaling": 58, "dec_max_filters": 1024},
    "clipfaker448": {**_CLIP, "output_size": 448, "enc_scaling": 100, "fc_min_filters": 384,
                     "fc_max_filters": 384, "fc_dimensions": 7, "fc_upsample_filters": 1024,
                     "dec_max_filters": 1024},
    "stojo": {"output_size": 256, "enc_architecture": "efficientnet_b4", "enc_scaling": 60,
              "bottleneck_size": 512, "fc_min_filters": 1280, "fc_max_filters": 1280,
              "fc_dimensions": 8, "fc_upsample_filters": 1280, "dec_upscale_method":
              "resize_images", "dec_min_filters": 160, "dec_max_filters": 640,
              "dec_filter_slope": -0.33, "dec_output_kernel": 3, "dec_skip_last_residual": False},
    "sym384": {"output_size": 384, "enc_architecture": "efficientnet_v2_s", "enc_scaling": 100,
               "enable_gblock": False, "split_fc": False, "bottleneck_type": "max_pooling",
               "fc_min_filters": 1536, "fc_max_filters": 1536, "fc_dimensions": 3,
               "fc_upsampler": "subpixel", "fc_upsamples": 0, "fc_upsample_filters": 1280,
               "split_decoders": True, "dec_upscale_method": "upscale_dny",
               "dec_upscales_in_fc": 2, "dec_min_filters": 24, "dec_max_filters": 1536,
               "dec_slope_mode": "cap_max", "dec_filter_slope": 0.5, "dec_output_kernel": 3},
}


def _floor8(value: float) -> int:
    return math.floor(value / 8) * 8


def curve(start: int, end: int, count: int, slope: float, mode: str = "full") -> list[int]:
    """``count`` widths from ``start`` towards ``end``, each rounded down to a multiple of 8.

    full: a sigmoid-like curve through both ends (the slope bends it). cap_max / cap_min: a
    geometric fall by ``1 − |slope|`` per step down to ``end``, padded to ``count`` with
    ``start`` at the front (cap_max) or ``end`` at the back (cap_min).
    """
    slope = max(-0.99, min(0.99, slope))
    if count <= 0:
        return []
    if mode == "full":
        xs = [i / (count - 1) for i in range(count)] if count > 1 else [0.0] * count
        return [_floor8((x - x * slope) / (slope - 2 * slope * abs(x) + 1) * (end - start)
                        + start) for x in xs]
    values, factor = [start], 1 - abs(slope)
    while values[-1] != end:
        values.append(max(end, _floor8(values[-1] * factor)))
    if len(values) >= count:
        # Not specified upstream; keep the end the cap does not pin.
        return values[-count:] if mode == "cap_max" else values[:count]
    pad = [start if mode == "cap_max" else end] * (count - len(values))
    return pad + values if mode == "cap_max" else values + pad


def scale_dim(target: int, dim: int) -> int:
    """Halve ``target`` while it exceeds ``dim`` and stays whole."""
    while target > dim and target % 2 == 0:
        target //= 2
    return target


def layer_list(key: str, value: Any) -> list[str]:
    """``freeze_layers``/``load_layers`` as a list, from a list or "a,b" / "a b" (``-O``)."""
    names = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    allowed = SUB_MODELS + (("keras_encoder",) if key == "freeze_layers" else ())
    if unknown := [name for name in names if name not in allowed]:
        raise FaceswapError(f"Phaze-A: {key} names unknown sub-model(s) {', '.join(unknown)}; "
                            f"choose from {', '.join(allowed)}.")
    return names


def encoder_input_size(arch: str, scaling: float) -> int:
    """The model's input size: ``enc_scaling`` % of the encoder's default, floored to 16."""
    default, low = KERAS_ENCODERS[arch][1:3] if arch in KERAS_ENCODERS else (1024, 32)
    return max(low, math.floor(default * scaling / 100 / 16) * 16)


def app_kwargs(arch: str, config: dict[str, Any]) -> dict[str, Any]:
    """The Keras-application arguments; the MobileNet options reach v1 and v2 only (as
    upstream, whose v3 options are stored under a key no encoder matches)."""
    if arch == "mobilenet":
        return {"alpha": config["mobilenet_width"], "depth_multiplier": config["mobilenet_depth"],
                "dropout": config["mobilenet_dropout"]}
    if arch == "mobilenet_v2":
        return {"alpha": config["mobilenet_width"]}
    return dict(KERAS_ENCODERS[arch][4])
