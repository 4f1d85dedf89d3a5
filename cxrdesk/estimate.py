"""What out-of-source predictions say: the figures a hospital a model never saw can expect, a calibration
fitted where it holds, and the summary a leave-one-hospital-out run writes (see :mod:`cxrdesk.crossval`).

Every figure is cross-fitted: each held-out source's predictions are calibrated, and judged sure or
"uncertain", by what was fitted on the *other* sources' predictions only. The summary is a pure function
of the predictions, so the estimate of a model can be made again from the predictions it ships with.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .atomic import write_text
from .bundle import amend_card
from .calibration import (DEFAULT_TARGET_ACCURACY, WHO_TB, apply_temperature, fit_unseen, negative_log_likelihood,
                          reliability)
from .errors import CxrdeskError
from .evaluation import confusion, metrics_from_confusion, roc
from .training import TrainConfig

MIN_SOURCE_IMAGES = 20  # a source with fewer images is merged into 'other' (or skipped)
METHOD = "leave-one-source-out"


PREDICTIONS = "predictions.csv"


SUMMARY = "summary.json"


CROSSVAL_FOLDER = "crossval"  # inside the final bundle: the evidence of its headline figure


@dataclass(frozen=True)
class CrossvalSettings:
    """How the estimate is made, beyond the training settings every fold shares."""

    by: str = "source"
    min_images: int = MIN_SOURCE_IMAGES
    target_accuracy: float = DEFAULT_TARGET_ACCURACY  # of the answers given (below it: "uncertain")
    final: bool = True  # then train the model to ship on every source
    keep_fold_models: bool = False

    def validate(self) -> None:
        if self.by != "source":
            raise CxrdeskError(f"crossval can hold out by 'source' only (got {self.by!r})")
        if self.min_images < 1:
            raise CxrdeskError(f"--min-images must be at least 1 (got {self.min_images})")
        if not 0.0 < self.target_accuracy < 1.0:
            raise CxrdeskError(f"the target accuracy must be between 0 and 1 (got {self.target_accuracy})")


@dataclass
class Predictions:
    """Out-of-source predictions: per image its file, source, fold, true class and the probabilities of
    the fold's model as it gives them (before any calibration)."""

    files: list[str]
    sources: list[str]
    folds: list[str]
    y: np.ndarray
    raw: np.ndarray
    classes: tuple[str, ...]

    @classmethod
    def concat(cls, tables: list["Predictions"]) -> "Predictions":
        return cls(sum((t.files for t in tables), []), sum((t.sources for t in tables), []),
                   sum((t.folds for t in tables), []), np.concatenate([t.y for t in tables]),
                   np.concatenate([t.raw for t in tables]), tables[0].classes)

    def to_csv(self, calibrated: np.ndarray | None = None) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        header = ["file", "source", "fold", "label", *[f"p_{c}" for c in self.classes]]
        writer.writerow(header + ([f"calibrated_{c}" for c in self.classes] if calibrated is not None else []))
        for n, (file, source, fold, y, p) in enumerate(zip(self.files, self.sources, self.folds, self.y, self.raw)):
            extra = [f"{v:.6f}" for v in calibrated[n]] if calibrated is not None else []
            writer.writerow([file, source, fold, self.classes[y], *[f"{v:.6f}" for v in p], *extra])
        return buffer.getvalue()

    @classmethod
    def read(cls, path: str | Path) -> "Predictions":
        with Path(path).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        if not rows:
            raise CxrdeskError(f"{path} holds no predictions")
        classes = tuple(k[2:] for k in rows[0] if k.startswith("p_"))
        return cls([r["file"] for r in rows], [r["source"] for r in rows], [r["fold"] for r in rows],
                   np.array([classes.index(r["label"]) for r in rows]),
                   np.array([[float(r[f"p_{c}"]) for c in classes] for r in rows]), classes)


