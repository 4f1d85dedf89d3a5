"""Scanning real radiographs: class mapping, exact means, the cache, patient ids, problems reported."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from cxrdesk.errors import CurationError
from cxrdesk.scanning import scan_folder

from .conftest import CLASS_DIRS, real_images
from .imagefiles import png_bomb


@pytest.fixture(scope="module")
def full_scan(cxr3):
    return scan_folder(cxr3)


def test_real_folders_are_mapped_and_counted(full_scan, cxr3):
    assert full_scan.class_folders == CLASS_DIRS
    assert full_scan.counts() == {"COVID-19": 366, "Healthy": 548, "Tuberculosis": 575}
    assert not full_scan.unreadable
    assert "labels.csv" in full_scan.group_source


def test_means_equal_a_direct_pillow_computation(full_scan):
    rng = np.random.default_rng(0)
    for i in rng.choice(len(full_scan.records), 40, replace=False):
        record = full_scan.records[i]
        pixels = np.asarray(Image.open(full_scan.root / record.path).convert("L"), dtype=np.float64)
        assert record.mean == pytest.approx(pixels.mean(), abs=1e-9)
        assert record.std == pytest.approx(pixels.std(), abs=1e-6)
        assert record.p5 == np.percentile(pixels, 5, method="inverted_cdf")
        assert (record.width, record.height) == (pixels.shape[1], pixels.shape[0])


def test_healthy_is_brighter_as_the_data_readme_says(full_scan):
    by_class = {c: full_scan.means[full_scan.label_index == k].mean() for k, c in enumerate(("COVID-19", "Healthy", "Tuberculosis"))}
    assert by_class["Healthy"] - by_class["COVID-19"] > 10


def test_second_scan_comes_from_the_cache_and_agrees(small_source, tmp_path, monkeypatch):
    monkeypatch.setenv("CXRDESK_CACHE_DIR", str(tmp_path))  # an empty cache of its own
    first = scan_folder(small_source, workers=2)
    second = scan_folder(small_source)
    assert first.from_cache == 0 and second.from_cache == len(first.records)
    assert second.records == first.records
    # a changed file is measured again
    victim = small_source / "TB" / first.records[-1].path.split("/")[-1]
    backup = victim.read_bytes()
    try:
        Image.fromarray(np.full((64, 64), 200, np.uint8)).save(victim, format="PNG")
        third = scan_folder(small_source)
        assert third.from_cache == len(first.records) - 1
        assert third.records[-1].mean == pytest.approx(200.0)
    finally:
        victim.write_bytes(backup)


def test_messy_folder_names_and_patient_ids(small_source):
    scan = scan_folder(small_source)
    assert scan.class_folders == {"COVID-19": "COVID-19", "Sano": "Healthy", "TB": "Tuberculosis"}
    assert all(":" in r.group for r in scan.records)  # 'hannover:024e7871'-style ids from labels.csv


def test_patient_pattern_from_file_names(small_source):
    scan = scan_folder(small_source, patient_pattern=r"^([a-z0-9]+)__")  # the source prefix as 'patient'
    assert {r.group for r in scan.records} >= {"pattern:hannover", "pattern:nih"}
    with pytest.raises(CurationError, match="not a valid regular expression"):
        scan_folder(small_source, patient_pattern="(")


def test_problems_are_reported_not_fatal(tmp_path):
    for folder in ("covid", "Normal", "tuberculosis"):
        (tmp_path / folder).mkdir()
        for path in real_images(folder.lower(), 3):
            shutil.copy(path, tmp_path / folder / path.name)
    (tmp_path / "Viral Pneumonia").mkdir()  # empty: not a class
    (tmp_path / "covid" / "notes.txt").write_text("reader's notes")
    (tmp_path / "covid" / "empty.png").write_bytes(b"")
    png_bomb(tmp_path / "covid" / "bomb.png")
    good = (tmp_path / "Normal").glob("*.png").__next__().read_bytes()
    (tmp_path / "Normal" / "cut.png").write_bytes(good[: len(good) // 3])
    scan = scan_folder(tmp_path)
    assert scan.counts() == {"COVID-19": 3, "Healthy": 3, "Tuberculosis": 3}
    reasons = {u.path: u.reason for u in scan.unreadable}
    assert "empty file" in reasons["covid/empty.png"]
    assert "decompression bomb" in reasons["covid/bomb.png"]
    assert "truncated" in reasons["Normal/cut.png"]
    codes = {"covid/empty.png": "empty", "covid/bomb.png": "too_large", "Normal/cut.png": "corrupt"}
    assert {path: reason.code for path, reason in reasons.items()} == codes  # a window words them in its language
    again = scan_folder(tmp_path)  # from the cache: the same reasons, codes and figures
    assert again.from_cache > 0 and {u.path: (u.reason, u.reason.code, u.reason.values) for u in again.unreadable} == {
        u.path: (u.reason, u.reason.code, u.reason.values) for u in scan.unreadable}
    assert [s.path for s in scan.skipped] == ["covid/notes.txt"]
    assert scan.ignored_folders == {"Viral Pneumonia": "no image files (PNG, JPEG, BMP, TIFF or DICOM)"}


@pytest.mark.parametrize("layout, message", [
    ("missing", "folder not found"),
    ("no_classes", "no class folders"),
])
def test_bad_sources_are_refused(tmp_path, layout, message):
    src = tmp_path / "src"
    if layout != "missing":
        src.mkdir()
    if layout == "no_classes":
        (src / "images").mkdir()
    with pytest.raises(CurationError, match=message):
        scan_folder(src)


@pytest.mark.parametrize("layout, message", [
    ("one_class", "one class only"),
    ("unreadable_class", "class Tuberculosis has no readable images"),
])
def test_sources_a_model_cannot_learn_from_are_reported_then_refused_at_curation(tmp_path, layout, message):
    from cxrdesk.curation import CurationSettings, plan_curation

    src = tmp_path / "src"
    (src / "covid").mkdir(parents=True)
    Image.fromarray(np.full((64, 64), 100, np.uint8)).save(src / "covid" / "a.png")
    if layout == "unreadable_class":
        (src / "TB").mkdir()
        (src / "TB" / "broken.png").write_bytes(b"not a png")
    scan = scan_folder(src)  # the scan goes on and says what is wrong
    assert scan.warnings
    with pytest.raises(CurationError, match=message):
        plan_curation(scan, CurationSettings())


def test_any_folder_of_radiographs_is_a_class(tmp_path):
    for folder, source in (("Normal", "normal"), ("TB", "tuberculosis"), ("pneumonia", "covid")):
        (tmp_path / folder).mkdir()
        for path in real_images(source, 4):
            shutil.copy(path, tmp_path / folder / path.name)
    scan = scan_folder(tmp_path)
    assert scan.class_folders == {"Normal": "Healthy", "TB": "Tuberculosis", "pneumonia": "Pneumonia"}
    assert scan.classes == ("Healthy", "Pneumonia", "Tuberculosis")
    assert scan.counts() == {"Healthy": 4, "Pneumonia": 4, "Tuberculosis": 4}
    assert not scan.warnings
