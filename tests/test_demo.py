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
    found = available_bundles(tmp_path)  # an empty models folder
    assert found and found[0][0] == DEMO_BUNDLE
    card = found[0][1]
    assert card["demo"] and "cxrdesk train" in card["command"] and card["credits"]
    assert card.verified and card["hyperparameters"]["recipe"] in RECIPES and card["input"]["lung_field"] == "mask"
    held = card.held_out  # measured on a hospital it never saw, beside the internal figure
    assert held and held["sources"] == ["shenzhen128"] and held["general_precision"] > 0.5
    # and it did not learn from Shenzhen: no source, no image file (the card's short hashes)
    import hashlib

    assert "shenzhen128" not in card.learned_sources and sum(card.dataset["learned_sources"].values()) == 1098
    shenzhen = sorted((need_data() / "tuberculosis").glob("shenzhen128__*.png"))[:40]
    assert shenzhen and not {hashlib.sha256(f.read_bytes()).hexdigest()[:16] for f in shenzhen} & card.learned_sha256
    assert card.temperature and card.thresholds["Tuberculosis"]["target_sensitivity"] == 0.9
    models = DEMO_BUNDLE.parent
    assert sum(p.stat().st_size for p in models.rglob("*") if p.is_file()) < 40_000_000  # models/ under 40 MB


@pytest.mark.slow
@pytest.mark.skipif(not DEMO_BUNDLE.is_dir(), reason="the demo model is not in models/")
def test_plain_diagnose_says_it_is_the_demonstration_model_and_its_held_out_figure(tmp_path):
    from .conftest import real_images

    result = subprocess.run([sys.executable, "-m", "cxrdesk", "diagnose", str(real_images("normal", 1)[0]),
                             "--models-dir", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "demonstration model" in result.stdout and "hospitals it never saw (shenzhen128)" in result.stdout
