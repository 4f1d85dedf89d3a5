"""The training engine: one run = model + curated dataset + hyperparameters + device.

:class:`TrainConfig` says everything that defines a run (:meth:`TrainConfig.resolve` settles, once, what
was left to the recipe and the model); :func:`run_training` trains in the calling process - a worker
spawned by :class:`cxrdesk.runs.TrainingRun`, so that its device is chosen before TensorFlow loads - and
emits typed events (:mod:`cxrdesk.events`): set-up, batches, epochs. It keeps its working state (the best
epoch's weights, a backup to resume from, the history) under ``<out>/.runs/<name>/`` until it has written
its bundle (:func:`cxrdesk.bundle.write_bundle`); a stop request ends it at the end of a batch, keeping
what was trained.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import Callable

from .atomic import write_text
from .bundle import TrainingResult, write_bundle
from .calibration import calibrate
from .dataset import load_dataset
from .devices import (DEVICES, DeviceUnavailable, cpu_has_bfloat16, cpu_name, gpu_names, gpu_unavailable_reason,
                      prepare_process)
from .errors import CxrdeskError
from .events import Batch, Epoch, Event, Started
from .lungs import LUNG_FIELDS, load_lung_model
from .lungs.layers import source_size
from .models import build_model, parameter_counts, spec
from .pipeline import make_pipelines
from .recipes import recipe

Emit = Callable[[Event], None]

STRATEGIES = ("default", "mirrored", "multiworker")
PRECISIONS = ("auto", "float32", "mixed")


@dataclass
class TrainConfig:
    """Everything that defines a run. Hyperparameters default to the study's (120 epochs, batch 64, Adam);
    the recipe defaults to 'lungs' (the study's augmentation on the lungs only), which measured best on
    hospitals never seen (benchmarks/bench_generalisation.py); ``recipe='study'`` is the paper's exactly."""

    dataset: str
    model: str = "custom"
    device: str = "cpu"
    recipe: str = "lungs"  # see cxrdesk.recipes.RECIPES
    lung_field: str | None = None  # 'off', 'crop', 'mask'... (cxrdesk.lungs.LUNG_FIELDS); None: the recipe's
    lung_model: str | None = None  # lung model bundle for the lung field; None: the shipped one
    target_sensitivity: float = 0.9  # of each class's screening threshold, chosen on validation
    epochs: int = 120
    batch_size: int = 64
    image_size: int | None = None  # None: the model's default (224; InceptionV3 299)
    weights: str = "imagenet"  # 'imagenet', 'none' or a weights file (VGG16 / InceptionV3)
    fine_tune: int = 0  # layers of the pretrained base to unfreeze
    learning_rate: float = 1e-3  # Keras' Adam default, as in the study
    seed: int = 42
    out: str = "models"
    name: str | None = None
    precision: str = "auto"  # auto: mixed where the hardware computes it natively
    early_stopping: int | None = None  # patience in epochs on validation loss; 0 = off; None: the recipe's
    strategy: str = "default"
    cpu_replicas: int = 1  # logical CPU devices for 'mirrored' (tests it without GPUs)
    max_steps: int | None = None  # cap on batches per epoch (quick runs, tests, benchmarks)
    no_validation: bool = False  # train without a validation split (no best epoch, no calibration)
    accumulation: int = 0  # micro-batches per batch (gradient accumulation); 0 = auto
    demo: bool = False  # mark the bundle as a demonstration model (shown on every screen using it)
    #: Weigh the training classes in these shares ({class: share}); None: as they come. A fold of a
    #: leave-one-hospital-out estimate keeps the class balance of the model it stands in for with it.
    class_prior: dict | None = None
    command: str | None = None  # the command line that started the run, recorded in the card

    def validate(self) -> None:
        model_spec = spec(self.model)
        if recipe(self.recipe).mix_style and model_spec.pretrained:
            raise CxrdeskError(f"the {self.recipe} recipe mixes the style of layers CXRDesk builds itself: choose the "
                               f"custom or compact network, not {self.model}")
        if self.lung_field is not None and self.lung_field not in LUNG_FIELDS:
            raise CxrdeskError(f"lung field must be one of {', '.join(LUNG_FIELDS)} (got {self.lung_field!r})")
        if self.device not in DEVICES:
            raise CxrdeskError(f"device must be one of {', '.join(DEVICES)} (got {self.device!r})")
        if self.strategy not in STRATEGIES:
            raise CxrdeskError(f"strategy must be one of {', '.join(STRATEGIES)} (got {self.strategy!r})")
        if self.precision not in PRECISIONS:
            raise CxrdeskError(f"precision must be one of {', '.join(PRECISIONS)} (got {self.precision!r})")
        if self.accumulation < 0 or (self.accumulation and self.batch_size % self.accumulation):
            raise CxrdeskError(f"--accumulate must divide the batch size {self.batch_size} "
                               f"(got {self.accumulation})")
        for name in ("epochs", "batch_size", "cpu_replicas"):
            if getattr(self, name) < 1:
                raise CxrdeskError(f"{name.replace('_', ' ')} must be at least 1 (got {getattr(self, name)})")
        if self.image_size is not None and self.image_size < model_spec.min_size:
            raise CxrdeskError(f"{self.model} needs an image size of at least {model_spec.min_size} px")
        if not 0.0 < self.target_sensitivity <= 1.0:
            raise CxrdeskError(f"target sensitivity must be in (0, 1] (got {self.target_sensitivity})")
        if not model_spec.pretrained and self.fine_tune:
            raise CxrdeskError(f"--fine-tune applies to the pretrained models, not {self.model}")

    def resolve(self) -> "TrainConfig":
        """Settle, once, what was left open: the lung field and early stopping (the recipe's), and the image
        size (the model's own). Everything after reads them from here (:meth:`feed_size` too)."""
        chosen = recipe(self.recipe)
        if self.lung_field is None:
            self.lung_field = chosen.lung_field
        if self.early_stopping is None:
            self.early_stopping = chosen.early_stopping
        if self.image_size is None:
            self.image_size = spec(self.model).default_size
        return self

    def model_size(self) -> int:
        """The network's input size (resolved)."""
        return int(self.resolve().image_size)

    def feed_size(self) -> int:
        """The size images are cached and fed at: the model's, or more for a lung field (see
        :func:`cxrdesk.lungs.layers.source_size`)."""
        return source_size(self.model_size(), self.resolve().lung_field)

    def resolved_name(self) -> str:
        return self.name or f"{self.model}-{self.device}-{time.strftime('%Y%m%d-%H%M%S')}"

    @classmethod
    def defaults(cls) -> dict:
        """Each field's default: what the CLI and the Training tab start from."""
        return {f.name: f.default for f in fields(cls) if f.default is not MISSING}

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _task() -> tuple[str, int, dict] | None:
    """(type, index, cluster) of this process in a multi-worker TF_CONFIG, or None."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return None
    try:
        data = json.loads(raw)
        task = data.get("task", {})
        return str(task.get("type", "worker")), int(task.get("index", 0)), dict(data.get("cluster", {}))
    except (ValueError, TypeError, AttributeError):
        raise CxrdeskError("TF_CONFIG is not valid JSON with 'cluster' and 'task'") from None


def is_chief() -> bool:
    """The process that writes the bundle: the 'chief', else worker 0, else a lone process."""
    task = _task()
    if task is None:
        return True
    kind, index, cluster = task
    return kind == "chief" or (kind == "worker" and index == 0 and "chief" not in cluster)


def work_dir(out: str | Path, name: str) -> Path:
    """Working state of a run; each non-chief worker of a multi-worker run keeps its own."""
    task = _task()
    suffix = "" if is_chief() or task is None else f".{task[0]}{task[1]}"
    return Path(out) / ".runs" / f"{name}{suffix}"


# ------------------------------------------------------------------------------- worker side


def run_training(cfg: TrainConfig, emit: Emit, should_stop: Callable[[], bool]) -> dict:
    """Train in this process (which must not have imported TensorFlow with another device), emitting
    typed events; returns what the run's last event carries (:func:`cxrdesk.events.finished`)."""
    cfg.validate()
    cfg.resolve()
    cfg.name = cfg.resolved_name()
    prepare_process(cfg.device)
    import keras

    device_name = _device_name(cfg)
    folder = work_dir(cfg.out, cfg.name)
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "config.json").exists():
        write_text(folder / "config.json", json.dumps(asdict(cfg), indent=2))
    dataset = load_dataset(cfg.dataset)
    if not dataset.split("val") and not cfg.no_validation:
        raise CxrdeskError(f"{dataset.folder} has no validation images: without them there is no best epoch, no "
                           "early stopping and no calibration. Curate more images (or a larger --val), or pass "
                           "--no-validation to train anyway")
    policy = _precision(cfg)
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(cfg.seed)
    setup = _set_up(cfg, dataset, folder)
    history = _load_history(folder)
    emit(Started(name=cfg.name, model=cfg.model, device=cfg.device, pid=os.getpid(), classes=list(dataset.classes),
                 recipe=cfg.recipe, lung_field=cfg.lung_field, device_name=device_name, precision=policy,
                 strategy=cfg.strategy, replicas=setup.strategy.num_replicas_in_sync, image_size=setup.size,
                 epochs=cfg.epochs, batch_size=cfg.batch_size, accumulation=setup.accumulation,
                 steps_per_epoch=setup.steps, train_images=setup.pipes.train_size, val_images=setup.pipes.val_size,
                 parameters=setup.parameters[0], trainable_parameters=setup.parameters[1],
                 resumed_at_epoch=len(history), cache=setup.pipes.cache))
    progress = _fit(cfg, setup, history, folder, emit, should_stop)
    return _finish(cfg, setup, progress, dataset, folder, device_name, policy)


