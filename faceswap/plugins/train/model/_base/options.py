"""Training options: defaults, which are fixed once a model exists, and resolving them on resume.

A *fixed* option shapes the model or its data (coverage, centering, lowmem...): changing it on an
existing model would silently break it, so the stored value wins and the user is told. An
*updatable* option (learning rate, mixed precision, loss weights...) may change between sessions;
the value used is recorded in that session's entry of the state file.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from faceswap.lib.align.masks import TRAIN_MASK_TYPES
from faceswap.lib.errors import FaceswapError
from faceswap.lib.model.losses import LOSSES

logger = logging.getLogger(__name__)

LOSS_NAMES = tuple(LOSSES)
OPTIMIZERS = ("adam", "adamw", "nadam", "adamax", "rmsprop", "lion")


@dataclass(frozen=True)
class Option:
    """One training option: its default, whether it is fixed, its allowed values and help."""

    default: Any
    help: str
    fixed: bool = True
    choices: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None

    def validate(self, name: str, value: Any) -> Any:
        if isinstance(self.default, bool):
            if not isinstance(value, bool):
                raise FaceswapError(f"Option '{name}' must be true or false, not {value!r}.")
        elif isinstance(self.default, (int, float)):
            try:
                value = type(self.default)(value)
            except (TypeError, ValueError):
                raise FaceswapError(f"Option '{name}' must be a number, not {value!r}.") from None
            if (self.min is not None and value < self.min) or (
                self.max is not None and value > self.max
            ):
                raise FaceswapError(
                    f"Option '{name}' is {value}, outside its range {self.min}–{self.max}."
                )
        if self.choices is not None and value not in self.choices:
            raise FaceswapError(
                f"Option '{name}' is {value!r}; choose one of: {', '.join(map(str, self.choices))}."
            )
        return value


def _loss(default: str, allow_none: bool = True) -> Option:
    choices = (*LOSS_NAMES, "none") if allow_none else LOSS_NAMES
    return Option(default, "Loss function for this slot.", fixed=False, choices=choices)


# Upstream faceswap's defaults (research/upstream-faceswap.md, sections 3.7, 3.8 and 4.5).
TRAIN_OPTIONS: dict[str, Option] = {
    "centering": Option("face", "Which part of the aligned face the model sees.",
                        choices=("face", "head", "legacy")),
    "coverage": Option(100.0, "Percentage of the aligned face the model trains on.",
                       min=62.5, max=100.0),
    "icnr_init": Option(False, "ICNR-initialise upscale convolutions (fewer checkerboards)."),
    "conv_aware_init": Option(False, "Convolution-aware initialisation of every convolution."),
    "reflect_padding": Option(False, "Reflect-pad before convolutions instead of zero padding "
                              "(fewer edge artefacts)."),
    "width_scale": Option(1.0, "Multiply every layer width by this (not an upstream option: 1.0 "
                          "is the published model; small values make tiny models for quick "
                          "experiments and tests).", min=1 / 64, max=1.0),
    "mixed_precision": Option(False, "Compute in float16 with loss scaling (GPU speed-up).",
                              fixed=False),
    "nan_protection": Option(True, "Stop before saving when a loss is not finite.", fixed=False),
    "convert_batchsize": Option(16, "Faces per batch in convert.", fixed=False, min=1, max=256),
    "loss_function": _loss("ssim", allow_none=False),
    "loss_function_2": _loss("mse"),
    "loss_weight_2": Option(100, "Weight of loss slot 2 in percent.", fixed=False, min=0, max=400),
    "loss_function_3": _loss("none"),
    "loss_weight_3": Option(0, "Weight of loss slot 3 in percent.", fixed=False, min=0, max=400),
    "loss_function_4": _loss("none"),
    "loss_weight_4": Option(0, "Weight of loss slot 4 in percent.", fixed=False, min=0, max=400),
    "mask_loss_function": Option("mse", "Loss of a learned mask.", fixed=False,
                                 choices=("mae", "mse")),
    "penalized_mask_loss": Option(True, "Weight the face loss by the face mask."),
    "mask_type": Option("extended", "Landmark mask used for loss and learned masks.",
                        choices=TRAIN_MASK_TYPES),
    "learn_mask": Option(False, "Add a mask output to each decoder."),
    "eye_multiplier": Option(3, "Extra loss weight on the eyes.", fixed=False, min=1, max=40),
    "mouth_multiplier": Option(2, "Extra loss weight on the mouth.", fixed=False, min=1, max=40),
    "optimizer": Option("adam", "Optimizer.", choices=OPTIMIZERS),
    "learning_rate": Option(5e-5, "Learning rate.", fixed=False, min=1e-7, max=1e-2),
    "epsilon_exponent": Option(-7, "Optimizer epsilon is 10**this.", fixed=False, min=-16, max=-1),
    "beta_1": Option(0.9, "First moment decay of Adam-like optimizers.", min=0.0, max=1.0),
    "beta_2": Option(0.999, "Second moment decay of Adam-like optimizers.", min=0.0, max=1.0),
    "weight_decay": Option(0.0, "Decoupled weight decay.", fixed=False, min=0.0, max=1.0),
    "gradient_clipping": Option("none", "How to clip gradients.", fixed=False,
                                choices=("none", "global_norm", "norm", "value", "autoclip")),
    "clipping_value": Option(1.0, "Clipping threshold (autoclip: percentile/10).", fixed=False,
                             min=0.0, max=100.0),
    "gradient_accumulation": Option(1, "Apply gradients every N steps.", fixed=False,
                                    min=1, max=100),
}


def resolve_options(
    definitions: Mapping[str, Option],
    requested: Mapping[str, Any] | None,
    stored: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Merge defaults, the user's requested values and a resumed model's stored values.

    Fixed options always keep their stored value (a request to change one is logged as a
    warning and ignored); updatable ones take the requested value (the change is logged).
    """
    requested = dict(requested or {})
    unknown = sorted(set(requested) - set(definitions))
    if unknown:
        raise FaceswapError(
            f"Unknown training option(s): {', '.join(unknown)}. "
            f"Known options: {', '.join(sorted(definitions))}."
        )
    config = {name: opt.default for name, opt in definitions.items()}
    if stored is not None:
        for name, value in stored.items():
            if name in definitions:
                config[name] = value
    for name, value in requested.items():
        option = definitions[name]
        value = option.validate(name, value)
        if stored is not None and name in stored and stored[name] != value:
            if option.fixed:
                logger.warning(
                    "Option '%s' is fixed once a model is created: keeping the stored value %r "
                    "(you asked for %r). Start a new model folder to use a different value.",
                    name, stored[name], value,
                )
                continue
            logger.info("Option '%s' changed from %r to %r", name, stored[name], value)
        config[name] = value
    return config
