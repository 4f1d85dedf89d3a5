"""Any class set, end to end, through the real `cxrdesk` command: a two-class tuberculosis screen and
a four-class model (the study's three plus a `Pneumonia` folder), on real radiographs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def cxrdesk(*argv, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cxrdesk", *map(str, argv)], capture_output=True, text=True,
                          timeout=timeout)


def run_flow(source: Path, work: Path, classes: list[str]) -> dict:
    """curate -> train -> evaluate -> diagnose, each a real command; returns what each printed."""
    dataset, models = work / "dataset", work / "models"
    curated = cxrdesk("curate", source, "--out", dataset, "--test", "0.2", "--json")
    assert curated.returncode == 0, curated.stderr
    description = json.loads(curated.stdout)
    assert description["classes"] == classes

    trained = cxrdesk("train", dataset, "--recipe", "study", "--epochs", "2", "--image-size", "32", "--batch-size", "16",
                      "--out", models, "--name", "run", "--seed", "3")
    assert trained.returncode == 0, trained.stderr
    assert f"Classes: {', '.join(classes)}" in trained.stdout
    card = json.loads((models / "run" / "card.json").read_text())
    assert card["classes"] == classes

    evaluated = cxrdesk("evaluate", dataset, "--model", models / "run", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    evaluation = json.loads(evaluated.stdout)
    assert evaluation["classes"] == classes and len(evaluation["confusion_matrix"]) == len(classes)
    assert sorted(evaluation["per_class"]) == sorted(classes)
    assert sum(map(sum, evaluation["confusion_matrix"])) == evaluation["n"] == sum(
        description["counts"]["test"].values())
    text = cxrdesk("evaluate", dataset, "--model", models / "run")
    assert text.returncode == 0 and all(c in text.stdout for c in classes)

    image = next(p for p in sorted(source.glob("*/*.png")))
    diagnosed = cxrdesk("diagnose", image, "--model", models / "run", "--json", "--heatmap", work / "heat",
                        "--heatmap-class", classes[-1].lower(), "--report", work / "reports")
    assert diagnosed.returncode == 0, diagnosed.stderr
    result = json.loads(diagnosed.stdout)["results"][0]
    assert list(result["probabilities"]) == classes
    assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
    assert result["heatmap_class"] == classes[-1]
    assert Path(result["report"]).read_bytes().startswith(b"%PDF")
    wrong = cxrdesk("diagnose", image, "--model", models / "run", "--heatmap-class", "Cat")
    assert wrong.returncode == 1 and f"this model's classes are {', '.join(classes)}" in wrong.stderr
    return {"description": description, "card": card, "evaluation": evaluation, "diagnosis": result}


@pytest.mark.slow
def test_a_two_class_tuberculosis_screen_end_to_end(tb_screen_source, tmp_path):
    flow = run_flow(tb_screen_source, tmp_path, ["Healthy", "Tuberculosis"])
    assert flow["card"]["dataset"]["split_sizes"]["test"] == 12
    assert flow["evaluation"]["n"] == 12


@pytest.mark.slow
def test_four_classes_end_to_end(four_class_source, tmp_path):
    flow = run_flow(four_class_source, tmp_path, ["COVID-19", "Healthy", "Pneumonia", "Tuberculosis"])
    assert flow["description"]["class_folders"]["Pneumonia"] == "Pneumonia"
    assert set(flow["evaluation"]["auc"]) == {"COVID-19", "Healthy", "Pneumonia", "Tuberculosis"}


@pytest.mark.slow
def test_a_model_refuses_images_of_a_class_it_does_not_know(tb_screen_source, four_class_source, tmp_path):
    """A two-class model evaluated on a dataset with classes it never learnt: a clear refusal."""
    for name, source in (("two", tb_screen_source), ("four", four_class_source)):
        assert cxrdesk("curate", source, "--out", tmp_path / name).returncode == 0
    assert cxrdesk("train", tmp_path / "two", "--recipe", "study", "--epochs", "1", "--image-size", "16", "--out", tmp_path / "models",
                   "--name", "tb").returncode == 0
    result = cxrdesk("evaluate", tmp_path / "four", "--model", tmp_path / "models" / "tb")
    assert result.returncode == 1
    assert "COVID-19, Pneumonia, which the model does not know (its classes: Healthy, Tuberculosis)" in result.stderr
