"""The main window: it opens before TensorFlow loads, languages, About, the translation, background
tasks, a machine without a screen, and one workflow through every tab (pytest-qt, offscreen)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("pytestqt")
from cxrdesk import __version__  # noqa: E402

from .conftest import real_images  # noqa: E402


def test_the_window_opens_without_loading_tensorflow():
    code = ("import sys, os; os.environ['QT_QPA_PLATFORM']='offscreen';"
            "from PySide6.QtWidgets import QApplication; from PySide6.QtCore import QSettings;"
            "app = QApplication([]); from cxrdesk.gui.main_window import MainWindow;"
            "import tempfile; d = tempfile.mkdtemp(); s = QSettings(d + '/s.ini', QSettings.Format.IniFormat);"
            "s.setValue('diagnosis/models_dir', d); w = MainWindow(s); w.show(); app.processEvents();"
            "print('tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr

def test_switch_language(window):
    window.set_language("es")
    assert window.tabs.tabText(0) == "1. Curación"
    assert window.training.start_button.text() == "Iniciar entrenamiento"
    assert "no es un dispositivo médico" in window.diagnosis.notice.text()
    models = [window.training.model.itemText(i) for i in range(window.training.model.count())]
    recipes = [window.training.recipe.itemText(i) for i in range(window.training.recipe.count())]
    assert "CNN propia (estudio)" in models and "Solo los pulmones (aumento del estudio)" in recipes
    window.training.devices_found({"gpu_available": False, "gpu_reason_code": "cpu_build",
                                   "gpu_reason": "this TensorFlow is a CPU-only build"})
    assert "compilado solo para CPU" in window.training.device_note.text()
    compare = window.training.compare  # Table VII, filled in English when the window opened
    assert compare.horizontalHeaderItem(0).text() == "Ejecución"
    assert compare.horizontalHeaderItem(8).text() == "Hospitales\nreservados"
    window.set_language("en")
    assert compare.horizontalHeaderItem(0).text() == "Run"
    assert window.tabs.tabText(0) == "1. Curation"
    assert window.training.model.currentText() == "Custom CNN (study)"
    assert window.training.device_note.text().startswith("GPU")  # said again in English

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

def test_a_language_for_one_run_is_not_remembered(qtbot, settings):
    from cxrdesk.gui.main_window import MainWindow

    settings.setValue("language", "en")
    win = MainWindow(settings, language="es")  # as 'cxrdesk gui --language es'
    qtbot.addWidget(win)
    assert win.tabs.tabText(0) == "1. Curación" and settings.value("language") == "en"
    win.language_actions["es"].trigger()  # the Language menu does remember
    assert settings.value("language") == "es"
    win.set_language("en")

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

@pytest.mark.slow
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


@pytest.mark.slow
def test_a_machine_without_a_screen_is_told_so_instead_of_a_qt_abort():
    from cxrdesk.gui.app import screen_problem

    assert "xvfb-run -a cxrdesk" in screen_problem({}, "linux")
    assert screen_problem({"DISPLAY": ":0"}, "linux") is None and screen_problem({"WAYLAND_DISPLAY": "w"}, "linux") is None
    assert screen_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None and screen_problem({}, "win32") is None
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "cxrdesk"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1 and "there is no screen to open the window on" in result.stderr
    assert "Traceback" not in result.stderr and "Aborted" not in result.stderr
