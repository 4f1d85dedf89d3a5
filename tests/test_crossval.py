"""Leave one hospital out (``cxrdesk crossval``): folds, the pooled figures checked against the
predictions file, the calibration fitted on out-of-source predictions, resume at the fold level, the final
model's card and headline, and "uncertain" in diagnosis - on a small real subset of cxr3 with five sources."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cxrdesk.bundle import amend_card
from cxrdesk.calibration import answered_figures, choose_confidence_threshold
from cxrdesk.errors import CxrdeskError

from .conftest import PER_CELL, need_data

pytestmark = pytest.mark.slow


def cxrdesk(*argv, timeout=1200) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cxrdesk", *map(str, argv)], capture_output=True, text=True,
                          timeout=timeout)


TRAIN = ("--model", "custom", "--recipe", "study", "--image-size", "32", "--batch-size", "16", "--epochs", "2",
         "--seed", "3")


def test_a_dataset_with_one_source_is_refused_plainly(tmp_path):
    from cxrdesk.crossval import plan_folds
    from cxrdesk.dataset import load_dataset

    data = need_data()
    root = tmp_path / "src"
    for folder in ("tuberculosis", "normal"):
        (root / folder).mkdir(parents=True)
        for path in sorted((data / folder).glob("shenzhen128__*.png"))[:12]:
            os.symlink(path, root / folder / path.name)
    assert cxrdesk("curate", root, "--out", tmp_path / "ds").returncode == 0
    with pytest.raises(CxrdeskError, match="one source only \\(shenzhen128\\): there is no hospital to hold out"):
        plan_folds(load_dataset(tmp_path / "ds"))
    result = cxrdesk("crossval", tmp_path / "ds", "--out", tmp_path / "models", "--name", "x", *TRAIN)
    assert result.returncode == 1 and "no hospital to hold out" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "models" / "x").exists()


def test_folds_keep_a_patient_and_a_file_on_one_side_and_merge_small_sources(five_sources):
    from cxrdesk.crossval import OTHER, plan_folds
    from cxrdesk.dataset import load_dataset

    dataset = load_dataset(five_sources)
    plan = plan_folds(dataset)
    assert sorted(f.name for f in plan.folds) == ["hannover", "ieee8023", "nih", "shenzhen128", "tbx11k"]
    for fold in plan.folds:
        held = {i.file for i in fold.held_out}
        assert held == {i.file for i in dataset.items if i.source in fold.sources}  # every split of the source
        trained = fold.train + fold.val
        assert not held & {i.file for i in trained} and {i.source for i in trained}.isdisjoint(fold.sources)
        assert {i.group for i in fold.held_out}.isdisjoint({i.group for i in trained})
        assert {i.split for i in trained} <= {"train", "val"}
    # sources too small to be a hospital on their own become one held-out 'other' (here the four of
    # PER_CELL images: held out together, they leave no COVID-19 to train on, so that fold is skipped - said - and
    # one fold is no estimate)
    counts = {s: sum(1 for i in dataset.items if i.source == s) for s in {i.source for i in dataset.items}}
    assert counts["shenzhen128"] > PER_CELL and all(n <= PER_CELL for s, n in counts.items() if s != "shenzhen128")
    with pytest.raises(CxrdeskError) as refused:
        plan_folds(dataset, min_images=PER_CELL + 1)
    message = str(refused.value)
    assert "fewer than two sources can be held out" in message
    assert f"merged into one held-out '{OTHER}'" in message and f"'{OTHER}' cannot be held out" in message


def test_the_confidence_threshold_answers_as_many_as_reach_the_target():
    # 20 sure and right, 10 middling and half right, 10 unsure and wrong
    p = np.array([[0.95, 0.05]] * 20 + [[0.7, 0.3]] * 10 + [[0.55, 0.45]] * 10)
    y = np.array([0] * 20 + [0] * 5 + [1] * 5 + [1] * 10)
    rule = choose_confidence_threshold(p, y, target=0.85)
    # 25 of 30 answered at 0.7 is 83 %: below target, so only the 20 sure ones are answered
    assert rule["reached"] and rule["threshold"] == pytest.approx(0.95) and rule["coverage"] == pytest.approx(0.5)
    assert rule["accuracy_when_sure"] == 1.0
    assert choose_confidence_threshold(p, y, target=0.8)["threshold"] == pytest.approx(0.7)
    never = choose_confidence_threshold(p, 1 - y.clip(0, 1), target=0.85)
    assert not never["reached"] and never["coverage"] == 0.0 and never["threshold"] > 1.0
    assert answered_figures(p, y, 0.7) == {"threshold": 0.7, "coverage": 0.75, "answered": 30,
                                           "accuracy_when_sure": pytest.approx(25 / 30, abs=1e-4)}


def _read_predictions(path: Path):
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    classes = [k[len("calibrated_"):] for k in rows[0] if k.startswith("calibrated_")]
    return rows, classes


def test_crossval_end_to_end_stop_resume_final_model_and_uncertain(five_sources, tmp_path):
    """Through the command line as a user: start, stop after the first fold, resume (the fold is not
    trained again), the estimate checked against predictions.csv, the final model's card and headline,
    and "uncertain" in diagnose --json."""
    from cxrdesk.bundle import read_card
    from cxrdesk.calibration import apply_temperature
    from cxrdesk.calibration import reliability as calibration
    from cxrdesk.crossval import CrossvalRun, CrossvalSettings, crossval_dir
    from cxrdesk.events import CrossvalPlanned, FoldDone, Started, Stopped
    from cxrdesk.training import TrainConfig

    models = tmp_path / "models"
    config = TrainConfig(dataset=str(five_sources), model="custom", recipe="study", image_size=32, batch_size=16,
                         epochs=2, seed=3, out=str(models), name="loho")
    run = CrossvalRun(config, CrossvalSettings()).start()
    events = []
    for event in run.events():
        events.append(event)
        if isinstance(event, FoldDone):
            run.stop()
    assert isinstance(events[0], CrossvalPlanned) and isinstance(events[-1], Stopped), events[-1]
    assert events[-1].bundle is None
    first = next(e for e in events if isinstance(e, FoldDone)).held_out
    started = [e for e in events if isinstance(e, Started)]
    assert started[0].stage == "fold" and started[0].training == 1 and started[0].trainings == 6
    work = crossval_dir(models, "loho")
    assert (work / "folds" / first / "predictions.csv").is_file() and not (models / "loho").exists()
    assert not (work / "folds" / first / f"holding-out-{first}").exists()  # deleted once predicted

    result = cxrdesk("crossval", "--resume", "loho", "--out", models)
    assert result.returncode == 0, result.stderr
    assert f"Held out {first} (done before)" in result.stdout
    assert result.stdout.count("(done before)") == 1
    assert "Expected at a hospital it never saw (5 hospitals held out in turn" in result.stdout
    bundle = models / "loho"
    assert (bundle / "crossval" / "predictions.csv").is_file() and not work.exists()

    # the pooled figures are those of the predictions file
    summary = json.loads((bundle / "crossval" / "summary.json").read_text())
    rows = list(csv.DictReader((bundle / "crossval" / "predictions.csv").open(newline="")))
    classes = summary["classes"]
    assert len(rows) == summary["pooled"]["n"] == sum(f["held_out_images"] for f in summary["folds"])
    y = np.array([classes.index(r["label"]) for r in rows])
    raw = np.array([[float(r[f"p_{c}"]) for c in classes] for r in rows])
    assert {r["fold"] for r in rows} == set(summary["per_source"]) == set(summary["expected_at_new_hospital"]["folds"])
    assert summary["pooled_as_trained"]["accuracy"] == pytest.approx((raw.argmax(1) == y).mean(), abs=1e-4)
    assert summary["pooled_as_trained"]["ece"] == pytest.approx(calibration(raw, y)["ece"], abs=1e-4)
    # cross-fitted: each fold calibrated on the others only
    folds = np.array([r["fold"] for r in rows])
    from cxrdesk.calibration import fit_unseen

    crossed = np.zeros_like(raw)
    form = summary["expected_at_new_hospital"]["calibration_form"]
    assert form in ("temperature", "temperature and class offsets")
    tried = summary["calibration"]["forms_tried"]  # the form kept has the lower cross-fitted loss
    assert tried[form]["nll"] == min(t["nll"] for t in tried.values())
    for name in set(folds):
        here = folds == name
        fitted = fit_unseen(raw[~here], y[~here], classes, offsets=form != "temperature")
        offsets = np.array([fitted["offsets"][c] for c in classes]) if fitted["offsets"] else None
        crossed[here] = apply_temperature(raw[here], fitted["temperature"], offsets)
    pooled = summary["pooled"]
    assert pooled["accuracy"] == pytest.approx((crossed.argmax(1) == y).mean(), abs=1e-4)
    assert pooled["ece"] == pytest.approx(calibration(crossed, y)["ece"], abs=1e-4)
    for source, r in summary["per_source"].items():
        here = np.array([row["source"] == source for row in rows])
        assert r["n"] == here.sum()
        if len(set(y[here])) < 2:
            assert r["auc"] is None and r["recall"]  # one class: recall, no AUC
        else:
            assert set(r["auc"]) == {classes[k] for k in set(y[here])}
    assert summary["per_source"]["shenzhen128"]["auc"] and summary["per_source"]["nih"]["auc"] is None
    assert 0.0 <= pooled["coverage"] <= 1.0 and summary["who_tb"] is not None

    # the card: the estimate, the calibration fitted on the out-of-source predictions, the headline
    card = read_card(bundle)
    expected = card.expected_at_new_hospital
    assert expected["method"] == "leave-one-source-out" and expected["n"] == pooled["n"]
    assert expected["accuracy"] == pooled["accuracy"] and expected["coverage"] == pooled["coverage"]
    assert card.calibration["fitted_on"] == "unseen hospitals" and card.calibration["replaces"]["fitted_on"] == "validation"
    assert card.uncertain["threshold"] == summary["calibration"]["uncertain"]["threshold"]
    assert card.quality_sentence().startswith(f"expected at a hospital it never saw: {pooled['accuracy']:.1%} "
                                              "(leave-one-hospital-out over 5 hospitals")
    assert card.learned_sources == {"hannover", "ieee8023", "nih", "shenzhen128", "tbx11k"}  # trained on every source

    # diagnosis says "uncertain" below the card's threshold, for every result in JSON
    images = [Path(summary["source_root"]) / rows[i]["file"] for i in range(0, len(rows), max(len(rows) // 6, 1))]
    assert all(image.is_file() for image in images)
    result = cxrdesk("diagnose", *images, "--model", bundle, "--json", "--report", tmp_path / "reports")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["model"]["quality"] == card.quality_sentence()
    for record in out["results"]:
        assert record["uncertain"] == (max(record["probabilities"].values()) < card.uncertain["threshold"])
        assert record["uncertain_threshold"] == card.uncertain["threshold"]
    # the estimate is a function of the predictions the model ships with: made again, it is the same
    from cxrdesk.estimate import resummarise

    again = resummarise(bundle)
    assert {k: v for k, v in again.items() if k != "created"} == {k: v for k, v in summary.items() if k != "created"}
    assert read_card(bundle).expected_at_new_hospital == expected
    # an estimate made again with another calibration (as older code made it): what was measured through
    # the old one is set aside, not left as the model's figures
    assert cxrdesk("evaluate", five_sources, "--model", bundle, "--record").returncode == 0
    assert read_card(bundle).evaluations
    amend_card(bundle, lambda card: card["calibration"].update(temperature=7.0))
    resummarise(bundle)
    card = read_card(bundle)
    assert not card.evaluations and card["superseded_evaluations"][0]["calibration"]["temperature"] == 7.0
    assert card.temperature == summary["calibration"]["temperature"] and card.expected_at_new_hospital == expected
    compare = cxrdesk("compare", models)
    assert "expected at a new hospital" in compare.stdout and f"{pooled['accuracy']:.1%}" in compare.stdout