@dataclass
class _Setup:
    """A run's model and data, ready to fit."""

    model: object
    strategy: object
    pipes: object
    size: int
    accumulation: int
    steps: int
    parameters: tuple[int, int]
    lungs: object | None


def _device_name(cfg: TrainConfig) -> str:
    import tensorflow as tf

    if cfg.device != "gpu":
        return cpu_name()
    reason = gpu_unavailable_reason(tf)
    if reason:
        raise DeviceUnavailable(f"cannot train on the GPU: {reason}")
    return ", ".join(gpu_names(tf))


def _set_up(cfg: TrainConfig, dataset, folder: Path) -> _Setup:
    """The model (compiled, in the strategy's scope), the pipelines and the steps of an epoch."""
    import keras
    import tensorflow as tf

    strategy = _strategy(cfg, tf)
    size = cfg.model_size()
    lungs = load_lung_model(cfg.lung_model) if cfg.lung_field != "off" else None
    with strategy.scope():
        model = build_model(cfg.model, size, weights=cfg.weights, fine_tune=cfg.fine_tune, seed=cfg.seed,
                            n_classes=len(dataset.classes), lung_field=cfg.lung_field,
                            lung_model=lungs.model if lungs else None, mix_style=recipe(cfg.recipe).mix_style)
        accumulation = cfg.accumulation or auto_accumulation(model, cfg.batch_size, cfg.device)
        model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate, gradient_accumulation_steps=(
                          accumulation if accumulation > 1 else None)),
                      loss="categorical_crossentropy", metrics=["accuracy"])
    pipes = make_pipelines(dataset, cfg.feed_size(), cfg.batch_size // accumulation, seed=cfg.seed, work_dir=folder,
                           recipe=recipe(cfg.recipe), class_prior=cfg.class_prior)
    # An epoch is as many optimizer updates of batch_size images as the study's, each made of
    # `accumulation` micro-batches whose gradients are averaged: the same updates, less memory.
    steps = math.ceil(pipes.train_size / cfg.batch_size) * accumulation
    if cfg.max_steps is not None:
        steps = min(steps, cfg.max_steps)
    if cfg.strategy == "multiworker":
        _work_around_keras_multiworker(model, strategy, pipes.train)
    return _Setup(model, strategy, pipes, size, accumulation, steps, parameter_counts(model), lungs)


