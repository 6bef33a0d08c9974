"""ModelBase: everything a model plugin shares (the seed's contract).

A plugin file defines ``encoder()``, ``decoder(side)`` and ``build_model(inputs)`` and sets
``input_shape`` after calling ``ModelBase.__init__``; this class does the rest: options, state,
building or loading inside the distribution strategy, mixed precision, compiling, saving,
history, and loading/freezing named sub-models.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import keras
import numpy as np

from faceswap.lib.errors import FaceswapError
from faceswap.lib.model import nn_blocks
from faceswap.plugins.train.model._base import settings
from faceswap.plugins.train.model._base.io import IO, copy_layer_weights, load_model_file
from faceswap.plugins.train.model._base.options import TRAIN_OPTIONS, Option, resolve_options
from faceswap.plugins.train.model._base.state import State

logger = logging.getLogger(__name__)

Shape = tuple[int, int, int]


@dataclass(frozen=True)
class OutputSlot:
    """One model output: its position, side ("a"/"b"), kind ("face"/"mask") and size (px)."""

    index: int
    side: str
    kind: str
    size: int


def find_submodel(model: keras.Model, name: str) -> keras.Layer | None:
    """The layer or sub-model called ``name`` at any depth of ``model`` (nearest first).

    ``freeze_layers``/``load_layers`` name sub-models, which a plugin may nest (an encoder
    inside a wrapper), so the search descends into every nested model.
    """
    queue = list(model.layers)
    while queue:
        layer = queue.pop(0)
        if layer.name == name:
            return layer
        if isinstance(layer, keras.Model):
            queue += layer.layers
    return None


def submodel_names(model: keras.Model) -> list[str]:
    """Names of every nested sub-model, outermost first (for error messages and the summary)."""
    names, queue = [], list(model.layers)
    while queue:
        layer = queue.pop(0)
        if isinstance(layer, keras.Model):
            names.append(layer.name)
            queue += layer.layers
    return names


class ModelBase:
    """Base class of every model plugin.

    Parameters
    ----------
    model_dir: the model folder (created on first save).
    config: training options (see ``TRAIN_OPTIONS`` and the plugin's ``options``); fixed options
        of an existing model keep their stored value.
    predict: build the single-direction inference model (convert) instead of the training model.
    swap: with ``predict``, swap B → A instead of A → B.
    load_weights: a ``.keras`` file of the same model to take ``load_layers`` from (new models).
    freeze_weights: make the ``freeze_layers`` sub-models untrainable.
    distributed: build under ``MirroredStrategy`` (TensorFlow) / data parallel (JAX).
    batch_size, no_logs: recorded in this session's state entry.
    snapshot_interval: copy the model folder every N iterations (0: never).
    """

    #: Plugin-specific options (merged with TRAIN_OPTIONS).
    options: ClassVar[dict[str, Option]] = {}

    def __init__(
        self,
        model_dir: str | Path,
        config: Mapping[str, Any] | None = None,
        *,
        predict: bool = False,
        swap: bool = False,
        load_weights: str | Path | None = None,
        freeze_weights: bool = False,
        distributed: bool = False,
        batch_size: int = 16,
        no_logs: bool = False,
        snapshot_interval: int = 0,
    ) -> None:
        self.input_shape: Shape | list[Shape] | None = None  # set by the plugin
        self._predict = predict
        self._swap = swap
        self._load_weights = Path(load_weights) if load_weights else None
        self._freeze = freeze_weights
        self._distributed = distributed
        self.model: keras.Model | None = None
        self.strategy: Any = None  # set by build()
        self._io = IO(self.name, Path(model_dir), snapshot_interval)
        self._state = State(self._io.model_dir, self.name)
        self._io.saved_iterations = self._state.iterations
        if predict and not self._io.model_exists:
            raise FaceswapError(
                f"No trained '{self.name}' model in '{model_dir}' (expected "
                f"'{self._io.model_path.name}'). Train one first with `faceswap train`."
            )
        definitions = {**TRAIN_OPTIONS, **self.options}
        self.config = resolve_options(definitions, config, self._state.config)
        self._check_config()
        if not self._state.exists:
            self._state.config = dict(self.config)
        self._state.new_session(batch_size, no_logs, {
            name: self.config[name] for name, opt in definitions.items() if not opt.fixed
        })

    def _check_config(self) -> None:
        if self.config["mask_type"] == "none" and (
            self.config["learn_mask"] or self.config["penalized_mask_loss"]
        ):
            raise FaceswapError(
                "learn_mask and penalized_mask_loss need a mask: set mask_type to 'extended' or "
                "'components', or turn both options off."
            )

    # ------------------------------------------------------------------------ seed attributes
    @property
    def name(self) -> str:
        """The plugin's name: its file name (``original``)."""
        return type(self).__module__.rsplit(".", 1)[-1]

    @property
    def model_name(self) -> str:
        """The Keras model's name; plugins with several architectures override it."""
        return self.name

    @property
    def coverage_ratio(self) -> float:
        """Fraction of the aligned face the model trains on.

        Crop sizes derived from it are ``(size * coverage_ratio // 2) * 2`` so they stay even.
        """
        return self.config["coverage"] / 100.0

    @property
    def freeze_layers(self) -> list[str]:
        """Sub-models frozen by ``freeze_weights``; override per plugin."""
        return ["encoder"]

    @property
    def load_layers(self) -> list[str]:
        """Sub-models copied by ``load_weights``; override per plugin."""
        return ["encoder"]

    @property
    def io(self) -> IO:
        """Input/output operations for the model."""
        return self._io

    @property
    def state(self) -> State:
        """The state (iterations, sessions, options) of this model."""
        return self._state

    @property
    def iterations(self) -> int:
        """Total iterations trained over every session."""
        return self._state.iterations

    @property
    def input_shapes(self) -> list[tuple[int | None, ...]]:
        """Shapes of every model input, batch dimension first."""
        return [tuple(t.shape) for t in self._require_model().inputs]

    @property
    def output_shapes(self) -> list[tuple[int | None, ...]]:
        """Shapes of every model output, batch dimension first."""
        return [tuple(t.shape) for t in self._require_model().outputs]

    @property
    def mask_channels(self) -> tuple[str, ...]:
        """Mask channels the trainer appends to each face target, in order."""
        if self.config["mask_type"] == "none":
            return ()
        channels: list[str] = []
        if self.config["penalized_mask_loss"] or self.config["learn_mask"]:
            channels.append("face")
        if self.config["eye_multiplier"] > 1:
            channels.append("eye")
        if self.config["mouth_multiplier"] > 1:
            channels.append("mouth")
        return tuple(channels)

    @property
    def is_chief(self) -> bool:
        """Whether this process writes the model folder.

        True unless the model trains under a multi-worker strategy and ``TF_CONFIG`` names
        another task the chief: the workers share the folder, so one of them writes it.
        """
        return not settings.is_multi_worker(self.strategy) or settings.is_chief()

    @property
    def worker_index(self) -> int:
        """This process's index in a multi-worker cluster (0 when training alone)."""
        return settings.worker_index() if settings.is_multi_worker(self.strategy) else 0

    def add_history(self, loss: np.ndarray) -> None:
        """Record one iteration's per-side losses (summed) for the next save's average."""
        self._io.history.append(float(np.sum(loss)))

    @property
    def outputs_per_side(self) -> int:
        """Model outputs per side: 1 face, plus 1 mask with learn_mask (more for multiscale).

        The inference model (``predict``) has one side: its largest face, then its mask.
        """
        outputs = len(self._require_model().outputs)
        return outputs if self._predict else outputs // 2

    @property
    def output_slots(self) -> list[OutputSlot]:
        """What each model output is: side, face or mask (1 channel), and size, in order.

        A side's outputs are its faces (any number, e.g. multiscale 1/4, 1/2 and full size)
        then its mask; side A's come first. The inference model holds one side.
        """
        per_side = self.outputs_per_side
        sides = ("a" if self._swap else "b",) if self._predict else ("a", "b")
        return [
            OutputSlot(index, sides[index // per_side], "mask" if shape[-1] == 1 else "face",
                       int(shape[1]))
            for index, shape in enumerate(self.output_shapes)
        ]

    def face_output(self, side: str) -> int:
        """Index of ``side``'s largest face output (the one convert and the preview show)."""
        faces = [s for s in self.output_slots if s.side == side and s.kind == "face"]
        if not faces:
            raise FaceswapError(f"The '{self.name}' model has no face output for side {side}.")
        return max(faces, key=lambda s: s.size).index

    def mask_output(self, side: str) -> int | None:
        """Index of ``side``'s learned mask output, or None without learn_mask."""
        masks = [s.index for s in self.output_slots if s.side == side and s.kind == "mask"]
        return masks[-1] if masks else None

    @property
    def input_sizes(self) -> list[int]:
        """Input side length per model input (A then B; one for the inference model)."""
        return [int(shape[1]) for shape in self.input_shapes]

    @property
    def output_size(self) -> int:
        """The largest face output's side length (training targets are built at it)."""
        return max(s.size for s in self.output_slots if s.kind == "face")

    # ------------------------------------------------------------------------ plugin helpers
    def width(self, filters: int) -> int:
        """A layer width scaled by the ``width_scale`` option (even, at least 2).

        Plugins pass every filter count and dense size through this, so one option shrinks any
        model for quick experiments and tests; at 1.0 (the default) widths are unchanged.
        """
        scale = self.config["width_scale"]
        if scale == 1.0:
            return filters
        return max(2, 2 * round(filters * scale / 2))

    def side_outputs(
        self, side: str, face: Any, mask: Any = None, kernel_size: int = 5
    ) -> list[Any]:
        """A decoder's outputs: ``face_out_{side}`` (3 channels), then ``mask_out_{side}``.

        ``mask`` is the mask branch's features; it is used only with learn_mask, so a plugin
        builds that branch only ``if self.config["learn_mask"]``.
        """
        outputs = [nn_blocks.Conv2DOutput(3, kernel_size, name=f"face_out_{side}")(face)]
        if self.config["learn_mask"]:
            if mask is None:
                raise FaceswapError(f"Plugin '{self.name}' built no mask branch for learn_mask.")
            outputs.append(nn_blocks.Conv2DOutput(1, kernel_size, name=f"mask_out_{side}")(mask))
        return outputs

    # ------------------------------------------------------------------------ plugin hooks
    def build_model(self, inputs: list[keras.KerasTensor]) -> keras.Model:
        """Create the model's structure from ``[input_a, input_b]``.

        The default is the classic layout most plugins share: one encoder instance applied to
        both inputs, then one decoder per side. Plugins with another layout (IAE's intermediate
        layers, DFL-SAE's liae) override it.
        """
        encoder = self.encoder()
        outputs: list[keras.KerasTensor] = []
        for side, face in zip("ab", inputs, strict=True):
            out = self.decoder(side)(encoder(face))
            outputs.extend(out if isinstance(out, (list, tuple)) else [out])
        return keras.Model(inputs, outputs, name=self.model_name)

    def encoder(self) -> keras.Model:
        """The encoder network (shared by both sides). Plugins implement this."""
        raise NotImplementedError

    def decoder(self, side: str) -> keras.Model:
        """The decoder network for ``side`` ("a" or "b"). Plugins implement this."""
        raise NotImplementedError

    # ------------------------------------------------------------------------ build
    def build(self) -> None:
        """Build or load the model inside the strategy scope, then compile or make inference.

        An existing ``<name>.keras`` is loaded; otherwise ``build_model`` creates it. For
        inference only the needed side is kept. For training the model is compiled with the
        optimizer and losses and its optimizer state restored.
        """
        if self.input_shape is None:
            raise FaceswapError(f"Plugin '{self.name}' did not set input_shape.")
        strategy = settings.get_strategy(self._distributed and not self._predict)
        self.strategy = strategy
        settings.set_precision(self.config["mixed_precision"])
        with strategy.scope():
            if self._io.model_exists:
                model = self._io.load(self.model_name)
                self._check_loaded(model)
                if self._is_mixed(model) != self.config["mixed_precision"] and not self._predict:
                    model = self._rebuild_for_precision(model)
                if self._load_weights:
                    logger.warning("Ignoring --load-weights: weights load only into new models.")
            else:
                model = self._new_model()
                if self._load_weights:
                    self._load_named_layers(model, self._load_weights)
            if self._predict:
                self.model = self._inference_model(model)
            else:
                self._set_trainable(model)
                self.model = model
                self._compile()
                if self._io.model_exists:
                    self._io.restore_optimizer(self.model)
        self.model.summary(print_fn=lambda line, *_, **__: logger.debug(line), expand_nested=True)

    def _new_model(self) -> keras.Model:
        nn_blocks.reset_naming()
        nn_blocks.configure(**{key: bool(self.config[key]) for key in nn_blocks.OPTIONS})
        inputs = [keras.Input(shape=shape, name=f"face_in_{side}")
                  for shape, side in zip(self._input_shapes_per_side(), "ab", strict=True)]
        model = self.build_model(inputs)
        if model.name != self.model_name:
            raise FaceswapError(f"Plugin '{self.name}' must name its model '{self.model_name}'.")
        # Under mixed precision a float16 output would lose the loss's small differences and
        # overflow in convert; Conv2DOutput (side_outputs) computes its sigmoid in float32.
        half = [t.name for t in model.outputs if str(t.dtype) != "float32"]
        if half:
            raise FaceswapError(
                f"Plugin '{self.name}': outputs {half} are not float32. End every face and "
                "mask with nn_blocks.Conv2DOutput (ModelBase.side_outputs does)."
            )
        return model

    def _input_shapes_per_side(self) -> list[Shape]:
        shape = self.input_shape
        shapes = list(shape) if isinstance(shape, list) else [shape, shape]
        if len(shapes) != 2 or any(len(s) != 3 for s in shapes):
            raise FaceswapError(f"input_shape must be one 3-tuple or two; got {shape!r}.")
        return [tuple(int(d) for d in s) for s in shapes]

    def _check_loaded(self, model: keras.Model) -> None:
        names = [t.name for t in model.inputs]
        expected = self._input_shapes_per_side()
        actual = [tuple(t.shape[1:]) for t in model.inputs]
        if len(names) != 2 or actual != expected:
            raise FaceswapError(
                f"'{self._io.model_path}' has inputs {actual}, but this '{self.name}' model "
                f"expects {expected} (were its options changed?). Use the options it was "
                "created with, or another model folder."
            )

    @staticmethod
    def _is_mixed(model: keras.Model) -> bool:
        from faceswap.plugins.train.model._base.io import iter_layers

        # Input layers always take the global policy when loaded, so only layers with weights
        # tell how the model was built.
        return any(layer.dtype_policy.name == "mixed_float16"
                   for _, layer in iter_layers(model) if layer.weights)

    def _rebuild_for_precision(self, model: keras.Model) -> keras.Model:
        # Layer dtypes live in the saved config, so a precision switch means building the
        # network anew under the new policy and copying every weight across by layer name.
        logger.info("Switching the model to %s precision",
                    "mixed" if self.config["mixed_precision"] else "full")
        rebuilt = self._new_model()
        _, skipped = copy_layer_weights(model, rebuilt)
        if skipped:
            raise FaceswapError(f"Could not carry weights over to the new precision: {skipped}")
        return rebuilt

    def _load_named_layers(self, model: keras.Model, path: Path) -> None:
        source = load_model_file(path, self.model_name)
        total: list[str] = []
        for name in self.load_layers:
            target_part, source_part = find_submodel(model, name), find_submodel(source, name)
            if target_part is None or source_part is None:
                logger.warning("Cannot load '%s': not in both models", name)
                continue
            loaded, _ = copy_layer_weights(source_part, target_part)
            total += loaded
        if not total:
            raise FaceswapError(
                f"No weights could be loaded from '{path}' into {self.load_layers}: the layers "
                "differ in name or shape. Check it is a model of the same type and options "
                f"(sub-models here: {', '.join(submodel_names(model))})."
            )
        logger.info("Loaded weights of %d layers from '%s'", len(total), path)

    def _set_trainable(self, model: keras.Model) -> None:
        for layer in model.layers:
            layer.trainable = True
        if not self._freeze:
            return
        frozen = []
        for name in self.freeze_layers:
            part = find_submodel(model, name)
            if part is None:
                logger.warning("Cannot freeze '%s': the model has no such sub-model", name)
                continue
            part.trainable = False
            frozen.append(name)
        if not frozen:
            raise FaceswapError(
                f"--freeze-weights found none of {self.freeze_layers} in the '{self.model_name}' "
                f"model (its sub-models: {', '.join(submodel_names(model))}). Nothing was "
                "changed."
            )
        logger.info("Frozen: %s", ", ".join(frozen))

    def _losses(self) -> list[Any]:
        from faceswap.lib.model.losses import FaceLoss, MaskLoss

        cfg = self.config
        slots = [(cfg["loss_function"], 1.0)] + [
            (cfg[f"loss_function_{i}"], cfg[f"loss_weight_{i}"] / 100.0) for i in (2, 3, 4)
        ]
        face = FaceLoss(
            slots=slots,
            mask_channels=self.mask_channels,
            penalized=cfg["penalized_mask_loss"] and cfg["mask_type"] != "none",
            eye_multiplier=cfg["eye_multiplier"],
            mouth_multiplier=cfg["mouth_multiplier"],
        )
        mask = MaskLoss(cfg["mask_loss_function"], channel=3) if cfg["learn_mask"] else None
        # Every output is trained: each face (all scales of a multiscale decoder) against the
        # target resized to it, the learned mask against the target's face mask channel.
        return [mask if slot.kind == "mask" else face for slot in self.output_slots]

    def _compile(self) -> None:
        # XLA made this model ~3x slower on CPU under TensorFlow; JAX always compiles.
        jit = keras.backend.backend() == "jax"
        self.model.compile(
            optimizer=settings.make_optimizer(self.config), loss=self._losses(), jit_compile=jit
        )
        if keras.backend.backend() == "tensorflow" and settings.is_multi_worker(self.strategy):
            settings.use_multi_worker_train_function(self.model, self.strategy)

    def _inference_model(self, model: keras.Model) -> keras.Model:
        # A → B feeds face A through the shared encoder and decoder B, i.e. the graph from input
        # B to the B outputs; a functional sub-graph keeps only the layers on that path. Only the
        # largest face (multiscale decoders make smaller ones for training) and the mask stay.
        side = 0 if self._swap else 1
        per_side = len(model.outputs) // 2
        outputs = model.outputs[side * per_side:(side + 1) * per_side]
        faces = [t for t in outputs if t.shape[-1] != 1]
        masks = [t for t in outputs if t.shape[-1] == 1]
        kept = [max(faces, key=lambda t: t.shape[1]), *masks[-1:]]
        return keras.Model(
            model.inputs[side], kept if len(kept) > 1 else kept[0],
            name=f"{self.model_name}_inference",
        )

    def _require_model(self) -> keras.Model:
        if self.model is None:
            raise FaceswapError("The model has not been built yet: call build() first.")
        return self.model

    # ------------------------------------------------------------------------ training helpers
    def save(self) -> float | None:
        """Save model, optimizer and state (see :meth:`IO.save`)."""
        return self._io.save(self._require_model(), self._state, self.is_chief)
