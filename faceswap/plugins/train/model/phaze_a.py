"""Phaze-A: a configurable encoder → fully-connected → G-Block → decoder pipeline.

The default model (64 px in, 128 px out, 123,766,211 parameters): the `fs_original` encoder
(4 strided convs and a 1024 dense bottleneck), one fully-connected part per side (`fc_a`,
`fc_b`: a dense layer reshaped to 4×4 and upsampled), a style vector from `fc_gblock` driving a
shared StyleGAN-like `g_block_both`, and a shared `decoder_both` (4 upscales with noise and
residual blocks). The options (``_phaze_a_config.OPTIONS``) rebuild most other faceswap models;
``preset=NAME`` starts from one of upstream's GUI presets (``_phaze_a_config.PRESETS``).

Keras-application encoders are built without weights (nothing is downloaded), so they need
``enc_load_weights=false``; the CLIP encoders are refused. Block names are upstream's counter
names at the published widths (``width_scale`` does not change them); the learn_mask branch's
blocks are prefixed ``mask_`` so turning it on renames no face layer.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, ClassVar

import keras

from faceswap.lib.errors import FaceswapError
from faceswap.lib.model import layers as fl
from faceswap.lib.model import nn_blocks as nb
from faceswap.plugins.train.model import _phaze_a_config as pc
from faceswap.plugins.train.model._base import ModelBase, Option

L = keras.layers
_NORMS = {"batch": lambda name: L.BatchNormalization(axis=3, name=name),
          "group": lambda name: fl.GroupNormalization(name=name),
          "instance": lambda name: fl.InstanceNormalization(name=name),
          "layer": lambda name: L.LayerNormalization(axis=-1, name=name),
          "rms": lambda name: fl.RMSNormalization(name=name)}


class Model(ModelBase):
    """Phaze-A."""

    options: ClassVar[dict[str, Option]] = {
        "preset": Option("none", "Start from one of upstream's GUI presets (not an upstream "
                         "option: it fills in the others; options you give still win).",
                         choices=("none", *pc.PRESETS)),
        **pc.OPTIONS,
    }

    def __init__(self, model_dir: Any, config: dict[str, Any] | None = None, **kwargs) -> None:
        config = dict(config or {})
        config = {**pc.PRESETS.get(config.get("preset", "none"), {}), **config}
        for key in ("freeze_layers", "load_layers"):
            if key in config:
                config[key] = pc.layer_list(key, config[key])
        super().__init__(model_dir, config, **kwargs)
        cfg = self.config
        if cfg["output_size"] % 16:
            raise FaceswapError(
                f"Phaze-A: output_size must be a multiple of 16, not {cfg['output_size']}.")
        arch = cfg["enc_architecture"]
        if arch in pc.CLIP_ENCODERS:
            raise FaceswapError(f"Phaze-A: the CLIP encoder '{arch}' is not available: it only "
                                "works from pretrained weights, which are never downloaded. "
                                "Choose fs_original or a Keras-application encoder.")
        if arch != "fs_original" and cfg["enc_load_weights"]:
            raise FaceswapError(
                f"Phaze-A: '{arch}' would start from ImageNet weights, which are never "
                "downloaded. Set enc_load_weights=false to train it from scratch, or use the "
                "fs_original encoder.")
        if cfg["learn_mask"] and cfg["dec_upscales_in_fc"]:
            raise FaceswapError("Phaze-A: learn_mask with dec_upscales_in_fc > 0 is not "
                                "supported (upstream's path is unverified); set one to 0.")
        size = pc.encoder_input_size(arch, cfg["enc_scaling"])
        self.input_shape = (size, size, 3)
        self._names: Counter[str] = Counter()
        self._dec_filters: list[int] | None = None

    @property
    def freeze_layers(self) -> list[str]:
        # keras_encoder is the backbone nested in "encoder", named after its option value;
        # fs_original has none, so the default list is empty there (as upstream).
        arch = self.config["enc_architecture"]
        names = pc.layer_list("freeze_layers", self.config["freeze_layers"])
        return [arch if n == "keras_encoder" else n for n in names
                if n != "keras_encoder" or arch != "fs_original"]

    @property
    def load_layers(self) -> list[str]:
        return pc.layer_list("load_layers", self.config["load_layers"])

    def build(self) -> None:
        """Build or load; a loaded model takes this session's fc_dropout/fc_gblock_dropout."""
        super().build()
        if self._predict:
            return
        for part in self.model.layers:
            if part.name.startswith("fc_"):
                key = "fc_gblock_dropout" if part.name == "fc_gblock" else "fc_dropout"
                for layer in part.layers:
                    if isinstance(layer, L.Dropout):
                        layer.rate = self.config[key]  # read when the train step is traced

    # ------------------------------------------------------------------------ helpers
    def _name(self, prefix: str) -> str:
        self._names[prefix] += 1
        return f"{prefix}_{self._names[prefix] - 1}"

    def _w8(self, filters: int) -> int:
        """Dense widths stay multiples of 8 (reshapes need it) when width_scale shrinks them."""
        width = self.width(filters)
        return width if width == filters else max(8, 8 * round(width / 8))

    @staticmethod
    def _norm(kind: str, name: str):
        return _NORMS[kind](name) if kind in _NORMS else (lambda x: x)

    def _upscaler(self, method: str, filters: int, prefix: str = "", width: int = 0):
        f = width or self.width(filters)
        if method == "subpixel":
            return nb.UpscaleBlock(f, name=self._name(f"{prefix}upscale_{filters}"))
        if method in ("upscale_fast", "upscale_hybrid"):
            fast = method == "upscale_fast"
            name = self._name(f"{prefix}upscale2x_{filters}_{'fast' if fast else 'hyb'}")
            inner = filters if fast else filters - filters // 2
            return nb.Upscale2xBlock(f, fast=fast, name=name,
                                     upscale_name=self._name(f"{prefix}upscale_{inner}"))
        if method == "resize_images":
            return nb.UpscaleResizeImagesBlock(f, name=self._name(f"{prefix}upscale_ri_{filters}"))
        return nb.UpscaleDNYBlock(f, name=self._name(f"{prefix}upscale_dny_{filters}"))

    def _bottleneck(self, x):
        cfg = self.config
        x = self._norm(cfg["bottleneck_norm"], "bottleneck_norm")(x)
        kind = cfg["bottleneck_type"]
        if kind in ("average_pooling", "max_pooling"):
            pool = L.GlobalAveragePooling2D if kind == "average_pooling" else L.GlobalMaxPooling2D
            x = pool(name=f"bottleneck_{kind}")(x)
        if len(x.shape) > 2:
            x = L.Flatten(name="bottleneck_flatten")(x)
        if kind == "dense":
            x = L.Dense(self._w8(cfg["bottleneck_size"]), name="bottleneck_dense")(x)
        return x

    # ------------------------------------------------------------------------ encoder
    def encoder(self) -> keras.Model:
        """fs_original (standard or DNY alt) or a weightless Keras application; + bottleneck."""
        cfg = self.config
        inputs = keras.Input(shape=self.input_shape, name="encoder_in")
        arch = cfg["enc_architecture"]
        x = self._fs_original(inputs) if arch == "fs_original" else self._keras_app(arch, inputs)
        if cfg["bottleneck_in_encoder"]:
            x = self._bottleneck(x)
        return keras.Model(inputs, x, name="encoder")

    def _fs_original(self, x):
        cfg = self.config
        f, top, depth = (cfg[f"fs_original_{k}"] for k in ("min_filters", "max_filters", "depth"))
        if not cfg["fs_original_use_alt"]:
            for i in range(depth):
                x = nb.Conv2DBlock(self.width(f), name=f"fs_enc_convblk_{i}")(x)
                f = min(top, f * 2)
            return x
        # The DNY encoder: stride-1 convs (LeakyReLU 0.2) and max-pooling, then a 4×4 "valid"
        # conv (reflect padding, when on, overrides "valid" as upstream does).
        x = nb.Conv2DBlock(self.width(f), 1, strides=1, relu_alpha=0.2,
                           name=self._name(f"conv_{f}"))(x)
        for i in range(depth):
            x = nb.Conv2DBlock(self.width(f), 3, strides=1, relu_alpha=0.2,
                               name=f"fs_dny_enc_convblk_{i}")(x)
            f = min(top, f * 2)
            last = i == depth - 1
            x = nb.Conv2DBlock(self.width(f), 4 if last else 3, strides=1, relu_alpha=0.2,
                               padding="valid" if last else "same",
                               name=f"fs_dny_enc_convblk_{i}_1")(x)
            if not last:
                x = L.MaxPooling2D(2, name=f"fs_dny_enc_pool_{i}")(x)
        return x

    def _keras_app(self, arch: str, x):
        builder, _, _, scaling, _ = pc.KERAS_ENCODERS[arch]
        if scaling == (0, 255):
            x = L.Rescaling(255.0, name="encoder_scaling")(x)
        elif scaling == (-1, 1):
            x = L.Rescaling(2.0, offset=-1.0, name="encoder_scaling")(x)
        app = getattr(keras.applications, builder)(
            include_top=False, weights=None, input_shape=self.input_shape,
            **pc.app_kwargs(arch, self.config))
        # Re-wrapped under the option's name, which freeze_layers' keras_encoder resolves to
        # (some applications use their own name argument as a lookup key).
        return keras.Model(app.input, app.output, name=arch)(x)

    # ------------------------------------------------------------------------ fc and g-block
    def _fc_filters(self, filters: int, scale_width: bool = True) -> int:
        # Rounded down to a multiple of sd² when the fc output is not a power-of-2 divisor of
        # the output size, so the decoder can reshape it to sd×sd (upstream's filter scaling;
        # nothing changes at the defaults). Applied after width_scale, so tiny models reshape.
        cfg = self.config
        dims = cfg["fc_dimensions"] * (cfg["fc_upsamples"] + 1)
        sd = pc.scale_dim(cfg["output_size"], dims)
        width = self._w8(filters) if scale_width else filters
        return width if sd == dims else max(sd * sd, width // (sd * sd) * sd * sd)

    def fc(self, side: str, input_shape: tuple[int, ...]) -> keras.Model:
        """Dropout + linear dense layers; all but fc_gblock then reshape, upsample and may run
        the first decoder stages."""
        cfg = self.config
        inputs = keras.Input(shape=input_shape, name=f"fc_{side}_in")
        x = inputs if cfg["bottleneck_in_encoder"] else self._bottleneck(inputs)
        dims = cfg["fc_dimensions"]
        if side == "gblock":
            rate = cfg["fc_gblock_dropout"]
            widths = [self._w8(n) for n in pc.curve(
                cfg["fc_gblock_min_nodes"], cfg["fc_gblock_max_nodes"], cfg["fc_gblock_depth"],
                cfg["fc_gblock_filter_slope"])]
        else:
            rate = cfg["fc_dropout"]
            low, high = (self._fc_filters(cfg[k]) * dims * dims
                         for k in ("fc_min_filters", "fc_max_filters"))
            widths = pc.curve(low, high, cfg["fc_depth"], cfg["fc_filter_slope"])
        for idx, nodes in enumerate(widths):
            x = L.Dropout(rate, name=f"dropout_{idx + 1}")(x)
            x = L.Dense(nodes, name=f"dense_{idx + 1}")(x)
        if side == "gblock":
            return keras.Model(inputs, x, name="fc_gblock")
        if x.shape[-1] != high:
            raise FaceswapError(
                f"Phaze-A: the fc output has {x.shape[-1]} values but reshapes to "
                f"{dims}×{dims}×{high // (dims * dims)}: with fc_depth {cfg['fc_depth']} make "
                "fc_min_filters equal fc_max_filters (fc_depth 0: bottleneck_size equal to "
                "fc_max_filters·fc_dimensions²).")
        x = L.Reshape((dims, dims, high // (dims * dims)), name="reshape")(x)
        method, count = cfg["fc_upsampler"], cfg["fc_upsamples"]
        if method == "upsample2d":
            if count:  # upstream keeps Keras' nearest interpolation for a single ×2
                x = L.UpSampling2D(2 ** count, interpolation="bilinear" if count > 1
                                   else "nearest", name="upsampling2d")(x)
            x = L.LeakyReLU(0.1, name="upsampling2d_leakyrelu")(x)
        filters = cfg["fc_upsample_filters"]
        for _ in range(count if method != "upsample2d" else 0):  # named at the published width
            x = self._upscaler(method, self._fc_filters(filters, scale_width=False),
                               width=self._fc_filters(filters))(x)
        if cfg["dec_upscales_in_fc"]:
            x = self._stages(x, in_fc=True)[0]
        return keras.Model(inputs, x, name=f"fc_{side}")

    def g_block(self, side: str, shape: tuple[int, ...], style_len: int) -> keras.Model:
        """AdaIN-style block: a style MLP sets per-channel scale/shift twice, with noise."""
        inputs = keras.Input(shape=shape, name=f"g_block_{side}_in")
        style_in = keras.Input(shape=(style_len,), name=f"g_block_{side}_style_in")
        channels, style = shape[-1], style_in
        for i in range(3):
            style = L.Dense(self.width(512), kernel_initializer="he_normal",
                            name=f"g_block_style_dense_{i}")(style)
            if i < 2:
                style = L.LeakyReLU(0.1, name=f"g_block_style_leakyrelu_{i}")(style)
        x = nb.Conv2D(channels, 3, name="g_block_conv2d")(inputs)
        x = L.GaussianNoise(1.0, name="g_block_noise")(x)
        for i in range(2):
            beta, gamma = (L.Reshape((1, 1, channels), name=f"g_block_{k}_reshape_{i}")(
                L.Dense(channels, name=f"g_block_{k}_dense_{i}")(style)) for k in ("beta", "gamma"))
            noise = L.Conv2D(channels, 1, name=f"g_block_noise_conv2d_{i}")(
                L.GaussianNoise(1.0, name=f"g_block_noise_{i}")(x))
            if i == 1:  # after the noise was taken, as upstream
                x = L.Conv2D(channels, 3, padding="same", name="g_block_conv2d_1")(x)
            x = fl.AdaInstanceNormalization(dtype="float32", name=f"g_block_adain_{i}")(
                [x, beta, gamma])
            x = L.Add(name=f"g_block_add_{i}")([x, noise])
            x = L.LeakyReLU(0.2, name=f"g_block_leakyrelu_{i}")(x)
        return keras.Model([inputs, style_in], x, name=f"g_block_{side}")

    # ------------------------------------------------------------------------ decoder
    def _stages(self, x, in_fc: bool) -> list[Any]:
        """The decoder upscale stages that run here (fc or decoder): [face, mask]."""
        cfg = self.config
        method, norm = cfg["dec_upscale_method"], cfg["dec_norm"]
        if in_fc or not cfg["dec_upscales_in_fc"]:  # the chain's start
            size = x.shape[1]
            dim = pc.scale_dim(cfg["output_size"], size)
            if dim != size:
                x = L.Reshape((dim, dim, size * size * x.shape[-1] // (dim * dim)),
                              name="reshape_output")(x)
            if method == "upscale_dny":
                top = cfg["dec_max_filters"]
                for kernel in (4, 3):
                    x = nb.Conv2DBlock(self.width(top), kernel, strides=1, relu_alpha=0.2,
                                       name=self._name(f"conv_{top}"))(x)
            if self._dec_filters is None:  # once per build: fc and every decoder share it
                count = math.log2(cfg["output_size"] / x.shape[1])
                if count != int(count) or count < 0:
                    raise FaceswapError(
                        f"Phaze-A: output_size {cfg['output_size']} is not the fc output size "
                        f"{x.shape[1]} times a power of 2; change fc_dimensions/fc_upsamples.")
                self._dec_filters = pc.curve(cfg["dec_max_filters"], cfg["dec_min_filters"],
                                             int(count), cfg["dec_filter_slope"],
                                             cfg["dec_slope_mode"])
        split = cfg["dec_upscales_in_fc"]
        filters = self._dec_filters[:split] if in_fc else self._dec_filters[split:]
        face = mask = x
        for idx, f in enumerate(filters):
            up = self._upscaler(method, f)
            face = up(face)
            if cfg["dec_gaussian"]:
                face = L.GaussianNoise(1.0, name=f"{up.name}_noise")(face)
            face = self._norm(norm, f"{up.name}_norm")(face)
            if cfg["dec_res_blocks"] and not (
                    cfg["dec_skip_last_residual"] and idx == len(filters) - 1):
                face = L.LeakyReLU(0.2, name=f"{up.name}_lrelu")(face)
                for _ in range(cfg["dec_res_blocks"]):
                    face = nb.ResidualBlock(self.width(f), name=self._name(f"residual_{f}"))(face)
            elif method != "upscale_dny":
                face = L.LeakyReLU(0.1, name=f"{up.name}_lrelu")(face)
        if cfg["learn_mask"] and not in_fc:
            for f in filters:  # no noise, no residuals
                up = self._upscaler(method, f, prefix="mask_")
                mask = self._norm(norm, f"{up.name}_norm")(up(mask))
                if method != "upscale_dny":
                    mask = L.LeakyReLU(0.1, name=f"{up.name}_lrelu")(mask)
        return [face, mask]

    def decoder(self, side: str, input_shape: tuple[int, ...] = ()) -> keras.Model:
        """The remaining upscale stages and the face (and mask) output."""
        inputs = keras.Input(shape=input_shape, name=f"decoder_{side}_in")
        face, mask = self._stages(inputs, in_fc=False)
        outputs = self.side_outputs(side, face, mask, self.config["dec_output_kernel"])
        return keras.Model(inputs, outputs, name=f"decoder_{side}")

    # ------------------------------------------------------------------------ wiring
    def build_model(self, inputs: list[keras.KerasTensor]) -> keras.Model:
        """encoder → fc (+ shared fc) → [G-Block with fc_gblock's style] → decoder(s)."""
        cfg = self.config
        self._names.clear()
        self._dec_filters = None
        encoder = self.encoder()
        encoded = dict(zip("ab", (encoder(x) for x in inputs), strict=True))
        enc_shape = tuple(encoder.output.shape[1:])
        fcs = ({s: self.fc(s, enc_shape) for s in "ab"} if cfg["split_fc"]
               else dict.fromkeys("ab", self.fc("both", enc_shape)))
        shared = {"full": lambda: self.fc("shared", enc_shape),
                  "half": lambda: fcs["a"]}.get(cfg["shared_fc"], lambda: None)()
        feats = {s: fcs[s](encoded[s]) for s in "ab"}
        if shared is not None:  # half + split_fc: side A is concat(fc_a, fc_a), as DFL's LIAE
            feats = {s: L.Concatenate(name=f"inter_{s}")([feats[s], shared(encoded[s])])
                     for s in "ab"}
        if cfg["enable_gblock"]:
            style = self.fc("gblock", enc_shape)
            shape, style_len = tuple(feats["a"].shape[1:]), style.output.shape[-1]
            blocks = ({s: self.g_block(s, shape, style_len) for s in "ab"}
                      if cfg["split_gblock"]
                      else dict.fromkeys("ab", self.g_block("both", shape, style_len)))
            feats = {s: blocks[s]([feats[s], style(encoded[s])]) for s in "ab"}
        shape = tuple(feats["a"].shape[1:])
        decoders = ({s: self.decoder(s, shape) for s in "ab"} if cfg["split_decoders"]
                    else dict.fromkeys("ab", self.decoder("both", shape)))
        outputs = [out for s in "ab" for out in decoders[s](feats[s])]
        return keras.Model(inputs, outputs, name=self.model_name)
