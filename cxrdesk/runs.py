"""A training run in its own worker process, seen from the process that started it (the CLI, the GUI).

A run executes in a spawned worker, so that its device can be chosen before TensorFlow loads and so that a
crash cannot take the GUI down. The worker sends typed events (:mod:`cxrdesk.events`) through a queue; the
parent can ask it to stop, which it does at the end of the current batch, keeping what was trained. A run
keeps its working state under ``<out>/.runs/<name>/`` until it has written its bundle; ``--resume NAME``
continues a stopped or crashed run from its last completed epoch, and :func:`resumable_runs` lists what is
left there.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import shutil
import signal
import sys
import threading
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterator

from .errors import CxrdeskError
from .events import Event, Failed, finished
from .training import TrainConfig, run_training, work_dir


def resume_config(out: str | Path, name: str, epochs: int | None = None) -> TrainConfig:
    """The configuration of a stopped or crashed run, to continue it (optionally to more epochs)."""
    path = work_dir(out, name) / "config.json"
    if not path.is_file():
        raise CxrdeskError(f"no run {name!r} to resume in {out} (finished runs leave nothing to resume)")
    config = TrainConfig.from_dict(json.loads(path.read_text(encoding="utf-8")))
    if epochs:
        config.epochs = epochs
    return config


@dataclass
class TrainingRun:
    """A run in a worker process. Iterate :meth:`events`; call :meth:`stop` to end it early.

    ``job`` is what the worker runs, ``job(config, emit, should_stop) -> dict`` (a module-level function
    or a partial of one, so that it crosses to the spawned process; ``emit`` takes an
    :class:`cxrdesk.events.Event`): :func:`cxrdesk.training.run_training` by default;
    :class:`cxrdesk.crossval.CrossvalRun` runs a leave-one-hospital-out estimate the same way."""

    config: TrainConfig
    _process: multiprocessing.Process | None = None
    _events: object = None
    _stop: object = None
    job: Callable | None = None

    def work_folder(self) -> Path:
        """Where the worker keeps its state and its log."""
        return work_dir(self.config.out, self.config.name)

    def refuse_existing(self) -> None:
        """A new run never replaces a bundle or a run of the same name."""
        bundle = Path(self.config.out) / self.config.name
        if bundle.exists() or self.work_folder().exists():
            raise CxrdeskError(f"a run named {self.config.name!r} already exists in {self.config.out}: "
                               "choose another --name, or --resume it")

    def start(self, resume: bool = False) -> "TrainingRun":
        self.config.validate()
        self.config.resolve()
        if not self.config.name:
            self.config.name = self.config.resolved_name()
        if not resume:
            self.refuse_existing()
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: device set before TF loads
        self._events = context.Queue()
        self._stop = context.Event()
        self._process = context.Process(target=_worker_entry, name=f"cxrdesk-train-{self.config.name}",
                                        args=(asdict(self.config), self._events, self._stop, self.job,
                                              str(self.work_folder())), daemon=True)
        self._process.start()
        return self

    def stop(self) -> None:
        """Ask the worker to stop at the end of the current batch (it keeps what was trained)."""
        if self._stop is not None:
            self._stop.set()

    def kill(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.terminate()

    @property
    def done(self) -> bool:
        return getattr(self, "_done", False)

    def next_event(self, timeout: float = 0.2) -> Event | None:
        """The next event, or None when none came within ``timeout``; after the last one, None. A plain call
        (not a generator), so a KeyboardInterrupt while waiting leaves the run readable."""
        if self.done:
            return None
        try:
            event = Event.parse(self._events.get(timeout=timeout))
        except queue.Empty:
            if self._process.is_alive():
                return None
            try:  # the last events may still be in the pipe
                event = Event.parse(self._events.get(timeout=1.0))
            except queue.Empty:
                code = self._process.exitcode
                event = Failed(message=f"the training process ended unexpectedly (exit code {code})",
                               log=str(self.work_folder() / "worker.log"))
        if event.ends:
            self._done = True
            self._process.join(timeout=30)
        return event

    def events(self, poll: float = 0.2) -> Iterator[Event]:
        """Events until the last (a worker that dies silently gives a :class:`Failed`)."""
        while not self.done:
            event = self.next_event(poll)
            if event is not None:
                yield event


def watch_parent(interval: float = 1.0, on_orphaned: Callable[[], None] | None = None) -> None:
    """End this worker within seconds of its parent's death (a ``kill -9`` of ``cxrdesk train``, a GUI
    that crashed): a daemon thread polls the parent and exits the process when it is gone. The last
    completed epoch's checkpoint stays in ``.runs/`` for ``--resume``."""
    parent = multiprocessing.parent_process()
    original = os.getppid()

    def watch():
        while True:
            time.sleep(interval)
            if (parent is not None and not parent.is_alive()) or os.getppid() != original:
                if on_orphaned:
                    on_orphaned()
                os._exit(3)

    threading.Thread(target=watch, daemon=True, name="cxrdesk-parent-watch").start()


def _worker_entry(config: dict, events, stop, job: Callable | None, folder: str) -> None:
    """Worker process: quiet TensorFlow's logs into a file in ``folder``, set the device, run ``job``
    (training by default), report."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the parent, which asks us to stop
    watch_parent(on_orphaned=lambda: print("cxrdesk: the process that started this training is gone: "
                                           "stopping (resume with --resume)", file=sys.stderr, flush=True))

    def emit(event: Event) -> None:
        events.put(event.to_dict())  # JSON-able data crosses the process boundary

    cfg = TrainConfig.from_dict(config)
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        log = open(folder / "worker.log", "a", encoding="utf-8")
        os.dup2(log.fileno(), 2)
        sys.stderr = log
        emit(finished((job or run_training)(cfg, emit, stop.is_set)))
    except CxrdeskError as exc:
        if job is None and not (folder / "history.json").exists():  # refused before any epoch: nothing to resume
            shutil.rmtree(folder, ignore_errors=True)
        emit(Failed(message=str(exc)))
    except BaseException as exc:  # a crash is still reported, with its detail in the log
        traceback.print_exc()
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        emit(Failed(message=f"training failed: {type(exc).__name__}: {message[:300]}", log=str(folder / "worker.log")))
    finally:
        events.close()
        events.join_thread()


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def resumable_runs(out: str | Path) -> list[dict]:
    """Runs in ``out/.runs`` that can be resumed (stopped or crashed): name, size, age, epochs done."""
    runs = []
    folder = Path(out) / ".runs"
    if folder.is_dir():
        for run in sorted(folder.iterdir()):
            if not run.is_dir():
                continue
            history = run / "history.json"
            epochs = sum(not h.get("partial") for h in json.loads(history.read_text(encoding="utf-8"))
                         ) if history.is_file() else 0  # an epoch a stop cut short is not done
            runs.append({"name": run.name, "folder": str(run), "bytes": folder_size(run), "epochs_done": epochs,
                         "age_hours": round((time.time() - run.stat().st_mtime) / 3600, 1),
                         "resumable": (run / "config.json").is_file()})
    return runs


NOISE = ("I0000", "W0000", "E0000", "WARNING: All log messages", "To enable the following instructions")


def log_tail(path: str | Path, lines: int = 12) -> list[str]:
    """The last meaningful lines of a worker log: TensorFlow's start-up chatter left out."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    kept = [line for line in text if line.strip() and not line.lstrip().startswith(NOISE)]
    return kept[-lines:]
