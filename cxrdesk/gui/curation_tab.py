"""Curation tab: choose a folder, scan it, move the intensity thresholds, balance, split, export."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGridLayout,
                               QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QMessageBox, QProgressBar, QPushButton, QScrollArea, QSlider,
                               QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ..curation import (MIN_PER_SPLIT, PRESETS, WARNING_NOTES, CurationSettings, confounded_classes, histograms,
                        plan_curation, shortcut_check, threshold_counts)
from ..dataset import LAYOUTS, export_dataset
from ..devices import use_cpu_in_process
from ..errors import CxrdeskError
from ..imaging import read_grayscale
from ..lungs import load_lung_model, overlay
from ..scanning import measure_lungs, scan_folder
from .charts import HistogramCanvas
from .widgets import MessageLabel, class_name
from .wording import note_text, read_error_text, reason_text, shortcut_verdicts
from .workers import Tasks

THUMB = 96


def fit_rows(table: QTableWidget) -> None:
    """Make a small table exactly as tall as its rows: every class shows, with no scroll bar."""
    height = table.horizontalHeader().height() + 2 * table.frameWidth()
    height += sum(table.rowHeight(r) for r in range(table.rowCount()))
    if table.horizontalScrollBar().isVisible():
        height += table.horizontalScrollBar().height()
    table.setFixedHeight(height + 2)


def default_output(source: Path) -> Path:
    """Where a curated dataset goes unless the user says otherwise: a folder the user owns, under their
    documents folder, never inside (or beside, in) the scanned source tree."""
    from PySide6.QtCore import QStandardPaths

    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
    return Path(documents) / "CXRDesk" / f"{Path(source).name}-curated"


def _scan_and_check(folder: str, progress=None, cancel=None):
    scan = scan_folder(folder, progress=progress, cancel=cancel)
    return scan, shortcut_check(scan.records)


def _thumbnails(root: Path, paths: list[str], lungs: bool = False) -> list[tuple[str, np.ndarray]]:
    """Small copies of the images (gray), or with their lungs drawn by the lung model (RGB)."""
    segmenter = None
    if lungs:

        use_cpu_in_process()
        segmenter = _shipped_lungs()
    images = []
    for rel in paths:
        pixels = read_grayscale(root / rel).pixels
        if segmenter is not None:

            pixels = np.asarray(overlay(pixels, segmenter.segment(pixels)))
        step = max(1, max(pixels.shape[:2]) // THUMB)
        images.append((rel, np.ascontiguousarray(pixels[::step, ::step])))
    return images


@lru_cache(maxsize=1)
def _shipped_lungs():
    """The shipped lung model, loaded once per process (thumbnails ask for it often)."""
    return load_lung_model()


def _measure_lungs(scan, progress=None, cancel=None):
    """The mean intensity inside the lungs of every scanned image (a worker task; cached)."""
    use_cpu_in_process()
    return measure_lungs(scan, _shipped_lungs(), progress=progress, cancel=cancel)


def _pixmap(pixels: np.ndarray) -> QPixmap:
    h, w = pixels.shape[:2]
    if pixels.ndim == 2:
        image = QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    else:
        image = QImage(pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    return QPixmap.fromImage(image).scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation)


class ThresholdControl(QWidget):
    """A slider and a spin box that stay in step, 0-255."""

    changed = Signal(float)

    def __init__(self, value: float, parent=None):
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 255)
        self.spin = QDoubleSpinBox()
        self.spin.setRange(0, 255)
        self.spin.setDecimals(0)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.slider.valueChanged.connect(lambda v: self.set_value(v))
        self.spin.valueChanged.connect(lambda v: self.set_value(v))
        self._value = None
        self.set_value(value)

    def value(self) -> float:
        return float(self._value)

    def set_value(self, value: float) -> None:
        value = float(max(0, min(255, value)))
        if value == self._value:
            return
        self._value = value
        for widget in (self.slider, self.spin):
            widget.blockSignals(True)
        self.slider.setValue(int(round(value)))
        self.spin.setValue(value)
        for widget in (self.slider, self.spin):
            widget.blockSignals(False)
        self.changed.emit(value)


class CurationTab(QWidget):
    status = Signal(str)
    dataset_exported = Signal(str)

    def __init__(self, settings: QSettings, parent=None):
        super().__init__(parent)
        self.settings = settings
        self.scan = None
        self.plan_warnings = []  # the last export's warnings (few images in a split, confounded classes...)
        self.setAcceptDrops(True)
        self._build()
        self._layout()
        self._connect()
        self.tasks = Tasks(self, on_error=self.message.error)
        self.retranslate()

    def _build(self) -> None:
        defaults = CurationSettings()
        self.source = QLineEdit(self.settings.value("curation/source", ""))
        self.browse = QPushButton()
        self.scan_button = QPushButton()
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.message = MessageLabel()
        self.counts = QTableWidget(0, 4)  # a row per class of the scanned folder
        self.counts.verticalHeader().setVisible(False)
        self.counts.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.counts.setMinimumWidth(480)
        self.counts.verticalHeader().setDefaultSectionSize(self.counts.fontMetrics().height() + 6)
        self.histogram = HistogramCanvas(self)
        self.low = ThresholdControl(defaults.low)
        self.high = ThresholdControl(defaults.high)
        self.study_button = QPushButton()
        self.all_button = QPushButton()
        self.thumbs_low, self.thumbs_high = QHBoxLayout(), QHBoxLayout()
        self.thumb_low_title, self.thumb_high_title = QLabel(), QLabel()
        self.shortcut = QLabel()
        self.shortcut.setWordWrap(True)
        self.sources = QTableWidget(0, 0)  # class x source: which hospital each class comes from
        self.sources.verticalHeader().setDefaultSectionSize(self.sources.fontMetrics().height() + 6)
        self.sources.setMinimumWidth(480)
        self.holdout = QListWidget()  # sources to hold out as the test split (checkable)
        self.holdout.setMinimumHeight(70)
        self.holdout_label = QLabel()
        self.lung_measure = QCheckBox()  # the band applies to the mean inside the lungs
        self.show_lungs = QCheckBox()  # thumbnails with the lungs drawn
        self.balance = QCheckBox()
        self.balance.setChecked(defaults.balance)
        self.allow_duplicates = QCheckBox()  # keep a picture found in two classes (refused by default)
        self.allow_duplicates.setChecked(defaults.allow_cross_class_duplicates)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(defaults.seed)
        self.val = QDoubleSpinBox()
        self.val.setRange(0, 0.9)
        self.val.setSingleStep(0.05)
        self.val.setValue(defaults.val)
        self.test = QDoubleSpinBox()
        self.test.setRange(0, 0.9)
        self.test.setSingleStep(0.05)
        self.test.setValue(defaults.test)
        self.layout_choice = QComboBox()
        self.output = QLineEdit(self.settings.value("curation/output", ""))
        self.output_browse = QPushButton()
        self.export_button = QPushButton()
        self.export_button.setEnabled(False)
        self.thresholds, self.split_box = QGroupBox(), QGroupBox()
        self.low_label, self.high_label = QLabel(), QLabel()
        self.seed_label, self.val_label, self.test_label = QLabel(), QLabel(), QLabel()
        self.layout_label, self.output_label = QLabel(), QLabel()
        self._thumb_timer = QTimer(self, singleShot=True, interval=300)

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.source, 1)
        top.addWidget(self.browse)
        top.addWidget(self.scan_button)
        form = QFormLayout(self.thresholds)
        form.addRow(self.low_label, self.low)
        form.addRow(self.high_label, self.high)
        presets = QHBoxLayout()
        presets.addWidget(self.study_button)
        presets.addWidget(self.all_button)
        presets.addStretch()
        form.addRow(presets)
        form.addRow(self.lung_measure)
        form.addRow(self.show_lungs)
        form.addRow(self.holdout_label, self.holdout)
        split_form = QFormLayout(self.split_box)
        split_form.addRow(self.balance)
        split_form.addRow(self.allow_duplicates)
        split_form.addRow(self.seed_label, self.seed)
        split_form.addRow(self.val_label, self.val)
        split_form.addRow(self.test_label, self.test)
        split_form.addRow(self.layout_label, self.layout_choice)
        out_row = QHBoxLayout()
        out_row.addWidget(self.output, 1)
        out_row.addWidget(self.output_browse)
        split_form.addRow(self.output_label, out_row)
        split_form.addRow(self.export_button)

        thumbs = QGridLayout()
        thumbs.addWidget(self.thumb_low_title, 0, 0)
        thumbs.addLayout(self.thumbs_low, 1, 0)
        thumbs.addWidget(self.thumb_high_title, 0, 1)
        thumbs.addLayout(self.thumbs_high, 1, 1)
        middle = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(self.counts)
        left.addWidget(self.sources)
        verdicts = QScrollArea()  # the shortcut and confounding verdicts: long, and never clipped
        verdicts.setWidget(self.shortcut)
        verdicts.setWidgetResizable(True)
        verdicts.setFrameShape(QScrollArea.Shape.NoFrame)
        verdicts.setMinimumWidth(self.counts.minimumWidth())
        left.addWidget(verdicts, 1)
        middle.addLayout(left)
        middle.addWidget(self.histogram, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.thresholds, 1)
        bottom.addWidget(self.split_box, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addLayout(middle, 1)
        layout.addLayout(thumbs)
        layout.addLayout(bottom)

    def _connect(self) -> None:
        self.message.shown.connect(self.status)
        self.browse.clicked.connect(self.choose_source)
        self.scan_button.clicked.connect(self.start_scan)
        self.output_browse.clicked.connect(self.choose_output)
        self.export_button.clicked.connect(self.start_export)
        self.low.changed.connect(self.thresholds_changed)
        self.high.changed.connect(self.thresholds_changed)
        self.study_button.clicked.connect(lambda: self.set_band(*PRESETS["study"]))
        self.all_button.clicked.connect(lambda: self.set_band(*PRESETS["all"]))
        self._thumb_timer.timeout.connect(self.load_thumbnails)
        self.lung_measure.toggled.connect(self.measure_changed)
        self.show_lungs.toggled.connect(lambda _: self.load_thumbnails())

    # ------------------------------------------------------------------ text
    def retranslate(self) -> None:
        self.source.setPlaceholderText(self.tr("Folder with one sub-folder per class (COVID, Tuberculosis, Normal, "
                                               "Pneumonia...)"))
        self.browse.setText(self.tr("Browse..."))
        self.scan_button.setText(self.tr("Scan"))
        self.counts.setHorizontalHeaderLabels([self.tr("Class"), self.tr("Images"), self.tr("Kept"), self.tr("Dropped")])
        self.thresholds.setTitle(self.tr("Mean intensity band"))
        self.low_label.setText(self.tr("Low"))
        self.high_label.setText(self.tr("High"))
        self.study_button.setText(self.tr("Study band 120-140"))
        self.lung_measure.setText(self.tr("Band on the mean intensity inside the lungs (lung model)"))
        self.show_lungs.setText(self.tr("Show the lungs on the thumbnails"))
        self.all_button.setText(self.tr("Keep all (0-255)"))
        self.split_box.setTitle(self.tr("Balance, split and export"))
        self.balance.setText(self.tr("Balance classes (down to the smallest)"))
        self.allow_duplicates.setText(self.tr("Keep pictures found in two classes"))
        self.seed_label.setText(self.tr("Seed"))
        self.val_label.setText(self.tr("Validation share (of non-test)"))
        self.test_label.setText(self.tr("Test share"))
        self.holdout_label.setText(self.tr("Hold out hospitals\n(test split: never trained on)"))
        self.layout_label.setText(self.tr("Images"))
        current = self.layout_choice.currentIndex()
        self.layout_choice.clear()
        titles = {"manifest": self.tr("Manifest only (images stay in place)"),
                  "link": self.tr("Folder tree of hard links"), "copy": self.tr("Folder tree of copies")}
        self.layout_choice.addItems([titles[name] for name in LAYOUTS])
        self.layout_choice.setCurrentIndex(max(current, 0))
        self.output_label.setText(self.tr("Output folder"))
        self.output.setPlaceholderText(self.tr("Where to write the curated dataset"))
        self.output_browse.setText(self.tr("Browse..."))
        self.export_button.setText(self.tr("Export curated dataset"))
        self.thumb_low_title.setText(self.tr("Near the low threshold"))
        self.thumb_high_title.setText(self.tr("Near the high threshold"))
        if self.scan is None:
            self.histogram.show_empty(self.tr("Scan a folder to see the intensity histogram"))
        else:
            self.draw_histogram()
            self.thresholds_changed()

    # ------------------------------------------------------------------ source and scan
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        path = Path(event.mimeData().urls()[0].toLocalFile())
        if path.is_dir():
            self.source.setText(str(path))
            self.start_scan()

    def choose_source(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Folder of radiographs"), self.source.text())
        if folder:
            self.source.setText(folder)
            self.start_scan()

    def choose_output(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Output folder"), self.output.text())
        if folder:
            self.output.setText(folder)

    def _run(self, fn, *args, on_success, **kwargs) -> None:
        """Scan or export (one at a time) with the progress bar, the buttons disabled meanwhile."""
        self.progress.setVisible(True)
        self.progress.setValue(0)
        self._busy(True)
        self.tasks.start("work", fn, *args, on_success=on_success, on_progress=self._progressed,
                         on_finished=lambda: (self.progress.setVisible(False), self._busy(False)), **kwargs)

    def _progressed(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)

    def _busy(self, busy: bool) -> None:
        self.scan_button.setEnabled(not busy)
        self.export_button.setEnabled(not busy and self.scan is not None)

    def start_scan(self) -> None:
        folder = self.source.text().strip()
        if not folder:
            self.message.error(self.tr("Choose a folder of radiographs first."))
            return
        self.settings.setValue("curation/source", folder)
        self.message.info(self.tr("Scanning {0}...").format(folder))
        self._run(_scan_and_check, folder, on_success=self.scan_done)

    def scan_done(self, result) -> None:
        self.scan, report = result
        scan = self.scan
        lines = [self.tr("{0} images scanned in {1:.1f} s ({2} from cache).").format(
            len(scan.records) + len(scan.unreadable), scan.seconds, scan.from_cache)]
        lines.append(self.tr("Class folders: {0}").format(", ".join(f"{f} → {class_name(c)}" for f, c in scan.class_folders.items())))
        if scan.ignored_folders:
            lines.append(self.tr("Ignored folders: {0}").format(", ".join(scan.ignored_folders)))
        if scan.unreadable:
            first = scan.unreadable[0]
            lines.append(self.tr("{0} unreadable files (first: {1}: {2})").format(
                len(scan.unreadable), first.path, read_error_text(first.reason)))
        lines.extend(reason_text(warning) for warning in scan.warnings)
        self.message.info("\n".join(lines))
        confounded = confounded_classes(scan)
        verdicts = shortcut_verdicts(report) if report else []
        self.shortcut.setText("\n".join(verdicts + [note_text(n) for n in confounded]))
        self.shortcut.setStyleSheet("color: #b00020" if (report and report.has_shortcut) or confounded else "")
        self.show_sources()
        output = Path(self.output.text()).expanduser().resolve() if self.output.text() else None
        if output is None or output == scan.root or scan.root in output.parents:
            self.output.setText(str(default_output(scan.root)))
        self.draw_histogram()
        self.thresholds_changed()
        self._busy(False)
        if self.lung_measure.isChecked():
            self.measure_changed(True)

    def show_sources(self) -> None:
        """The class x source table, and the sources offered for holding out."""
        scan = self.scan
        table = scan.class_source_counts()
        self.sources.clear()
        self.sources.setRowCount(len(scan.classes))
        self.sources.setColumnCount(len(scan.sources) + 1)
        self.sources.setHorizontalHeaderLabels([self.tr("Class \\ source"), *scan.sources])
        self.sources.verticalHeader().setVisible(False)
        for row, (name, counts) in enumerate(table.items()):
            self.sources.setItem(row, 0, QTableWidgetItem(class_name(name)))
            for col, n in enumerate(counts.values(), start=1):
                item = QTableWidgetItem(str(n))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.sources.setItem(row, col, item)
        self.sources.resizeColumnsToContents()
        fit_rows(self.sources)
        self.holdout.clear()
        for source in scan.sources:
            item = QListWidgetItem(source)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.holdout.addItem(item)

    def held_out_sources(self) -> tuple[str, ...]:
        return tuple(self.holdout.item(i).text() for i in range(self.holdout.count())
                     if self.holdout.item(i).checkState() == Qt.CheckState.Checked)

    # ------------------------------------------------------------------ thresholds
    def set_band(self, low: float, high: float) -> None:
        self.low.set_value(low)
        self.high.set_value(high)

    def measure(self) -> str:
        """What the band applies to: 'lungs' once the lung means are measured and asked for."""
        return "lungs" if self.lung_measure.isChecked() and self.scan is not None \
            and self.scan.lung_means is not None else "image"

    def measure_changed(self, checked: bool) -> None:
        if self.scan is None:
            return
        if checked and self.scan.lung_means is None:
            self.message.info(self.tr("Measuring the mean intensity inside the lungs (the lung model runs on every "
                                      "image, once)..."))
            self._run(_measure_lungs, self.scan, on_success=lambda _: self.measure_changed(True))
            return
        self.draw_histogram()
        self.thresholds_changed()

    def draw_histogram(self) -> None:
        measure = self.measure()
        edges, counts = histograms(self.scan, bins=64, measure=measure)
        label = (self.tr("mean pixel intensity inside the lungs (0-255)") if measure == "lungs"
                 else self.tr("mean pixel intensity (0-255)"))
        self.histogram.plot(edges, counts, self.low.value(), self.high.value(), label, self.tr("images"),
                            names={c: class_name(c) for c in self.scan.classes})

    def thresholds_changed(self, *_):
        if self.low.value() > self.high.value():
            sender_is_low = self.sender() is self.low
            (self.high if sender_is_low else self.low).set_value((self.low if sender_is_low else self.high).value())
        if self.scan is None:
            return
        low, high = self.low.value(), self.high.value()
        counts = threshold_counts(self.scan, low, high, self.measure())
        totals = self.scan.counts()
        self.counts.setRowCount(len(self.scan.classes))
        for row, name in enumerate(self.scan.classes):
            kept, dropped = counts[name]
            for col, value in enumerate((class_name(name), totals[name], kept, dropped)):
                item = QTableWidgetItem(str(value))
                if col:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.counts.setItem(row, col, item)
        fit_rows(self.counts)
        self.histogram.move_thresholds(low, high)
        self._thumb_timer.start()

    def near(self, value: float, n: int = 4) -> list[str]:
        values = self.scan.measure(self.measure())
        order = np.argsort(np.nan_to_num(np.abs(values - value), nan=np.inf))[:n]
        return [self.scan.records[i].path for i in order]

    def load_thumbnails(self) -> None:
        if self.scan is None:
            return
        low, high = self.near(self.low.value()), self.near(self.high.value())
        self.tasks.start("thumbnails", _thumbnails, self.scan.root, low + high, lungs=self.show_lungs.isChecked(),
                         on_success=lambda images: self.show_thumbnails(images[:len(low)], images[len(low):]))

    def show_thumbnails(self, low, high) -> None:
        values = self.scan.measure(self.measure())
        means = {r.path: v for r, v in zip(self.scan.records, values)}
        for layout, images in ((self.thumbs_low, low), (self.thumbs_high, high)):
            while layout.count():
                widget = layout.takeAt(0).widget()
                if widget:
                    widget.deleteLater()
            for rel, pixels in images:
                label = QLabel()
                label.setPixmap(_pixmap(pixels))
                label.setToolTip(f"{rel}\n{self.tr('mean intensity')} {means[rel]:.1f}")
                layout.addWidget(label)
            layout.addStretch()

    # ------------------------------------------------------------------ export
    def current_settings(self) -> CurationSettings:
        return CurationSettings(low=self.low.value(), high=self.high.value(), balance=self.balance.isChecked(),
                                val=self.val.value(), test=self.test.value(), seed=self.seed.value(),
                                measure=self.measure(), holdout_sources=self.held_out_sources(),
                                allow_cross_class_duplicates=self.allow_duplicates.isChecked())

    def start_export(self, _checked=False, force: bool | None = None) -> None:
        out = self.output.text().strip()
        if self.scan is None or not out:
            self.message.error(self.tr("Scan a folder and choose an output folder first."))
            return
        if force is None:
            force = False
            if Path(out).exists():
                answer = QMessageBox.question(self, self.tr("Replace?"),
                                              self.tr("{0} already exists. Replace the curated dataset there?").format(out))
                if answer != QMessageBox.StandardButton.Yes:
                    return
                force = True
        try:
            plan = plan_curation(self.scan, self.current_settings())
        except CxrdeskError as exc:  # a band that empties a class, a single class...
            self.message.error(str(exc))
            return
        self.settings.setValue("curation/output", out)
        layout = LAYOUTS[self.layout_choice.currentIndex()]
        self.plan_warnings = [note for note in plan.notes if note.kind in WARNING_NOTES]  # as the CLI warns
        self._run(export_dataset, plan, out, layout=layout, force=force, on_success=self.export_done)

    def export_done(self, folder) -> None:
        text = self.tr("Curated dataset written to {0}").format(folder)
        if self.plan_warnings:
            self.message.warning(text + "\n" + "\n".join(self.warning_text(note) for note in self.plan_warnings))
        else:
            self.message.info(text)
        self.dataset_exported.emit(str(folder))

    def warning_text(self, note) -> str:
        """A curation warning for a person, in the interface language where its kind is known."""
        if note.kind == "few_images":
            return self.tr("Warning: the {0} split has fewer than {1} images of {2}: its figures would be noise.").format(
                {"train": self.tr("training"), "val": self.tr("validation"), "test": self.tr("test")}.get(
                    note.data["split"], note.data["split"]), MIN_PER_SPLIT,
                ", ".join(f"{class_name(c)} ({n})" for c, n in note.data["classes"].items()))
        return self.tr("Warning: {0}").format(note_text(note))