def _fit(cfg: TrainConfig, setup: _Setup, history: list[dict], folder: Path, emit: Emit, should_stop):
    """Fit with checkpoints of every epoch (to resume) and of the best one; returns the progress callback."""
    import keras

    monitor = "val_loss" if setup.pipes.val is not None else "loss"
    progress = _progress_callback(emit, should_stop, setup.steps, history, folder)

    class WholeEpochBackup(keras.callbacks.BackupAndRestore):
        """Backs up whole epochs only: an epoch a stop cut short (Ctrl-C in the last one included) is not
        counted as done, and ``--resume`` repeats it."""

        def on_epoch_end(self, epoch, logs=None):
            if not progress.cut_short:
                super().on_epoch_end(epoch, logs)

    callbacks = [WholeEpochBackup(str(folder / "backup"), delete_checkpoint=False),
                 keras.callbacks.ModelCheckpoint(str(folder / "best.weights.h5"), monitor=monitor,
                                                 save_best_only=True, save_weights_only=True),
                 progress]
    if cfg.early_stopping:
        callbacks.append(keras.callbacks.EarlyStopping(monitor=monitor, patience=cfg.early_stopping))
    setup.model.fit(setup.pipes.train.repeat(), epochs=cfg.epochs, steps_per_epoch=setup.steps, shuffle=False,
                    validation_data=setup.pipes.val, callbacks=callbacks, verbose=0)
    progress.monitor = monitor
    return progress


