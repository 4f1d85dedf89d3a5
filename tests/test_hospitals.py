"""Honest across hospitals: sources, held-out-source splits, evaluation on another hospital's folder,
calibration and screening thresholds, and the recipe against shortcuts - on real radiographs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cxrdesk.calibration import (apply_temperature, choose_thresholds, expected_calibration_error, fit_temperature,
                                 screening_report)
from cxrdesk.curation import CurationSettings, confounded_classes, plan_curation, shortcut_check
from cxrdesk.errors import CurationError
from cxrdesk.scanning import scan_folder

from .conftest import make_source, real_images


def cxrdesk(*argv, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cxrdesk", *map(str, argv)], capture_output=True, text=True,
                          timeout=timeout)


# ---------------------------------------------------------------------------------------- sources


@pytest.mark.slow
def test_sources_come_from_the_labels_csv_and_tell_the_class(cxr3):
    scan = scan_folder(cxr3)
    assert scan.sources == ("hannover", "ieee8023", "nih", "shenzhen128", "tbx11k")
    table = scan.class_source_counts()
    assert table["Tuberculosis"] == {"hannover": 0, "ieee8023": 0, "nih": 0, "shenzhen128": 125, "tbx11k": 450}
    assert table["COVID-19"]["hannover"] == 243 and table["Healthy"]["nih"] == 427
    confounded = {n.data["class"] for n in confounded_classes(scan)}
    assert confounded == {"COVID-19"}  # only COVID-19 shares no source with another class
    report = shortcut_check(scan.records)
    assert report.source_accuracy > report.source_chance + 0.3  # the hospitals' signatures
    assert "sources apart" in report.source_verdict()


def test_sources_from_prefixes_patterns_or_unknown(tmp_path):
    for folder, source in (("TB", "tuberculosis"), ("Normal", "normal")):
        (tmp_path / folder).mkdir()
        for path in real_images(source, 4):
            shutil.copy(path, tmp_path / folder / path.name)  # cxr3 names: '<source>__...', no CSV here
    scan = scan_folder(tmp_path)
    assert set(scan.sources) <= {"nih", "shenzhen128", "tbx11k"} and "prefix" in scan.source_origin
    by_pattern = scan_folder(tmp_path, source_pattern=r"^([a-z]+)")
    assert set(by_pattern.sources) <= {"nih", "shenzhen", "tbx"}
    # a labels CSV that lists only some images: the others keep their prefix, not 'unknown'
    listed = sorted((tmp_path / "TB").iterdir())[0]
    (tmp_path / "labels.csv").write_text(f"file,source\n{listed.name},Hospital A\n")
    mixed = scan_folder(tmp_path, use_cache=False)
    assert "Hospital A" in mixed.sources and "unknown" not in mixed.sources
    assert "labels.csv (1 of 8" in mixed.source_origin and "prefixes <source>__ for 7 more" in mixed.source_origin
    (tmp_path / "labels.csv").unlink()
    for path in tmp_path.rglob("*.png"):
        path.rename(path.with_name(path.name.split("__", 1)[1]))
    assert scan_folder(tmp_path, use_cache=False).sources == ("unknown",)
    with pytest.raises(CurationError, match="not a valid regular expression"):
        scan_folder(tmp_path, source_pattern="(")


def test_holdout_source_puts_whole_hospitals_in_the_test_split(cxr3):
    scan = scan_folder(cxr3)
    plan = plan_curation(scan, CurationSettings(holdout_sources=("shenzhen128",)))
    by_split: dict[str, set] = {}
    for record, split in zip(scan.records, plan.split):
        if split:
            by_split.setdefault(split, set()).add(record.source)
    assert by_split["test"] == {"shenzhen128"}
    assert "shenzhen128" not in by_split["train"] | by_split["val"]
    groups = {s: {r.group for r, x in zip(scan.records, plan.split) if x == s} for s in ("train", "val", "test")}
    assert not groups["test"] & (groups["train"] | groups["val"])  # no patient straddles
    assert any(n.kind == "held_out_sources" for n in plan.notes)
    with pytest.raises(CurationError, match="no source named Mars"):
        plan_curation(scan, CurationSettings(holdout_sources=("Mars",)))


@pytest.mark.slow
def test_curate_holdout_source_command(small_source, tmp_path):
    result = cxrdesk("curate", small_source, "--out", tmp_path / "ds", "--holdout-source", "shenzhen128")
    assert result.returncode == 0, result.stderr
    assert "held out shenzhen128" in result.stdout and "CONFOUNDED" in result.stdout
    description = json.loads((tmp_path / "ds" / "dataset.json").read_text())
    assert set(description["split_sources"]["test"]) == {"shenzhen128"}
    assert description["settings"]["holdout_sources"] == ["shenzhen128"]
    every_covid = cxrdesk("curate", small_source, "--out", tmp_path / "none", "--holdout-source", "hannover")
    assert every_covid.returncode == 1  # hannover holds every COVID-19 image of this small source
    assert "keeps no COVID-19 image outside the held-out sources" in every_covid.stderr
    scanned = cxrdesk("scan", small_source)
    assert "Sources: labels.csv" in scanned.stdout and "sources apart" in scanned.stdout


# ------------------------------------------------------------------------ calibration, thresholds


def test_temperature_scaling_fixes_overconfidence_without_changing_predictions():
    rng = np.random.default_rng(0)
    n, k = 2000, 3
    y = rng.integers(0, k, n)
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), y] += 1.0  # right about 60 % of the time...
    sharp = np.exp(4 * logits) / np.exp(4 * logits).sum(1, keepdims=True)  # ...but sure of itself
    t = fit_temperature(sharp, y)
    calibrated = apply_temperature(sharp, t)
    assert t == pytest.approx(4.0, rel=0.15)
    assert expected_calibration_error(calibrated, y) < 0.03 < expected_calibration_error(sharp, y)
    assert (calibrated.argmax(1) == sharp.argmax(1)).all()


def test_screening_thresholds_reach_the_target_sensitivity_and_judge_the_who_minimum():
    rng = np.random.default_rng(1)
    y = np.array([0] * 300 + [1] * 100)
    p_tb = np.where(y == 1, rng.beta(5, 2, 400), rng.beta(2, 5, 400))
    probabilities = np.stack([1 - p_tb, p_tb], axis=1)
    thresholds = choose_thresholds(probabilities, y, ("Healthy", "Tuberculosis"), 0.9)
    tb = thresholds["Tuberculosis"]
    assert tb["sensitivity"] >= 0.9 and tb["sensitivity"] < 0.92  # the highest threshold that reaches it
    report = screening_report(probabilities, y, ("Healthy", "Tuberculosis"), thresholds)
    assert report["Tuberculosis"]["who_minimum_met"] == (report["Tuberculosis"]["specificity"] >= 0.7)
    assert "Healthy" not in thresholds and "Healthy" not in report  # no screening threshold for health


def test_training_fits_the_temperature_and_thresholds_on_validation(trained):
    card = json.loads((trained / "card.json").read_text())
    calibration = card["calibration"]
    assert calibration["fitted_on"] == "validation" and calibration["images"] == card["dataset"]["split_sizes"]["val"]
    assert 0.05 <= calibration["temperature"] <= 20
    assert calibration["nll_after"] <= calibration["nll_before"] + 1e-9
    assert set(calibration["thresholds"]) == {"COVID-19", "Tuberculosis"}  # the diseases, not the healthy class
    assert all(t["sensitivity"] >= 0.9 for t in calibration["thresholds"].values())


# ----------------------------------------------------------------- another hospital's labelled folder


@pytest.fixture(scope="module")
def other_hospital(tmp_path_factory) -> Path:
    """A plain labelled folder (no CSV, no curation) of JSRT films, Japan: never in cxr3. JSRT has no
    COVID-19 or TB labels; its non-nodule films are used as Healthy, a stand-in for an external site."""
    from .conftest import LUNGS

    films = sorted((LUNGS / "jsrt" / "images").glob("*.png"))[:20]
    if not films:
        pytest.skip("JSRT films not found")
    root = make_source(tmp_path_factory.mktemp("external") / "jsrt", {"Normal": films})
    for path in (root / "Normal").glob("*.png"):
        path.rename(path.with_name(f"jsrt__{path.name}"))
    return root


def test_evaluate_on_a_labelled_folder_from_another_hospital(trained, other_hospital, tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(trained, bundle)
    result = cxrdesk("evaluate", other_hospital, "--model", bundle, "--json", "--record")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["external"] and report["n"] == 20 and report["sources"] == ["jsrt"]
    assert {"accuracy", "general_precision", "per_class", "ece", "auc", "confusion_matrix", "per_source"} <= set(report)
    assert report["per_source"]["jsrt"]["n"] == 20
    card = json.loads((bundle / "card.json").read_text())
    external = card["external_evaluations"][-1]
    assert external["dataset"] == str(other_hospital.resolve()) and external["n"] == 20
    text = cxrdesk("evaluate", other_hospital, "--model", bundle)
    assert "Held-out hospitals" in text.stdout and "jsrt" in text.stdout
    diagnosed = cxrdesk("diagnose", real_images("normal", 1)[0], "--model", bundle)
    assert "hospitals it never saw (jsrt)" in diagnosed.stdout
    compared = cxrdesk("compare", bundle)
    assert "(jsrt)" in compared.stdout
    never = cxrdesk("diagnose", real_images("normal", 1)[0], "--model", trained)
    assert "never tested on a hospital it did not train on" in never.stdout


def test_a_small_folder_tested_later_does_not_replace_a_larger_test_as_the_headline(trained, other_hospital,
                                                                                    tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(trained, bundle)
    assert cxrdesk("evaluate", other_hospital, "--model", bundle, "--record").returncode == 0  # 20 JSRT films
    few = make_source(tmp_path / "few", {"Normal": sorted((other_hospital / "Normal").glob("*.png"))[:4]})
    for path in (few / "Normal").glob("*.png"):
        path.rename(path.with_name(path.name.replace("jsrt__", "smallsite__")))
    card_before = (bundle / "card.json").read_bytes()
    asked = cxrdesk("evaluate", few, "--model", bundle, "--no-record", "--json")
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["recorded"] is False and (bundle / "card.json").read_bytes() == card_before
    later = cxrdesk("evaluate", few, "--model", bundle, "--record")
    assert later.returncode == 0, later.stderr
    card = json.loads((bundle / "card.json").read_text())
    assert [e["n"] for e in card["external_evaluations"]] == [20, 4]  # both kept
    assert "on 20 images from hospitals it never saw (jsrt) - the largest of its 2 tests" in later.stdout
    diagnosed = cxrdesk("diagnose", real_images("normal", 1)[0], "--model", bundle)
    assert "hospitals it never saw (jsrt)" in diagnosed.stdout


def test_held_out_headline_is_the_largest_test_and_a_site_copy_counts_only_its_own():
    from cxrdesk.bundle import Card

    def external(n, source, when, gp=0.5):
        return {"n": n, "sources": [source], "dataset": f"/{source}", "general_precision": gp, "ece": 0.1,
                "evaluated": when}

    card = Card({"evaluations": {"test": {"n": 100, "general_precision": 0.7, "holdout_sources": ["a"],
                                          "dataset": "/d"}},
                 "external_evaluations": [external(30, "b", "2026-01-02T00:00:00+0000"),
                                          external(100, "c", "2026-01-03T00:00:00+0000", 0.6)]})
    held = card.held_out
    assert held["sources"] == ["c"] and held["evaluations"] == 3  # 100 = 100: the latest among equals
    card["external_evaluations"].append(external(500, "d", "2026-01-04T00:00:00+0000", 0.8))
    assert card.held_out["sources"] == ["d"] and card.held_out["images"] == 500
    leaked = Card({"evaluations": {"test": {"n": 900, "general_precision": 0.99, "holdout_sources": ["a"],
                                            "seen_sources": ["a"]}}})  # a test split that held out a source it learnt
    assert leaked.held_out is None and not leaked.test_is_held_out
    site = Card({**card, "site_calibration": {"sources": ["e"], "calibrated": "2026-02-01T00:00:00+0000",
                                              "calibration_images": 40}})
    assert site.held_out is None  # the original's tests were made without the site's calibration
    site["external_evaluations"] = site["external_evaluations"] + [external(40, "e", "2026-02-01T00:00:05+0000", 0.9)]
    assert site.held_out["sources"] == ["e"] and site.held_out["evaluations"] == 1
    assert site.quality_sentence().startswith("90.0% general precision on 40 images of e, a hospital it never "
                                              "trained on (calibrated there on 40 other images)")


def test_an_evaluation_is_not_lost_when_the_model_folder_cannot_be_written(trained, other_hospital, tmp_path,
                                                                          monkeypatch):
    from cxrdesk import evaluation

    bundle = tmp_path / "bundle"
    shutil.copytree(trained, bundle)
    card_before = (bundle / "card.json").read_bytes()

    def read_only(folder, result):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(evaluation, "store_in_card", read_only)  # as in an installed, read-only models folder
    _, result, _ = evaluation.evaluate_folder(bundle, other_hospital)
    assert result.metrics["n"] == 20 and "cannot be written (Permission denied)" in result.not_recorded
    assert (bundle / "card.json").read_bytes() == card_before


def test_a_folder_of_images_the_model_learnt_from_is_not_called_another_hospital(trained, curated_cxr3, tmp_path):
    from cxrdesk.dataset import load_dataset

    dataset = load_dataset(curated_cxr3)
    learnt = [i for i in dataset.split("train") if i.label == "Tuberculosis"][:6]
    card = json.loads((trained / "card.json").read_text())  # the card records what the model learnt from
    assert card["dataset"]["learned_sources"] == dict(sorted(__import__("collections").Counter(
        i.source for i in dataset.split("train") + dataset.split("val")).items()))
    assert len(card["dataset"]["learned_sha256"]) == len({i.sha256 for i in dataset.split("train") + dataset.split("val")})
    bundle = tmp_path / "bundle"
    shutil.copytree(trained, bundle)
    named = make_source(tmp_path / "named", {"Tuberculosis": [i.file for i in learnt]})  # '<source>__' names kept
    result = cxrdesk("evaluate", named, "--model", bundle, "--json", "--record")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["seen_images"] == 6 and report["seen_sources"] == sorted({i.source for i in learnt})
    assert report["on_unseen_hospitals"] is False and "never tested on a hospital" in report["quality"]
    assert json.loads((bundle / "card.json").read_text())["external_evaluations"][-1]["seen_images"] == 6
    # renamed, so that their source is unknown: the same files are still recognised
    anonymous = tmp_path / "anonymous" / "Tuberculosis"
    anonymous.mkdir(parents=True)
    for k, item in enumerate(learnt):
        shutil.copy(item.file, anonymous / f"film{k}.png")
    text = cxrdesk("evaluate", anonymous.parent, "--model", bundle)
    assert text.returncode == 0, text.stderr
    assert "NOT a figure for hospitals it never saw: 6 of these 6 images are among the images it learnt from" in text.stdout
    assert "never tested on a hospital it did not train on" in text.stdout
    diagnosed = cxrdesk("diagnose", real_images("normal", 1)[0], "--model", bundle)
    assert "never tested on a hospital it did not train on" in diagnosed.stdout


def test_an_older_card_is_checked_against_its_dataset_while_that_is_unchanged(trained, other_hospital, tmp_path):
    from cxrdesk.bundle import Card
    from cxrdesk.card import signed_card_json
    from cxrdesk.dataset import load_dataset
    from cxrdesk.evaluation import learned_from_dataset, seen_in_training

    card = json.loads((trained / "card.json").read_text())
    old = {k: v for k, v in card.items() if k != "card_sha256"}
    old["dataset"] = {k: v for k, v in old["dataset"].items() if not k.startswith("learned_")}
    learnt = load_dataset(old["dataset"]["folder"]).split("train")[:3]
    assert seen_in_training(Card(old), learnt) == (sorted({i.source for i in learnt}), 3)  # read from the dataset
    assert learned_from_dataset(Card(old))["learned_sources"] == card["dataset"]["learned_sources"]
    gone = {**old, "dataset": {**old["dataset"], "folder": str(tmp_path / "deleted")}}
    assert seen_in_training(Card(gone), learnt) == (None, None)
    bundle = tmp_path / "old"
    shutil.copytree(trained, bundle)
    (bundle / "card.json").write_text(signed_card_json(gone))
    result = cxrdesk("evaluate", other_hospital, "--model", bundle)
    assert result.returncode == 0, result.stderr
    assert "does not record what it learnt from" in result.stdout


def test_a_folder_with_a_class_the_model_does_not_know_is_refused(trained, tmp_path):
    root = make_source(tmp_path / "other", {"Pneumonia": real_images("covid", 3)})
    result = cxrdesk("evaluate", root, "--model", trained)
    assert result.returncode == 1 and "Pneumonia, which the model does not know" in result.stderr


# ------------------------------------------------------------------------ the recipe against shortcuts


def test_source_weights_make_each_hospital_count_alike_within_its_class():
    from cxrdesk.dataset import DatasetItem
    from cxrdesk.pipeline import source_weights

    items = ([DatasetItem(Path("a"), "Tuberculosis", "train", 0, "tbx11k")] * 450
             + [DatasetItem(Path("b"), "Tuberculosis", "train", 0, "shenzhen")] * 50
             + [DatasetItem(Path("c"), "Healthy", "train", 0, "nih")] * 500)
    weights = np.array(source_weights(items))
    assert weights.mean() == pytest.approx(1.0)
    assert weights[:450].sum() == pytest.approx(weights[450:500].sum())  # the two TB hospitals weigh alike
    assert weights[:500].sum() == pytest.approx(weights[500:].sum())  # and the classes too


def test_intensity_augmentation_changes_brightness_not_geometry():
    import tensorflow as tf

    from cxrdesk.pipeline import intensity_augment
    from cxrdesk.recipes import RECIPES

    rng = np.random.default_rng(0)
    image = np.zeros((64, 32, 32, 1), np.float32)
    image[:, 8:24, 8:24] = 200.0
    image += rng.uniform(0, 20, image.shape).astype(np.float32)
    tf.random.set_seed(3)
    out = intensity_augment(tf.constant(image), RECIPES["robust"]).numpy()
    assert out.min() >= 0 and out.max() <= 255
    means = out.reshape(64, -1).mean(1)
    assert means.std() > 8  # brightness now varies from image to image
    inside, outside = out[:, 10:22, 10:22].mean((1, 2, 3)), out[:, :4, :4].mean((1, 2, 3))
    assert (inside > outside).all()  # the square is still where it was, and brighter than its surround
    assert not RECIPES["study"].intensity  # the study's recipe is kept exactly


def test_the_robust_recipe_trains_with_the_lung_field_and_says_so(curated_cxr3, tmp_path):
    result = cxrdesk("train", curated_cxr3, "--recipe", "robust", "--epochs", "2", "--image-size", "32",
                     "--batch-size", "32", "--max-steps", "6", "--out", tmp_path, "--name", "robust")
    assert result.returncode == 0, result.stderr
    card = json.loads((tmp_path / "robust" / "card.json").read_text())
    hyper = card["hyperparameters"]
    assert hyper["recipe"] == "robust" and hyper["augmentation"]["balance_sources"]
    assert hyper["augmentation"]["gamma"] > 0 and hyper["early_stopping_patience"] == 8
    assert card["input"]["lung_field"] == "mask"
    study = cxrdesk("train", curated_cxr3, "--recipe", "study", "--lung-field", "crop", "--epochs", "1",
                    "--image-size", "32", "--max-steps", "2", "--out", tmp_path, "--name", "study-crop")
    assert study.returncode == 0, study.stderr
    card = json.loads((tmp_path / "study-crop" / "card.json").read_text())
    assert card["input"]["lung_field"] == "crop" and card["hyperparameters"]["early_stopping_patience"] == 0


def test_the_lungs_recipe_is_the_studys_augmentation_on_the_lungs_only(curated_cxr3, tmp_path):
    from cxrdesk.recipes import RECIPES

    lungs, study = RECIPES["lungs"], RECIPES["study"]
    assert (lungs.shear_degrees, lungs.zoom, lungs.horizontal_flip) == (study.shear_degrees, study.zoom,
                                                                       study.horizontal_flip)
    assert not lungs.intensity and not lungs.balance_sources and not lungs.early_stopping
    result = cxrdesk("train", curated_cxr3, "--recipe", "lungs", "--epochs", "1", "--image-size", "32",
                     "--batch-size", "32", "--max-steps", "3", "--out", tmp_path, "--name", "lungs")
    assert result.returncode == 0, result.stderr
    card = json.loads((tmp_path / "lungs" / "card.json").read_text())
    assert card["hyperparameters"]["recipe"] == "lungs" and card["input"]["lung_field"] == "mask"
    assert card["hyperparameters"]["augmentation"]["zoom"] == 0.3
