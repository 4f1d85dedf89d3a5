"""What a training worker tells the process that started it: small typed events, crossing the process
boundary as JSON-able dicts (``to_dict``) and read back by the CLI and the GUI alike (``parse``).

A plain training sends :class:`Started`, then :class:`Batch` and :class:`Epoch` events, and ends with
:class:`Finished`, :class:`Stopped` (the user asked; what was trained is kept) or :class:`Failed`. A
leave-one-hospital-out run (:mod:`cxrdesk.crossval`) sends :class:`CrossvalPlanned` first, a
:class:`FoldDone` per held-out source and :class:`EstimateDone` once they are pooled; its training events
say which training they belong to (``stage``, ``training`` of ``trainings``, ``held_out``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import ClassVar

#: Where a training event belongs in a leave-one-hospital-out run; absent from a plain training's events.
TAGS = ("stage", "training", "trainings", "held_out")


@dataclass(kw_only=True)
class Event:
    TYPE: ClassVar[str] = ""
    stage: str | None = None  # 'fold' or 'final' in a crossval run
    training: int | None = None  # which of its trainings, from 1
    trainings: int | None = None
    held_out: str | None = None  # the source a fold holds out

    @property
    def ends(self) -> bool:
        """The last event of a run."""
        return False

    def to_dict(self) -> dict:
        """The event as JSON-able data: its type first, its fields, and the crossval tags when set."""
        data = {"type": self.TYPE}
        data.update({f.name: getattr(self, f.name) for f in fields(self) if f.name not in TAGS})
        data.update({name: getattr(self, name) for name in TAGS if getattr(self, name) is not None})
        return data

    @staticmethod
    def parse(data: dict) -> "Event":
        """The typed event of ``data`` (keys it does not know are ignored; a type it does not know fails)."""
        kind = EVENT_TYPES.get(data.get("type"))
        if kind is None:
            return Failed(message=f"an event of unknown type {data.get('type')!r} from the training process")
        known = {f.name for f in fields(kind)}
        return kind(**{k: v for k, v in data.items() if k in known})


@dataclass(kw_only=True)
class Started(Event):
    TYPE: ClassVar[str] = "started"
    name: str
    model: str
    device: str
    pid: int
    classes: list[str]
    recipe: str
    lung_field: str
    device_name: str
    precision: str
    strategy: str
    replicas: int
    image_size: int
    epochs: int
    batch_size: int
    accumulation: int
    steps_per_epoch: int
    train_images: int
    val_images: int
    parameters: int
    trainable_parameters: int
    resumed_at_epoch: int
    cache: str


@dataclass(kw_only=True)
class Batch(Event):
    TYPE: ClassVar[str] = "batch"
    epoch: int
    batch: int
    steps: int
    loss: float | None
    accuracy: float | None
    seconds: float


@dataclass(kw_only=True)
class Epoch(Event):
    TYPE: ClassVar[str] = "epoch"
    epoch: int
    loss: float | None
    accuracy: float | None
    val_loss: float | None
    val_accuracy: float | None
    seconds: float
    batches: int
    partial: bool
    epochs: int | None = None


@dataclass(kw_only=True)
class Finished(Event):
    TYPE: ClassVar[str] = "finished"
    bundle: str | None = None  # the bundle written (None on a non-chief worker, or a crossval estimate only)
    chief: bool = True
    epochs_run: int | None = None
    best_epoch: int | None = None  # the epoch the bundle holds (lowest validation loss); None without validation
    stopped_early: bool = False
    stopped_by_user: bool = False
    crossval: str | None = None  # a crossval run's working folder (kept while it can be resumed)
    summary: str | None = None  # a crossval run's summary.json
    expected: dict | None = None  # a crossval run's estimate for a new hospital
    folds_done: int | None = None

    @property
    def ends(self) -> bool:
        return True


@dataclass(kw_only=True)
class Stopped(Finished):
    """Ended because the user asked: what was trained is kept, and the run can be resumed."""

    TYPE: ClassVar[str] = "stopped"


@dataclass(kw_only=True)
class Failed(Event):
    TYPE: ClassVar[str] = "error"
    message: str
    log: str | None = None

    @property
    def ends(self) -> bool:
        return True


@dataclass(kw_only=True)
class CrossvalPlanned(Event):
    TYPE: ClassVar[str] = "crossval"
    name: str
    method: str
    folds: list[dict]
    notes: list[str]
    final: bool
    epochs: int
    folder: str


@dataclass(kw_only=True)
class FoldDone(Event):
    TYPE: ClassVar[str] = "fold"
    resumed: bool
    figures: dict = field(default_factory=dict)


@dataclass(kw_only=True)
class EstimateDone(Event):
    TYPE: ClassVar[str] = "estimate"
    expected: dict
    summary: str


EVENT_TYPES: dict[str, type[Event]] = {kind.TYPE: kind for kind in (Started, Batch, Epoch, Finished, Stopped, Failed,
                                                                      CrossvalPlanned, FoldDone, EstimateDone)}


def finished(result: dict) -> Finished:
    """The last event of a run that ended without an error, from what its job returned."""
    return (Stopped if result.get("stopped_by_user") else Finished)(
        **{k: v for k, v in result.items() if k in {f.name for f in fields(Finished)}})