def figures(probabilities: np.ndarray, y: np.ndarray, classes, sure: np.ndarray | None = None) -> dict:
    """Accuracy (the study's general precision), ECE, per-class recall and metrics, AUC per class where the
    images hold both positives and negatives; with ``sure`` (per image: answered, not "uncertain"),
    coverage and accuracy on the answered ones."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    predicted = probabilities.argmax(axis=1)
    metrics = metrics_from_confusion(confusion(y, predicted, len(classes)), classes)
    result = {"n": int(len(y)), "classes_present": [c for k, c in enumerate(classes) if (y == k).any()],
              "accuracy": round(metrics["general_precision"], 4),
              "general_precision": round(metrics["general_precision"], 4),
              "ece": round(reliability(probabilities, y)["ece"], 4),
              "recall": {c: round(m["recall"], 4) for c, m in metrics["per_class"].items()},
              "per_class": {c: {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}
                            for c, m in metrics["per_class"].items()},
              "confusion_matrix": metrics["confusion_matrix"],
              "auc": {c: round(r["auc"], 4) for c, r in roc(probabilities, y, classes).items()} or None}
    if sure is not None:
        result["coverage"] = round(float(sure.mean()), 4) if len(y) else 0.0
        result["answered"] = int(sure.sum())
        result["accuracy_when_sure"] = (round(float((predicted[sure] == y[sure]).mean()), 4) if sure.any() else None)
    return result


def cross_fit(predictions: Predictions, target_sensitivity: float, target_accuracy: float,
              offsets: bool = True) -> dict:
    """Each fold's predictions calibrated, and judged sure or "uncertain", by a calibration and thresholds
    fitted on the other folds' predictions only: what the final model, calibrated on all of them, can
    expect at a hospital that was in none. ``nll``: the cross-fitted negative log-likelihood."""
    calibrated = np.zeros_like(predictions.raw)
    sure = np.zeros(len(predictions.y), bool)
    screened = {c: np.zeros(len(predictions.y), bool) for c in predictions.classes}
    screened_known = {c: np.zeros(len(predictions.y), bool) for c in predictions.classes}
    folds = np.array(predictions.folds)
    for name in dict.fromkeys(predictions.folds):
        here = folds == name
        fitted = fit_unseen(predictions.raw[~here], predictions.y[~here], predictions.classes,
                            target_sensitivity=target_sensitivity, target_accuracy=target_accuracy, offsets=offsets)
        shift = (np.array([fitted["offsets"][c] for c in predictions.classes])
                 if fitted["offsets"] is not None else None)
        calibrated[here] = apply_temperature(predictions.raw[here], fitted["temperature"], shift)
        sure[here] = calibrated[here].max(axis=1) >= fitted["uncertain"]["threshold"]
        for c, t in fitted["thresholds"].items():
            k = predictions.classes.index(c)
            screened[c][here] = calibrated[here, k] >= t["threshold"]
            screened_known[c][here] = True
    return {"probabilities": calibrated, "sure": sure, "screened": screened, "screened_known": screened_known,
            "nll": negative_log_likelihood(calibrated, predictions.y)}


#: The calibrations tried for unseen hospitals; the one with the lower cross-fitted likelihood loss is kept.
CALIBRATION_FORMS = {"temperature": False, "temperature and class offsets": True}


def choose_calibration(predictions: Predictions, target_sensitivity: float, target_accuracy: float
                       ) -> tuple[str, dict, dict]:
    """(the form kept, its cross-fitted result, each form's cross-fitted figures). Class offsets can move
    answers to the right class or, where each hospital errs its own way, to the wrong one: kept only when
    they lower the cross-fitted negative log-likelihood - judged on hospitals they were not fitted on."""
    results = {form: cross_fit(predictions, target_sensitivity, target_accuracy, offsets)
               for form, offsets in CALIBRATION_FORMS.items()}
    chosen = min(results, key=lambda form: results[form]["nll"])
    tried = {form: {"nll": round(r["nll"], 4), **{k: v for k, v in figures(r["probabilities"], predictions.y,
                                                                        predictions.classes, r["sure"]).items()
                                                   if k in ("accuracy", "ece", "coverage", "accuracy_when_sure")}}
             for form, r in results.items()}
    return chosen, results[chosen], tried


def summarise(predictions: Predictions, settings: CrossvalSettings, cfg: TrainConfig, meta: dict) -> dict:
    """Everything ``summary.json`` holds: per held-out source and pooled, as trained and calibrated for
    unseen hospitals (cross-fitted), the WHO check, and the calibration the final model applies. ``meta``:
    the dataset and the folds (:func:`plan_meta`). A pure function of the predictions: the same
    predictions always give the same summary (:func:`resummarise` redoes it from a bundle's)."""
    classes, y = predictions.classes, predictions.y
    form, crossed, tried = choose_calibration(predictions, cfg.target_sensitivity, settings.target_accuracy)
    calibrated, sure = crossed["probabilities"], crossed["sure"]
    per_source = _per_source(predictions, calibrated, sure)
    pooled = figures(calibrated, y, classes, sure)
    screening, who = _screening(predictions, crossed)
    folds = [f["name"] for f in meta["folds"]]
    calibration = fit_unseen(predictions.raw, y, classes, target_sensitivity=cfg.target_sensitivity,
                             target_accuracy=settings.target_accuracy, offsets=CALIBRATION_FORMS[form],
                             what=f"{METHOD} predictions over {len(folds)} held-out sources ({len(y)} images), each "
                                  f"by a model that never saw its source; {form} (the form with the lower "
                                  "cross-fitted negative log-likelihood)")
    calibration["forms_tried"] = tried
    as_trained = figures(predictions.raw, y, classes)
    expected = {"method": METHOD, "sources": sorted(set(predictions.sources)), "folds": folds,
                "n": pooled["n"], "accuracy": pooled["accuracy"], "general_precision": pooled["general_precision"],
                "ece": pooled["ece"], "recall": pooled["recall"], "coverage": pooled["coverage"],
                "accuracy_when_sure": pooled["accuracy_when_sure"], "target_accuracy": settings.target_accuracy,
                "auc": pooled["auc"], "screening": screening, "who_tb": who, "calibration_form": form,
                "per_source": {s: {"n": r["n"], "classes": r["classes_present"], "accuracy": r["accuracy"],
                                   "ece": r["ece"], "recall": r["recall"], "auc": r["auc"],
                                   "coverage": r["coverage"]} for s, r in per_source.items()},
                "as_trained": {"accuracy": as_trained["accuracy"], "ece": as_trained["ece"],
                               "recall": as_trained["recall"]},
                "what": ("each source predicted by a model trained on the others (same settings), calibrated and "
                         "its 'uncertain' threshold chosen on the other sources' predictions only; pooled"),
                "settings": {"model": cfg.model, "recipe": cfg.recipe, "lung_field": cfg.lung_field,
                             "image_size": cfg.image_size, "epochs": cfg.epochs, "early_stopping": cfg.early_stopping,
                             "batch_size": cfg.batch_size, "seed": cfg.seed},
                "dataset_manifest_sha256": meta["manifest_sha256"]}
    return {"method": METHOD, "by": settings.by, **{k: meta[k] for k in ("dataset", "source_root")},
            "files": "relative to source_root (the curated dataset's source folder)",
            "manifest_sha256": meta["manifest_sha256"], "classes": list(classes),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "train_config": asdict(cfg),
            "settings": asdict(settings), "folds": meta["folds"], "notes": meta["notes"], "pooled": pooled,
            "pooled_as_trained": as_trained, "per_source": per_source, "screening": screening, "who_tb": who,
            "calibration": calibration, "expected_at_new_hospital": expected}


def _per_source(predictions: Predictions, calibrated: np.ndarray, sure: np.ndarray) -> dict:
    classes, y = predictions.classes, predictions.y
    sources = np.array(predictions.sources)
    per_source = {}
    for source in sorted(set(predictions.sources)):
        here = sources == source
        per_source[source] = {**figures(calibrated[here], y[here], classes, sure[here]),
                              "as_trained": figures(predictions.raw[here], y[here], classes),
                              "fold": predictions.folds[int(np.flatnonzero(here)[0])]}
        if len(per_source[source]["classes_present"]) < 2:
            per_source[source]["auc"] = None  # one class: recall says it all, an AUC is undefined
            per_source[source]["as_trained"]["auc"] = None
    return per_source


def _screening(predictions: Predictions, crossed: dict) -> tuple[dict, dict | None]:
    """Sensitivity and specificity at the screening thresholds chosen on the other sources, pooled; the WHO
    check for tuberculosis."""
    classes, y = predictions.classes, predictions.y
    screening = {}
    for k, c in enumerate(classes):
        known = crossed["screened_known"][c]
        positive, negative = (y == k) & known, (y != k) & known
        if positive.any() and negative.any():
            called = crossed["screened"][c]
            screening[c] = {"sensitivity": round(float(called[positive].mean()), 4),
                            "specificity": round(float((~called[negative]).mean()), 4),
                            "positives": int(positive.sum()), "negatives": int(negative.sum())}
    who = None
    if WHO_TB["class"] in screening:
        tb = screening[WHO_TB["class"]]
        who = {**tb, "minimum": {"sensitivity": WHO_TB["sensitivity"], "specificity": WHO_TB["specificity"]},
               "met": tb["sensitivity"] >= WHO_TB["sensitivity"] and tb["specificity"] >= WHO_TB["specificity"]}
    return screening, who


def _probability_map(calibration: dict) -> tuple:
    """What of a calibration changes the probabilities a model gives (and so its evaluations)."""
    return calibration.get("temperature"), json.dumps(calibration.get("offsets"), sort_keys=True)


def resummarise(bundle_folder: str | Path) -> dict:
    """The estimate of a model made again from the out-of-source predictions it ships with (after the way
    they are summarised or calibrated has changed: no training needed), into its card and summary. When
    the calibration changes, the evaluations the card held were made through the old one: they are kept
    under ``superseded_evaluations``, no longer the model's figures, to be made again."""
    folder = Path(bundle_folder) / CROSSVAL_FOLDER
    old = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    cfg = TrainConfig.from_dict(old["train_config"])
    settings = CrossvalSettings(**old["settings"])
    summary = summarise(Predictions.read(folder / PREDICTIONS), settings, cfg, old)
    attach_estimate(bundle_folder, summary, None)
    return summary


def attach_estimate(bundle_folder: Path, summary: dict, work: Path | None) -> None:
    """Write the estimate and the out-of-source calibration into the final model's card, and the
    evidence beside it in ``crossval/``: the predictions (from ``work``, when given) and the summary."""
    folder = Path(bundle_folder) / CROSSVAL_FOLDER
    folder.mkdir(exist_ok=True)
    if work is not None:
        shutil.copy2(work / PREDICTIONS, folder / PREDICTIONS)
    write_text(folder / SUMMARY, json.dumps(summary, indent=2))

    def amend(card: dict) -> None:
        previous = card.get("calibration") or {}
        again = previous.get("fitted_on") == "unseen hospitals"  # an estimate made again (resummarise)
        replaced = previous.get("replaces") if again else {k: v for k, v in previous.items() if k != "thresholds"}
        new = {**summary["calibration"], "replaces": replaced}
        if again and _probability_map(previous) != _probability_map(new) and (
                card.get("evaluations") or card.get("external_evaluations")):
            # what was measured through the calibration this one replaces is no figure of the model as it is now
            card.setdefault("superseded_evaluations", []).append({
                "why": "made with a calibration for unseen hospitals that was replaced when the estimate was made again",
                "calibration": {k: previous.get(k) for k in ("temperature", "offsets", "uncertain")},
                "evaluations": card.pop("evaluations", {}), "external_evaluations": card.pop("external_evaluations", [])})
        card["calibration"] = new
        card["expected_at_new_hospital"] = summary["expected_at_new_hospital"]

    amend_card(bundle_folder, amend)
