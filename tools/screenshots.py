"""Use the application for real on ../shared/data/cxr3 and take a screenshot of each tab.

Run under a virtual screen:  xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python tools/screenshots.py
Writes resources/screenshots/{curation,training,diagnosis,diagnosis-es,first-run-demo}.png.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "cxr3"
OUT = ROOT / "resources" / "screenshots"


def wait_until(app, condition, timeout: float = 600.0) -> None:
    loop_timer = QTimer()
    waited = 0.0
    while not condition():
        loop = QEventLoop()
        loop_timer.singleShot(100, loop.quit)
        loop.exec()
        waited += 0.1
        if waited > timeout:
            raise TimeoutError("the application did not get there in time")


def shoot(app, window, name: str) -> None:
    app.processEvents()
    wait_until(app, lambda: True)
    window.grab().save(str(OUT / name))
    print("wrote", OUT / name)


def diagnosed(tab) -> bool:
    """The tab shows a whole diagnosis: the probabilities come at once (ONNX Runtime), the heatmap after them."""
    return tab.result is not None and tab.result.heatmap is not None and "being computed" not in tab.heat.text()


def open_window(settings_file: Path, models: Path):
    """A 1280x800 main window with its own settings file and models folder, as after launch."""
    from cxrdesk.gui.main_window import MainWindow

    settings = QSettings(str(settings_file), QSettings.Format.IniFormat)
    settings.setValue("diagnosis/models_dir", str(models))
    settings.setValue("training/out", str(models))
    window = MainWindow(settings, language="en")
    window.resize(1280, 800)
    window.show()
    window.start_background_work()
    return window


def main() -> None:

    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="cxrdesk-shots-"))
    # relative paths only, so that no machine's path shows in a screenshot
    import os

    os.chdir(work)
    (work / "cxr3").symlink_to(DATA)
    app = QApplication(sys.argv[:1])
    window = open_window(work / "settings.ini", models=Path("models"))

    curation = window.curation
    window.tabs.setCurrentWidget(curation)
    curation.source.setText("cxr3")
    curation.start_scan()
    wait_until(app, lambda: curation.scan is not None)
    curation.output.setText("curated")
    curation.set_band(120, 140)
    wait_until(app, lambda: curation.thumbs_low.count() > 1 and curation.thumbs_high.count() > 1)
    shoot(app, window, "curation.png")
    curation.set_band(0, 255)
    curation.start_export(force=False)
    wait_until(app, lambda: "written to" in curation.message.text())
    window.training.set_dataset("curated")  # as typed: the exported folder's relative name

    training = window.training
    window.tabs.setCurrentWidget(training)
    training.model.setCurrentIndex(training.model.findData("custom"))
    training.epochs.setValue(10)
    training.batch.setValue(32)
    training.size.setValue(64)
    training.epochs.setValue(4)
    training.estimate_box.setChecked(True)  # leave one hospital out, then the model on every source
    training.start()
    wait_until(app, lambda: "on a random test split" in training.message.text(), timeout=3600)
    shoot(app, window, "training.png")

    diagnosis = window.diagnosis
    window.tabs.setCurrentWidget(diagnosis)
    wait_until(app, lambda: diagnosis.diagnoser is not None)
    # the first tuberculosis image (of a few) that the model gets right with a non-empty heatmap: the
    # headline shows what the tab shows, not a wrong answer left unremarked
    for path in sorted((DATA / "tuberculosis").glob("tbx11k*.png"))[3:40:3]:
        diagnosis.result = None
        diagnosis.diagnose(str(path))
        wait_until(app, lambda: diagnosed(diagnosis))
        if diagnosis.result.predicted == "Tuberculosis" and not diagnosis.result.heat_empty:
            break
    shoot(app, window, "diagnosis.png")
    window.set_language("es")
    shoot(app, window, "diagnosis-es.png")
    window.set_language("en")  # the translator is application-wide
    window.close()

    # First run: nothing trained yet, so the bundled demo model diagnoses.
    window = open_window(work / "first-run.ini", models=Path("empty-models"))
    diagnosis = window.diagnosis
    wait_until(app, lambda: diagnosis.diagnoser is not None)
    diagnosis.diagnose(str(sorted((DATA / "covid").glob("hannover*.png"))[5]))
    wait_until(app, lambda: diagnosed(diagnosis))
    shoot(app, window, "first-run-demo.png")
    window.close()


if __name__ == "__main__":
    main()
