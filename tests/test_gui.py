"""The desktop application driven as a user would (pytest-qt, offscreen), on real radiographs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QSettings  # noqa: E402

from cxrdesk import __version__  # noqa: E402
from cxrdesk.classes import STUDY_CLASSES as CLASSES  # noqa: E402
from cxrdesk.curation import threshold_counts  # noqa: E402

from .conftest import real_images  # noqa: E402


@pytest.fixture()
def settings(tmp_path):
    """Settings in a temporary file: a test never touches the user's."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture()
def window(qtbot, settings, tmp_path):
    from cxrdesk.gui.main_window import MainWindow

    settings.setValue("diagnosis/models_dir", str(tmp_path / "no-models"))
    settings.setValue("training/out", str(tmp_path / "models"))
    win = MainWindow(settings, language="en")
    qtbot.addWidget(win)
    win.show()
    win.start_background_work()  # as the application does right after the first paint
    return win


def test_the_window_opens_without_loading_tensorflow():
    code = ("import sys, os; os.environ['QT_QPA_PLATFORM']='offscreen';"
            "from PySide6.QtWidgets import QApplication; from PySide6.QtCore import QSettings;"
            "app = QApplication([]); from cxrdesk.gui.main_window import MainWindow;"
            "import tempfile; d = tempfile.mkdtemp(); s = QSettings(d + '/s.ini', QSettings.Format.IniFormat);"
            "s.setValue('diagnosis/models_dir', d); w = MainWindow(s); w.show(); app.processEvents();"
            "print('tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


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


def test_errors_are_shown_in_the_window(window, qtbot, tmp_path):
    tab = window.curation
    tab.source.setText(str(tmp_path / "nowhere"))
    tab.scan_button.click()
    qtbot.waitUntil(lambda: "folder not found" in tab.message.text(), timeout=20000)
    assert tab.scan_button.isEnabled()


def test_train_one_epoch_with_live_charts_then_compare(window, qtbot, curated_cxr3):
    tab = window.training
    tab.dataset.setText(str(curated_cxr3))
    tab.epochs.setValue(2)
    tab.batch.setValue(32)
    tab.size.setValue(32)
    seen = []
    tab.curves.add_epoch = (lambda original: lambda record: (seen.append(record), original(record)))(tab.curves.add_epoch)
    tab.start_button.click()
    assert not tab.start_button.isEnabled() and tab.stop_button.isEnabled()
    qtbot.waitUntil(lambda: len(tab.curves.history) == 2, timeout=180000)
    assert [h["epoch"] for h in seen] == [1, 2]
    assert tab.curves.loss_ax.lines and tab.curves.acc_ax.lines  # points were drawn
    qtbot.waitUntil(lambda: tab.metrics.rowCount() > 0, timeout=120000)
    assert tab.metrics.item(len(CLASSES), 0).text() == "General precision"
    assert tab.compare.rowCount() == 1 and tab.compare.item(0, 3).text() == "CPU"
    assert window.diagnosis.model.count() == 1  # the new model is offered for diagnosis


def test_stop_keeps_what_was_trained(window, qtbot, curated_cxr3):
    tab = window.training
    tab.dataset.setText(str(curated_cxr3))
    tab.epochs.setValue(100)
    tab.batch.setValue(32)
    tab.size.setValue(32)
    tab.start_button.click()
    qtbot.waitUntil(lambda: len(tab.curves.history) >= 1, timeout=180000)
    tab.stop_button.click()
    qtbot.waitUntil(lambda: tab.start_button.isEnabled(), timeout=120000)
    cards = list((window.training.out.text() and __import__("pathlib").Path(tab.out.text())).glob("*/card.json"))
    assert len(cards) == 1
    card = json.loads(cards[0].read_text())
    assert card["training"]["stopped_by_user"] and card["training"]["epochs_run"] < 100


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


def test_switch_language(window):
    window.set_language("es")
    assert window.tabs.tabText(0) == "1. Curación"
    assert window.training.start_button.text() == "Iniciar entrenamiento"
    assert "no es un dispositivo médico" in window.diagnosis.notice.text()
    window.set_language("en")
    assert window.tabs.tabText(0) == "1. Curation"


def test_about_names_version_and_notice(window):
    text = window.about_text()
    assert __version__ in text and "not a medical device" in text


def test_compiled_translation_is_up_to_date(tmp_path):
    """The shipped .qm is what tools/translate_es.py makes from the .ts (nothing left untranslated)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    ts = (root / "resources" / "translations" / "cxrdesk_es.ts").read_text(encoding="utf-8")
    assert 'type="unfinished"' not in ts
    lrelease = Path(sys.executable).with_name("pyside6-lrelease")
    subprocess.run([str(lrelease), str(root / "resources" / "translations" / "cxrdesk_es.ts"), "-qm",
                    str(tmp_path / "es.qm")], check=True, capture_output=True)
    assert (tmp_path / "es.qm").read_bytes() == (root / "cxrdesk" / "translations" / "cxrdesk_es.qm").read_bytes()


def test_a_two_class_screen_through_every_tab(window, qtbot, tb_screen_source, tmp_path):
    """Curate, train, evaluate and diagnose Tuberculosis vs Healthy: every table and bar follows the
    classes of the data, not the study's three."""
    curation = window.curation
    curation.source.setText(str(tb_screen_source))
    curation.scan_button.click()
    qtbot.waitUntil(lambda: curation.scan is not None, timeout=60000)
    assert curation.counts.rowCount() == 2
    assert [curation.counts.item(r, 0).text() for r in range(2)] == ["Healthy", "Tuberculosis"]
    assert [t.get_text() for t in curation.histogram.ax.get_legend().get_texts()] == ["Healthy", "Tuberculosis"]
    curation.test.setValue(0.2)
    curation.output.setText(str(tmp_path / "curated"))
    curation.export_button.click()
    qtbot.waitUntil(lambda: "written to" in curation.message.text(), timeout=60000)

    training = window.training
    assert training.dataset.text() == str(tmp_path / "curated")
    training.epochs.setValue(1)
    training.batch.setValue(16)
    training.size.setValue(32)
    training.start_button.click()
    qtbot.waitUntil(lambda: training.metrics.rowCount() > 0, timeout=180000)
    first_column = [training.metrics.item(r, 0).text() for r in range(training.metrics.rowCount())]
    assert first_column[:3] == ["Healthy", "Tuberculosis", "General precision"]
    assert first_column[4:] == ["Healthy", "Tuberculosis"]  # the 2 x 2 confusion matrix
    assert training.compare.item(0, 2).text() == "2"

    diagnosis = window.diagnosis
    qtbot.waitUntil(lambda: diagnosis.diagnoser is not None and len(diagnosis.diagnoser.classes) == 2,
                    timeout=120000)
    assert list(diagnosis.bars) == ["Healthy", "Tuberculosis"]
    assert "Classes: Healthy, Tuberculosis" in diagnosis.card.text()
    diagnosis.diagnose(str(real_images("tuberculosis", 1)[0]))
    qtbot.waitUntil(lambda: diagnosis.result is not None, timeout=60000)
    assert abs(sum(bar.value() for bar in diagnosis.bars.values()) - 1000) <= 2


def test_four_classes_in_the_curation_tab(window, qtbot, four_class_source):
    tab = window.curation
    tab.source.setText(str(four_class_source))
    tab.scan_button.click()
    qtbot.waitUntil(lambda: tab.scan is not None, timeout=60000)
    assert [tab.counts.item(r, 0).text() for r in range(tab.counts.rowCount())] == [
        "COVID-19", "Healthy", "Pneumonia", "Tuberculosis"]
    assert all(tab.counts.item(r, 1).text() == "24" for r in range(4))


def test_the_training_tab_lists_the_registries_and_only_applicable_weights(window):
    from cxrdesk.devices import DEVICES
    from cxrdesk.models import MODELS
    from cxrdesk.recipes import RECIPES
    from cxrdesk.training import TrainConfig

    tab = window.training
    assert [tab.model.itemData(i) for i in range(tab.model.count())] == list(MODELS)
    assert [tab.recipe.itemData(i) for i in range(tab.recipe.count())] == list(RECIPES)
    assert [tab.device.itemData(i) for i in range(tab.device.count())] == list(DEVICES)
    defaults = TrainConfig.defaults()
    assert (tab.model.currentData(), tab.epochs.value(), tab.batch.value()) == (
        defaults["model"], defaults["epochs"], defaults["batch_size"])
    # new runs default to what measured best on hospitals never seen: the lungs recipe and its lung field
    assert (tab.recipe.currentData(), tab.lung_field.currentData()) == ("lungs", "mask") == (
        defaults["recipe"], RECIPES[defaults["recipe"]].lung_field)
    tab.model.setCurrentIndex(tab.model.findData("custom"))
    assert [tab.weights.itemData(i) for i in range(tab.weights.count())] == ["none"]
    tab.model.setCurrentIndex(tab.model.findData("vgg16"))
    assert [tab.weights.itemData(i) for i in range(tab.weights.count())] == ["imagenet", "none", "file"]


def test_a_replaced_task_is_cancelled_and_its_late_result_dropped(qtbot):
    """The tabs' one way to start background work: a newer task in the same slot wins."""
    import threading
    import time

    from PySide6.QtWidgets import QWidget

    from cxrdesk.errors import CxrdeskError
    from cxrdesk.gui.workers import Tasks

    owner = QWidget()
    qtbot.addWidget(owner)
    errors, results, finished = [], [], []
    tasks = Tasks(owner, on_error=errors.append)
    release = threading.Event()
    seen_cancel = []

    def slow(cancel=None):
        release.wait(10)
        seen_cancel.append(cancel.is_set())
        return "stale"

    first = tasks.start("load", slow, on_success=results.append, on_finished=lambda: finished.append("first"))
    second = tasks.start("load", lambda: "fresh", on_success=results.append, on_finished=lambda: finished.append("2"))
    qtbot.waitUntil(lambda: results == ["fresh"], timeout=10000)
    release.set()
    qtbot.waitUntil(lambda: first.isFinished() and second.isFinished(), timeout=10000)
    time.sleep(0.1)
    qtbot.wait(50)
    assert results == ["fresh"] and finished == ["2"] and seen_cancel == [True]

    def refuse():
        raise CxrdeskError("no such folder")

    tasks.start("other", refuse, on_success=results.append)
    qtbot.waitUntil(lambda: errors == ["no such folder"], timeout=10000)


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


def test_a_language_for_one_run_is_not_remembered(qtbot, settings):
    from cxrdesk.gui.main_window import MainWindow

    settings.setValue("language", "en")
    win = MainWindow(settings, language="es")  # as 'cxrdesk gui --language es'
    qtbot.addWidget(win)
    assert win.tabs.tabText(0) == "1. Curación" and settings.value("language") == "en"
    win.language_actions["es"].trigger()  # the Language menu does remember
    assert settings.value("language") == "es"
    win.set_language("en")


def test_the_default_curated_folder_is_outside_the_source(window, qtbot, small_source):
    tab = window.curation
    tab.output.setText(str(small_source / "curated"))  # inside the source: replaced
    tab.source.setText(str(small_source))
    tab.scan_button.click()
    qtbot.waitUntil(lambda: tab.scan is not None, timeout=60000)
    output = __import__("pathlib").Path(tab.output.text())
    assert small_source.resolve() not in output.parents and output.parent.name == "CXRDesk"
    assert output.name == f"{small_source.name}-curated"


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


def test_train_with_the_lung_field_and_diagnose_with_it(window, qtbot, curated_cxr3):
    training = window.training
    training.dataset.setText(str(curated_cxr3))
    training.recipe.setCurrentIndex(training.recipe.findData("study"))
    training.lung_field.setCurrentIndex(training.lung_field.findData("crop+normalise"))
    training.epochs.setValue(1)
    training.batch.setValue(32)
    training.size.setValue(32)
    training.start_button.click()
    qtbot.waitUntil(lambda: training.metrics.rowCount() > 0, timeout=240000)
    cards = list(__import__("pathlib").Path(training.out.text()).glob("*/card.json"))
    card = json.loads(cards[0].read_text())
    assert card["input"]["lung_field"] == "crop+normalise" and card["lung_model"]["model_sha256"]
    diagnosis = window.diagnosis
    qtbot.waitUntil(lambda: diagnosis.diagnoser is not None
                    and diagnosis.diagnoser.bundle.card.lung_field == "crop+normalise", timeout=120000)
    for path in real_images("tuberculosis", 6):  # a one-epoch model's heatmap may be empty for an image
        diagnosis.result = None
        diagnosis.diagnose(str(path))
        qtbot.waitUntil(lambda: diagnosis.result is not None, timeout=60000)
        if not diagnosis.result.heat_empty:
            break
    assert not diagnosis.result.heat_empty  # at least one of six images has heat
    assert "inside the lungs" in diagnosis.heat.text()
    assert diagnosis.outline is not None and diagnosis.outline.shape == diagnosis.result.image.shape


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
    # the card's headline stays its larger held-out test (246 Shenzhen images), the new one is counted
    assert "On hospitals it never saw (shenzhen128)" in tab.card.text() and "largest of its 2" in tab.card.text()
    out = tmp_path / "models" / "demo-shenzhen"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    tab.calibrate_button.click()
    qtbot.waitUntil(lambda: "New model: demo-shenzhen" in tab.message.text(), timeout=120000)
    assert tab.model.currentData() == str(out) and tab.diagnoser is not None
    assert "Calibrated for shenzhen" in tab.card.text()
    assert (bundle / "card.json").is_file() and (out / "model.keras").is_file()
    copy = json.loads((out / "card.json").read_text())  # the original's test was made without the site's calibration
    assert [e["split"] for e in copy["external_evaluations"]] == ["site check"]
    assert [e["n"] for e in copy["created_from"]["external_evaluations"]] == [120]


def test_estimate_for_a_new_hospital_in_the_training_tab(window, qtbot, five_sources):
    """The Training tab's leave-one-hospital-out run: the fold under way and the overall progress, each
    held-out source's figures, then the model on every source, whose card's estimate leads everywhere."""
    from pathlib import Path

    from cxrdesk.bundle import read_card

    tab = window.training
    tab.dataset.setText(str(five_sources))
    tab.recipe.setCurrentIndex(tab.recipe.findData("study"))
    tab.epochs.setValue(2)
    tab.batch.setValue(16)
    tab.size.setValue(32)
    tab.estimate_box.setChecked(True)
    labels, overall = [], []
    tab.on_event = (lambda original: lambda event: (original(event), labels.append(tab.epoch_label.text()),
                                                    overall.append(tab.overall.value())))(tab.on_event)
    tab.start_button.click()
    assert not tab.overall.isHidden() and not tab.start_button.isEnabled()
    qtbot.waitUntil(lambda: tab.estimate is not None, timeout=600000)
    assert tab.results_box.title().startswith("Expected at a hospital it never saw")
    sources = ["hannover", "ieee8023", "nih", "shenzhen128", "tbx11k"]
    assert [tab.metrics.item(r, 0).text() for r in range(tab.metrics.rowCount())] == sources + ["All held out (pooled)"]
    assert any(text.startswith("Fold 2 of 5: holding out ieee8023 - epoch") for text in labels), "\n".join(labels)
    assert overall == sorted(overall) and overall[-1] >= 800  # five of six trainings done
    qtbot.waitUntil(lambda: "on a random test split of its own hospitals" in tab.message.text(), timeout=600000)
    expected = tab.estimate["expected_at_new_hospital"]
    assert f"Expected at a hospital it never saw: {expected['accuracy']:.1%}" in tab.message.text()
    bundles = [p for p in Path(tab.out.text()).iterdir() if (p / "card.json").is_file()]
    assert len(bundles) == 1 and read_card(bundles[0]).expected_at_new_hospital["accuracy"] == expected["accuracy"]
    assert tab.compare.rowCount() == 1 and tab.compare.item(0, 5).text() == f"{expected['accuracy']:.1%}"
    window.tabs.setCurrentWidget(window.diagnosis)
    qtbot.waitUntil(lambda: window.diagnosis.diagnoser is not None, timeout=120000)
    assert f"Expected at a hospital it never saw: {expected['accuracy']:.1%}" in window.diagnosis.card.text()
    # a result below the card's "uncertain" threshold names no class: grey bars and the reason
    import dataclasses

    diagnosis = window.diagnosis
    diagnosis.diagnose(str(real_images("tuberculosis", 1)[0]))
    qtbot.waitUntil(lambda: diagnosis.result is not None, timeout=120000)
    result = diagnosis.result
    assert result.uncertain_rule == read_card(bundles[0]).uncertain
    unsure = dataclasses.replace(result, uncertain_rule={**result.uncertain_rule, "threshold": 1.0, "reached": True})
    diagnosis.show_result((unsure, diagnosis.outline))
    assert diagnosis.predicted.text() == "Uncertain - refer" and not diagnosis.uncertain_reason.isHidden()
    assert "below the 100%" in diagnosis.uncertain_reason.text()
    assert all("9e9e9e" in bar.styleSheet() for bar in diagnosis.bars.values())
    sure = dataclasses.replace(result, uncertain_rule={**result.uncertain_rule, "threshold": 0.0})
    diagnosis.show_result((sure, diagnosis.outline))
    assert diagnosis.predicted.text().startswith("Predicted:") and diagnosis.uncertain_reason.isHidden()
    assert all(bar.styleSheet() == "" for bar in diagnosis.bars.values())
