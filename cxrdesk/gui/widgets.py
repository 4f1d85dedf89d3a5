"""Small widgets shared by the tabs."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel


class MessageLabel(QLabel):
    """A tab's message line: errors in red, information in the normal colour; each message is also
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
        self.setStyleSheet("color: #b00020")
        self.setText(text)
        self.shown.emit(text)