def _finish(cfg: TrainConfig, setup: _Setup, progress, dataset, folder: Path, device_name: str, policy: str) -> dict:
    """Keep the best epoch, calibrate on validation, write the bundle (the chief only)."""
    epochs_done = len(progress.history)
    whole = sum(not h.get("partial") for h in progress.history)  # an epoch cut short is not done: resume repeats it
    completed = whole >= cfg.epochs or (cfg.early_stopping and not progress.stopped_by_user)
    if not progress.history:
        raise CxrdeskError("the run was stopped before its first epoch ended: nothing to save")
    if (folder / "best.weights.h5").exists():
        setup.model.load_weights(str(folder / "best.weights.h5"))  # the bundle holds the best epoch by validation loss
    pipes = setup.pipes
    calibration = _calibrate(setup.model, pipes.val, dataset, cfg.target_sensitivity) if pipes.val is not None else None
    if not is_chief():
        shutil.rmtree(folder, ignore_errors=True)
        return {"bundle": None, "chief": False, "epochs_run": epochs_done}
    result = TrainingResult(
        name=cfg.name, config=asdict(cfg), dataset=dataset, device_name=device_name, precision=policy,
        replicas=setup.strategy.num_replicas_in_sync, image_size=setup.size, parameters=setup.parameters[0],
        trainable_parameters=setup.parameters[1], history=progress.history, stopped_early=not completed,
        stopped_by_user=progress.stopped_by_user, steps_per_epoch=setup.steps, accumulation=setup.accumulation,
        best_epoch=_best_epoch(progress.history, progress.monitor), lungs=setup.lungs, calibration=calibration)
    bundle = write_bundle(setup.model, result, Path(cfg.out) / cfg.name)
    if completed:
        shutil.rmtree(folder, ignore_errors=True)  # nothing left to resume
    return {"bundle": str(bundle), "chief": True, "epochs_run": epochs_done, "stopped_early": not completed,
            "stopped_by_user": progress.stopped_by_user, "best_epoch": result.best_epoch}


def _calibrate(model, val, dataset, target: float) -> dict | None:
    """Temperature and screening thresholds fitted on the validation split (see cxrdesk.calibration)."""
    import numpy as np

    items = dataset.split("val")
    y_true = np.array([dataset.classes.index(i.label) for i in items])
    if len(set(y_true.tolist())) < 2:
        return None
    probabilities = model.predict(val, verbose=0).astype(np.float64)
    return calibrate(probabilities, y_true, dataset.classes, target)


#: Activation memory a CPU training step may use before the batch is split into micro-batches.
ACTIVATION_BUDGET = 1 << 30


def auto_accumulation(model, batch_size: int, device: str) -> int:
    """Micro-batches per batch so that one step's activations stay within ACTIVATION_BUDGET.

    The study's custom CNN keeps ~33 MB of float32 activations per 224 px image, ~2 GB for a batch
    of 64 and ~5 GB of peak memory with the backward pass; four micro-batches of 16 give the same
    Adam updates in a fraction of that. GPUs keep whole batches (they are fastest that way).
    """
    if device != "cpu":
        return 1
    import numpy as np

    per_image = 0
    for layer in model.layers:
        for output in (layer.output if isinstance(layer.output, (list, tuple)) else [layer.output]):
            per_image += int(np.prod([d for d in output.shape[1:] if d is not None])) * 4
    for n in range(1, batch_size + 1):
        if batch_size % n == 0 and per_image * batch_size / n <= ACTIVATION_BUDGET:
            return n
    return batch_size


def _strategy(cfg: TrainConfig, tf):
    if cfg.strategy == "default":
        return tf.distribute.get_strategy()
    if cfg.strategy == "mirrored":
        if cfg.device == "gpu":
            return tf.distribute.MirroredStrategy()
        cpus = tf.config.list_physical_devices("CPU")
        if cfg.cpu_replicas > 1:
            tf.config.set_logical_device_configuration(
                cpus[0], [tf.config.LogicalDeviceConfiguration() for _ in range(cfg.cpu_replicas)])
        return tf.distribute.MirroredStrategy(devices=[f"/cpu:{i}" for i in range(cfg.cpu_replicas)])
    if not os.environ.get("TF_CONFIG"):
        raise CxrdeskError("--strategy multiworker needs TF_CONFIG (the cluster and this worker's "
                           "task) in the environment of every worker")
    try:
        return tf.distribute.MultiWorkerMirroredStrategy()
    except (ValueError, KeyError) as exc:
        raise CxrdeskError(f"TF_CONFIG is not valid for multi-worker training: {exc}") from None


