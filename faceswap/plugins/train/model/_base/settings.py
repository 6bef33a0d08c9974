"""Precision policy and distribution strategy: the backend-specific corner of ModelBase."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from typing import Any

import keras
import numpy as np

logger = logging.getLogger(__name__)

#: Gradient bytes per all-reduce between workers (MultiWorkerMirroredStrategy).
GRADIENT_PACK_BYTES = 32 * 2**20


def set_precision(mixed: bool) -> None:
    """Set Keras' global dtype policy before a model is built or rebuilt."""
    keras.mixed_precision.set_dtype_policy("mixed_float16" if mixed else "float32")


def get_strategy(distributed: bool) -> Any:
    """The strategy whose ``scope()`` models are built in.

    TensorFlow: ``MultiWorkerMirroredStrategy`` when ``TF_CONFIG`` describes a cluster, else
    ``MirroredStrategy`` over every GPU (or every logical CPU device when there is no GPU, which
    is how the tests exercise it), else TF's default strategy. JAX: Keras' own data parallel
    distribution over every device, across every process of the cluster when ``TF_CONFIG``
    describes one (see :func:`_initialize_jax_cluster`). Other backends: no strategy.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        if not distributed:
            return tf.distribute.get_strategy()
        if os.environ.get("TF_CONFIG"):
            # Packing the gradients into few large all-reduces halved their time between two
            # workers over 127.0.0.1 (82M floats: 2.4 s -> 1.3 s, docs/benchmarks.md). Each
            # value is still the plain sum over the workers.
            options = tf.distribute.experimental.CommunicationOptions(
                bytes_per_pack=GRADIENT_PACK_BYTES)
            strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
            logger.info("Multi-worker training: %d replicas (task %s)",
                        strategy.num_replicas_in_sync, _task())
            return strategy
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        strategy = tf.distribute.MirroredStrategy([d.name for d in devices])
        logger.info("Distributing over %d devices: %s", strategy.num_replicas_in_sync,
                    ", ".join(d.name for d in devices))
        return strategy
    if backend == "jax" and distributed:
        multi_process = _initialize_jax_cluster()
        keras.distribution.set_distribution(keras.distribution.DataParallel())
        import jax

        logger.info("Data parallel over %d devices in %d process(es)",
                    jax.device_count(), jax.process_count())
        return _NoStrategy(jax.device_count(), multi_process)
    return _NoStrategy()


def _initialize_jax_cluster() -> bool:
    """Join the processes ``TF_CONFIG`` lists into one JAX cluster; True when it lists several.

    JAX must join before it computes anything, which holds here: nothing runs on the backend
    before the model is built. CPU processes exchange gradients through JAX's Gloo collectives.
    """
    cluster = jax_cluster(_tf_config())
    if cluster is None:
        return False
    import jax

    if not jax.distributed.is_initialized():
        keras.distribution.initialize(*cluster)
    return True


def jax_cluster(config: dict[str, Any]) -> tuple[str, int, int] | None:
    """``(coordinator address, process count, process id)`` for JAX from a ``TF_CONFIG`` dict.

    The same ``TF_CONFIG`` as for TensorFlow, so one setup serves both backends: the processes
    are the chief (if any) then the workers in order, and the first one's address hosts JAX's
    coordinator (the other addresses are not used). None unless it lists several processes.
    """
    cluster = config.get("cluster") or {}
    chiefs, workers = list(cluster.get("chief") or []), list(cluster.get("worker") or [])
    addresses = chiefs + workers
    if len(addresses) < 2:
        return None
    task = config.get("task") or {}
    index = int(task.get("index", 0))
    process_id = index if task.get("type") == "chief" else len(chiefs) + index
    return addresses[0], len(addresses), process_id


def _tf_config() -> dict[str, Any]:
    try:
        config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    except ValueError:
        return {}
    return config if isinstance(config, dict) else {}


def _task() -> dict[str, Any]:
    return dict(_tf_config().get("task") or {})


def is_chief() -> bool:
    """Whether this process writes the model files: the chief, else worker 0 of the cluster."""
    config, task = _tf_config(), _task()
    if "chief" in (config.get("cluster") or {}):
        return task.get("type") == "chief"
    return task.get("type", "worker") == "worker" and int(task.get("index", 0)) == 0


def is_multi_worker(strategy: Any) -> bool:
    """Whether ``strategy`` trains as one process of a cluster.

    TensorFlow: a MultiWorkerMirroredStrategy (one or more workers); JAX: a distribution over
    several processes.
    """
    if isinstance(strategy, _NoStrategy):
        return strategy.multi_worker
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def use_multi_worker_train_function(model: keras.Model, strategy: Any) -> None:
    """Give a compiled model a train function whose logs reduce correctly across workers.

    Keras 3's TensorFlow trainer averages the per-replica logs of a multi-worker strategy with
    ``strategy.reduce("MEAN", value, axis=0)``: ``axis=0`` also averages along the value's first
    dimension, and every log (the loss tracker's ``div_no_nan(total, count)``) is a scalar, so
    with two or more workers the first step fails while tracing ("Invalid reduction dimension 0
    for input with 0 dimensions"); ``fit`` fails the same way (tensorflow/tensorflow#72388).
    This function does what Keras' does (``strategy.run`` of the model's own ``train_step``,
    gradients all-reduced by the optimizer as usual) but averages the scalar logs over replicas
    only (``axis=None``).
    ``train_on_batch`` uses an existing ``model.train_function`` as is, and ``compile`` clears
    it, so call this after compiling.
    """
    import tensorflow as tf
    from keras import tree

    def reduce(value: Any) -> Any:
        return strategy.reduce("MEAN", value, axis=None)

    @tf.autograph.experimental.do_not_convert
    def one_step(data: Any) -> Any:
        return tree.map_structure(reduce, strategy.run(model.train_step, args=(data,)))

    one_step = tf.function(one_step, reduce_retracing=True, jit_compile=model.jit_compile)

    def train_function(iterator: Any) -> Any:
        outputs = None
        for _, data in zip(range(model.steps_per_execution), iterator, strict=False):
            outputs = one_step(data)
        return outputs

    model.train_function = train_function


def worker_index() -> int:
    """This task's index in ``TF_CONFIG`` (0 without one)."""
    return int(_task().get("index", 0))


def weights_checksum(model: keras.Model) -> str:
    """SHA-256 (hex) over every weight of ``model``, its path and its bytes, in model order.

    Synchronous data-parallel training keeps identical weights on every worker, so equal
    checksums at the end of a multi-worker run show the workers really trained one model.
    """
    digest = hashlib.sha256()
    for variable in model.weights:
        digest.update(variable.path.encode())
        value = np.ascontiguousarray(keras.ops.convert_to_numpy(variable))
        digest.update(str(value.dtype).encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


class _NoStrategy:
    """No TensorFlow strategy: a null scope (JAX distributes through keras.distribution)."""

    def __init__(self, replicas: int = 1, multi_worker: bool = False) -> None:
        self.num_replicas_in_sync = replicas
        self.multi_worker = multi_worker

    def scope(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()


def make_optimizer(config: dict[str, Any]) -> keras.optimizers.Optimizer:
    """The Keras optimizer the options describe (wrapped for loss scaling in mixed precision)."""
    name = config["optimizer"]
    kwargs: dict[str, Any] = {"learning_rate": config["learning_rate"]}
    if name != "lion":
        kwargs["epsilon"] = 10.0 ** config["epsilon_exponent"]
    if name in ("adam", "adamw", "nadam", "adamax", "lion"):
        kwargs.update(beta_1=config["beta_1"], beta_2=config["beta_2"])
    if config["weight_decay"] or name == "adamw":
        kwargs["weight_decay"] = config["weight_decay"]
    clipping, value = config["gradient_clipping"], config["clipping_value"]
    if clipping == "global_norm":
        kwargs["global_clipnorm"] = value
    elif clipping == "norm":
        kwargs["clipnorm"] = value
    elif clipping == "value":
        kwargs["clipvalue"] = value
    if config["gradient_accumulation"] > 1:
        kwargs["gradient_accumulation_steps"] = config["gradient_accumulation"]
    classes = {
        "adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW,
        "nadam": keras.optimizers.Nadam, "adamax": keras.optimizers.Adamax,
        "rmsprop": keras.optimizers.RMSprop, "lion": keras.optimizers.Lion,
    }
    optimizer_class = classes[name]
    if clipping == "autoclip":
        from faceswap.lib.model.autoclip import with_autoclip

        # Upstream's convention: the percentile is clipping_value x 10 (default: 10th).
        optimizer_class = with_autoclip(optimizer_class, min(100.0, value * 10))
    optimizer = optimizer_class(**kwargs)
    if config["mixed_precision"]:
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer
