"""Run core functions off the GUI thread and relay their progress through Qt signals.

A :class:`Task` runs one function in a QThread. The function receives ``progress(done, total)`` and
``cancel`` (a ``threading.Event``) when its signature asks for them; its result or its error comes
back as a signal, so a failure is shown in the window instead of killing it. Tabs start tasks through
:class:`Tasks`, which wires the callbacks in one call (in the manner of napari's
``create_worker(..., _connect=...)``), cancels the task a new one replaces and drops the late result
of a replaced task. :class:`TrainingRelay` forwards a training worker process's events.
"""

from __future__ import annotations

import inspect
import threading
import traceback
from typing import Callable

from PySide6.QtCore import QObject, QThread, Signal

from ..errors import CxrdeskError
from ..events import Failed
from .wording import error_text


class Task(QThread):
    """``Task(fn, *args, **kwargs).start()``; connect to progressed / succeeded / failed first."""

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(self, fn: Callable, *args, parent: QObject | None = None, **kwargs):
        super().__init__(parent)
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.cancel_event = threading.Event()
        params = inspect.signature(fn).parameters
        if "progress" in params:
            self.kwargs["progress"] = lambda done, total: self.progressed.emit(int(done), int(total))
        if "cancel" in params:
            self.kwargs["cancel"] = self.cancel_event

    def cancel(self) -> None:
        self.cancel_event.set()

    def run(self) -> None:  # runs in the worker thread
        try:
            result = self.fn(*self.args, **self.kwargs)
        except CxrdeskError as exc:
            self.failed.emit(error_text(exc))
        except Exception as exc:  # shown in the window: the application stays up
            traceback.print_exc()
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.succeeded.emit(result)


class Tasks(QObject):
    """A tab's background tasks, one slot per kind of work (``"scan"``, ``"thumbnails"``...).

    ``start(slot, fn, *args, on_success=..., ...)`` runs ``fn`` in a :class:`Task`. Starting a task in
    a busy slot cancels the running one and ignores whatever it still delivers, so a slow, stale
    result never overwrites a newer one. Errors go to ``on_error`` (by default the tab's message line).
    """

    def __init__(self, parent: QObject, on_error: Callable[[str], None]):
        super().__init__(parent)
        self._on_error = on_error
        self._current: dict[str, Task] = {}
        self._all: list[Task] = []
        self._closed = False

    def start(self, slot: str, fn: Callable, *args, on_success: Callable[[object], None],
              on_error: Callable[[str], None] | None = None, on_progress: Callable[[int, int], None] | None = None,
              on_finished: Callable[[], None] | None = None, **kwargs) -> Task | None:
        if self._closed:  # the window is closing: a late timer must not start work
            return None
        self.cancel(slot)
        task = Task(fn, *args, parent=self.parent(), **kwargs)
        self._current[slot] = task
        self._all = [t for t in self._all if not t.isFinished()] + [task]
        current = lambda: self._current.get(slot) is task  # noqa: E731

        task.succeeded.connect(lambda result: current() and on_success(result))
        task.failed.connect(lambda message: current() and (on_error or self._on_error)(message))
        if on_progress is not None:
            task.progressed.connect(lambda done, total: current() and on_progress(done, total))

        def finished():
            if current():
                del self._current[slot]
                if on_finished is not None:
                    on_finished()

        task.finished.connect(finished)
        task.start()
        return task

    def cancel(self, slot: str) -> None:
        """Cancel the slot's task (it stops at its next check) and forget it."""
        task = self._current.pop(slot, None)
        if task is not None:
            task.cancel()

    def shutdown(self, wait_ms: int = 30000) -> None:
        """Cancel every task (replaced ones too), wait for them to end, and start no more: a QThread
        destroyed while it runs takes the whole application down."""
        self._closed = True
        for slot in list(self._current):
            self.cancel(slot)
        for task in self._all:
            task.cancel()
            task.wait(wait_ms)

    def running(self, slot: str) -> bool:
        task = self._current.get(slot)
        return task is not None and task.isRunning()


class TrainingRelay(QThread):
    """Iterates a :class:`cxrdesk.runs.TrainingRun`'s typed events in a thread and emits each one."""

    event = Signal(object)

    def __init__(self, run, parent: QObject | None = None):
        super().__init__(parent)
        self.run_ = run

    def run(self) -> None:
        try:
            for event in self.run_.events():
                self.event.emit(event)
        except Exception as exc:
            self.event.emit(Failed(message=f"{type(exc).__name__}: {exc}"))


class _Relay(QObject):
    done = Signal(object)


def run_in_background(fn: Callable, on_done: Callable[[object], None], parent: QObject) -> None:
    """Run ``fn()`` in a daemon Python thread (for slow probes the app must not wait for on exit);
    ``on_done(result)`` is called on the GUI thread."""
    relay = _Relay(parent)
    relay.done.connect(on_done)

    def work():
        try:
            result = fn()
        except Exception as exc:  # a probe that fails is reported as its result
            result = exc
        try:
            relay.done.emit(result)
        except RuntimeError:  # the window was closed meanwhile
            pass

    threading.Thread(target=work, daemon=True, name="cxrdesk-background").start()
