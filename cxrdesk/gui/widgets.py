"""Small widgets shared by the tabs."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel

from ..report import AMBER, RED


class MessageLabel(QLabel):
    """A tab's message line: errors in red, warnings in amber, information in the normal colour; each message is also
    emitted (``shown``) for the status bar. Errors are shown here, never as a traceback."""

    shown = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWordWrap(True)

    def info(self, text: str) -> None:
        self.setStyleSheet("")
        self.setText(text)
        self.shown.emit(text)

    def error(self, text: str) -> None:
        self.setStyleSheet(f"color: {RED}")
        self.setText(text)
        self.shown.emit(text)

    def warning(self, text: str) -> None:
        """Done, but the user should know something may mislead (amber)."""
        self.setStyleSheet(f"color: {AMBER}; font-weight: bold")
        self.setText(text)
        self.shown.emit(text)


def class_name(name: str) -> str:
    """A class's name in the interface language ('Healthy' -> 'Sano' in Spanish); a class of the
    user's own (a folder name) is shown as it is."""
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("classes", name)


def _class_names_for_translators() -> None:  # pragma: no cover - read by pyside6-lupdate, never run
    from PySide6.QtCore import QCoreApplication

    QCoreApplication.translate("classes", "COVID-19")
    QCoreApplication.translate("classes", "Healthy")
    QCoreApplication.translate("classes", "Tuberculosis")
