"""Model bundles: ``<folder>/model.keras`` plus ``card.json``, everything needed to trust a model.

The card says which architecture, classes, data, split, device, hyperparameters and library versions
made the model, its per-epoch history and seconds, and the hash of the model file. Loading checks that
the card and the model agree, so a model file from elsewhere, or one swapped after training, is refused
rather than used with the wrong classes or preprocessing.

This module is the one place that knows where bundles live (a models folder, else the shipped demo
model) and how a classifier's card is laid out: everything else reads a card through :class:`Card`, and
a card is written by :func:`write_bundle` (a trained model) or :func:`amend_card` (what is learnt of it
later) only, both through :mod:`cxrdesk.card`.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from . import RESEARCH_NOTICE, __version__
from .atomic import building_folder
from .card import CLASSIFIER_FORMAT, LUNG_FORMAT, MODEL_FILE, ORIENTATION_FORMAT, ModelCard, read_card_file, write_card
from .card import amend_card as _amend_card
from .classes import classes_of, screened
from .dataset import CuratedDataset
from .errors import CxrdeskError
from .export import card_section, export_bundle_files
from .integrity import file_sha256, load_verified_model
from .lungs import LUNG_FIELDS, register_layers
from .lungs.layers import source_size
from .models import build_model, parameter_counts, spec
from .preprocessing import OUTPUT_LAYER, RESIZE_LAYER
from .recipes import recipe
from .style import register_layers as register_style_layers

FORMAT = CLASSIFIER_FORMAT

#: The demonstration model shipped with CXRDesk (trained with `cxrdesk train --demo`, see its card).
DEMO_BUNDLE = Path(__file__).resolve().parents[1] / "models" / "demo-custom-64"


def is_demo_bundle(folder: str | Path) -> bool:
    """The demo model shipped in ``models/``: read-only in practice (nothing CXRDesk does changes it)."""
    try:
        return Path(folder).resolve() == DEMO_BUNDLE.resolve()
    except OSError:
        return False


class BundleError(CxrdeskError):
    """A folder that is not a usable CXRDesk model bundle."""


class Card(ModelCard):
    """A classifier's card: the JSON dict as written, read through typed properties that know the layout
    and what a card written by an older CXRDesk lacks."""

    FORMAT = CLASSIFIER_FORMAT

    @property
    def classes(self) -> tuple[str, ...]:
        """The model's outputs, in order (the study's three for a card that predates recorded classes)."""
        return classes_of(self)

    @property
    def architecture(self) -> str | None:
        return self.get("architecture")

    @property
    def image_size(self) -> int | None:
        return self._section("input").get("image_size")

    @property
    def lung_field(self) -> str:
        """'off' (the whole image) or a crop to the lungs: 'crop', 'mask'... (see :data:`cxrdesk.lungs.LUNG_FIELDS`)."""
        return self._section("input").get("lung_field") or "off"

    @property
    def source_size(self) -> int | None:
        """The size images are fed at (the image size, or twice it for a lung-field model)."""
        return self._section("input").get("source_size") or self.image_size

    @property
    def demo(self) -> bool:
        return bool(self.get("demo"))

    @property
    def parameters(self) -> int | None:
        return self.get("parameters")

    @property
    def training(self) -> dict:
        return self._section("training")

    @property
    def device(self) -> str | None:
        return self.training.get("device")

    @property
    def history(self) -> list[dict]:
        return list(self.training.get("history") or [])

    @property
    def best_epoch(self) -> int | None:
        return self.training.get("best_epoch")

    @property
    def dataset(self) -> dict:
        return self._section("dataset")

    @property
    def split_sizes(self) -> dict:
        return self.dataset.get("split_sizes") or {}

    @property
    def train_images(self) -> int | None:
        return self.split_sizes.get("train")

    @property
    def learned_sources(self) -> set[str] | None:
        """Sources (hospitals) of the training and validation images; None when the card does not say
        (trained by an older CXRDesk)."""
        sources = self.dataset.get("learned_sources")
        return set(sources) if sources is not None else None

    @property
    def learned_sha256(self) -> set[str] | None:
        """Short hashes of the training and validation image files (see :func:`learned_from`), or None."""
        hashes = self.dataset.get("learned_sha256")
        return set(hashes) if hashes is not None else None

    @property
    def train_intensity(self) -> dict | None:
        return self.dataset.get("train_intensity")

    @property
    def evaluations(self) -> dict:
        return self._section("evaluations")

    def evaluation(self, split: str) -> dict:
        return self.evaluations.get(split) or {}

    @property
    def validation_general_precision(self) -> float | None:
        """Validation accuracy (the study's general precision) at the epoch the bundle holds."""
        history, best = self.history, self.best_epoch
        return history[best - 1].get("val_accuracy") if best and len(history) >= best else None

    @property
    def test_general_precision(self) -> float | None:
        return self.evaluation("test").get("general_precision")

    @property
    def calibration(self) -> dict:
        return self._section("calibration")

    @property
    def temperature(self) -> float | None:
        return self.calibration.get("temperature")

    @property
    def offsets(self) -> list[float] | None:
        """Per-class log-odds offsets of a site calibration (in class order), else None."""
        offsets = self.calibration.get("offsets")
        return [float(offsets.get(c, 0.0)) for c in self.classes] if offsets else None

    @property
    def site_calibration(self) -> dict | None:
        """Where and on how many images a site-calibrated copy was calibrated (None for a model as trained)."""
        return self.get("site_calibration")

    @property
    def thresholds(self) -> dict:
        """{class: {'threshold', 'target_sensitivity', ...}}: the screening thresholds chosen on validation, for
        the disease classes (a card from before may hold one for the healthy class: not a screening threshold)."""
        return {name: t for name, t in (self.calibration.get("thresholds") or {}).items() if screened(name)}

    @property
    def test_is_held_out(self) -> bool:
        """Whether the test split was made of whole sources held out from training (and, where the
        evaluation could check, holds no source or image this model learnt from: a dataset curated for
        another model may hold out a hospital this one trained on)."""
        test = self.evaluation("test")
        return bool(test.get("holdout_sources")) and not (test.get("seen_sources") or test.get("seen_images"))

    @property
    def held_out_evaluations(self) -> list[dict]:
        """Every figure the card holds of the model on hospitals it never saw, oldest first: the test split
        when it was made of held-out sources, then each external evaluation on no source and no image the
        model learnt from. For a site-calibrated copy, only those measured with its own calibration (after
        it; the original's were made without it)."""
        external = self.get("external_evaluations") or []
        found = []
        site = self.site_calibration
        if site:
            since = site.get("calibrated") or ""
            external = [e for e in external if (e.get("evaluated") or "") >= since]
        elif self.test_is_held_out:
            test = self.evaluation("test")
            found.append({"general_precision": test.get("general_precision"), "ece": test.get("ece"),
                          "images": test.get("n"), "sources": test.get("holdout_sources"),
                          "where": test.get("dataset"), "kind": "held-out sources"})
        found += [{"general_precision": e.get("general_precision"), "ece": e.get("ece"), "images": e.get("n"),
                   "sources": e.get("sources"), "where": e.get("dataset"), "kind": "external folder"}
                  for e in external if not (e.get("seen_sources") or e.get("seen_images"))]  # truly held out
        return found

    @property
    def held_out(self) -> dict | None:
        """The model's figure on hospitals it never saw: of :attr:`held_out_evaluations`, the one on the
        most images (the latest among equals), so that a small folder tested later does not replace a
        larger test as the model's headline figure; ``evaluations`` says how many there are. None when it
        was never tested on another hospital."""
        found = self.held_out_evaluations
        if not found:
            return None
        best = max(reversed(found), key=lambda e: e.get("images") or 0)  # max keeps the first: the latest
        return {**best, "evaluations": len(found)}

    @property
    def internal_test_general_precision(self) -> float | None:
        """General precision on a random test split of the training hospitals (None if the test split was
        held out)."""
        return None if self.test_is_held_out else self.test_general_precision

    @property
    def expected_at_new_hospital(self) -> dict | None:
        """The leave-one-hospital-out estimate (``cxrdesk crossval``): what a hospital this model never saw
        can expect, with its calibration error, coverage and accuracy when sure; None when not estimated."""
        value = self.get("expected_at_new_hospital")
        return value if isinstance(value, dict) and value.get("accuracy") is not None else None

    @property
    def uncertain(self) -> dict | None:
        """The "uncertain" rule: {'threshold', 'target_accuracy', ...}, chosen on out-of-hospital
        predictions; below ``threshold`` (the highest class probability) a diagnosis says "uncertain".
        None when the model has none (trained without an estimate for a new hospital)."""
        rule = self.calibration.get("uncertain")
        return rule if isinstance(rule, dict) and rule.get("threshold") is not None else None

    def estimate_sentence(self) -> str:
        """'expected at a hospital it never saw: 61.2 % (leave-one-hospital-out over 5 hospitals, 1,098
        films; calibration error 0.06); when sure (38 % of films) right 86 % of the time', or ''."""
        e = self.expected_at_new_hospital
        if not e:
            return ""
        text = (f"expected at a hospital it never saw: {e['accuracy']:.1%} (leave-one-hospital-out over "
                f"{len(e.get('folds') or e.get('sources') or [])} hospitals, {e.get('n', 0):,} films; calibration error "
                f"{e.get('ece', float('nan')):.2f})")
        if e.get("accuracy_when_sure") is not None and e.get("coverage"):
            text += (f"; when sure ({e['coverage']:.0%} of films) right {e['accuracy_when_sure']:.0%} of the time, "
                     "otherwise it says 'uncertain'")
        elif e.get("coverage") is not None:
            text += f"; never sure enough to reach {e.get('target_accuracy', 0.85):.0%}: every answer is 'uncertain'"
        return text

    def internal_sentence(self) -> str:
        """The figure on the model's own hospitals (a random split), or ''."""
        internal = self.internal_test_general_precision
        if internal is not None:
            return f"{internal:.1%} on a random test split of its own hospitals"
        internal = self.validation_general_precision
        return f"{internal:.1%} on validation images of its own hospitals" if internal is not None else ""

    def quality_sentence(self) -> str:
        """The model's quality as CXRDesk states it everywhere: the figure expected at a hospital it never
        saw (leave one hospital out) first, else its held-out-hospital test; the internal one beside it; or
        plainly that it was never tested on another hospital. A test on one hospital's folder stays a
        test, named for its hospital, beside the estimate."""
        internal_text = self.internal_sentence()
        held = self.held_out
        site = self.site_calibration
        estimate = self.estimate_sentence()
        if (held and held.get("general_precision") is not None and site
                and sorted(held.get("sources") or []) == sorted(site.get("sources") or [])):
            text = (f"{held['general_precision']:.1%} general precision on {held['images']} images of "
                    f"{', '.join(site.get('sources') or ['?'])}, a hospital it never trained on (calibrated there on "
                    f"{site.get('calibration_images')} other images)")
            return text + (f"; {internal_text}" if internal_text else "")
        if estimate:
            if held and held.get("general_precision") is not None:
                estimate += (f"; tested on {', '.join(held.get('sources') or ['?'])}: {held['general_precision']:.1%} "
                             f"on {held['images']} images")
            return estimate + (f"; {internal_text}" if internal_text else "")
        if held and held.get("general_precision") is not None:
            text = (f"{held['general_precision']:.1%} general precision on {held['images']} images from hospitals it "
                    f"never saw ({', '.join(held.get('sources') or ['?'])})")
            if held["evaluations"] > 1:
                text += f" - the largest of its {held['evaluations']} tests on such hospitals"
            return text + (f"; {internal_text}" if internal_text else "")
        return ("never tested on a hospital it did not train on" + (f"; {internal_text}" if internal_text else "")
                + ": its real accuracy elsewhere is unknown")

    def summary(self) -> dict:
        """What a user needs to weigh a result: which model, which classes, trained on what, how good."""
        return {"name": self.name, "architecture": self.architecture, "classes": list(self.classes),
                "lung_field": self.lung_field,
                "train_images": self.train_images,
                "validation_general_precision": self.validation_general_precision,
                "test_general_precision": self.test_general_precision,
                "held_out_hospitals": self.held_out, "quality": self.quality_sentence(),
                "expected_at_new_hospital": self.expected_at_new_hospital, "uncertain_rule": self.uncertain,
                "calibrated": self.temperature is not None, "site_calibration": self.site_calibration,
                "card_verified": self.verified, "demo": self.demo}

    def comparison_row(self) -> dict:
        """The study's Table VII row: model, device, general precision, seconds per epoch."""
        training = self.training
        return {"run": self.name, "model": self.architecture, "classes": list(self.classes),
                "device": self.device, "device_name": training.get("device_name"),
                "precision": training.get("precision"), "image_size": self.image_size,
                "epochs": training.get("epochs_run"), "seconds_per_epoch": training.get("seconds_per_epoch"),
                "val_accuracy": self.validation_general_precision,
                "test_general_precision": self.internal_test_general_precision,
                "expected_at_new_hospital": (self.expected_at_new_hospital or {}).get("accuracy"),
                "expected_ece": (self.expected_at_new_hospital or {}).get("ece"),
                "expected_hospitals": len((self.expected_at_new_hospital or {}).get("folds") or []) or None,
                "held_out_general_precision": (self.held_out or {}).get("general_precision"),
                "held_out_sources": (self.held_out or {}).get("sources"),
                "train_images": self.train_images}


@dataclass
class Bundle:
    folder: Path
    card: Card
    model: object  # keras.Model

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def classes(self) -> tuple[str, ...]:
        return self.card.classes


def _inference_copy(model, architecture: str, image_size: int, n_classes: int, lung_field: str = "off",
                    lung_model=None):
    """A fresh float32 network holding the trained weights: no optimizer state (a third of the
    file), and float32 layers everywhere, since a bundle must run on any machine and mixed bfloat16
    is slow where the CPU lacks it (the weights are float32 in mixed precision anyway)."""
    import keras

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")
    try:
        clone = build_model(architecture, image_size, weights="none", n_classes=n_classes, lung_field=lung_field,
                            lung_model=lung_model)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    clone.set_weights(model.get_weights())
    return clone


LEARNED_HASH_DIGITS = 16  # of each SHA-256: enough to tell ~10^9 images apart, a third of the card's space


def learned_from(items) -> dict:
    """What the card keeps of the images a model learnt from or was tuned on (training and validation
    splits): their sources, and a short hash of each file, so that a later evaluation can tell whether it
    is really on hospitals and images the model never saw."""
    from collections import Counter

    return {"learned_sources": dict(sorted(Counter(i.source for i in items).items())),
            "learned_sha256": sorted({i.sha256[:LEARNED_HASH_DIGITS] for i in items if i.sha256}),
            "learned_what": f"sources and the first {LEARNED_HASH_DIGITS} hex digits of the SHA-256 of each "
                            "training and validation image file"}


@dataclass
class TrainingResult:
    """What a training gives its bundle's card (typed, so no field of the card can be forgotten)."""

    name: str
    config: dict  # the run's TrainConfig, resolved, as a dict
    dataset: CuratedDataset
    device_name: str
    precision: str
    replicas: int
    image_size: int
    parameters: int
    trainable_parameters: int
    history: list[dict]
    stopped_early: bool
    stopped_by_user: bool
    steps_per_epoch: int
    accumulation: int
    best_epoch: int | None
    lungs: object | None = None  # the LungSegmenter inside a lung-field model
    calibration: dict | None = None  # fitted on validation (cxrdesk.calibration.calibrate)


def write_bundle(model, result: TrainingResult, folder: Path) -> Path:
    """Save a float32 copy of ``model`` and its card atomically at ``folder``; returns the folder."""
    config, dataset, lungs = result.config, result.dataset, result.lungs
    model = _inference_copy(model, config["model"], result.image_size, len(dataset.classes), result_lung_field(result),
                            lungs.model if lungs else None)
    card = {"format": FORMAT, "name": result.name, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "cxrdesk_version": __version__, "notice": RESEARCH_NOTICE, "demo": bool(config.get("demo")),
            "command": config.get("command"), "credits": dataset.description.get("credits"),
            "classes": list(dataset.classes), **_model_sections(result), "training": _training_section(result),
            "dataset": _dataset_section(dataset), "calibration": result.calibration, "versions": _versions()}
    folder = Path(folder)
    with building_folder(folder) as tmp:  # a resumed run replaces its earlier (stopped) bundle
        model.save(tmp / MODEL_FILE)
        card["model_sha256"] = file_sha256(tmp / MODEL_FILE)
        card.update(card_section(export_bundle_files, model, tmp, result_lung_field(result) != "off"))
        write_card(tmp, card)
    return folder


def result_lung_field(result: TrainingResult) -> str:
    return result.config.get("lung_field") or "off"


def _model_sections(result: TrainingResult) -> dict:
    """The card's input, lung model, architecture and hyperparameters."""
    config, lungs, lung_field = result.config, result.lungs, result_lung_field(result)
    model_spec = spec(config["model"])
    lung_model = None
    if lungs:
        dice = {key: {g: d.get("dice_mean") for g, d in (lungs.card.get(key) or {}).items()}
                for key in ("held_out_dice", "test_dice")}
        lung_model = {"name": lungs.card.get("name"), "model_sha256": lungs.card.get("model_sha256"), **dice,
                      "what": "frozen inside this model: " + LUNG_FIELDS[lung_field]}
    return {
        "input": {"image_size": result.image_size, "channels": 1, "pixel_scale": model_spec.pixel_scale,
                  "expects": model_spec.expects, "lung_field": lung_field,
                  "source_size": source_size(result.image_size, lung_field)},
        "lung_model": lung_model, "architecture": config["model"], "parameters": result.parameters,
        "trainable_parameters": result.trainable_parameters,
        "weights_source": config["weights"] if model_spec.pretrained else "random init",
        "fine_tune_layers": config["fine_tune"],
        "hyperparameters": {"epochs": config["epochs"], "batch_size": config["batch_size"], "optimizer": "Adam",
                            "learning_rate": config["learning_rate"], "loss": "categorical_crossentropy",
                            "metrics": ["accuracy"], "seed": config["seed"],
                            "early_stopping_patience": config["early_stopping"],
                            "max_steps_per_epoch": config["max_steps"], "steps_per_epoch": result.steps_per_epoch,
                            "gradient_accumulation": result.accumulation, "class_prior": config.get("class_prior"),
                            "recipe": config.get("recipe", "study"),
                            "augmentation": recipe(config.get("recipe", "study")).card()}}


def _training_section(result: TrainingResult) -> dict:
    config, history = result.config, result.history
    full_epochs = [h["seconds"] for h in history if not h.get("partial")]
    return {"device": config["device"], "device_name": result.device_name, "precision": result.precision,
            "strategy": config["strategy"], "replicas": result.replicas, "epochs_run": len(history),
            "stopped_early": result.stopped_early, "stopped_by_user": result.stopped_by_user,
            "best_epoch": result.best_epoch,
            "seconds_per_epoch": round(float(np.mean(full_epochs)), 3) if full_epochs else None,
            "history": history}


def _dataset_section(dataset: CuratedDataset) -> dict:
    train_means = np.array([i.mean for i in dataset.split("train")], dtype=np.float64)
    return {"folder": str(dataset.folder), "source_root": dataset.description.get("source_root"),
            "manifest_sha256": dataset.manifest_sha256,
            "split_sizes": {s: len(dataset.split(s)) for s in ("train", "val", "test")},
            **learned_from(dataset.split("train") + dataset.split("val")),
            "curation": dataset.description.get("settings"),
            "shortcut_check": (dataset.description.get("shortcut_check") or {}).get("verdict"),
            "train_intensity": {"mean": round(float(train_means.mean()), 3), "std": round(float(train_means.std()), 3),
                                "p1": round(float(np.percentile(train_means, 1)), 3),
                                "p99": round(float(np.percentile(train_means, 99)), 3)}}


def _versions() -> dict:
    import keras
    import tensorflow as tf

    return {"cxrdesk": __version__, "tensorflow": tf.__version__, "keras": keras.__version__,
            "numpy": np.__version__, "python": platform.python_version()}


def amend_card(folder: str | Path, change: Callable[[dict], None]) -> Card:
    """Add to a classifier's card (see :func:`cxrdesk.card.amend_card`): an evaluation, an estimate."""
    return _amend_card(folder, Card, change, BundleError)


def read_card(folder: str | Path) -> Card:
    """The card of a classifier bundle folder, checked for format and for edits after CXRDesk wrote it (no
    TensorFlow needed). A card from before cards were signed is read, and marked unverified."""
    def wrong_kind(card: dict) -> str | None:
        if str(card.get("format", "")) == LUNG_FORMAT:
            return (f"{folder} is a lung segmentation model, not a classifier: use it with 'cxrdesk lungs --model' "
                    "or 'cxrdesk train --lung-model', and choose a classifier bundle here")
        if str(card.get("format", "")) == ORIENTATION_FORMAT:
            return (f"{folder} is CXRDesk's orientation check (a film mirrored, upside down or on its side), not a "
                    "classifier: choose a classifier bundle here")
        return None

    return read_card_file(folder, Card, BundleError, wrong_kind)


def load_bundle(folder: str | Path) -> Bundle:
    """Load and verify a bundle: the model file's hash, classes, architecture, size, parameters."""
    register_layers()
    register_style_layers()
    folder = Path(folder)
    card = read_card(folder)
    model = load_verified_model(folder / MODEL_FILE, card.get("model_sha256"), BundleError)
    problems = []
    classes = list(card.classes)
    if not (len(classes) >= 2 and len(set(classes)) == len(classes)
            and all(isinstance(c, str) and c for c in classes)):
        problems.append(f"classes {classes!r} are not a list of two or more distinct names")
    try:
        units = model.get_layer(OUTPUT_LAYER).units
        size = model.get_layer(RESIZE_LAYER).height
    except ValueError:
        units = size = None
        problems.append("the model lacks CXRDesk's input and output layers")
    if units is not None and units != len(card.classes):
        problems.append(f"the model has {units} outputs for {len(card.classes)} classes")
    if size is not None and size != card.image_size:
        problems.append(f"the model takes {size} px, the card says {card.image_size}")
    if model.name != card.architecture:
        problems.append(f"the model is a {model.name}, the card says {card.architecture}")
    if parameter_counts(model)[0] != card.parameters:
        problems.append("parameter counts differ")
    if problems:
        raise BundleError(f"{folder}: card and model disagree: " + "; ".join(problems))
    return Bundle(folder, card, model)


def list_bundles(folder: str | Path) -> list[tuple[Path, Card]]:
    """Bundles directly under ``folder`` (newest first), by card only."""
    folder = Path(folder)
    found = []
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry.is_dir() and not entry.name.startswith("."):
                try:
                    found.append((entry, read_card(entry)))
                except BundleError:
                    continue
    return sorted(found, key=lambda item: item[1].get("created", ""), reverse=True)


def expected_duration(cards, architecture: str, image_size: int, lung_field: str, device: str, train_images: int,
                      epochs: int) -> dict | None:
    """How long a run will take, before it starts, from the runs already made (newest first): the first of the
    same network, size, lung field and device, its seconds per epoch scaled to this run's training images;
    None without such a run (the running epoch then tells). At most: early stopping may end it sooner."""
    for card in cards:
        per_epoch, images = card.training.get("seconds_per_epoch"), card.train_images
        if (card.architecture, card.image_size, card.lung_field, card.device) == (architecture, image_size, lung_field,
                                                                                  device) and per_epoch and images:
            scaled = float(per_epoch) * train_images / images
            return {"seconds": scaled * epochs, "seconds_per_epoch": scaled, "from_run": card.name,
                    "from_seconds_per_epoch": float(per_epoch), "from_train_images": images}
    return None


def available_bundles(models_dir: str | Path = "models") -> list[tuple[Path, Card]]:
    """Trained bundles in ``models_dir`` (newest first), else the shipped demo model."""
    found = list_bundles(models_dir)
    if not found and DEMO_BUNDLE.is_dir():
        found = [(DEMO_BUNDLE, read_card(DEMO_BUNDLE))]
    return found


def default_bundle_folder(models_dir: str | Path = "models") -> Path:
    """The newest trained bundle in ``models_dir``; without one, the demo model."""
    found = available_bundles(models_dir)
    if not found:
        raise BundleError(f"no trained model in {Path(models_dir).resolve()}: train one with 'cxrdesk train' "
                          "or pass --model BUNDLE")
    return found[0][0]
