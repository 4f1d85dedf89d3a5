"""Judging a trained model as the study did (Tables I-VII), plus ROC and calibration.

The study's "general precision" is the overall accuracy: the share of all images classified right.
Per class, one-vs-rest: accuracy, precision, recall (sensitivity), specificity and F1. The classes are
the model's (any two or more); a class the evaluated images do not contain keeps its column of the
confusion matrix but gets no per-class row, since its recall would be undefined.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .bundle import LEARNED_HASH_DIGITS, amend_card, learned_from, load_bundle
from .calibration import answered_figures, apply_temperature, reliability, screening_report
from .dataset import DatasetItem, load_dataset
from .errors import CxrdeskError
from .pipeline import split_pipeline
from .scanning import UNKNOWN_SOURCE, scan_folder

METRICS = ("accuracy", "precision", "recall", "specificity", "f1")


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else 0.0


def metrics_from_confusion(matrix, class_names) -> dict:
    """Metrics from a confusion matrix (rows = true class, columns = predicted class), per class for the
    classes with at least one image, general precision over all images."""
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] != len(class_names):
        raise CxrdeskError(f"the confusion matrix must be {len(class_names)}x{len(class_names)}")
    total = m.sum()
    per_class = {}
    for i, name in enumerate(class_names):
        tp = m[i, i]
        fn = m[i].sum() - tp
        fp = m[:, i].sum() - tp
        tn = total - tp - fn - fp
        if not m[i].sum():
            continue
        precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        per_class[name] = {
            "accuracy": _ratio(tp + tn, total), "precision": precision, "recall": recall,
            "specificity": _ratio(tn, tn + fp), "f1": _ratio(2 * tp, 2 * tp + fp + fn),
            "support": int(m[i].sum()),
        }
    return {"per_class": per_class, "general_precision": _ratio(np.trace(m), total),
            "confusion_matrix": m.astype(int).tolist(), "classes": list(class_names), "n": int(total)}


def confusion(y_true, y_pred, n_classes: int) -> np.ndarray:
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return matrix


def roc(probabilities: np.ndarray, y_true: np.ndarray, classes) -> dict:
    """Per-class one-vs-rest ROC curves and AUC (scikit-learn)."""
    from sklearn.metrics import auc, roc_curve

    curves = {}
    for i, name in enumerate(classes):
        positive = y_true == i
        if positive.all() or not positive.any():
            continue  # AUC is undefined without both positives and negatives
        fpr, tpr, _ = roc_curve(positive, probabilities[:, i])
        curves[name] = {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "auc": float(auc(fpr, tpr))}
    return curves


@dataclass
class Evaluation:
    """Everything measured on one split with one model: what the report and the card show."""

    model: str
    classes: tuple[str, ...]
    split: str
    dataset: str
    metrics: dict
    roc: dict
    calibration: dict  # of the probabilities as used (calibrated when the model has a temperature)
    probabilities: np.ndarray  # calibrated when the model has a temperature
    y_true: np.ndarray
    sources: list[str] = field(default_factory=list)  # per image
    holdout_sources: list[str] = field(default_factory=list)  # sources never seen in training
    external: bool = False  # a labelled folder, not a split of the training data
    ece_uncalibrated: float | None = None  # ECE before temperature scaling
    temperature: float | None = None
    screening: dict = field(default_factory=dict)  # class -> sensitivity/specificity at the saved threshold
    images: list[str] = field(default_factory=list)  # per image: the file that was read
    not_recorded: str = ""  # why the result is not in the model's card ('' when it is, or was never meant to be)
    #: Named sources of these images that the model learnt from (training or validation), and how many of
    #: these very images it learnt from; None when its card does not record what it learnt from.
    seen_sources: list[str] | None = None
    seen_images: int | None = None
    #: With the model's "uncertain" rule: its threshold, the share of images answered (coverage) and the
    #: accuracy on those (see :func:`cxrdesk.calibration.answered_figures`); None for a model without one.
    answered: dict | None = None

    @property
    def on_unseen_hospitals(self) -> bool:
        """Whether this measures hospitals the model never saw: held-out sources or another hospital's
        folder, with no source and no image the model learnt from (as far as its card can tell)."""
        return bool(self.external or self.holdout_sources) and not (self.seen_sources or self.seen_images)

    def independence(self) -> str:
        """In words, whether this is a figure for hospitals the model never saw (CLI, report, GUI)."""
        sources = sorted(set(self.sources))
        if not (self.external or self.holdout_sources):
            return "the training hospitals (a random split): not a figure for another hospital"
        problems = []
        if self.seen_images:
            problems.append(f"{self.seen_images} of these {len(self.y_true)} images are among the images it learnt from")
        if self.seen_sources:
            problems.append(f"it learnt from {', '.join(self.seen_sources)}")
        if problems:
            return "NOT a figure for hospitals it never saw: " + "; ".join(problems)
        if self.seen_sources is None:
            return (f"sources {', '.join(sources)}; the model's card does not record what it learnt from (an older "
                    "model), so CXRDesk cannot check that they are new to it")
        if UNKNOWN_SOURCE in sources:
            return ("no image it learnt from; the source of some images is unknown, so CXRDesk cannot check that "
                    "their hospital is new to it (name them '<source>__file' or give --source-pattern)")
        return f"held-out hospitals: it learnt from none of these sources ({', '.join(sources)}) and none of these images"

    def prediction_rows(self) -> list[dict]:
        """One row per image: file, source, true and predicted class, and each class's probability as
        used (calibrated when the model has a temperature) - to find the images a model gets wrong, or to
        combine several models' answers."""
        return [{"image": image, "source": source, "label": self.classes[truth], "predicted": self.classes[p.argmax()],
                 **{f"p_{name}": round(float(p[i]), 6) for i, name in enumerate(self.classes)}}
                for image, source, truth, p in zip(self.images, self.sources, self.y_true, self.probabilities)]

    @property
    def accuracy(self) -> float:
        return self.metrics["general_precision"]

    def per_source(self) -> dict[str, dict]:
        """General precision and per-class recall for each source (hospital) of the evaluated images."""
        predicted = self.probabilities.argmax(axis=1)
        result = {}
        for source in sorted(set(self.sources)):
            mask = np.array([s == source for s in self.sources])
            recall = {}
            for k, name in enumerate(self.classes):
                positive = mask & (self.y_true == k)
                if positive.any():
                    recall[name] = round(float((predicted[positive] == k).mean()), 4)
            result[source] = {"n": int(mask.sum()),
                              "general_precision": round(float((predicted[mask] == self.y_true[mask]).mean()), 4),
                              "recall": recall}
        return result

    def summary(self) -> dict:
        return {"split": self.split, "dataset": self.dataset, "classes": list(self.classes),
                "evaluated": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "external": self.external,
                "holdout_sources": self.holdout_sources, "sources": sorted(set(self.sources)),
                **{k: self.metrics[k] for k in ("general_precision", "per_class", "confusion_matrix", "n")},
                "accuracy": self.metrics["general_precision"],
                "auc": {c: r["auc"] for c, r in self.roc.items()}, "ece": self.calibration["ece"],
                "ece_uncalibrated": self.ece_uncalibrated, "temperature": self.temperature,
                "screening": self.screening, "per_source": self.per_source(),
                "seen_sources": self.seen_sources, "seen_images": self.seen_images,
                "on_unseen_hospitals": self.on_unseen_hospitals, "answered": self.answered}


