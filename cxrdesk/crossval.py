"""Leave one hospital out: the figure a new hospital can expect, and a calibration that holds there.

A model's accuracy on a random split of its own hospitals says little about a hospital it never saw
(measured here: 93.6 % at home, 56 % on films of three other hospitals). So ``crossval`` trains, for each
source (hospital or collection) of a curated dataset, one model on every other source - same network,
recipe, size, epochs and seed as the model to ship - and predicts every image of the source it never saw.
Pooled, those out-of-source predictions are the honest estimate, and the only fair data to calibrate on:

- **calibration for unseen hospitals**: a temperature and per-class offsets, the screening thresholds and
  the "uncertain" threshold (the confidence below which the model's answers are right less often than
  the stated target) are fitted on the pooled out-of-source predictions
  (:func:`cxrdesk.calibration.fit_unseen`), not on validation images of the training hospitals;
- **the figures are cross-fitted**: each held-out source's predictions are calibrated, and its
  "uncertain" threshold chosen, on the *other* sources' predictions only, so no figure is measured on
  what it was fitted on;
- **the final model** is then trained on every source with the same settings; its card carries the
  estimate under ``expected_at_new_hospital`` (its headline everywhere) and the calibration it applies.

Work lives in ``<out>/.crossval/<name>/`` (one folder per fold: its derived dataset, its model while
it is predicted, its predictions); a stopped run resumes at the fold it was in (``--resume``), completed
folds are not trained again. The fold models are deleted once their predictions are written.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np

from .atomic import write_text
from .bundle import load_bundle
from .dataset import CuratedDataset, DatasetItem, derive_dataset, load_dataset
from .errors import CxrdeskError
from .estimate import (CROSSVAL_FOLDER, METHOD, MIN_SOURCE_IMAGES, PREDICTIONS, SUMMARY, CrossvalSettings, Predictions,
                       attach_estimate, figures, summarise)
from .evaluation import predict_raw
from .events import Batch, CrossvalPlanned, Epoch, EstimateDone, Event, FoldDone, Started
from .runs import TrainingRun
from .scanning import UNKNOWN_SOURCE
from .training import TrainConfig, run_training, work_dir

OTHER = "other"


@dataclass
class Fold:
    """One held-out source (or several small ones merged as 'other'): trained on the rest, tested on it."""

    name: str
    sources: list[str]
    held_out: list[DatasetItem]
    train: list[DatasetItem]
    val: list[DatasetItem]

    @property
    def slug(self) -> str:
        return re.sub(r"[^A-Za-z0-9._-]+", "_", self.name) or "fold"

    def to_dict(self) -> dict:
        return {"name": self.name, "sources": self.sources, "held_out_images": len(self.held_out),
                "train_images": len(self.train), "val_images": len(self.val),
                "held_out_classes": sorted({i.label for i in self.held_out})}


@dataclass
class FoldPlan:
    folds: list[Fold]
    notes: list[str] = field(default_factory=list)  # merged, skipped, kept in every fold: said plainly


def plan_folds(dataset: CuratedDataset, min_images: int = MIN_SOURCE_IMAGES) -> FoldPlan:
    """The folds of a leave-one-source-out estimate of ``dataset``: one per source with at least
    ``min_images`` images; smaller ones merged into 'other' (skipped if still too small); a fold whose
    other sources lack a class cannot train it and is skipped. Images of unknown source stay in every
    fold's training (there is no hospital to hold out). A patient, or a file, with an image in the held-out
    source never trains its fold."""
    items = [i for i in dataset.items if i.split in ("train", "val", "test")]
    counts: dict[str, int] = {}
    for item in items:
        counts[item.source] = counts.get(item.source, 0) + 1
    named = sorted(s for s in counts if s != UNKNOWN_SOURCE)
    if len(named) < 2:
        only = f"one source only ({named[0]})" if named else "no named source"
        raise CxrdeskError(f"{dataset.folder} has {only}: there is no hospital to hold out. Leave-one-hospital-out "
                           "needs images from two sources or more, named by a 'source' column of a labels CSV or a "
                           "'<source>__' file-name prefix (or 'cxrdesk curate --source-pattern')")
    notes = []
    if UNKNOWN_SOURCE in counts:
        notes.append(f"{counts[UNKNOWN_SOURCE]} images of unknown source stay in the training of every fold "
                     "(no hospital to hold out) and are never predicted")
    big = [s for s in named if counts[s] >= min_images]
    small = [s for s in named if counts[s] < min_images]
    groups = [(s, [s]) for s in big]
    if small:
        merged = sum(counts[s] for s in small)
        listed = ", ".join(f"{s} ({counts[s]})" for s in small)
        if merged >= min_images and len(small) > 1:
            groups.append((OTHER, small))
            notes.append(f"sources with fewer than {min_images} images merged into one held-out '{OTHER}': {listed}")
        else:
            notes.append(f"too few images to hold out (fewer than {min_images}), kept in every fold's training and "
                         f"never predicted: {listed}")
    folds = []
    for name, sources in groups:
        held = [i for i in items if i.source in sources]
        held_groups = {i.group for i in held if i.group}
        held_hashes = {i.sha256 for i in held if i.sha256}

        def trains(item: DatasetItem) -> bool:
            return (item.source not in sources and item.group not in held_groups
                    and item.sha256 not in held_hashes)

        train = [i for i in items if i.split == "train" and trains(i)]
        val = [i for i in items if i.split == "val" and trains(i)]
        missing = sorted(set(dataset.classes) - {i.label for i in train})
        if missing:
            notes.append(f"'{name}' cannot be held out: the other sources have no training image of "
                         f"{', '.join(missing)} (skipped)")
            continue
        if not val:
            notes.append(f"'{name}' cannot be held out: the other sources have no validation image (skipped)")
            continue
        folds.append(Fold(name, sources, held, train, val))
    if len(folds) < 2:
        raise CxrdeskError(f"{dataset.folder}: fewer than two sources can be held out, so there is no estimate for "
                           "a new hospital. " + " ".join(notes))
    return FoldPlan(folds, notes)


def crossval_dir(out: str | Path, name: str) -> Path:
    return Path(out) / ".crossval" / name


# ------------------------------------------------------------------------------- the worker


def run_crossval(cfg: TrainConfig, emit: Callable[[dict], None], should_stop: Callable[[], bool], *,
                 settings: CrossvalSettings) -> dict:
    """Train a model per held-out source, predict it, pool, calibrate, then (``settings.final``) train the
    final model on every source and write the estimate and the calibration into its card. Runs in the
    worker process (see :class:`CrossvalRun`); returns what its 'finished' event carries."""
    settings.validate()
    cfg.validate()
    cfg.resolve()
    cfg.name = cfg.resolved_name()
    dataset = load_dataset(cfg.dataset)
    plan = plan_folds(dataset, settings.min_images)
    work = crossval_dir(cfg.out, cfg.name)
    work.mkdir(parents=True, exist_ok=True)
    config_path = work / "config.json"
    if config_path.exists():  # resuming: the folds done must be of this very dataset
        saved = json.loads(config_path.read_text(encoding="utf-8")).get("manifest_sha256")
        if saved and saved != dataset.manifest_sha256:
            raise CxrdeskError(f"{dataset.folder} changed since this estimate started (its manifest is not the same): "
                               f"start a new run, or delete {work}")
    else:
        write_text(config_path, json.dumps({"train": asdict(cfg), "crossval": asdict(settings),
                                            "manifest_sha256": dataset.manifest_sha256}, indent=2))
    trainings = len(plan.folds) + (1 if settings.final else 0)
    emit(CrossvalPlanned(name=cfg.name, method=METHOD, folds=[f.to_dict() for f in plan.folds], notes=plan.notes,
                         final=settings.final, trainings=trainings, epochs=cfg.epochs, folder=str(work)))
    tables = []
    for index, fold in enumerate(plan.folds, 1):
        table = _run_fold(cfg, settings, dataset, fold, index, trainings, work, emit, should_stop)
        if table is None:
            return {"bundle": None, "stopped_by_user": True, "stopped_early": True, "crossval": str(work),
                    "folds_done": index - 1}
        tables.append(table)
    predictions = Predictions.concat(tables)
    records = [json.loads(p.read_text(encoding="utf-8")) for p in
               (work / "folds" / f.slug / "fold.json" for f in plan.folds) if p.is_file()]
    summary = summarise(predictions, settings, cfg, plan_meta(dataset, plan, records))
    write_text(work / PREDICTIONS, predictions.to_csv())
    write_text(work / SUMMARY, json.dumps(summary, indent=2))
    emit(EstimateDone(expected=summary["expected_at_new_hospital"], summary=str(work / SUMMARY)))
    if not settings.final:
        return {"bundle": None, "stopped_by_user": False, "stopped_early": False, "crossval": str(work),
                "summary": str(work / SUMMARY), "expected": summary["expected_at_new_hospital"]}
    tagged = _tagged(emit, stage="final", index=trainings, trainings=trainings, held_out=None)
    result = run_training(replace(cfg, command=cfg.command), tagged, should_stop)
    if result.get("stopped_by_user"):
        return {**result, "bundle": None, "crossval": str(work)}
    bundle = Path(result["bundle"])
    attach_estimate(bundle, summary, work)
    shutil.rmtree(work, ignore_errors=True)  # its evidence now lives in the bundle's crossval/ folder
    return {**result, "summary": str(bundle / CROSSVAL_FOLDER / SUMMARY),
            "expected": summary["expected_at_new_hospital"]}


def _relative(file: Path, root: Path) -> str:
    """A file as the predictions name it: relative to the dataset's source folder (no machine's path in a
    file that ships with a model), else as it is."""
    try:
        return Path(file).relative_to(root).as_posix()
    except ValueError:
        return str(file)


def _tagged(emit, *, stage: str, index: int, trainings: int, held_out: str | None):
    """Training events, marked with the training they belong to (fold i of n, or the final model)."""
    def tag(event: Event) -> None:
        emit(dataclasses.replace(event, stage=stage, training=index, trainings=trainings, held_out=held_out))
    return tag


def _run_fold(cfg: TrainConfig, settings: CrossvalSettings, dataset: CuratedDataset, fold: Fold, index: int,
              trainings: int, work: Path, emit, should_stop) -> "Predictions | None":
    """Train (or resume) the fold's model and predict its held-out source; None when stopped by the user.
    A fold whose predictions exist is done: they are read back."""
    import keras

    folder = work / "folds" / fold.slug
    done = folder / PREDICTIONS
    if done.is_file():
        table = Predictions.read(done)
        emit(FoldDone(training=index, trainings=trainings, held_out=fold.name, resumed=True,
                      figures=figures(table.raw, table.y, table.classes)))
        return table
    held = {str(i.file) for i in fold.held_out}
    keep = {str(i.file): i.split for i in fold.train + fold.val}
    derived = folder / "dataset"
    if not derived.is_dir():
        derive_dataset(dataset, derived, lambda item: "test" if str(item.file) in held else keep.get(str(item.file)),
                       why=f"leave-one-source-out: fold holding out {fold.name}",
                       settings={"holdout_sources": fold.sources})
    # the fold learns the class balance of the model it stands in for, though its held-out source took
    # most of a class with it (without this, each source's class is under-predicted exactly where it is held out)
    train = dataset.split("train")
    prior = {c: round(sum(1 for i in train if i.label == c) / len(train), 6) for c in dataset.classes}
    name = f"holding-out-{fold.slug}"
    fold_cfg = replace(cfg, dataset=str(derived), out=str(folder), name=name, demo=False, class_prior=prior,
                       command=f"crossval fold holding out {fold.name}")
    bundle_folder = folder / name
    started = time.perf_counter()
    if not (bundle_folder / "card.json").is_file() or work_dir(folder, name).exists():
        result = run_training(fold_cfg, _tagged(emit, stage="fold", index=index, trainings=trainings,
                                                held_out=fold.name), should_stop)
        if result.get("stopped_by_user"):
            return None
    bundle = load_bundle(bundle_folder)
    items = load_dataset(derived).split("test")
    raw = predict_raw(bundle, items)
    root = Path(dataset.description["source_root"])
    table = Predictions([_relative(i.file, root) for i in items], [i.source for i in items], [fold.name] * len(items),
                        np.array([dataset.classes.index(i.label) for i in items]), raw, tuple(dataset.classes))
    write_text(done, table.to_csv())
    # the table as saved (6 decimals), as a resumed fold reads it: the estimate is then a function of the file the
    # model ships with, made again the same by resummarise (from unrounded tables it differed now and then)
    table = Predictions.read(done)
    record = {**fold.to_dict(), "epochs_run": bundle.card.training.get("epochs_run"),
              "best_epoch": bundle.card.best_epoch, "seconds_per_epoch": bundle.card.training.get("seconds_per_epoch"),
              "seconds": round(time.perf_counter() - started, 1)}
    write_text(folder / "fold.json", json.dumps(record, indent=2))
    if not settings.keep_fold_models:
        shutil.rmtree(bundle_folder, ignore_errors=True)
    keras.backend.clear_session()
    emit(FoldDone(training=index, trainings=trainings, held_out=fold.name, resumed=False,
                  figures=figures(raw, table.y, table.classes)))
    return table


# ------------------------------------------------------------------------------- predictions


# ------------------------------------------------------------------------------- figures


def plan_meta(dataset: CuratedDataset, plan: FoldPlan, fold_records: list[dict] | None = None) -> dict:
    """What a summary says of the data and the folds beside the predictions."""
    return {"dataset": str(dataset.folder), "source_root": dataset.description.get("source_root"),
            "manifest_sha256": dataset.manifest_sha256, "folds": fold_records or [f.to_dict() for f in plan.folds],
            "notes": plan.notes}


# ------------------------------------------------------------------------------- parent side


class CrossvalRun(TrainingRun):
    """A leave-one-source-out estimate (and the final model) in a worker process; events as a
    :class:`TrainingRun`'s, plus 'crossval' (the folds), 'fold' (a held-out source's figures) and
    'estimate'; training events carry ``stage`` ('fold' or 'final'), ``training`` and ``trainings``."""

    def __init__(self, config: TrainConfig, settings: CrossvalSettings | None = None):
        super().__init__(config)
        self.settings = settings or CrossvalSettings()
        self.settings.validate()
        self.job = partial(run_crossval, settings=self.settings)

    def work_folder(self) -> Path:
        return crossval_dir(self.config.out, self.config.name)

    def refuse_existing(self) -> None:
        load_dataset(self.config.dataset)  # a clear error before a process starts
        if (Path(self.config.out) / self.config.name).exists() or self.work_folder().exists():
            raise CxrdeskError(f"a run named {self.config.name!r} already exists in {self.config.out}: "
                               "choose another --name, or --resume it")


def resume_crossval(out: str | Path, name: str) -> tuple[TrainConfig, CrossvalSettings]:
    path = crossval_dir(out, name) / "config.json"
    if not path.is_file():
        raise CxrdeskError(f"no leave-one-hospital-out run {name!r} to resume in {out}")
    saved = json.loads(path.read_text(encoding="utf-8"))
    return TrainConfig.from_dict(saved["train"]), CrossvalSettings(**saved["crossval"])


@dataclass
class Progress:
    """Overall progress of a crossval run from its events, for the CLI's and the GUI's one bar: the
    training under way, the share done and the time left (at most: early stopping may end trainings
    sooner)."""

    trainings: int = 0  # folds, plus the final model
    final: bool = False
    epochs: int = 0
    training: int = 0  # the one under way, from 1
    held_out: str | None = None
    epoch: int = 0  # epochs completed in the training under way
    batch: int = 0
    steps: int = 0
    epoch_seconds: list[float] = field(default_factory=list)

    def update(self, event: Event) -> None:
        if isinstance(event, CrossvalPlanned):
            self.trainings, self.final, self.epochs = event.trainings, event.final, event.epochs
        elif isinstance(event, Started) and event.training:
            self.training, self.held_out = event.training, event.held_out
            self.epoch, self.batch = event.resumed_at_epoch, 0
        elif isinstance(event, Batch):
            self.epoch, self.batch, self.steps = event.epoch - 1, event.batch, event.steps
        elif isinstance(event, Epoch):
            self.epoch, self.batch = event.epoch, 0
            self.epoch_seconds.append(event.seconds)
        elif isinstance(event, FoldDone):
            self.training, self.epoch, self.batch = event.training, self.epochs, 0

    @property
    def folds(self) -> int:
        return self.trainings - (1 if self.final else 0)

    @property
    def fraction(self) -> float:
        """Share of the whole run done, each training counted at its full number of epochs."""
        if not self.trainings or not self.training:
            return 0.0
        within = (self.epoch + (self.batch / self.steps if self.steps else 0.0)) / max(self.epochs, 1)
        return min((self.training - 1 + min(within, 1.0)) / self.trainings, 1.0)

    @property
    def seconds_left(self) -> float | None:
        """At most this many seconds left, from the mean epoch so far; None before the first epoch."""
        if not self.epoch_seconds or not self.trainings:
            return None
        per_epoch = sum(self.epoch_seconds) / len(self.epoch_seconds)
        return per_epoch * self.epochs * self.trainings * (1.0 - self.fraction)

    def describe(self) -> str:
        """'fold 2 of 5: holding out nih' or 'the final model, on every source'."""
        if self.training and self.training > self.folds:
            return "the final model, on every source"
        return f"fold {self.training} of {self.folds}: holding out {self.held_out}"
