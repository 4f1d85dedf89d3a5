"""Thresholds, balance, split and the shortcut check, on the statistics of the real radiographs."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from cxrdesk.classes import STUDY_CLASSES as CLASSES
from cxrdesk.curation import (PRESETS, CurationSettings, find_duplicates, histograms, plan_curation, shortcut_check,
                              threshold_counts)
from cxrdesk.errors import CurationError
from cxrdesk.scanning import scan_folder


@pytest.fixture(scope="module")
def scan(cxr3):
    return scan_folder(cxr3)


def test_threshold_counts_match_a_plain_loop(scan):
    for low, high in [(0, 255), PRESETS["study"], (80, 150), (140, 120), (200, 255)]:
        counts = threshold_counts(scan, low, high)
        for name in CLASSES:
            means = [r.mean for r in scan.records if r.label == name]
            kept = sum(low <= m <= high for m in means)
            assert counts[name] == (kept, len(means) - kept)


def test_histogram_counts_every_image(scan):
    edges, hist = histograms(scan, bins=17)
    assert len(edges) == 18 and edges[0] == 0 and edges[-1] == 255
    assert hist["All"].sum() == len(scan.records)
    assert sum(hist[c] for c in CLASSES).tolist() == hist["All"].tolist()


def test_balance_and_split_ratios(scan):
    plan = plan_curation(scan, CurationSettings(seed=1))
    counts = plan.counts()
    for name in CLASSES:  # balanced down to COVID-19's 366
        assert sum(counts[s][name] for s in counts) == 366
        assert counts["test"][name] == pytest.approx(36.6, abs=2)
        assert counts["val"][name] == pytest.approx((366 - counts["test"][name]) * 0.2, abs=2)
    dropped = [r for r in plan.reason if r]
    assert len(dropped) == len(scan.records) - 3 * 366
    assert all(r.startswith("balancing:") for r in dropped)


def test_the_split_is_seeded(scan):
    a = plan_curation(scan, CurationSettings(seed=7)).split
    b = plan_curation(scan, CurationSettings(seed=7)).split
    c = plan_curation(scan, CurationSettings(seed=8)).split
    assert a == b and a != c


def test_a_patient_never_straddles_two_splits(scan):
    plan = plan_curation(scan, CurationSettings(balance=False, test=0.2))
    sides = defaultdict(set)
    for record, split in zip(scan.records, plan.split):
        sides[record.group].add(split)
    assert max(len(s) for s in sides.values()) == 1
    multi = [g for g in sides if sum(r.group == g for r in scan.records) > 1]
    assert len(multi) > 20  # the real data has patients with several images


def test_study_band_drops_and_says_why(scan):
    plan = plan_curation(scan, CurationSettings(*PRESETS["study"], balance=False))
    kept = {r.path for r, _ in plan.kept()}
    for record, reason in zip(scan.records, plan.reason):
        assert (record.path in kept) == (120 <= record.mean <= 140)
        if record.mean < 120:
            assert "below the low threshold 120" in reason
    assert any(n.kind == "band_keeps_few" and n.data["class"] == "Healthy" for n in plan.notes)  # the band guts Healthy on this data


def test_a_band_that_empties_a_class_is_refused(scan):
    with pytest.raises(CurationError, match="keeps no"):
        plan_curation(scan, CurationSettings(low=250, high=255))
    with pytest.raises(CurationError, match="0 <= low <= high"):
        CurationSettings(low=150, high=100)


def test_shortcut_check_flags_the_real_data(scan):
    report = shortcut_check(scan.records)
    assert report.has_shortcut and report.accuracy > 0.6 and report.chance == pytest.approx(575 / 1489)
    assert report.class_means["Healthy"]["mean"] > report.class_means["COVID-19"]["mean"]
    assert "SHORTCUT" in report.verdict()


def test_shortcut_check_is_quiet_on_data_without_one(scan):
    rng = np.random.default_rng(0)
    shuffled = [r.__class__(**{**vars(r), "label": CLASSES[rng.integers(3)]}) for r in scan.records[:600]]
    report = shortcut_check(shuffled)
    assert not report.has_shortcut


@pytest.mark.slow
def test_live_counts_and_the_plan_keep_the_same_images(cxr3):
    """One keep rule: what the sliders count is what curation keeps, the band's ends included."""
    scan = scan_folder(cxr3)
    for low, high in ((0, 255), (120, 140), (float(scan.means[5]), float(scan.means[9]))):
        low, high = min(low, high), max(low, high)
        plan = plan_curation(scan, CurationSettings(low=low, high=high, balance=False, val=0, test=0))
        kept = {c: 0 for c in scan.classes}
        for record, split in zip(scan.records, plan.split):
            kept[record.label] += bool(split)
        assert kept == {c: k for c, (k, _) in threshold_counts(scan, low, high).items()}


def test_the_same_picture_twice_is_found_kept_on_one_side_and_refused_across_classes(tmp_path):
    from PIL import Image

    from .conftest import make_source, real_images

    tb, normal = real_images("tuberculosis", 12), real_images("normal", 12)
    source = make_source(tmp_path / "src", {"TB": tb, "Normal": normal})
    again = Image.open(normal[0]).convert("L")  # the same chest, re-encoded as JPEG at 80 % of its size
    again.resize((again.width * 4 // 5, again.height * 4 // 5)).save(source / "Normal" / "copy-of-first.jpg",
                                                                      quality=85)
    scan = scan_folder(source, use_cache=False)
    sets = find_duplicates(scan.records)
    assert [sorted(scan.records[i].path for i in s) for s in sets] == [
        sorted([f"Normal/{normal[0].name}", "Normal/copy-of-first.jpg"])]
    plan = plan_curation(scan, CurationSettings(balance=False, val=0.3, test=0.3))
    sides = {r.path: s for r, s in zip(scan.records, plan.split)}
    assert sides[f"Normal/{normal[0].name}"] == sides["Normal/copy-of-first.jpg"]
    assert any(n.kind == "duplicates" for n in plan.notes)

    (source / "TB" / "mislabelled.png").write_bytes(normal[3].read_bytes())  # a healthy chest filed as TB
    scan = scan_folder(source, use_cache=False)
    with pytest.raises(CurationError, match="appear in two classes: .*mislabelled.png"):
        plan_curation(scan, CurationSettings(balance=False))
    allowed = plan_curation(scan, CurationSettings(balance=False, allow_cross_class_duplicates=True))
    assert any(n.kind == "duplicates" and n.data["across_classes"] == 1 for n in allowed.notes)
