"""The main window: three tabs, a menu (language, About), shortcuts, a status bar, remembered layout."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QLocale, QSettings, QTranslator
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QTabWidget

from .. import RESEARCH_NOTICE, __version__
from .curation_tab import CurationTab
from .diagnosis_tab import DiagnosisTab
from .training_tab import TrainingTab

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
LANGUAGES = {"en": "English", "es": "Español"}


def system_language() -> str:
    return "es" if QLocale.system().name().startswith("es") else "en"


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings, language: str | None = None):
        super().__init__()
        self.settings = settings
        self.translator = QTranslator(self)
        self.tabs = QTabWidget()
        self.curation = CurationTab(settings)
        self.training = TrainingTab(settings)
        self.diagnosis = DiagnosisTab(settings)
        self.tabs.addTab(self.curation, "")
        self.tabs.addTab(self.training, "")
        self.tabs.addTab(self.diagnosis, "")
        self.setCentralWidget(self.tabs)
        for tab in (self.curation, self.training, self.diagnosis):
            tab.status.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.curation.dataset_exported.connect(self.training.set_dataset)
        self.training.bundle_written.connect(self.diagnosis.use_bundle)

        self.file_menu = self.menuBar().addMenu("")
        self.quit_action = QAction(self, shortcut=QKeySequence.StandardKey.Quit, triggered=self.close)
        self.scan_action = QAction(self, shortcut=QKeySequence("Ctrl+Shift+S"), triggered=self._scan)
        self.open_action = QAction(self, shortcut=QKeySequence.StandardKey.Open, triggered=self._open_image)
        self.file_menu.addActions([self.scan_action, self.open_action])
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)
        self.tab_actions = []
        for i in range(3):
            action = QAction(self, shortcut=QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _=False, i=i: self.tabs.setCurrentIndex(i))
            self.addAction(action)
            self.tab_actions.append(action)
        self.language_menu = self.menuBar().addMenu("")
        group = QActionGroup(self)
        self.language_actions = {}
        for code, name in LANGUAGES.items():
            action = QAction(name, self, checkable=True)
            action.triggered.connect(lambda _=False, code=code: self.set_language(code))
            group.addAction(action)
            self.language_menu.addAction(action)
            self.language_actions[code] = action
        self.help_menu = self.menuBar().addMenu("")
        self.about_action = QAction(self, triggered=self.about)
        self.help_menu.addAction(self.about_action)

        self.language = None
        self.set_language(language or settings.value("language", system_language()), remember=False)
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        self.tabs.setCurrentIndex(int(settings.value("window/tab", 2)))

    def start_background_work(self) -> None:
        """Load the diagnosis model and look for a GPU. Called once the window is on screen:
        importing TensorFlow holds Python's interpreter lock for seconds, which would otherwise
        delay the first paint."""
        self.diagnosis.refresh_models()
        self.training.look_for_gpu()

    def set_language(self, code: str, remember: bool = True) -> None:
        """Switch the interface language; only the Language menu remembers it (``remember``): a
        one-run ``cxrdesk gui --language es`` leaves the saved choice as it was."""
        code = code if code in LANGUAGES else "en"
        app = QApplication.instance()
        app.removeTranslator(self.translator)
        if code != "en" and self.translator.load(str(TRANSLATIONS / f"cxrdesk_{code}.qm")):
            app.installTranslator(self.translator)
        self.language = code
        self.language_actions[code].setChecked(True)
        if remember:
            self.settings.setValue("language", code)
        self.retranslate()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("CXRDesk {0} - research tool, not a medical device").format(__version__))
        self.tabs.setTabText(0, self.tr("1. Curation"))
        self.tabs.setTabText(1, self.tr("2. Training"))
        self.tabs.setTabText(2, self.tr("3. Diagnosis"))
        self.file_menu.setTitle(self.tr("&File"))
        self.scan_action.setText(self.tr("Scan a folder..."))
        self.open_action.setText(self.tr("Open a radiograph..."))
        self.quit_action.setText(self.tr("Quit"))
        self.language_menu.setTitle(self.tr("&Language"))
        self.help_menu.setTitle(self.tr("&Help"))
        self.about_action.setText(self.tr("About CXRDesk"))
        for tab in (self.curation, self.training, self.diagnosis):
            tab.retranslate()
        self.statusBar().showMessage(self.tr("Ready"))

    def _scan(self) -> None:
        self.tabs.setCurrentWidget(self.curation)
        self.curation.choose_source()

    def _open_image(self) -> None:
        self.tabs.setCurrentWidget(self.diagnosis)
        self.diagnosis.choose_image()

    def about_text(self) -> str:
        return self.tr(
            "<h3>CXRDesk {0}</h3><p>Curate chest radiographs, train the study's convolutional networks on the "
            "CPU or the GPU, and diagnose COVID-19, Tuberculosis or Healthy with the probability of each class.</p>"
            "<p><b>{1}</b></p><p>Built on PySide6 (Qt, LGPL), TensorFlow and Keras (Apache 2.0), NumPy, "
            "Pillow, scikit-learn, Matplotlib and pydicom. Real radiographs used for tests and the demo come from "
            "the Hannover COVID-19 repository (CC BY 3.0), the ieee8023 COVID-19 collection, NIH ChestX-ray14, "
            "TBX11K and the Shenzhen TB set; see the README for their licences.</p>").format(__version__, RESEARCH_NOTICE)

    def about(self) -> None:
        QMessageBox.about(self, self.tr("About CXRDesk"), self.about_text())

    def closeEvent(self, event) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/tab", self.tabs.currentIndex())
        self.training.shutdown()
        for tab in (self.curation, self.training, self.diagnosis):  # short jobs: let them finish, start no more
            tab.tasks.shutdown()
        super().closeEvent(event)
