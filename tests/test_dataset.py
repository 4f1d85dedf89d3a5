"""Export of a curated dataset: the manifest, the folder tree, atomic writes, the source untouched."""

from __future__ import annotations

import csv
import hashlib
import json
import os

import pytest

from cxrdesk.classes import STUDY_CLASSES as CLASSES
from cxrdesk.curation import CurationSettings, plan_curation
from cxrdesk.dataset import export_dataset, load_dataset
from cxrdesk.errors import CurationError
from cxrdesk.scanning import scan_folder


def tree_state(folder):
    """Every file's bytes hash, size and mtime under ``folder``."""
    state = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            st = path.stat()
            state[str(path.relative_to(folder))] = (hashlib.sha256(path.read_bytes()).hexdigest(),
                                                    st.st_size, st.st_mtime_ns)
    return state


@pytest.fixture()
def plan(small_source):
    return plan_curation(scan_folder(small_source), CurationSettings(seed=3, test=0.25))


@pytest.mark.parametrize("layout", ["manifest", "link", "copy"])
def test_export_writes_manifest_and_tree_and_leaves_source_unchanged(plan, small_source, tmp_path, layout):
    before = tree_state(small_source)
    out = export_dataset(plan, tmp_path / "curated", layout=layout)
    assert tree_state(small_source) == before

    rows = list(csv.DictReader((out / "manifest.csv").open()))
    assert len(rows) == len(plan.scan.records)
    for row, record in zip(rows, plan.scan.records):
        assert row["path"] == record.path and row["class"] == record.label
        assert row["sha256"] == hashlib.sha256((small_source / record.path).read_bytes()).hexdigest()
        assert float(row["mean_intensity"]) == pytest.approx(record.mean, abs=1e-4)
        assert (row["split"] == "") == bool(row["reason"])
        if layout != "manifest" and row["split"]:
            placed = out / row["file"]
            assert placed.parts[-3:-1] == (row["split"], row["class"])
            assert placed.read_bytes() == (small_source / record.path).read_bytes()
            if layout == "link":
                assert os.path.samefile(placed, small_source / record.path)
    description = json.loads((out / "dataset.json").read_text())
    assert description["settings"]["seed"] == 3 and description["layout"] == layout
    assert description["manifest_sha256"] == hashlib.sha256((out / "manifest.csv").read_bytes()).hexdigest()
    dataset = load_dataset(out)
    assert {i.split for i in dataset.items} == {"train", "val", "test"}
    assert all(i.file.is_file() for i in dataset.items)
    assert [sum(1 for i in dataset.split("test") if i.label == c) for c in CLASSES] == [6, 6, 6]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left behind


def test_existing_output_needs_force_and_must_be_a_dataset(plan, tmp_path):
    out = export_dataset(plan, tmp_path / "curated")
    first = (out / "manifest.csv").read_bytes()
    with pytest.raises(CurationError, match="already exists"):
        export_dataset(plan, out)
    assert (out / "manifest.csv").read_bytes() == first
    export_dataset(plan, out, force=True, layout="copy")
    assert (out / "train").is_dir()

    mine = tmp_path / "my documents"
    mine.mkdir()
    (mine / "thesis.docx").write_text("precious")
    with pytest.raises(CurationError, match="not a CXRDesk dataset"):
        export_dataset(plan, mine, force=True)
    assert (mine / "thesis.docx").read_text() == "precious"


def test_output_inside_or_around_the_source_is_refused(plan, small_source, tmp_path):
    with pytest.raises(CurationError, match="must not be inside the source"):
        export_dataset(plan, small_source / "curated")
    with pytest.raises(CurationError, match="contains the source"):
        export_dataset(plan, small_source.parent, force=True)


def test_a_crash_mid_export_leaves_nothing(plan, tmp_path):
    def boom(done, total):
        if done > 10:
            raise RuntimeError("disk full")
    with pytest.raises(RuntimeError):
        export_dataset(plan, tmp_path / "curated", layout="copy", progress=boom)
    assert list(tmp_path.iterdir()) == []


def test_an_edited_manifest_is_refused(plan, tmp_path):
    out = export_dataset(plan, tmp_path / "curated")
    with (out / "manifest.csv").open("a") as handle:
        handle.write("covid/extra.png,COVID-19,train,1,,,,1,1,\n")
    with pytest.raises(CurationError, match="changed after curation"):
        load_dataset(out)
    with pytest.raises(CurationError, match="not a curated dataset"):
        load_dataset(tmp_path)