def evaluate(bundle, dataset, split: str = "test", batch_size: int = 32) -> Evaluation:
    """Predict every image of ``split`` with the bundle's model (its own preprocessing)."""
    items = dataset.split(split)
    if not items:
        raise CxrdeskError(f"{dataset.folder} has no '{split}' images (splits: "
                           f"{', '.join(sorted({i.split for i in dataset.items}))})")
    holdout = list((dataset.description.get("settings") or {}).get("holdout_sources") or []) if split == "test" else []
    return evaluate_items(bundle, items, split, str(dataset.folder), batch_size, holdout_sources=holdout)


def predict_raw(bundle, items, batch_size: int = 32) -> np.ndarray:
    """The model's probabilities for ``items``, before any calibration (its own preprocessing)."""
    data = split_pipeline(items, bundle.card.source_size, batch_size, classes=bundle.classes, training=False, seed=0,
                          cache_file="")
    return bundle.model.predict(data, verbose=0).astype(np.float64)


def evaluate_items(bundle, items, split: str, where: str, batch_size: int = 32, *,
                   holdout_sources: list[str] | None = None, external: bool = False,
                   raw: np.ndarray | None = None) -> Evaluation:
    """Predict ``items`` (dataset items of any origin) with the bundle's model, calibrated as its card
    says, and measure everything the study and the held-out-hospital evaluation report (``raw``: the
    model's probabilities for ``items`` when already predicted)."""
    classes = bundle.classes
    raw = predict_raw(bundle, items, batch_size) if raw is None else raw
    temperature = bundle.card.temperature
    probabilities = apply_temperature(raw, temperature, bundle.card.offsets)
    y_true = np.array([classes.index(i.label) for i in items])
    matrix = confusion(y_true, probabilities.argmax(axis=1), len(classes))
    seen_sources, seen_images = seen_in_training(bundle.card, items)
    return Evaluation(bundle.name, classes, split, where, metrics_from_confusion(matrix, classes),
                      roc(probabilities, y_true, classes), reliability(probabilities, y_true), probabilities,
                      y_true, [i.source for i in items], list(holdout_sources or []), external,
                      reliability(raw, y_true)["ece"], temperature,
                      screening_report(probabilities, y_true, classes, bundle.card.thresholds),
                      [str(i.file) for i in items], seen_sources=seen_sources, seen_images=seen_images,
                      answered=(answered_figures(probabilities, y_true, bundle.card.uncertain["threshold"])
                                if bundle.card.uncertain else None))


