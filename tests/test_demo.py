"""`cxrdesk demo`: the whole workflow on real radiographs reaches its report; the demo model is usable."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cxrdesk.bundle import DEMO_BUNDLE, available_bundles
from cxrdesk.recipes import RECIPES

from .conftest import need_data


@pytest.mark.slow
def test_demo_reaches_its_report(small_source, tmp_path):
    out = tmp_path / "demo"
    result = subprocess.run([sys.executable, "-m", "cxrdesk", "demo", "--data", str(small_source), "--out", str(out),
                             "--epochs", "2", "--image-size", "32", "--device", "cpu"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    for step in ("1/5", "2/5", "3/5", "4/5", "5/5", "Demo report:"):
        assert step in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["comparison"][0]["device"] == "cpu" and summary["comparison"][0]["test_general_precision"] is not None
    assert len(summary["diagnoses"]) == 3 and all((out / "diagnoses" / d["heatmap"]).is_file() for d in summary["diagnoses"])
    assert (out / "reports" / "custom-cpu" / "report.html").is_file()
    page = (out / "index.html").read_text()
    assert "not a medical device" in page and "Table VII" in page
    again = subprocess.run([sys.executable, "-m", "cxrdesk", "demo", "--data", str(small_source), "--out", str(out)],
                           capture_output=True, text=True)
    assert again.returncode == 1 and "already exists" in again.stderr


@pytest.mark.skipif(not DEMO_BUNDLE.is_dir(), reason="the demo model is not in models/")
def test_demo_model_is_the_fallback_and_says_what_it_is(tmp_path):
    """The shipped model: trained on every source of cxr3 by 'cxrdesk crossval', its headline the figure
    expected at a hospital it never saw, with the calibration and "uncertain" rule fitted there."""
    found = available_bundles(tmp_path)  # an empty models folder
    assert found and found[0][0] == DEMO_BUNDLE
    card = found[0][1]
    assert card["demo"] and "cxrdesk crossval" in card["command"] and card["credits"]
    assert card.verified and card["hyperparameters"]["recipe"] in RECIPES and card["input"]["lung_field"] == "mask"
    assert card.learned_sources == {"hannover", "ieee8023", "nih", "shenzhen128", "tbx11k"}  # every source
    expected = card.expected_at_new_hospital
    assert expected["method"] == "leave-one-source-out" and sorted(expected["folds"]) == sorted(card.learned_sources)
    assert expected["n"] == 1098 and 0.0 <= expected["ece"] <= 1.0 and 0.0 <= expected["coverage"] <= 1.0
    assert card.calibration["fitted_on"] == "unseen hospitals" and card.uncertain and card.temperature
    assert card.thresholds["Tuberculosis"]["target_sensitivity"] == 0.9
    assert card.quality_sentence().startswith(f"expected at a hospital it never saw: {expected['accuracy']:.1%}")
    # the evidence ships with it: every out-of-hospital prediction, whose pooled accuracy is the card's
    import csv

    from cxrdesk.estimate import Predictions

    predictions = Predictions.read(DEMO_BUNDLE / "crossval" / "predictions.csv")
    assert len(predictions.y) == expected["n"]
    with (DEMO_BUNDLE / "crossval" / "predictions.csv").open(newline="") as handle:
        assert not any(row["file"].startswith("/tmp") for row in csv.DictReader(handle))
    models = DEMO_BUNDLE.parent
    # models/ under 64 MB: each network twice, for TensorFlow (model.keras) and ONNX Runtime (model.onnx,
    # and the demo's lung network alone, lungs.onnx) - 57 MB when ONNX came, 26 MB before
    assert sum(p.stat().st_size for p in models.rglob("*") if p.is_file()) < 64_000_000


@pytest.mark.skipif(not DEMO_BUNDLE.is_dir(), reason="the demo model is not in models/")
def test_the_readme_says_what_the_demo_card_says():
    """The README's figures of the demo model are written from its card (tools/readme_from_card.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("readme_from_card", DEMO_BUNDLE.parents[1] / "tools" /
                                                  "readme_from_card.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    readme = tool.README.read_text(encoding="utf-8")
    assert tool.updated(readme, tool.render(DEMO_BUNDLE)) == readme, "run tools/readme_from_card.py"


@pytest.mark.slow
@pytest.mark.skipif(not DEMO_BUNDLE.is_dir(), reason="the demo model is not in models/")
def test_plain_diagnose_says_it_is_the_demonstration_model_and_its_expected_figure(tmp_path):
    from .conftest import real_images

    result = subprocess.run([sys.executable, "-m", "cxrdesk", "diagnose", str(real_images("normal", 1)[0]),
                             "--models-dir", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "demonstration model" in result.stdout and "expected at a hospital it never saw" in result.stdout
    assert "leave-one-hospital-out over 5 hospitals" in result.stdout


def test_the_shipped_demo_model_is_never_changed_by_an_evaluation(tmp_path):
    if not DEMO_BUNDLE.is_dir():
        pytest.skip("no demo model in models/")
    folder = tmp_path / "site" / "Normal"
    folder.mkdir(parents=True)
    before = (DEMO_BUNDLE / "card.json").read_bytes()
    refused = subprocess.run([sys.executable, "-m", "cxrdesk", "evaluate", str(folder.parent), "--model",
                              str(DEMO_BUNDLE), "--record"], capture_output=True, text=True)
    assert refused.returncode == 1 and "never changed" in refused.stderr and "copy the folder" in refused.stderr
    assert (DEMO_BUNDLE / "card.json").read_bytes() == before


def test_the_demo_card_carries_no_temporary_or_machine_path():
    """tools/portable_card.py, run by make_demo_model.sh: paths beside the repository are relative
    (../shared/data/...), temporary ones say so; no absolute path of the machine that made it is left."""
    import re

    if not DEMO_BUNDLE.is_dir():
        pytest.skip("no demo model in models/")
    for path in (DEMO_BUNDLE / "card.json", DEMO_BUNDLE / "crossval" / "summary.json"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r'(?<![\w.<>])/(?:tmp|work|home|root|usr|var)/', text), path
