"""Start the desktop application: the window shows first; TensorFlow loads later, in workers."""

from __future__ import annotations

import sys


def run_gui(argv: list[str] | None = None, language: str | None = None) -> int:
    from PySide6.QtCore import QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow

    QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setOrganizationName("CXRDesk")
    app.setApplicationName("CXRDesk")
    from pathlib import Path

    from PySide6.QtGui import QIcon

    icon = Path(__file__).resolve().parents[2] / "resources" / "icons" / "cxrdesk.png"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    window = MainWindow(QSettings(), language=language)
    window.show()
    QTimer.singleShot(200, window.start_background_work)  # after the first paint
    return app.exec()
