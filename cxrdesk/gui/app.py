"""Start the desktop application: the window shows first; TensorFlow loads later, in workers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from ..errors import CxrdeskError
from .main_window import MainWindow

ICON = Path(__file__).resolve().parents[2] / "resources" / "icons" / "cxrdesk.png"


def screen_problem(environ=os.environ, platform: str = sys.platform) -> str | None:
    """Why no window can open here, or None: on Linux, Qt without a display aborts the process with a
    message about plugins; say it plainly instead, with what to do."""
    if not platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return None
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return ("there is no screen to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set): run it on a "
            "desktop, or on a virtual screen with 'xvfb-run -a cxrdesk'; every step also works as a command "
            "(see 'cxrdesk --help')")


def run_gui(argv: list[str] | None = None, language: str | None = None) -> int:
    problem = screen_problem()
    if problem:
        raise CxrdeskError(problem)
    QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setOrganizationName("CXRDesk")
    app.setApplicationName("CXRDesk")
    if ICON.is_file():
        app.setWindowIcon(QIcon(str(ICON)))
    window = MainWindow(QSettings(), language=language)
    window.show()
    QTimer.singleShot(200, window.start_background_work)  # after the first paint
    return app.exec()
