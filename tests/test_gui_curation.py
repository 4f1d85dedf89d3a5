"""The Curation tab, driven as a user would on real radiographs (pytest-qt, offscreen)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("pytestqt")
from cxrdesk.classes import STUDY_CLASSES as CLASSES  # noqa: E402
from cxrdesk.curation import threshold_counts  # noqa: E402


def test_curation_scan_sliders_and_export(window, qtbot, small_source, tmp_path):
    tab = window.curation
    tab.source.setText(str(small_source))
    tab.scan_button.click()
    qtbot.waitUntil(lambda: tab.scan is not None, timeout=60000)
    assert tab.counts.item(0, 1).text() == "24"
    tab.low.slider.setValue(120)  # as a user drags the slider
    tab.high.spin.setValue(140)  # and types in the spin box
    expected = threshold_counts(tab.scan, 120, 140)
    for row, name in enumerate(CLASSES):
        assert tab.counts.item(row, 0).text() == name
        assert (int(tab.counts.item(row, 2).text()), int(tab.counts.item(row, 3).text())) == expected[name]
    tab.all_button.click()
    assert tab.low.value() == 0 and tab.high.value() == 255 and tab.counts.item(0, 2).text() == "24"
    qtbot.waitUntil(lambda: tab.thumbs_low.count() > 1, timeout=20000)  # thumbnails near the thresholds
    assert "SHORTCUT" in tab.shortcut.text()

    tab.output.setText(str(tmp_path / "curated"))
    tab.export_button.click()
    qtbot.waitUntil(lambda: "written to" in tab.message.text(), timeout=60000)
    assert (tmp_path / "curated" / "manifest.csv").is_file()
    assert window.training.dataset.text() == str(tmp_path / "curated")
    from cxrdesk.curation import plan_curation

    few = [n for n in plan_curation(tab.scan, tab.current_settings()).notes if n.kind == "few_images"]
    assert few and "fewer than 10 images of" in tab.message.text()  # the CLI's small-split warning, here too
    assert "9a5b00" in tab.message.styleSheet()  # amber: done, but it may mislead

def test_errors_are_shown_in_the_window(window, qtbot, tmp_path):
    tab = window.curation
    tab.source.setText(str(tmp_path / "nowhere"))
    tab.scan_button.click()
    qtbot.waitUntil(lambda: "folder not found" in tab.message.text(), timeout=20000)
    assert tab.scan_button.isEnabled()

def test_four_classes_in_the_curation_tab(window, qtbot, four_class_source):
    tab = window.curation
    tab.source.setText(str(four_class_source))
    tab.scan_button.click()
    qtbot.waitUntil(lambda: tab.scan is not None, timeout=60000)
    assert [tab.counts.item(r, 0).text() for r in range(tab.counts.rowCount())] == [
        "COVID-19", "Healthy", "Pneumonia", "Tuberculosis"]
    assert all(tab.counts.item(r, 1).text() == "24" for r in range(4))

@pytest.mark.slow
def test_curation_by_the_lungs_and_lung_overlays(window, qtbot, small_source):
    tab = window.curation
    tab.source.setText(str(small_source))
    tab.scan_button.click()
    qtbot.waitUntil(lambda: tab.scan is not None, timeout=60000)
    tab.show_lungs.setChecked(True)  # thumbnails with the lungs drawn (colour)
    qtbot.waitUntil(lambda: tab.thumbs_low.count() > 1 and not tab.tasks.running("thumbnails"), timeout=120000)
    first = tab.thumbs_low.itemAt(0).widget().pixmap().toImage()
    assert not first.isGrayscale()
    tab.lung_measure.setChecked(True)  # the band applies to the mean inside the lungs
    qtbot.waitUntil(lambda: tab.scan.lung_means is not None and tab.measure() == "lungs", timeout=180000)
    qtbot.waitUntil(lambda: "inside the lungs" in tab.histogram.ax.get_xlabel(), timeout=10000)
    tab.set_band(110, 150)
    expected = threshold_counts(tab.scan, 110, 150, "lungs")
    for row, name in enumerate(tab.scan.classes):
        assert (int(tab.counts.item(row, 2).text()), int(tab.counts.item(row, 3).text())) == expected[name]
    assert tab.current_settings().measure == "lungs"

def test_curation_shows_sources_and_holds_out_a_hospital(window, qtbot, small_source, tmp_path):
    from PySide6.QtCore import Qt

    tab = window.curation
    tab.source.setText(str(small_source))
    tab.scan_button.click()
    qtbot.waitUntil(lambda: tab.scan is not None, timeout=60000)
    headers = [tab.sources.horizontalHeaderItem(c).text() for c in range(1, tab.sources.columnCount())]
    assert headers == list(tab.scan.sources) and "hannover" in headers
    assert "CONFOUNDED" in tab.shortcut.text() and "sources apart" in tab.shortcut.text()
    items = {tab.holdout.item(i).text(): tab.holdout.item(i) for i in range(tab.holdout.count())}
    items["shenzhen128"].setCheckState(Qt.CheckState.Checked)
    assert tab.current_settings().holdout_sources == ("shenzhen128",)
    tab.output.setText(str(tmp_path / "held"))
    tab.export_button.click()
    qtbot.waitUntil(lambda: "written to" in tab.message.text(), timeout=60000)
    description = json.loads((tmp_path / "held" / "dataset.json").read_text())
    assert set(description["split_sources"]["test"]) == {"shenzhen128"}

def test_the_default_curated_folder_is_outside_the_source(window, qtbot, small_source):
    tab = window.curation
    tab.output.setText(str(small_source / "curated"))  # inside the source: replaced
    tab.source.setText(str(small_source))
    tab.scan_button.click()
    qtbot.waitUntil(lambda: tab.scan is not None, timeout=60000)
    output = __import__("pathlib").Path(tab.output.text())
    assert small_source.resolve() not in output.parents and output.parent.name == "CXRDesk"
    assert output.name == f"{small_source.name}-curated"


def test_what_a_scan_finds_is_said_in_spanish(window, qtbot, tmp_path):
    """A scan's warnings (an empty class folder, classes each from its own hospital) and the shortcut check's
    verdict, in the Curation tab switched to Spanish: no English sentence left from the core."""
    import shutil

    from .conftest import need_data

    root = tmp_path / "two-hospitals"
    for kind, source in (("normal", "nih"), ("tuberculosis", "tbx11k")):
        (root / kind).mkdir(parents=True)
        for path in sorted((need_data() / kind).glob(f"{source}__*.png"))[:10]:
            shutil.copy(path, root / kind)
    first = sorted((root / "normal").iterdir())[0]
    shutil.copy(first, root / "normal" / first.name.replace("__", "__copy-"))  # the same picture twice
    (root / "covid").mkdir()
    (root / "covid" / "broken.png").write_bytes(b"not an image")
    window.set_language("es")
    try:
        tab = window.curation
        tab.source.setText(str(root))
        tab.scan_button.click()
        qtbot.waitUntil(lambda: tab.scan is not None and bool(tab.shortcut.text()), timeout=120000)
        said = tab.message.text() + "\n" + tab.shortcut.text()
        assert "la clase COVID-19 (carpeta covid) no tiene ninguna imagen legible (1 ilegibles)" in said, said
        assert "CONFUNDIDA: todas las imágenes de Sano vienen de nih" in said, said
        assert "covid/broken.png: no es un archivo de imagen reconocido" in said, said  # the reader's refusal
        assert "normal → Sano" in said, said
        assert "ATAJO" in said or "No se encontró un atajo fuerte" in said, said
        for english in ("has no readable image", "not a recognised", "CONFOUNDED", "SHORTCUT", "shortcut found", "sources apart"):
            assert english not in said, (english, said)
        from cxrdesk.curation import CurationSettings, _duplicate_groups
        from cxrdesk.gui.wording import note_text

        _, notes = _duplicate_groups(tab.scan, CurationSettings())  # as an export warns of them
        assert [note.kind for note in notes] == ["duplicates"]
        assert note_text(notes[0]).startswith("1 grupo(s) de la misma imagen"), note_text(notes[0])
    finally:
        window.set_language("en")
