"""Site calibration: a copy of a model fitted to a new hospital on some of its labelled films and
checked on the others (cxrdesk.calibration.fit_site, cxrdesk.site, `cxrdesk calibrate`)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cxrdesk.calibration import apply_temperature, expected_calibration_error, fit_site
from cxrdesk.site import split_site

DEMO = Path(__file__).resolve().parents[1] / "models" / "demo-custom-64"
CLASSES = ("COVID-19", "Healthy", "Tuberculosis")


def cxrdesk(*argv, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cxrdesk", *map(str, argv)], capture_output=True, text=True,
                          timeout=timeout)


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_an_over_confident_model_with_the_wrong_prior_is_fitted_to_the_site():
    """Known answer: the model's logits are the truth's divided by 0.25 (four times too sure) and shifted
    towards Tuberculosis, at a hospital that has no COVID-19. The fit must soften (T > 1), move the prior
    away from Tuberculosis and COVID-19, and bring the ECE and the accuracy back."""
    rng = np.random.default_rng(0)
    n = 600
    y = rng.integers(1, 3, n)  # Healthy or Tuberculosis only
    true_logits = rng.normal(0, 1.0, (n, 3))
    true_logits[np.arange(n), y] += 1.2
    true_logits[:, 0] -= 3.0
    model_logits = true_logits / 0.25 + np.array([0.0, 0.0, 5.0])
    p = _softmax(model_logits)
    fitted = fit_site(p, y, CLASSES)
    assert fitted["temperature"] > 2.0
    assert fitted["offsets"]["Tuberculosis"] < fitted["offsets"]["Healthy"] - 0.5
    assert fitted["offsets"]["COVID-19"] < fitted["offsets"]["Healthy"]
    calibrated = apply_temperature(p, fitted["temperature"], [fitted["offsets"][c] for c in CLASSES])
    best = (true_logits.argmax(1) == y).mean()  # the truth's own accuracy
    assert (p.argmax(1) == y).mean() < best - 0.05
    assert (calibrated.argmax(1) == y).mean() > best - 0.02
    assert expected_calibration_error(calibrated, y) < 0.5 * expected_calibration_error(p, y)
    assert set(fitted["thresholds"]) == {"Tuberculosis"}  # no COVID-19 positives, and none for health


def test_one_class_at_the_site_fits_the_temperature_only():
    """With one class, offsets would simply call every image that class: only T is fitted."""
    rng = np.random.default_rng(1)
    p = _softmax(rng.normal(0, 3, (80, 3)))
    fitted = fit_site(p, np.zeros(80, dtype=int), CLASSES)
    assert fitted["offsets"] is None and fitted["what"].startswith("temperature only")


def test_the_check_split_keeps_each_patient_on_one_side():
    groups = [f"p{i // 3}" for i in range(300)]
    check = split_site(groups, 0.5)
    for g in set(groups):
        assert len({c for c, h in zip(check, groups) if h == g}) == 1
    assert 0.35 < check.mean() < 0.65
    assert (split_site(groups, 0.5) == check).all()  # stable


@pytest.mark.slow
def test_calibrate_writes_a_new_site_model_and_checks_it_on_other_images(shenzhen_site, tmp_path):
    card_before = (DEMO / "card.json").read_bytes()
    out = tmp_path / "demo-shenzhen"
    result = cxrdesk("calibrate", shenzhen_site, "--model", DEMO, "--out", out, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (DEMO / "card.json").read_bytes() == card_before  # the user's model is untouched
    assert report["sources"] == ["shenzhen"]
    assert report["calibration_images"] + report["check_images"] == 120
    assert report["calibration_images"] >= 40 and report["check_images"] >= 40
    # measured on the images kept out of the fit: the as-trained model is over-confident here
    assert report["after"]["ece"] < report["before"]["ece"]
    card = json.loads((out / "card.json").read_text())
    assert card["site_calibration"]["calibration_images"] == report["calibration_images"]
    assert card["calibration"]["fitted_on"].startswith("site: ") and card["calibration"]["replaces"]["temperature"]
    assert hashlib.sha256((out / "model.keras").read_bytes()).hexdigest() == card["model_sha256"]
    assert "calibrated there on" in report["quality"]
    # diagnosis applies the site's temperature and offsets
    image = next((shenzhen_site / "normal").iterdir())
    original = json.loads(cxrdesk("diagnose", image, "--model", DEMO, "--json").stdout)
    site = json.loads(cxrdesk("diagnose", image, "--model", out, "--json").stdout)
    p0 = np.array([original["results"][0]["probabilities"][c] for c in CLASSES])
    raw = apply_temperature(p0, 1.0 / card["calibration"]["replaces"]["temperature"])  # undo the original T
    expected = apply_temperature(raw, card["calibration"]["temperature"],
                                 [card["calibration"]["offsets"][c] for c in CLASSES])
    got = np.array([site["results"][0]["probabilities"][c] for c in CLASSES])
    assert np.allclose(got, expected, atol=2e-3), (got, expected)
    assert set(site["results"][0]["screening"]) == {"Tuberculosis"}  # the site's own threshold, none for health
    assert site["results"][0]["screening"]["Tuberculosis"]["chosen_on"] == "site"
    # its TB films: chosen for 90 % sensitivity on the site's calibration films, most are above the threshold
    text = cxrdesk("diagnose", shenzhen_site / "tuberculosis", "--model", out).stdout
    assert "calibrated there on" in text
    assert "Tuberculosis" in text and "is above its screening threshold" in text
    assert "chosen on this hospital's images" in text and "Screening: Healthy" not in text
    # never over an existing folder
    again = cxrdesk("calibrate", shenzhen_site, "--model", DEMO, "--out", out)
    assert again.returncode == 1 and "already exists" in again.stderr


@pytest.mark.slow
def test_too_few_images_to_calibrate_is_a_clear_error(shenzhen_site, tmp_path):
    small = tmp_path / "small"
    for label in ("tuberculosis", "normal"):
        (small / label).mkdir(parents=True)
        for path in sorted((shenzhen_site / label).iterdir())[:5]:
            os.symlink(os.readlink(path), small / label / path.name)
    result = cxrdesk("calibrate", small, "--model", DEMO, "--out", tmp_path / "x")
    assert result.returncode == 1 and "are needed" in result.stderr and not (tmp_path / "x").exists()
