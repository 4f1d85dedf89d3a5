"""Calibrating a model at a new hospital, on a few of its own labelled radiographs.

Measured with ``benchmarks/bench_generalisation.py``: a model is far less sure of itself where it
was trained than it should be elsewhere, and its temperature, fitted on validation images of its own
hospitals, leaves it over-confident at a new one (held-out ECE 0.2-0.4). A hospital that adopts a
model can label a few of its own films; fitted on them, a temperature and class offsets
(:func:`cxrdesk.calibration.fit_site`) and the screening thresholds make its probabilities and its
operating point fit that hospital.

Nothing the user owns is changed: the site-calibrated model is a new bundle (the same network file,
a card whose calibration is the site's and which says where it came from). Its figures are measured
on the hospital's other images - patients never on both sides - so the number shown is never the
one the calibration was fitted on.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import building_folder
from .bundle import load_bundle
from .calibration import DEFAULT_TARGET_SENSITIVITY, fit_site
from .card import MODEL_FILE, write_card
from .curation import in_hashed_share
from .errors import CxrdeskError
from .evaluation import evaluate_items, labelled_folder_items, predict_raw, store_in_card

DEFAULT_CHECK_SHARE = 0.5  # of the site's patients kept out of the calibration to check it
MIN_CALIBRATION_IMAGES = 20


@dataclass
class SiteCalibration:
    folder: Path  # the new bundle
    calibration: dict  # what its card records (cxrdesk.calibration.fit_site)
    before: object | None  # Evaluation of the check images with the model as it was
    after: object | None  # ... and with the site calibration
    calibration_images: int
    check_images: int
    sources: list[str]


def split_site(groups: list[str], check_share: float, seed: int = 0) -> np.ndarray:
    """True for the images kept to check the calibration: about ``check_share`` of the patients, by a
    hash of the patient id (stable, every film of a patient on one side)."""
    if not 0.0 <= check_share < 1.0:
        raise CxrdeskError(f"the check share must be at least 0 and below 1, not {check_share}")
    return np.array([in_hashed_share(f"{seed}:{g}", check_share) for g in groups], dtype=bool)


def calibrate_at_site(bundle_folder: str | Path, folder: str | Path, out: str | Path, *,
                      check_share: float = DEFAULT_CHECK_SHARE, target: float | None = None,
                      source_pattern: str | None = None, progress=None) -> SiteCalibration:
    """Fit a site calibration of ``bundle_folder`` on part of the labelled ``folder`` (one sub-folder
    per class, from the hospital that will use it), check it on the rest, and write the calibrated copy
    to ``out`` (which must not exist)."""

    out = Path(out).expanduser()
    if out.exists():
        raise CxrdeskError(f"{out} already exists: choose a new folder for the site-calibrated model "
                           "(CXRDesk does not overwrite a model)")
    bundle = load_bundle(bundle_folder)
    items, scan = labelled_folder_items(folder, bundle.classes, source_pattern=source_pattern, progress=progress)
    check = split_site([r.group for r in scan.records], check_share)
    fit_index = np.flatnonzero(~check)
    if len(fit_index) < MIN_CALIBRATION_IMAGES:
        raise CxrdeskError(f"only {len(fit_index)} images of {folder} are left to calibrate on (at least "
                           f"{MIN_CALIBRATION_IMAGES} are needed): label more images, or lower --check-share")
    raw = predict_raw(bundle, items)
    y_true = np.array([bundle.classes.index(i.label) for i in items])
    target = target or DEFAULT_TARGET_SENSITIVITY
    fitted = fit_site(raw[fit_index], y_true[fit_index], bundle.classes, target)
    sources = sorted({i.source for i in items})
    fitted["fitted_on"] = f"site: {scan.root}"
    fitted["replaces"] = {k: v for k, v in bundle.card.calibration.items() if k != "thresholds"}

    check_index = np.flatnonzero(check)
    where = f"{scan.root} (the {len(check_index)} images kept out of the site calibration)"
    before = (evaluate_items(bundle, [items[i] for i in check_index], "site check", where, external=True,
                             raw=raw[check_index]) if len(check_index) else None)

    card = {k: v for k, v in bundle.card.items() if k != "card_sha256"}  # the card as read and verified
    card["name"] = out.name
    card["created_from"] = {"model": bundle.name, "folder": str(Path(bundle.folder).resolve()),
                            "model_sha256": card.get("model_sha256"),  # the original's tests on other hospitals,
                            # made without this calibration: kept for the record, not as this copy's figures
                            "external_evaluations": card.pop("external_evaluations", []),
                            # the leave-one-hospital-out estimate was made with the original calibration
                            "expected_at_new_hospital": card.pop("expected_at_new_hospital", None)}
    card["calibration"] = fitted
    card["site_calibration"] = {"folder": str(scan.root), "sources": sources, "calibrated": time.strftime(
                                    "%Y-%m-%dT%H:%M:%S%z"), "calibration_images": int(len(fit_index)),
                                "check_images": int(len(check_index)), "check_share": check_share,
                                "what": fitted["what"]}
    card["demo"] = False
    with building_folder(out) as tmp:
        shutil.copy2(Path(bundle.folder) / MODEL_FILE, tmp / MODEL_FILE)
        write_card(tmp, card)
    calibrated = load_bundle(out)
    after = None
    if len(check_index):
        after = evaluate_items(calibrated, [items[i] for i in check_index], "site check", where, external=True,
                               raw=raw[check_index])
        after.holdout_sources = sources

        store_in_card(calibrated.folder, after)
    return SiteCalibration(Path(calibrated.folder), fitted, before, after, int(len(fit_index)), int(len(check_index)),
                           sources)
