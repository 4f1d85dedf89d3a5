"""Diagnosis tab: choose a model, open a radiograph, read the probabilities, see Grad-CAM, export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (QComboBox, QFileDialog, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QProgressBar,
                               QPushButton, QSlider, QVBoxLayout, QWidget)

from ..batch import expand_inputs
from ..bundle import available_bundles, is_demo_bundle
from ..diagnosis import Diagnoser, heatmap_overlay
from ..errors import CxrdeskError
from ..lungs import blacks_out
from ..report import AMBER, GREY, RED
from . import diagnosis_tasks as work
from .folder_results import FolderResults
from .widgets import MessageLabel, class_name
from .wording import heat_region, reason_text, report_wording
from .workers import Tasks



def _colour_scale(width: int = 160, height: int = 12) -> QPixmap:
    """Grad-CAM's colour scale (Matplotlib's 'jet', as the overlay), low on the left."""
    from matplotlib import colormaps

    row = (colormaps["jet"](np.linspace(0, 1, width))[:, :3] * 255).astype(np.uint8)
    return _to_pixmap(np.ascontiguousarray(np.repeat(row[np.newaxis], height, axis=0)))


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
        self.loaded_message: str | None = None  # said once the model (re)loads, instead of "Model ready."
        self.models_dir = settings.value("diagnosis/models_dir", "models")
        self.setAcceptDrops(True)
        self._build()
        self._layout()
        self._connect()
        self.tasks = Tasks(self, on_error=self.message.error)
        self.retranslate()

    def _build(self) -> None:
        self.model = QComboBox()
        self.model_browse = QPushButton()
        self.card = QLabel()
        self.card.setWordWrap(True)
        self.test_button = QPushButton()  # on another hospital's labelled folder
        self.calibrate_button = QPushButton()  # a copy calibrated for a hospital
        self.open_button = QPushButton()
        self.folder_button = QPushButton()  # a folder of films into a sortable table (folder_results.py)
        self.folder_dialog = None
        self.export_button = QPushButton()
        self.export_button.setEnabled(False)
        self.view = QLabel()
        self.view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.view.setMinimumSize(420, 420)
        self.view.setStyleSheet("background: #111; color: #ccc")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(int(self.settings.value("diagnosis/opacity", 45)))
        self.opacity_label = QLabel()
        self.bars: dict[str, QProgressBar] = {}  # one per class of the loaded model
        self.predicted = QLabel()
        self.predicted.setStyleSheet("font-size: 16pt; font-weight: bold")
        self.uncertain_reason = QLabel()  # why an answer is "uncertain"
        self.uncertain_reason.setWordWrap(True)
        self.uncertain_reason.setStyleSheet("color: #616161")
        self.uncertain_reason.hide()
        self.learnt = QLabel()  # the model learnt from this very film: grey information
        self.learnt.setWordWrap(True)
        self.learnt.setStyleSheet(f"color: {GREY}")
        self.learnt.hide()
        self.refusal = QLabel()  # why an input gets no diagnosis: red, first
        self.refusal.setWordWrap(True)
        self.refusal.setStyleSheet(f"color: {RED}; font-weight: bold")
        self.refusal.hide()
        self.force_button = QPushButton()  # the probabilities of a refused input, asked for anyway
        self.force_button.hide()
        self.warning = QLabel()  # screening lines: amber
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(f"color: {AMBER}")
        self.heat = QLabel()  # the share of the heatmap's heat inside the lungs
        self.heat.setWordWrap(True)
        self.scale_low, self.scale_high = QLabel(), QLabel()
        self.scale = QLabel()
        self.scale.setPixmap(_colour_scale())
        self.outline = None  # the lungs' outline of the shown result
        self.message = MessageLabel()
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("background: #fff3cd; padding: 6px")
        self.model_box, self.result_box = QGroupBox(), QGroupBox()
        self.bar_grid = QGridLayout()

    def _layout(self) -> None:
        model_layout = QVBoxLayout(self.model_box)
        row = QHBoxLayout()
        row.addWidget(self.model, 1)
        row.addWidget(self.model_browse)
        model_layout.addLayout(row)
        model_layout.addWidget(self.card)
        hospital = QHBoxLayout()
        hospital.addWidget(self.test_button)
        hospital.addWidget(self.calibrate_button)
        model_layout.addLayout(hospital)
        result_layout = QVBoxLayout(self.result_box)
        result_layout.addWidget(self.refusal)
        result_layout.addWidget(self.force_button)
        result_layout.addLayout(self.bar_grid)
        result_layout.addWidget(self.predicted)
        result_layout.addWidget(self.uncertain_reason)
        result_layout.addWidget(self.learnt)
        result_layout.addWidget(self.heat)
        result_layout.addWidget(self.warning)
        side = QVBoxLayout()
        side.addWidget(self.model_box)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.folder_button)
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
        opacity_row.addSpacing(16)
        opacity_row.addWidget(self.scale_low)
        opacity_row.addWidget(self.scale)
        opacity_row.addWidget(self.scale_high)
        left.addLayout(opacity_row)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addLayout(side, 2)

    def _connect(self) -> None:
        self.message.shown.connect(self.status)
        self.model.currentIndexChanged.connect(self.model_chosen)
        self.model_browse.clicked.connect(self.choose_model_folder)
        self.test_button.clicked.connect(self.test_on_hospital)
        self.calibrate_button.clicked.connect(self.calibrate_for_hospital)
        self.open_button.clicked.connect(self.choose_image)
        self.folder_button.clicked.connect(self.choose_folder)
        self.export_button.clicked.connect(self.export_report)
        self.force_button.clicked.connect(self.force_probabilities)
        self.opacity.valueChanged.connect(self.redraw_image)

    def show_classes(self, classes) -> None:
        """A probability bar per class of the model in use (rebuilt when the model changes)."""
        if list(self.bars) == list(classes):
            return
        while self.bar_grid.count():
            widget = self.bar_grid.takeAt(0).widget()
            if widget:
                widget.deleteLater()
        self.bars = {}
        for i, name in enumerate(classes):
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setTextVisible(True)
            bar.setFormat("")
            label = QLabel(class_name(name))
            label.setProperty("class_name", name)  # relabelled on a language switch
            self.bar_grid.addWidget(label, i, 0)
            self.bar_grid.addWidget(bar, i, 1)
            self.bars[name] = bar

    def retranslate(self) -> None:
        self.model_box.setTitle(self.tr("Model"))
        self.model_browse.setText(self.tr("Other folder..."))
        self.test_button.setText(self.tr("Test on a hospital's images..."))
        self.test_button.setToolTip(self.tr("Measure this model on a labelled folder from another hospital (one "
                                            "sub-folder per class); the figure is kept on its card"))
        self.calibrate_button.setText(self.tr("Calibrate for a hospital..."))
        self.calibrate_button.setToolTip(self.tr("Fit the probabilities and screening thresholds to a hospital on half "
                                                 "of its labelled images, check them on the other half, and save a "
                                                 "new model (this one is kept as it is)"))
        self.open_button.setText(self.tr("Open radiograph..."))
        self.folder_button.setText(self.tr("Diagnose a folder..."))
        self.folder_button.setToolTip(self.tr("Every film in a folder and its sub-folders, in a table you can sort and "
                                              "export as CSV"))
        self.export_button.setText(self.tr("Export report..."))
        self.force_button.setText(self.tr("Show the probabilities anyway (not a diagnosis)"))
        self.opacity_label.setText(self.tr("Heatmap opacity"))
        self.scale_low.setText(self.tr("Grad-CAM: low"))
        self.scale_high.setText(self.tr("high"))
        self.result_box.setTitle(self.tr("Result"))
        self.notice.setText(self.tr("CXRDesk is a research tool, not a medical device: its output must not be used "
                                    "to diagnose or treat a patient."))
        for i in range(self.bar_grid.rowCount()):
            item = self.bar_grid.itemAtPosition(i, 0)
            if item is not None and item.widget() is not None and item.widget().property("class_name"):
                item.widget().setText(class_name(item.widget().property("class_name")))
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
            label = (card.name or folder.name) + (" (demo)" if card.demo else "")
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
        # a model chosen while another loads replaces it: the stale load's result is dropped
        self.tasks.start("load", work.load_diagnoser, folder, on_success=self.model_loaded)

    def model_loaded(self, diagnoser: Diagnoser) -> None:
        self.diagnoser = diagnoser
        self.show_classes(diagnoser.classes)
        message, self.loaded_message = self.loaded_message, None
        self.message.info(message or self.tr("Model ready."))
        self.show_card()
        if self.pending_image:
            path, self.pending_image = self.pending_image, None
            self.diagnose(path)

    def _hospital_folder(self, title: str) -> str | None:
        """A hospital's labelled folder chosen by the user (remembered), or None."""
        if self.diagnoser is None:
            return None
        folder = QFileDialog.getExistingDirectory(self, title, self.settings.value("diagnosis/hospital_dir", ""))
        if folder:
            self.settings.setValue("diagnosis/hospital_dir", folder)
        return folder or None

    def test_on_hospital(self) -> None:
        folder = self._hospital_folder(self.tr("Labelled folder from another hospital (one sub-folder per class)"))
        if not folder:
            return
        self.message.info(self.tr("Testing {0} on {1}...").format(self.model.currentText(), folder))
        self.tasks.start("hospital", work.evaluate_at_hospital, str(self.diagnoser.bundle.folder), folder,
                         on_success=self.hospital_tested)

    def hospital_tested(self, result) -> None:
        text = self.tr("General precision {0:.1%} on {1} images of {2} (ECE {3:.3f})").format(
            result.metrics["general_precision"], result.metrics["n"], ", ".join(sorted(set(result.sources))),
            result.calibration["ece"])
        learnt = bool(result.seen_sources or result.seen_images)
        if learnt:
            text += ". " + self.tr("Not a figure for a hospital it never saw: {0} of these images are among those it "
                                   "learnt from; sources it learnt from: {1}").format(
                result.seen_images or 0, ", ".join(result.seen_sources or []) or self.tr("none"))
        if result.not_recorded and is_demo_bundle(self.diagnoser.bundle.folder):
            text += "; " + self.tr("not kept on the card: the shipped demo model is never changed.")
        elif result.not_recorded:
            text += "; " + self.tr("not kept on the model's card: its folder cannot be written.")
        elif learnt:
            text += "; " + self.tr("kept on the model's card, never as its figure for other hospitals.")
        else:
            text += "; " + self.tr("kept on the model's card (whose headline is its largest such test).")
        self.loaded_message = text
        self.model_chosen()  # reload: the card now has the figure

    def calibrate_for_hospital(self) -> None:
        folder = self._hospital_folder(self.tr("Labelled folder of the hospital (one sub-folder per class)"))
        if not folder:
            return
        bundle = Path(self.diagnoser.bundle.folder)
        default = str(bundle.parent / f"{bundle.name}-{Path(folder).name}")
        out, _ = QFileDialog.getSaveFileName(self, self.tr("New folder for the calibrated model"), default)
        if not out:
            return
        self.message.info(self.tr("Calibrating {0} on {1}...").format(self.model.currentText(), folder))
        self.tasks.start("hospital", work.calibrate_site, str(bundle), folder, out, on_success=self.site_calibrated)

    def site_calibrated(self, result) -> None:
        if result.after is not None:
            before, after = result.before, result.after
            text = self.tr("Calibrated on {0} images, checked on {1} others: general precision {2:.1%} -> {3:.1%}, "
                           "ECE {4:.3f} -> {5:.3f}. New model: {6}").format(
                result.calibration_images, result.check_images, before.metrics["general_precision"],
                after.metrics["general_precision"], before.calibration["ece"], after.calibration["ece"],
                result.folder.name)
        else:
            text = self.tr("Calibrated on {0} images (none kept to check it). New model: {1}").format(
                result.calibration_images, result.folder.name)
        self.loaded_message = text
        self.use_bundle(str(result.folder))

    def show_card(self) -> None:
        self.test_button.setEnabled(self.diagnoser is not None)
        self.folder_button.setEnabled(self.diagnoser is not None)
        self.calibrate_button.setEnabled(self.diagnoser is not None)
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
            s["name"], card.architecture, card.image_size, s["train_images"], (card.device or "?").upper(),
            f"{val:.1%}" if val is not None else "-")
        text += "\n" + self.tr("Classes: {0}").format(", ".join(class_name(c) for c in card.classes))
        held = card.held_out
        site = card.site_calibration
        expected = card.expected_at_new_hospital
        if expected and not site:
            text += "\n" + self.tr("Expected at a hospital it never saw: {0:.1%} (leave-one-hospital-out over {1} "
                                   "hospitals, {2} films; calibration error {3:.2f})").format(
                expected["accuracy"], len(expected.get("folds") or []), expected["n"], expected["ece"])
            if expected.get("accuracy_when_sure") is not None:
                text += "\n" + self.tr("When sure ({0:.0%} of films) right {1:.0%} of the time; otherwise it says "
                                       "'uncertain'.").format(expected["coverage"], expected["accuracy_when_sure"])
            else:
                text += "\n" + self.tr("Never sure enough to reach {0:.0%} there: every answer is 'uncertain'.").format(
                    expected.get("target_accuracy", 0.85))
            if held and held.get("general_precision") is not None:
                text += "\n" + self.tr("Tested on {0}: general precision {1:.1%} on {2} images").format(
                    ", ".join(held.get("sources") or []), held["general_precision"], held.get("images"))
        elif site and held and held.get("general_precision") is not None:
            text += "\n" + self.tr("Calibrated for {0} on {1} of its images; on {2} others: general precision "
                                   "{3:.1%}").format(", ".join(site.get("sources") or []), site.get("calibration_images"),
                                                     held.get("images"), held["general_precision"])
        elif held and held.get("general_precision") is not None:
            text += "\n" + self.tr("On hospitals it never saw ({0}): general precision {1:.1%} on {2} images").format(
                ", ".join(held.get("sources") or []), held["general_precision"], held.get("images"))
            if held.get("evaluations", 1) > 1:
                text += " " + self.tr("(the largest of its {0} such tests)").format(held["evaluations"])
        else:
            text += "\n" + self.tr("Never tested on a hospital it did not train on: its accuracy elsewhere is unknown.")
        if card.demo:
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

    def choose_folder(self) -> None:
        if self.diagnoser is None:
            self.message.error(self.tr("No model to diagnose with yet."))
            return
        folder = QFileDialog.getExistingDirectory(self, self.tr("Folder of radiographs"),
                                                  self.settings.value("diagnosis/dir", ""))
        if folder:
            self.diagnose_folder(folder)

    def diagnose_folder(self, folder: str) -> None:
        """Every film in ``folder`` (sub-folders too) in a table of their diagnoses (a window of its own)."""
        try:
            files = expand_inputs([folder], recursive=True)
        except CxrdeskError as exc:
            self.message.error(str(exc))
            return
        self.folder_dialog = FolderResults(self.diagnoser, files, folder, self)
        self.folder_dialog.open_film.connect(self.diagnose)
        self.folder_dialog.show()
        self.folder_dialog.start()

    def diagnose(self, path: str) -> None:
        if self.diagnoser is None:
            self.pending_image = path
            if self.model.count() == 0:
                self.message.error(self.tr("No model to diagnose with yet."))
            return
        self.message.info(self.tr("Analysing {0}...").format(Path(path).name))
        self.tasks.start("diagnose", work.diagnose, self.diagnoser, path, on_success=self.show_result)

    def show_result(self, result) -> None:
        if isinstance(result, tuple):  # (diagnosis, lung outline) from the worker
            result, self.outline = result
        else:
            self.outline = None
        self.result = result
        self.show_probabilities()
        self.message.info(Path(result.path).name)
        self.export_button.setEnabled(True)
        self.redraw_image()
        if result.heatmap is None:
            self.tasks.start("heatmap", work.add_heatmap, self.diagnoser, result, on_success=self.heatmap_ready)
        name = Path(result.path).name
        if result.refused:
            self.status.emit(self.tr("{0}: no diagnosis").format(name))
        elif result.uncertain:
            self.status.emit(self.tr("{0}: uncertain").format(name))
        else:
            self.status.emit(self.tr("{0}: {1} ({2:.1%})").format(name, result.predicted, result.confidence))

    def heatmap_ready(self, result) -> None:
        """The heatmap of the shown diagnosis (one of an image replaced since is dropped)."""
        if result is self.result:
            self.show_heat_text()
            self.redraw_image()

    def show_probabilities(self) -> None:
        """The bars: empty for a refused input, grey when no class stands out as an answer (uncertain, or
        asked for anyway), else each class's colour."""
        result = self.result
        self.show_classes(list(result.probabilities))
        for name, bar in self.bars.items():
            p = result.probabilities[name]
            bar.setValue(0 if result.refused else int(round(p * 1000)))
            bar.setFormat("-" if result.refused else f"{p:.1%}")
            bar.setStyleSheet("QProgressBar::chunk { background: #9e9e9e; }"
                              if result.uncertain or result.forced else "")
        self.show_result_texts()

    def force_probabilities(self) -> None:
        """The user asks for the probabilities of an input the guard rejected: shown grey, marked."""
        if self.result is not None and self.result.refused:
            self.result.forced = True
            self.show_probabilities()
            self.redraw_image()

    def show_result_texts(self) -> None:
        result = self.result
        self.force_button.setVisible(result.refused)
        self.refusal.setVisible(bool(result.warnings))
        if result.warnings:
            reasons = "\n".join(f"- {reason_text(w)}" for w in result.warnings)
            self.refusal.setText((self.tr("Not a diagnosis: these probabilities were asked for although the input may "
                                          "not be a frontal chest radiograph:") if result.forced else
                                  self.tr("No diagnosis: this may not be a frontal chest radiograph:")) + "\n" + reasons)
        if result.refused:
            self.predicted.setText(self.tr("No diagnosis"))
            self.predicted.setStyleSheet(f"font-size: 14pt; color: {RED}")
            self.predicted.setToolTip("")
            self.uncertain_reason.hide()
        elif result.uncertain:
            rule = result.uncertain_rule
            self.predicted.setText(self.tr("Uncertain - refer"))
            self.predicted.setStyleSheet("font-size: 14pt; color: #616161")
            if rule.get("reached", True):
                why = self.tr("Most likely {0} at {1:.1%}, below the {2:.0%} at which this model was right {3:.0%} of "
                              "the time at hospitals it never saw.").format(
                    class_name(result.most_likely), result.confidence, rule["threshold"], rule["target_accuracy"])
            else:
                why = self.tr("This model's answers never reached {0:.0%} accuracy at hospitals it never saw (most likely "
                              "{1} at {2:.1%}).").format(rule["target_accuracy"], class_name(result.most_likely),
                                                         result.confidence)
            self.predicted.setToolTip(why)
            self.uncertain_reason.setText(why)
            self.uncertain_reason.show()
        else:
            self.predicted.setText(self.tr("Predicted: {0}").format(class_name(result.predicted)))
            self.predicted.setStyleSheet("font-size: 16pt; font-weight: bold" if not result.forced else
                                         "font-size: 14pt; color: #616161")
            self.predicted.setToolTip("")
            self.uncertain_reason.hide()
        self.learnt.setText(self.tr("The model learnt from this very film (it is among its training and validation "
                                    "files): its answer says nothing of how it does on films it never saw."))
        self.learnt.setVisible(result.learnt)
        self.show_heat_text()
        self.heat.setVisible(not result.refused)  # where a non-radiograph's heat lies says nothing
        self.warning.setText("\n".join([self.tr(
            "Screening: {0} {1:.1%} is above its screening threshold {2:.1%}{3}: refer for a confirmatory test").format(
                class_name(name), result.probabilities[name], s["threshold"],
                self.tr(" (chosen on this hospital's images)") if s.get("chosen_on") == "site" else "")
            for name, s in result.screening.items() if s["above"] and not result.refused] + ([self.tr(
                "The film seems mirrored left to right (the heart on the other side from a film as taken): check its "
                "side marker - a flipped image, or dextrocardia.")] if result.mirrored is not None else [])))
        self.warning.setVisible(bool(self.warning.text()))

    def show_heat_text(self) -> None:
        """Where the heatmap's heat lies: grey information, amber when it lies mostly outside the lungs."""
        result = self.result
        share = result.heat_in_lungs
        self.heat.setStyleSheet(f"color: {GREY}")
        if result.heatmap is None:
            self.heat.setText(self.tr("Grad-CAM heatmap: being computed (TensorFlow starts the first time)..."))
        elif result.heat_empty:
            self.heat.setText(self.tr("The Grad-CAM heatmap ({0}) is empty: no part of the image raises this class's "
                                      "score.").format(class_name(result.heatmap_class)))
        elif share is None:
            self.heat.setText(self.tr("Heat inside the lungs: unknown (no lung model)"))
        elif result.shortcut_suspected:
            where = result.heat_where or {}
            region, part = max(((k, v) for k, v in where.items() if k != "lungs"), key=lambda kv: kv[1],
                               default=("outside", 1.0 - share))
            self.heat.setText(self.tr("Only {0:.0%} of the Grad-CAM heat ({1}) is inside the lungs (green line): the "
                                      "model looked mostly {2} ({3:.0%}), a sign of a shortcut.").format(
                                          share, class_name(result.heatmap_class),
                                          heat_region(region, blacks_out(result.model.get("lung_field") or "off")), part))
            self.heat.setStyleSheet(f"color: {AMBER}; font-weight: bold")
        else:
            self.heat.setText(self.tr("{0:.0%} of the Grad-CAM heat ({1}) is inside the lungs (green line).").format(
                share, class_name(result.heatmap_class)))

    def redraw_image(self, *_):
        self.settings.setValue("diagnosis/opacity", self.opacity.value())
        if self.result is None:
            return
        if self.result.heatmap is None:  # until the heatmap comes: the radiograph alone
            overlay = np.repeat(self.result.image[..., None], 3, axis=2)
        else:
            overlay = np.array(heatmap_overlay(self.result.image, self.result.heatmap, self.opacity.value() / 100))
        if self.outline is not None:
            overlay[self.outline] = (0, 255, 102)
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
            self.tasks.start("report", work.write_report, self.result, path, self.opacity.value() / 100,
                             self.report_wording(), on_success=lambda written: self.message.info(
                                 self.tr("Report written to {0}").format(written)))

    def report_wording(self):
        """The report in the window's language: the model and the notes as this tab words them."""
        result, notes = self.result, []
        if result.warnings:
            notes.append((self.refusal.text(), RED))
        if result.uncertain and not result.refused:
            notes.append((self.tr("Uncertain - refer") + ": " + self.uncertain_reason.text(), GREY))
        for label, colour, shown in ((self.warning, AMBER, True), (self.learnt, GREY, result.learnt),
                                     (self.heat, AMBER if result.shortcut_suspected else GREY,
                                      result.heatmap is not None and not result.refused)):
            if shown and label.text():
                notes.append((label.text(), colour))
        return report_wording(self.card.text(), notes + [(self.notice.text(), GREY)])