def dataset_learned_from(card, folder: str | Path) -> dict:
    """What the card's model learnt from (see :func:`cxrdesk.bundle.learned_from`), read from the curated
    dataset at ``folder``; a :class:`CxrdeskError` unless that dataset holds the very manifest the model
    was trained on (same SHA-256)."""
    dataset = load_dataset(folder)
    wanted = card.dataset.get("manifest_sha256")
    if dataset.manifest_sha256 != wanted:
        raise CxrdeskError(f"{folder} is not the dataset this model was trained on (manifest "
                           f"{dataset.manifest_sha256[:12]}, its card names {str(wanted)[:12]})")
    return learned_from(dataset.split("train") + dataset.split("val"))


def learned_from_dataset(card) -> dict | None:
    """For an older card that does not record what its model learnt from: read it from the curated
    dataset the card names, while that is still there unchanged; else None."""
    folder = card.dataset.get("folder")
    if not folder:
        return None
    try:
        return dataset_learned_from(card, folder)
    except (CxrdeskError, OSError, ValueError, KeyError):
        return None


def seen_in_training(card, items) -> tuple[list[str] | None, int | None]:
    """(named sources of ``items`` the model learnt from, how many of ``items`` it learnt from), each
    None when the card does not record it. 'unknown' is no hospital, so it is never counted as seen: the
    image hashes still catch a training image evaluated again under another name."""
    learned_sources, learned_hashes = card.learned_sources, card.learned_sha256
    if learned_sources is None or learned_hashes is None:  # an older card: its dataset, if still unchanged
        learned = learned_from_dataset(card)
        if learned:
            learned_sources, learned_hashes = set(learned["learned_sources"]), set(learned["learned_sha256"])
    sources = (None if learned_sources is None else
               sorted({i.source for i in items if i.source in learned_sources and i.source != UNKNOWN_SOURCE}))
    images = (None if learned_hashes is None else
              sum(1 for i in items if i.sha256 and i.sha256[:LEARNED_HASH_DIGITS] in learned_hashes))
    return sources, images


