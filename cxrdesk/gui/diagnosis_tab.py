"""Diagnosis tab: choose a model, open a radiograph, read the probabilities, see Grad-CAM, export."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (QComboBox, QFileDialog, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QProgressBar,
                               QPushButton, QSlider, QVBoxLayout, QWidget)

from .. import RESEARCH_NOTICE
from ..bundle import load_bundle
from ..classes import CLASSES
from ..diagnosis import Diagnoser, available_bundles, heatmap_overlay
from .charts import COLOURS
from .widgets import MessageLabel
from .workers import Task


def _load_diagnoser(folder: str) -> Diagnoser:
    from ..devices import import_tensorflow, prepare_process

    prepare_process("cpu")
    import_tensorflow()
    return Diagnoser(load_bundle(folder))


def write_report(result, path: str | Path, opacity: float = 0.45) -> Path:
    """A one-page PDF or PNG: the radiograph, its heatmap, the probabilities, model, date, notice."""
    from matplotlib.figure import Figure

    path = Path(path)
    fig = Figure(figsize=(8.27, 11.69), layout="constrained")  # A4 portrait
    grid = fig.add_gridspec(3, 2, height_ratios=[0.5, 3, 1.4])
    head = fig.add_subplot(grid[0, :])
    head.axis("off")
    model = result.model
    val = model.get("validation_general_precision")
    head.text(0, 1, "CXRDesk - radiograph analysis", fontsize=16, weight="bold", va="top")
    head.text(0, 0.55, f"File: {Path(result.path).name}    Date: {time.strftime('%Y-%m-%d %H:%M')}", va="top")
    head.text(0, 0.2, f"Model: {model['name']} ({model['architecture']}, {model['train_images']} training images, "
                      f"validation general precision {val:.1%})" if val is not None else f"Model: {model['name']}",
              va="top", fontsize=9)
    for column, (title, image) in enumerate((("Radiograph", result.image),
                                             (f"Grad-CAM ({result.heatmap_class})",
                                              np.asarray(heatmap_overlay(result.image, result.heatmap, opacity))
                                              if result.heatmap is not None else result.image))):
        ax = fig.add_subplot(grid[1, column])
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
        ax.set_title(title)
        ax.axis("off")
    bars = fig.add_subplot(grid[2, :])
    names = list(result.probabilities)
    values = [result.probabilities[n] * 100 for n in names]
    bars.barh(names, values, color=[COLOURS[n] for n in names])
    for i, value in enumerate(values):
        bars.text(min(value + 1, 90), i, f"{value:.1f} %", va="center")
    bars.set(xlim=(0, 100), xlabel="probability (%)", title=f"Predicted: {result.predicted}")
    bars.invert_yaxis()
    notes = [RESEARCH_NOTICE] + [f"Warning: may not be a frontal chest radiograph: {w}" for w in result.warnings]
    fig.text(0.02, 0.005, "\n".join(notes), fontsize=8, va="bottom", wrap=True)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:6]}{path.suffix}")
    fig.savefig(tmp, dpi=150)
    os.replace(tmp, path)
    return path


def _to_pixmap(rgb_or_gray: np.ndarray) -> QPixmap:
    array = np.ascontiguousarray(rgb_or_gray)
    h, w = array.shape[:2]
    if array.ndim == 2:
        image = QImage(array.data, w, h, w, QImage.Format.Format_Grayscale8)
    else:
        image = QImage(array.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image.copy())


class DiagnosisTab(QWidget):
    status = Signal(str)

    def __init__(self, settings: QSettings, parent=None):
        super().__init__(parent)
        self.settings = settings
        self.diagnoser: Diagnoser | None = None
        self.result = None
        self.pending_image: str | None = None
        self.setAcceptDrops(True)

        self.models_dir = settings.value("diagnosis/models_dir", "models")
        self.model = QComboBox()
        self.model_browse = QPushButton()
        self.card = QLabel()
        self.card.setWordWrap(True)
        self.open_button = QPushButton()
        self.export_button = QPushButton()
        self.export_button.setEnabled(False)
        self.view = QLabel()
        self.view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.view.setMinimumSize(420, 420)
        self.view.setStyleSheet("background: #111; color: #ccc")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(int(settings.value("diagnosis/opacity", 45)))
        self.opacity_label = QLabel()
        self.bars = {name: QProgressBar() for name in CLASSES}
        for bar in self.bars.values():
            bar.setRange(0, 1000)
            bar.setTextVisible(True)
        self.predicted = QLabel()
        self.predicted.setStyleSheet("font-size: 16pt; font-weight: bold")
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #9a5b00; font-weight: bold")
        self.message = MessageLabel()
        self.message.shown.connect(self.status)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("background: #fff3cd; padding: 6px")

        self.model_box = QGroupBox()
        model_layout = QVBoxLayout(self.model_box)
        row = QHBoxLayout()
        row.addWidget(self.model, 1)
        row.addWidget(self.model_browse)
        model_layout.addLayout(row)
        model_layout.addWidget(self.card)
        self.result_box = QGroupBox()
        grid = QGridLayout(self.result_box)
        for i, (name, bar) in enumerate(self.bars.items()):
            grid.addWidget(QLabel(name), i, 0)
            grid.addWidget(bar, i, 1)
        grid.addWidget(self.predicted, len(CLASSES), 0, 1, 2)
        grid.addWidget(self.warning, len(CLASSES) + 1, 0, 1, 2)
        side = QVBoxLayout()
        side.addWidget(self.model_box)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.export_button)
        side.addLayout(buttons)
        side.addWidget(self.result_box)
        side.addWidget(self.message)
        side.addStretch()
        side.addWidget(self.notice)
        left = QVBoxLayout()
        left.addWidget(self.view, 1)
        opacity_row = QHBoxLayout()
        opacity_row.addWidget(self.opacity_label)
        opacity_row.addWidget(self.opacity, 1)
        left.addLayout(opacity_row)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addLayout(side, 2)

        self.model.currentIndexChanged.connect(self.model_chosen)
        self.model_browse.clicked.connect(self.choose_model_folder)
        self.open_button.clicked.connect(self.choose_image)
        self.export_button.clicked.connect(self.export_report)
        self.opacity.valueChanged.connect(self.redraw_image)
        self.retranslate()

    def retranslate(self) -> None:
        self.model_box.setTitle(self.tr("Model"))
        self.model_browse.setText(self.tr("Other folder..."))
        self.open_button.setText(self.tr("Open radiograph..."))
        self.export_button.setText(self.tr("Export report..."))
        self.opacity_label.setText(self.tr("Heatmap opacity"))
        self.result_box.setTitle(self.tr("Result"))
        self.notice.setText(self.tr("CXRDesk is a research tool, not a medical device: its output must not be used "
                                    "to diagnose or treat a patient."))
        if self.result is None:
            self.view.setText(self.tr("Open a radiograph (PNG, JPEG, TIFF, BMP or DICOM), or drop it here"))
        else:
            self.show_result_texts()
        self.show_card()

    # ------------------------------------------------------------------ models
    def use_bundle(self, folder: str) -> None:
        """A run just wrote ``folder``: offer it (and its siblings) for diagnosis."""
        self.models_dir = str(Path(folder).parent)
        self.refresh_models(select=str(folder))

    def refresh_models(self, select: str | None = None) -> None:
        bundles = available_bundles(self.models_dir)
        self.model.blockSignals(True)
        self.model.clear()
        for folder, card in bundles:
            label = card.get("name", folder.name) + (" (demo)" if card.get("demo") else "")
            self.model.addItem(label, str(folder))
        self.model.blockSignals(False)
        remembered = select or self.settings.value("diagnosis/model", "")
        index = self.model.findData(remembered) if remembered else -1
        if bundles:
            self.model.setCurrentIndex(index if index >= 0 else 0)
            self.model_chosen()
        else:
            self.diagnoser = None
            self.show_card()

    def choose_model_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Folder of model bundles"), self.models_dir)
        if folder:
            self.models_dir = folder
            self.settings.setValue("diagnosis/models_dir", folder)
            self.refresh_models()

    def model_chosen(self, *_):
        folder = self.model.currentData()
        if not folder:
            return
        self.settings.setValue("diagnosis/model", folder)
        self.diagnoser = None
        self.message.info(self.tr("Loading the model (TensorFlow starts the first time)..."))
        self._load = Task(_load_diagnoser, folder, parent=self)
        self._load.succeeded.connect(self.model_loaded)
        self._load.failed.connect(self.message.error)
        self._load.start()

    def model_loaded(self, diagnoser: Diagnoser) -> None:
        if Path(diagnoser.bundle.folder) != Path(self.model.currentData() or ""):
            return  # the user chose another model while this one was loading
        self.diagnoser = diagnoser
        self.message.info(self.tr("Model ready."))
        self.show_card()
        if self.pending_image:
            path, self.pending_image = self.pending_image, None
            self.diagnose(path)

    def show_card(self) -> None:
        if self.model.count() == 0:
            self.card.setText(self.tr("No trained model in '{0}'. Train one in the Training tab, or run "
                                      "'cxrdesk train DATASET', then come back here.").format(self.models_dir))
            self.open_button.setEnabled(False)
            return
        self.open_button.setEnabled(True)
        if self.diagnoser is None:
            self.card.setText(self.tr("Loading {0}...").format(self.model.currentText()))
            return
        s, card = self.diagnoser.summary, self.diagnoser.bundle.card
        val = s["validation_general_precision"]
        text = self.tr("{0}: {1}, {2} px, trained on {3} images on the {4}; validation general precision {5}").format(
            s["name"], card.get("architecture"), card["input"]["image_size"], s["train_images"],
            card["training"]["device"].upper(), f"{val:.1%}" if val is not None else "-")
        if card.get("demo"):
            text += "\n" + self.tr("A demonstration model trained on about 1,500 public images: not a clinical model.")
        self.card.setText(text)

    # ------------------------------------------------------------------ images
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        self.diagnose(event.mimeData().urls()[0].toLocalFile())

    def choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Open radiograph"), self.settings.value("diagnosis/dir", ""),
                                              self.tr("Radiographs (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.dcm *.dicom);;All files (*)"))
        if path:
            self.settings.setValue("diagnosis/dir", str(Path(path).parent))
            self.diagnose(path)

    def diagnose(self, path: str) -> None:
        if self.diagnoser is None:
            self.pending_image = path
            if self.model.count() == 0:
                self.message.error(self.tr("No model to diagnose with yet."))
            return
        self.message.info(self.tr("Analysing {0}...").format(Path(path).name))
        self._task = Task(self.diagnoser.diagnose, path, heatmap=True, parent=self)
        self._task.succeeded.connect(self.show_result)
        self._task.failed.connect(self.message.error)
        self._task.start()

    def show_result(self, result) -> None:
        self.result = result
        for name, bar in self.bars.items():
            p = result.probabilities[name]
            bar.setValue(int(round(p * 1000)))
            bar.setFormat(f"{p:.1%}")
        self.show_result_texts()
        self.message.info(Path(result.path).name)
        self.export_button.setEnabled(True)
        self.redraw_image()
        self.status.emit(self.tr("{0}: {1} ({2:.1%})").format(Path(result.path).name, result.predicted,
                                                             result.probabilities[result.predicted]))

    def show_result_texts(self) -> None:
        self.predicted.setText(self.tr("Predicted: {0}").format(self.result.predicted))
        self.warning.setText("\n".join(self.tr("May not be a frontal chest radiograph: {0}").format(w)
                                       for w in self.result.warnings))

    def redraw_image(self, *_):
        self.settings.setValue("diagnosis/opacity", self.opacity.value())
        if self.result is None:
            return
        overlay = np.asarray(heatmap_overlay(self.result.image, self.result.heatmap, self.opacity.value() / 100))
        pixmap = _to_pixmap(overlay).scaled(self.view.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                            Qt.TransformationMode.SmoothTransformation)
        self.view.setPixmap(pixmap)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.redraw_image()

    def export_report(self) -> None:
        if self.result is None:
            return
        default = str(Path(self.settings.value("diagnosis/dir", "")) / f"{Path(self.result.path).stem}-cxrdesk.pdf")
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export report"), default, "PDF (*.pdf);;PNG (*.png)")
        if path:
            try:
                write_report(self.result, path, self.opacity.value() / 100)
                self.message.info(self.tr("Report written to {0}").format(path))
            except Exception as exc:
                self.message.error(str(exc))

