"""The Diagnosis tab: a radiograph diagnosed, the demo model on a first run, a model tested and
calibrated for a hospital, class names in Spanish (pytest-qt, offscreen)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("pytestqt")

from .conftest import real_images  # noqa: E402


def test_diagnose_a_radiograph(window, qtbot, trained, tmp_path, monkeypatch):
    tab = window.diagnosis
    tab.models_dir = str(trained.parent)
    tab.refresh_models()
    qtbot.waitUntil(lambda: tab.diagnoser is not None, timeout=120000)
    assert "quick" in tab.card.text() and "validation general precision" in tab.card.text()
    tab.diagnose(str(real_images("tuberculosis", 1)[0]))
    qtbot.waitUntil(lambda: tab.result is not None, timeout=60000)
    total = sum(bar.value() for bar in tab.bars.values())
    assert abs(total - 1000) <= 2
    assert tab.predicted.text() == f"Predicted: {tab.result.predicted}"
    assert tab.bars[tab.result.predicted].text().endswith("%")
    assert tab.view.pixmap() is not None and not tab.view.pixmap().isNull()
    # the probabilities come from ONNX Runtime at once; the Grad-CAM heatmap when TensorFlow is ready
    assert tab.diagnoser.runtime == "ONNX Runtime"
    qtbot.waitUntil(lambda: tab.result.heatmap is not None and "being computed" not in tab.heat.text(),
                    timeout=120000)  # the heatmap is filled in by the worker, then shown by the tab
    assert "Grad-CAM" in tab.heat.text()
    tab.opacity.setValue(90)
    from PySide6.QtWidgets import QFileDialog

    report = tmp_path / "report.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(report), "PDF (*.pdf)"))
    tab.export_button.click()  # the report is written by a worker, then said so on the message line
    qtbot.waitUntil(lambda: "Report written" in tab.message.text(), timeout=60000)
    assert report.read_bytes().startswith(b"%PDF")
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "no-such-folder" / "r.pdf"), "PDF (*.pdf)"))
    tab.export_button.click()  # an unwritable place is the tab's error, not a traceback
    qtbot.waitUntil(lambda: "cannot write" in tab.message.text(), timeout=60000)


def test_a_non_radiograph_gets_no_diagnosis_until_asked_for_anyway(window, qtbot, trained, tmp_path):
    import numpy as np
    from PIL import Image

    noise = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (256, 256)).astype(np.uint8)).save(noise)
    tab = window.diagnosis
    tab.models_dir = str(trained.parent)
    tab.refresh_models()
    qtbot.waitUntil(lambda: tab.diagnoser is not None, timeout=120000)
    tab.diagnose(str(noise))
    qtbot.waitUntil(lambda: tab.result is not None, timeout=60000)
    assert tab.predicted.text() == "No diagnosis" and "noise-like" in tab.refusal.text()
    assert not tab.refusal.isHidden() and not tab.force_button.isHidden()
    assert all(bar.value() == 0 and bar.text() == "-" for bar in tab.bars.values())
    assert tab.warning.isHidden() and tab.heat.isHidden()  # no screening line, no heat share for it
    tab.force_button.click()
    assert tab.result.forced and tab.force_button.isHidden()
    assert tab.refusal.text().startswith("Not a diagnosis") and tab.predicted.text().startswith("Predicted:")
    assert abs(sum(bar.value() for bar in tab.bars.values()) - 1000) <= 2
    assert all("#9e9e9e" in bar.styleSheet() for bar in tab.bars.values())  # grey: not an answer
    tab.diagnose(str(real_images("normal", 1)[0]))
    qtbot.waitUntil(lambda: not tab.result.warnings, timeout=60000)
    assert tab.refusal.isHidden() and tab.force_button.isHidden() and not tab.heat.isHidden()


def test_diagnosis_without_a_model_says_how_to_get_one(window, monkeypatch, tmp_path):
    from cxrdesk import bundle

    monkeypatch.setattr(bundle, "DEMO_BUNDLE", tmp_path / "no-demo")  # as if no demo model shipped
    window.diagnosis.refresh_models()
    assert "No trained model" in window.diagnosis.card.text()
    assert not window.diagnosis.open_button.isEnabled()

def test_first_run_offers_the_demo_model(window, qtbot):
    from cxrdesk.bundle import DEMO_BUNDLE

    if not DEMO_BUNDLE.is_dir():
        pytest.skip("no demo model in models/")
    qtbot.waitUntil(lambda: window.diagnosis.diagnoser is not None, timeout=120000)
    assert "(demo)" in window.diagnosis.model.currentText()
    assert "not a clinical model" in window.diagnosis.card.text()

def test_class_names_are_translated_in_spanish(window, qtbot, trained):
    window.set_language("es")
    try:
        tab = window.diagnosis
        tab.models_dir = str(trained.parent)
        tab.refresh_models()
        qtbot.waitUntil(lambda: tab.diagnoser is not None, timeout=120000)
        tab.diagnose(str(real_images("normal", 1)[0]))
        qtbot.waitUntil(lambda: tab.result is not None, timeout=60000)
        labels = [tab.bar_grid.itemAtPosition(i, 0).widget().text() for i in range(3)]
        assert labels == ["COVID-19", "Sano", "Tuberculosis"]
        expected = {"Healthy": "Sano"}.get(tab.result.predicted, tab.result.predicted)
        assert tab.predicted.text() == f"Predicción: {expected}"
    finally:
        window.set_language("en")

def test_every_reason_for_no_diagnosis_is_said_in_spanish(window, tmp_path):
    """Each reason the core gives for no diagnosis (made by the real checks) is worded by the window in Spanish,
    its figures the same as in the English text the command line and the CSV keep."""
    import re

    import numpy as np
    from PIL import Image

    from cxrdesk.bundle import DEMO_BUNDLE, read_card
    from cxrdesk.diagnosis import Diagnoser, ood_warnings
    from cxrdesk.imaging import LoadedImage, read_grayscale
    from cxrdesk.lungs import check_darker, load_lung_model, probability_to_field
    from cxrdesk.gui.wording import reason_text
    from cxrdesk.orientation import ORIENTATION_BUNDLE, OrientationCheck

    card = read_card(DEMO_BUNDLE)
    film = read_grayscale(real_images("normal", 1)[0]).pixels
    rng = np.random.default_rng(0)
    photo = np.zeros((300, 400, 3), np.uint8)
    photo[..., 0], photo[..., 2] = np.linspace(0, 255, 400)[None, :], rng.integers(0, 255, (300, 400))
    Image.fromarray(photo).save(tmp_path / "photo.jpg")
    Image.fromarray(rng.integers(0, 256, (256, 256)).astype(np.uint8)).save(tmp_path / "noise.png")
    Image.new("L", (300, 300), 200).save(tmp_path / "blank.png")
    Image.fromarray(np.tile(np.linspace(0, 255, 600).astype(np.uint8), (150, 1))).save(tmp_path / "strip.png")
    reasons = [w for name in ("photo.jpg", "noise.png", "blank.png", "strip.png")
               for w in ood_warnings(read_grayscale(tmp_path / name), card)]
    reasons += ood_warnings(LoadedImage(film // 8, "L"), card)  # darker than any training film
    maps = {"few_regions": np.zeros((128, 128)), "not_side_by_side": np.zeros((128, 128)),
            "wide": np.zeros((128, 128)), "lung_share": np.zeros((128, 128))}
    maps["not_side_by_side"][10:60, 5:20] = maps["not_side_by_side"][70:120, 5:20] = 1
    maps["wide"][20:40, 5:60] = maps["wide"][20:40, 70:125] = 1
    maps["lung_share"][0:128, 0:62] = maps["lung_share"][0:128, 66:128] = 1
    reasons += [probability_to_field(m, 256, 256).reason for m in maps.values()]
    segmenter = load_lung_model(onnx=True)
    reasons.append(segmenter.turned(np.ascontiguousarray(np.flipud(film))))  # the lung model's turn check
    orientation = OrientationCheck(ORIENTATION_BUNDLE)  # and the orientation check's
    reasons += [orientation.look(np.ascontiguousarray(np.rot90(film, k))).turned for k in (1, 2, 3)]
    inverted = 255 - film
    found = probability_to_field(segmenter.probability(film), film.shape[1], film.shape[0])  # the film's lungs,
    reasons.append(check_darker(inverted, found).reason)  # in its negative: brighter than the rest
    reasons += Diagnoser.open(DEMO_BUNDLE).diagnose(_saved(inverted, tmp_path / "inv.png")).warnings  # 'no_lungs'
    codes = {r.code for r in reasons}
    assert codes >= {"colour", "noise", "uniform", "shape", "intensity", "few_regions", "not_side_by_side", "wide",
                     "lung_share", "turned", "inverted", "no_lungs"}, codes
    window.set_language("es")
    try:
        for reason in reasons:
            spanish = reason_text(reason)
            assert spanish != str(reason) and "{" not in spanish, (reason.code, spanish)
            assert re.findall(r"\d+(?:\.\d+)?", spanish) == re.findall(r"\d+(?:\.\d+)?", str(reason)), (reason, spanish)
    finally:
        window.set_language("en")
    assert all(reason_text(reason) == str(reason) for reason in reasons)  # English: the core's own text


def _saved(pixels, path):
    from PIL import Image

    Image.fromarray(pixels).save(path)
    return path


def test_every_reader_refusal_is_said_in_spanish(window, qtbot, tmp_path):
    """A file the reader refuses (empty, missing, not an image, truncated, too small, too large, not DICOM, a DICOM
    without an image) is worded by the window in Spanish with the same figures as the English the command line
    keeps; the Diagnosis tab says it so when such a file is opened."""
    import re

    from PIL import Image

    from cxrdesk.errors import ImageReadError
    from cxrdesk.gui.wording import read_error_text
    from cxrdesk.imaging import read_grayscale

    from .imagefiles import png_bomb

    good = real_images("normal", 1)[0].read_bytes()
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "notes.png").write_text("not an image\n")
    (tmp_path / "cut.png").write_bytes(good[: len(good) // 2])
    Image.new("L", (3, 5)).save(tmp_path / "dot.png")
    png_bomb(tmp_path / "bomb.png")
    (tmp_path / "text.dcm").write_text("not a DICOM file at all\n")
    (tmp_path / "blank.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"garbage" * 10)
    reasons = []
    for name in ("empty.png", "missing.png", "notes.png", "cut.png", "dot.png", "bomb.png", "text.dcm", "blank.dcm"):
        with pytest.raises(ImageReadError) as info:
            read_grayscale(tmp_path / name)
        reasons.append(info.value.reason)
    assert [r.code for r in reasons] == ["empty", "not_found", "not_image", "corrupt", "too_small", "too_large",
                                         "not_dicom", "dicom_no_image"]
    window.set_language("es")
    try:
        for reason in reasons:
            spanish = read_error_text(reason)
            assert spanish != str(reason) and "{" not in spanish, (reason.code, spanish)
            assert re.findall(r"\d+(?:\.\d+)?", spanish) == re.findall(r"\d+(?:\.\d+)?", str(reason)), (reason, spanish)
        tab = window.diagnosis
        qtbot.waitUntil(lambda: tab.diagnoser is not None, timeout=120000)  # the demo model
        tab.diagnose(str(tmp_path / "notes.png"))
        qtbot.waitUntil(lambda: "notes.png:" in tab.message.text(), timeout=60000)
        assert "no es un archivo de imagen reconocido" in tab.message.text(), tab.message.text()
        assert "not a recognised" not in tab.message.text()
    finally:
        window.set_language("en")
    assert all(read_error_text(reason) == str(reason) for reason in reasons)  # English: the reader's own text


def test_a_mirrored_film_is_diagnosed_and_said_in_spanish(window, qtbot, tmp_path):
    """A film mirrored left to right gets its diagnosis and an amber note in the window's language, which the
    report carries too."""
    import numpy as np
    from PIL import Image

    from cxrdesk.imaging import read_grayscale
    from cxrdesk.orientation import ORIENTATION_BUNDLE, OrientationCheck

    check = OrientationCheck(ORIENTATION_BUNDLE)
    film = next(pixels for pixels in (read_grayscale(f).pixels for f in real_images("tuberculosis", 12))
                if check.look(np.ascontiguousarray(pixels[:, ::-1])).mirrored is not None)
    Image.fromarray(np.ascontiguousarray(film[:, ::-1])).save(tmp_path / "mirrored.png")
    window.set_language("es")
    try:
        tab = window.diagnosis
        qtbot.waitUntil(lambda: tab.diagnoser is not None, timeout=120000)  # the demo model
        tab.diagnose(str(tmp_path / "mirrored.png"))
        qtbot.waitUntil(lambda: tab.result is not None, timeout=60000)
        assert not tab.result.refused and tab.result.mirrored is not None
        assert "La placa parece invertida de izquierda a derecha" in tab.warning.text() and tab.warning.isVisibleTo(tab)
        assert any("invertida de izquierda a derecha" in text for text, _ in tab.report_wording().notes)
    finally:
        window.set_language("en")


def test_a_refused_film_and_its_report_in_spanish(window, qtbot, tmp_path, monkeypatch):
    """In Spanish, a film turned upside down gets no diagnosis with its reason in Spanish, and the report the
    window writes is in Spanish too, its texts apart from each other."""
    import numpy as np
    from PIL import Image
    from PySide6.QtWidgets import QFileDialog

    from cxrdesk.report import diagnosis_figure

    from .figures import assert_apart_on_the_page

    upside_down = tmp_path / "upside-down.png"
    Image.fromarray(np.flipud(np.asarray(Image.open(real_images("tuberculosis", 1)[0]).convert("L")))).save(upside_down)
    window.set_language("es")
    try:
        tab = window.diagnosis
        qtbot.waitUntil(lambda: tab.diagnoser is not None, timeout=120000)  # the demo model
        tab.diagnose(str(upside_down))
        qtbot.waitUntil(lambda: tab.result is not None, timeout=60000)
        assert tab.predicted.text() == "Sin diagnóstico"
        assert "la placa parece al revés" in tab.refusal.text() and "seems" not in tab.refusal.text()
        texts = assert_apart_on_the_page(diagnosis_figure(tab.result, wording=tab.report_wording()))
        page = "\n".join(texts)
        assert "CXRDesk - análisis de la radiografía" in page and "Radiografía" in page
        assert "Sin diagnóstico: la imagen puede no ser una radiografía de tórax frontal" in page
        assert "la placa parece al revés" in page and "no es un dispositivo médico" in page
        assert "seems" not in page and "Radiograph" not in page and "File:" not in page
        report = tmp_path / "informe.png"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(report), "PNG (*.png)"))
        tab.export_button.click()
        qtbot.waitUntil(lambda: report.exists(), timeout=60000)
        assert report.read_bytes().startswith(b"\x89PNG")
    finally:
        window.set_language("en")


@pytest.mark.slow
def test_test_and_calibrate_a_model_for_a_hospital(window, qtbot, shenzhen_site, tmp_path, monkeypatch):
    """From the Diagnosis tab: measure the model on a hospital's labelled folder (the figure joins its
    card), then make a copy calibrated for that hospital, which the tab then uses."""
    import shutil

    from PySide6.QtWidgets import QFileDialog

    from cxrdesk.bundle import DEMO_BUNDLE

    if not DEMO_BUNDLE.is_dir():
        pytest.skip("no demo model in models/")
    bundle = tmp_path / "models" / "demo-copy"
    shutil.copytree(DEMO_BUNDLE, bundle)
    tab = window.diagnosis
    tab.models_dir = str(bundle.parent)
    tab.refresh_models(select=str(bundle))
    qtbot.waitUntil(lambda: tab.diagnoser is not None and tab.test_button.isEnabled(), timeout=120000)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(shenzhen_site))
    tab.test_button.click()
    qtbot.waitUntil(lambda: "kept on the model's card" in tab.message.text(), timeout=120000)
    assert "120 images of shenzhen" in tab.message.text()
    # the card's headline stays its leave-one-hospital-out estimate; the new test is shown beside it
    assert "Expected at a hospital it never saw" in tab.card.text() and "on 120 images" in tab.card.text()
    out = tmp_path / "models" / "demo-shenzhen"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    tab.calibrate_button.click()
    qtbot.waitUntil(lambda: "New model: demo-shenzhen" in tab.message.text(), timeout=120000)
    assert tab.model.currentData() == str(out) and tab.diagnoser is not None
    assert "Calibrated for shenzhen" in tab.card.text()
    assert (bundle / "card.json").is_file() and (out / "model.keras").is_file()
    copy = json.loads((out / "card.json").read_text())  # the original's test was made without the site's calibration
    assert [e["split"] for e in copy["external_evaluations"]] == ["site check"]
    assert [e["n"] for e in copy["created_from"]["external_evaluations"]][-1] == 120  # after the demo's own (JSRT)


def test_diagnose_a_folder_into_a_sortable_table_that_exports_the_csv(window, qtbot, tmp_path, monkeypatch):
    """'Diagnose a folder...' with the shipped demo model: one row per file (an unreadable one too), sorted
    by a probability as a number, exported as the same CSV as the command line's, and a double click opens
    the film in the Diagnosis view."""
    import csv
    import shutil

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QFileDialog

    from cxrdesk.bundle import DEMO_BUNDLE

    folder = tmp_path / "ward"
    (folder / "more").mkdir(parents=True)
    films = real_images("normal", 3) + real_images("tuberculosis", 2)
    for film in films[:3]:
        shutil.copy(film, folder / film.name)
    for film in films[3:]:
        shutil.copy(film, folder / "more" / film.name)  # sub-folders too
    (folder / "broken.png").write_bytes(b"not a picture")
    tab = window.diagnosis
    tab.use_bundle(str(DEMO_BUNDLE))
    qtbot.waitUntil(lambda: tab.diagnoser is not None and tab.folder_button.isEnabled(), timeout=120000)
    tab.diagnose_folder(str(folder))
    dialog = tab.folder_dialog
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled(), timeout=120000)
    table = dialog.table
    assert table.rowCount() == 6 and "1 unreadable" in dialog.message.text()
    healthy = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())].index("Healthy")
    table.sortItems(healthy, Qt.SortOrder.DescendingOrder)
    values = [table.item(r, healthy).value for r in range(table.rowCount())]
    numbers = [v for v in values if isinstance(v, float)]
    assert len(numbers) >= 4 and numbers == sorted(numbers, reverse=True)  # as numbers, not as text
    assert all(not table.item(r, 0).icon().isNull() for r in range(table.rowCount())
               if isinstance(table.item(r, healthy).value, float))  # thumbnails
    out = tmp_path / "ward.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "CSV (*.csv)"))
    dialog.export_button.click()
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 6 and {"p_Healthy", "learnt_from", "error"} <= set(rows[0])
    assert [r for r in rows if r["file"].endswith("broken.png")][0]["error"]
    first = table.item(0, 0).data(Qt.ItemDataRole.UserRole)
    tab.result = None
    table.cellDoubleClicked.emit(0, 1)
    qtbot.waitUntil(lambda: tab.result is not None, timeout=60000)
    assert tab.result.path == first


def test_heat_outside_the_lungs_is_said_as_the_model_saw_it_in_either_language(window):
    """The amber shortcut line names where the heat went as the model saw it: the mediastinum and heart for a
    model of the whole film, the black outline of its lung mask for a masked one; in Spanish with the same
    figures."""
    from .test_diagnosis import heat_result

    tab = window.diagnosis
    said = {}
    for language in ("en", "es"):
        window.set_language(language)
        for field in ("off", "mask"):
            tab.result = heat_result(field)
            tab.show_heat_text()
            said[language, field] = tab.heat.text()
    window.set_language("en")
    assert "mediastinum, heart" in said["en", "off"] and "the outline of its lung mask" in said["en", "mask"]
    assert "mediastino, corazón" in said["es", "off"] and "el contorno de su máscara pulmonar" in said["es", "mask"]
    assert all("20%" in text and "60%" in text for text in said.values()), said