def labelled_folder_items(folder: str | Path, bundle_classes, *, source_pattern: str | None = None,
                          progress=None) -> tuple[list, object]:
    """Every readable image of a labelled folder (one sub-folder per class, mapped as scanning maps
    them; DICOM included) as dataset items: an external test set from another hospital."""

    scan = scan_folder(folder, source_pattern=source_pattern, progress=progress)
    unknown = sorted(set(scan.classes) - set(bundle_classes))
    if unknown:
        raise CxrdeskError(f"{folder} has images of class {', '.join(unknown)}, which the model does not know "
                           f"(its classes: {', '.join(bundle_classes)})")
    items = [DatasetItem(scan.root / r.path, r.label, "external", r.mean, r.source, r.sha256) for r in scan.records]
    if not items:
        raise CxrdeskError(f"{folder} has no readable radiograph to evaluate")
    return items, scan


def evaluate_folder(bundle_folder: str | Path, folder: str | Path, *, source_pattern: str | None = None,
                    progress=None, record: bool = True):
    """Evaluate a bundle on a labelled folder from another hospital and (``record``) store the result in
    its card as an external evaluation; returns (bundle, evaluation, scan)."""

    bundle = load_bundle(bundle_folder)
    items, scan = labelled_folder_items(folder, bundle.classes, source_pattern=source_pattern, progress=progress)
    result = evaluate_items(bundle, items, "external", str(scan.root), external=True)
    record_in_card(bundle.folder, result, record)
    return bundle, result, scan


def evaluate_bundle(bundle_folder: str | Path, dataset, split: str | None = None, *, record: bool = True):
    """Load a bundle, evaluate it on ``split`` (default: test, else validation) and (``record``) store
    the result in its card; returns (bundle, evaluation). The one path the CLI, the GUI and the demo
    share; their entry points set TensorFlow up for the CPU first
    (:func:`cxrdesk.devices.use_cpu_in_process`)."""
    bundle = load_bundle(bundle_folder)
    split = split or ("test" if dataset.split("test") else "val")
    result = evaluate(bundle, dataset, split)
    record_in_card(bundle.folder, result, record)
    return bundle, result


def record_in_card(bundle_folder: Path, evaluation: Evaluation, record: bool = True) -> None:
    """Store the evaluation in the card unless asked not to; a model folder that cannot be written (an
    installed, read-only model) does not cost the user the evaluation just computed: the reason is kept
    in ``evaluation.not_recorded`` for the caller to show."""
    if not record:
        evaluation.not_recorded = "not recorded in the model's card (the model is left as it was; --record keeps it there)"
        return
    try:
        store_in_card(bundle_folder, evaluation)
    except OSError as exc:
        evaluation.not_recorded = (f"not recorded in the model's card: {bundle_folder} cannot be written "
                                   f"({exc.strerror or exc})")


def store_in_card(bundle_folder: Path, evaluation: Evaluation) -> None:
    """Add the evaluation to the bundle's card (atomically, re-signed); the model file is untouched."""
    summary = evaluation.summary()

    def add(card: dict) -> None:
        if evaluation.external:  # one entry per folder, the latest last
            kept = [e for e in card.get("external_evaluations") or [] if e.get("dataset") != evaluation.dataset]
            card["external_evaluations"] = kept + [summary]
        else:
            card.setdefault("evaluations", {})[evaluation.split] = summary

    amend_card(bundle_folder, add)


def comparison_rows(cards) -> list[dict]:
    """The study's Table VII across runs (cards from :func:`cxrdesk.bundle.read_card`)."""
    return [card.comparison_row() for card in cards]
