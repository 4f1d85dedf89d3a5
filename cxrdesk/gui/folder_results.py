"""A folder of films diagnosed at once: a sortable table (thumbnail, answer, each class's probability, flags)
that exports the same CSV as ``cxrdesk diagnose FOLDER --csv``; a double click opens a film in the Diagnosis
view. The diagnoses run in a worker (cxrdesk.batch.diagnose_files), with progress and a stop button."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (QDialog, QFileDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

from ..batch import diagnose_files, write_csv
from ..errors import CxrdeskError
from .widgets import MessageLabel, class_name
from .wording import read_error_text, reason_text
from .workers import Tasks

THUMBNAIL = 48


class _Item(QTableWidgetItem):
    """A cell that sorts by its value (a probability as a number, not as text)."""

    def __init__(self, text: str, value=None):
        super().__init__(text)
        self.value = value if value is not None else text
        self.setFlags(self.flags() & ~Qt.ItemFlag.ItemIsEditable)

    def __lt__(self, other) -> bool:
        mine, theirs = self.value, getattr(other, "value", other.text())
        if type(mine) is type(theirs):
            return mine < theirs
        return isinstance(mine, str)  # empty cells (no probability) sort first


def _thumbnail(pixels: np.ndarray) -> QIcon:
    pixels = np.ascontiguousarray(pixels)
    image = QImage(pixels.data, pixels.shape[1], pixels.shape[0], pixels.strides[0], QImage.Format.Format_Grayscale8)
    return QIcon(QPixmap.fromImage(image.copy()))


class FolderResults(QDialog):
    """``FolderResults(diagnoser, files)``: diagnoses ``files`` when shown; ``open_film(path)`` on a double click."""

    open_film = Signal(str)

    def __init__(self, diagnoser, files: list[str], folder: str, parent=None):
        super().__init__(parent)
        self.diagnoser, self.files, self.folder = diagnoser, files, folder
        self.results: list[dict] = []
        self.task = None
        self.failures: list[dict] = []
        self.setWindowTitle(self.tr("Diagnoses of {0}").format(Path(folder).name))
        self.resize(900, 560)
        self.table = QTableWidget()
        self.table.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.cellDoubleClicked.connect(self._open_row)
        self.progress = QProgressBar()
        self.message = MessageLabel()
        self.stop_button = QPushButton(self.tr("Stop"))
        self.export_button = QPushButton(self.tr("Export CSV..."))
        self.export_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.export_button.clicked.connect(self.export_csv)
        hint = QLabel(self.tr("Click a column to sort by it; double-click a film to open it in the Diagnosis view. "
                              "No heatmaps here: open a film for its Grad-CAM."))
        hint.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self.tasks = Tasks(self, self.message.error)

    def start(self) -> None:
        self.message.info(self.tr("Diagnosing {0} films with {1} ({2})...").format(
            len(self.files), self.diagnoser.summary["name"], self.diagnoser.runtime))
        self.task = self.tasks.start("folder", diagnose_files, self.diagnoser, self.files, thumbnail=THUMBNAIL,
                                     on_success=self.show_results, on_progress=self._progressed)

    def stop(self) -> None:
        """Stop after the film being diagnosed; the films done are shown (and exported) as they are."""
        self.stop_button.setEnabled(False)
        if self.task is not None:
            self.task.cancel()

    def _progressed(self, done: int, total: int) -> None:
        self.progress.setMaximum(total)
        self.progress.setValue(done)

    def show_results(self, found) -> None:
        self.results, self.failures, thumbnails = found
        self.stop_button.setEnabled(False)
        classes = list(self.diagnoser.classes)
        headers = [self.tr("Film"), self.tr("Answer")] + [class_name(c) for c in classes] + [self.tr("Flags")]
        self.table.setSortingEnabled(False)
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(self.results) + len(self.failures))
        rows = [(r, None) for r in self.results] + [(None, f) for f in self.failures]
        for row, (record, failure) in enumerate(rows):
            path = (record or failure)["file"]
            film = _Item(Path(path).name)
            film.setData(Qt.ItemDataRole.UserRole, path)
            film.setToolTip(path)
            if path in thumbnails:
                film.setIcon(_thumbnail(thumbnails[path]))
            self.table.setItem(row, 0, film)
            self.table.setItem(row, 1, _Item(self._answer(record, failure)))
            probabilities = (record or {}).get("probabilities") or {}
            for c, name in enumerate(classes):
                p = probabilities.get(name)
                self.table.setItem(row, 2 + c, _Item("" if p is None else f"{p:.1%}", p))
            flags = self._flags(record, failure)
            item = _Item(flags)
            item.setToolTip(flags)
            self.table.setItem(row, 2 + len(classes), item)
            self.table.setRowHeight(row, THUMBNAIL + 4)
        self.table.resizeColumnsToContents()
        self.table.setSortingEnabled(True)
        self.export_button.setEnabled(True)
        answered = sum(1 for r in self.results if r["predicted"] and not r["uncertain"])
        self.message.info(self.tr("{0} films: {1} answered, {2} uncertain, {3} with no diagnosis, {4} unreadable").format(
            len(rows), answered, sum(1 for r in self.results if r["uncertain"]),
            sum(1 for r in self.results if r["out_of_distribution"]), len(self.failures)))

    def _answer(self, record: dict | None, failure: dict | None) -> str:
        if failure is not None:
            return self.tr("unreadable")
        if record["predicted"] is None:
            return self.tr("no diagnosis")
        if record["uncertain"]:
            return self.tr("uncertain ({0})").format(class_name(record["most_likely"]))
        return class_name(record["predicted"])

    def _flags(self, record: dict | None, failure: dict | None) -> str:
        if failure is not None:
            return read_error_text(failure["reason"]) if failure.get("reason") is not None else failure["error"]
        flags = [reason_text(reason) for reason in record["reasons"]]
        if record.get("learnt_from"):
            flags.append(self.tr("a film the model learnt from"))
        if record.get("mirrored"):
            flags.append(self.tr("mirrored left to right?"))
        return "; ".join(flags)

    def _open_row(self, row: int, _column: int) -> None:
        path = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)
        if path:
            self.open_film.emit(path)

    def export_csv(self) -> None:
        default = str(Path(self.folder).parent / f"{Path(self.folder).name}-cxrdesk.csv")
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export CSV"), default, "CSV (*.csv)")
        if not path:
            return
        try:
            write_csv(Path(path), self.files, self.results, self.failures, list(self.diagnoser.classes))
        except (OSError, CxrdeskError) as exc:
            self.message.error(self.tr("Cannot write {0}: {1}").format(path, getattr(exc, "strerror", None) or exc))
            return
        self.message.info(self.tr("Wrote {0}").format(path))

    def done(self, code: int) -> None:
        self.tasks.shutdown()
        super().done(code)