def _work_around_keras_multiworker(model, strategy, train) -> None:
    """Keras 3's ``fit`` fails under MultiWorkerMirroredStrategy (keras-team/keras#20585): it
    reduces a distributed input batch eagerly to build the model, and reduces scalar metrics along
    axis 0. Build the model from one local batch instead, and reduce scalars along no axis."""
    from keras.src import tree
    from keras.src.backend.tensorflow import trainer as tf_trainer

    if not getattr(tf_trainer.reduce_per_replica, "_cxrdesk_patched", False):
        original = tf_trainer.reduce_per_replica

        def reduce_per_replica(values, strategy, reduction):
            if reduction in ("auto", "mean") and tf_trainer._collective_all_reduce_multi_worker(strategy):
                return tree.map_structure(lambda v: strategy.reduce("MEAN", v, axis=None), values)
            return original(values, strategy, reduction)

        reduce_per_replica._cxrdesk_patched = True
        tf_trainer.reduce_per_replica = reduce_per_replica

    sample = next(iter(train))

    def symbolic_build(iterator=None, data_batch=None):
        with strategy.scope():
            model._symbolic_build(data_batch=sample)

    model._maybe_symbolic_build = symbolic_build


def _precision(cfg: TrainConfig) -> str:
    if cfg.precision == "float32":
        return "float32"
    if cfg.device == "gpu":
        return "mixed_float16"
    if cfg.precision == "mixed" or cpu_has_bfloat16():
        return "mixed_bfloat16"
    return "float32"  # 'auto' on a CPU without native bfloat16: emulation is several times slower


def _best_epoch(history: list[dict], monitor: str) -> int | None:
    values = [(h.get(monitor), h["epoch"]) for h in history if h.get(monitor) is not None]
    return min(values)[1] if values else None


def _load_history(folder: Path) -> list[dict]:
    """The whole epochs a run to resume has done (an epoch a stop cut short is repeated, as its backup is of
    the epoch before)."""
    path = folder / "history.json"
    if path.exists() and (folder / "backup").exists():
        return [h for h in json.loads(path.read_text(encoding="utf-8")) if not h.get("partial")]
    return []


def _progress_callback(emit: Emit, should_stop: Callable[[], bool], steps: int, history: list[dict],
                       folder: Path):
    """A Keras callback that emits batch and epoch events, records per-epoch seconds, and turns a
    stop request into ``model.stop_training`` (Keras checks it after every batch). Defined here
    because Keras must not be imported when this module is (the parent process never loads it)."""
    import keras

    class ProgressCallback(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.history = list(history)
            self.stopped_by_user = False
            self._last_event = 0.0
            self._started = time.perf_counter()
            self._batches = 0

        @property
        def cut_short(self) -> bool:
            """The epoch now ending was stopped before its last batch."""
            return self._batches < steps

        def on_epoch_begin(self, epoch, logs=None):
            self._started = time.perf_counter()
            self._batches = 0

        def on_train_batch_end(self, batch, logs=None):
            self._batches = batch + 1
            now = time.perf_counter()
            if now - self._last_event > 0.25 or batch + 1 == steps:
                self._last_event = now
                logs = logs or {}
                emit(Batch(epoch=len(self.history) + 1, batch=batch + 1, steps=steps, loss=_num(logs.get("loss")),
                           accuracy=_num(logs.get("accuracy")), seconds=round(now - self._started, 3)))
            if should_stop():
                self.stopped_by_user = True
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            record = {"epoch": epoch + 1, "loss": _num(logs.get("loss")),
                      "accuracy": _num(logs.get("accuracy")), "val_loss": _num(logs.get("val_loss")),
                      "val_accuracy": _num(logs.get("val_accuracy")),
                      "seconds": round(time.perf_counter() - self._started, 3),
                      "batches": self._batches, "partial": self._batches < steps}
            self.history.append(record)
            write_text(folder / "history.json", json.dumps(self.history, indent=1))
            emit(Epoch(**record, epochs=self.params.get("epochs")))

    return ProgressCallback()


def _num(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, 6)
