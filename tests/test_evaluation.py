"""The study's metrics, checked against its own Table II and against scikit-learn; reports; Table VII."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics as skm

from cxrdesk.calibration import reliability as calibration
from cxrdesk.classes import STUDY_CLASSES as CLASSES
from cxrdesk.evaluation import confusion, metrics_from_confusion, roc

# Table II of the study: custom CNN on the GPU, 169 test images per class.
TABLE_II = {
    "COVID-19": (0.9586, 0.9512, 0.9231, 0.9763, 0.9369),
    "Healthy": (0.9783, 0.9938, 0.9408, 0.9970, 0.9666),
    "Tuberculosis": (0.9487, 0.8907, 0.9645, 0.9408, 0.9261),
}


def test_reproduces_the_studys_table_ii_to_four_decimals():
    matrix = [[156, 0, 13], [3, 159, 7], [5, 1, 163]]
    result = metrics_from_confusion(matrix, CLASSES)
    for name, expected in TABLE_II.items():
        got = result["per_class"][name]
        for metric, value in zip(("accuracy", "precision", "recall", "specificity", "f1"), expected):
            assert got[metric] == pytest.approx(value, abs=5e-5), (name, metric)
        assert got["support"] == 169
    assert result["general_precision"] == pytest.approx(0.9428, abs=5e-5)


def test_metrics_agree_with_scikit_learn_on_random_labels():
    rng = np.random.default_rng(3)
    y_true, y_pred = rng.integers(0, 3, 500), rng.integers(0, 3, 500)
    result = metrics_from_confusion(confusion(y_true, y_pred, 3), CLASSES)
    assert result["general_precision"] == pytest.approx(skm.accuracy_score(y_true, y_pred))
    assert np.array_equal(result["confusion_matrix"], skm.confusion_matrix(y_true, y_pred))
    for i, name in enumerate(CLASSES):
        got, t, p = result["per_class"][name], y_true == i, y_pred == i
        assert got["precision"] == pytest.approx(skm.precision_score(t, p))
        assert got["recall"] == pytest.approx(skm.recall_score(t, p))
        assert got["specificity"] == pytest.approx(skm.recall_score(~t, ~p))
        assert got["f1"] == pytest.approx(skm.f1_score(t, p))
        assert got["accuracy"] == pytest.approx(skm.accuracy_score(t, p))


def test_roc_and_calibration():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    probabilities = rng.dirichlet([1, 1, 1], 300)
    probabilities[np.arange(300), y] += 0.5
    probabilities /= probabilities.sum(1, keepdims=True)
    for i, name in enumerate(CLASSES):
        assert roc(probabilities, y, CLASSES)[name]["auc"] == pytest.approx(skm.roc_auc_score(y == i, probabilities[:, i]))
    perfect = np.eye(3)[y]
    assert calibration(perfect, y)["ece"] == pytest.approx(0.0)
    overconfident = np.full((300, 3), 0.0)
    overconfident[:, 0] = 1.0  # always certain of class 0
    assert calibration(overconfident, y)["ece"] == pytest.approx(1 - (y == 0).mean())


def test_evaluate_command_writes_report_and_card(trained, curated_cxr3, tmp_path):
    report = tmp_path / "report"
    before = (trained / "card.json").read_bytes()
    left = subprocess.run([sys.executable, "-m", "cxrdesk", "evaluate", str(curated_cxr3), "--model", str(trained),
                           "--split", "test"], capture_output=True, text=True)
    assert left.returncode == 0 and "--record keeps it there" in left.stdout, left.stderr
    assert (trained / "card.json").read_bytes() == before  # by default the model is left exactly as it was
    result = subprocess.run([sys.executable, "-m", "cxrdesk", "evaluate", str(curated_cxr3), "--model", str(trained),
                             "--split", "test", "--report", str(report), "--record"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "general precision" in result.stdout and "research tool" in result.stdout
    for name in ("curves.png", "confusion_matrix.png", "roc.png", "calibration.png", "report.html"):
        assert (report / name).stat().st_size > 1000
    page = (report / "report.html").read_text()
    assert "data:image/png;base64," in page and "not a medical device" in page and "quick" in page
    card = json.loads((trained / "card.json").read_text())
    test = card["evaluations"]["test"]
    assert test["n"] == sum(sum(row) for row in test["confusion_matrix"]) > 0
    assert 0 <= test["general_precision"] <= 1 and set(test["auc"]) == set(CLASSES)
    # every image's answer, consistent with the confusion matrix the card records
    with (report / "predictions.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == test["n"] and all(Path(r["image"]).is_file() and r["source"] for r in rows)
    matrix = np.zeros((len(CLASSES), len(CLASSES)), dtype=int)
    for r in rows:
        p = [float(r[f"p_{c}"]) for c in CLASSES]
        assert sum(p) == pytest.approx(1.0, abs=1e-4) and CLASSES[int(np.argmax(p))] == r["predicted"]
        matrix[CLASSES.index(r["label"]), CLASSES.index(r["predicted"])] += 1
    assert matrix.tolist() == test["confusion_matrix"]
    assert "predictions.csv" in page


def test_compare_is_the_studys_table_vii(trained):
    result = subprocess.run([sys.executable, "-m", "cxrdesk", "compare", str(trained), "--json"],
                            capture_output=True, text=True)
    rows = json.loads(result.stdout)
    assert rows[0]["model"] == "custom" and rows[0]["device"] == "cpu" and rows[0]["seconds_per_epoch"] > 0
    assert 0 < rows[0]["val_accuracy"] <= 1
