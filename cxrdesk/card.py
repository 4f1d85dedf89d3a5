"""Model cards on disk: the one reader and the one writer of ``card.json``, for classifiers and lung
models alike.

A card is JSON a person can open, versioned by its ``format`` (``cxrdesk-bundle/1`` for a classifier,
``cxrdesk-lungs/1`` for a lung model). CXRDesk signs every card it writes (``card_sha256``, a hash of
everything else), so an edit by hand - a figure, the name, 'demo' - is refused rather than believed; a
card from before cards were signed is read and marked unverified. Every change after training (an
evaluation, an estimate, what a model learnt from) goes through :func:`amend_card`, which refuses to sign
over an edit made by hand. The card is kept as the dict it was written as, so a card from an older or a
newer CXRDesk keeps every key this one does not know; :class:`ModelCard` and its subclasses read it
through typed properties.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

from .atomic import write_text
from .errors import CxrdeskError

MODEL_FILE = "model.keras"
#: The same model for ONNX Runtime (see :mod:`cxrdesk.export`), and a lung-field classifier's lung network alone.
ONNX_FILE = "model.onnx"
LUNGS_ONNX_FILE = "lungs.onnx"
CARD_FILE = "card.json"
CLASSIFIER_FORMAT = "cxrdesk-bundle/1"
LUNG_FORMAT = "cxrdesk-lungs/1"
#: The orientation check: a film mirrored, upside down or on its side (cxrdesk.orientation).
ORIENTATION_FORMAT = "cxrdesk-orientation/1"


class CardError(CxrdeskError):
    """A card that is missing, unreadable, of another kind, or edited by hand."""


class ModelCard(dict):
    """A card as written (so it is saved and shown as is), with what every kind of card has."""

    FORMAT = ""  # the format a subclass reads

    @property
    def format(self) -> str:
        return str(self.get("format") or "")

    @property
    def name(self) -> str:
        return str(self.get("name") or "")

    @property
    def verified(self) -> bool:
        """Whether the card carries CXRDesk's digest (:func:`read_card_file` refuses one that does not match)."""
        return "card_sha256" in self

    @property
    def model_sha256(self) -> str | None:
        return self.get("model_sha256")

    def _section(self, key: str) -> dict:
        value = self.get(key)
        return value if isinstance(value, dict) else {}


def card_digest(card: dict) -> str:
    """The hash of everything a card says (but the hash itself)."""
    content = {k: v for k, v in card.items() if k != "card_sha256"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def signed_card_json(card: dict) -> str:
    """The card as JSON with its digest, ready to be written."""
    card = {**card, "card_sha256": None}
    card["card_sha256"] = card_digest(card)
    return json.dumps(card, indent=2)


def read_card_file(folder: str | Path, kind: type[ModelCard], error: type[CxrdeskError] = CardError,
                   wrong_kind: Callable[[dict], str | None] | None = None) -> ModelCard:
    """The card of the bundle at ``folder`` as a ``kind`` (its format checked, and its digest when it has
    one); ``wrong_kind(card)`` may name a card of another kind for a clearer refusal. No TensorFlow."""
    folder = Path(folder)
    if folder.is_file():
        raise error(f"{folder} is a file: a CXRDesk model is a folder with {MODEL_FILE} and {CARD_FILE}")
    path = folder / CARD_FILE
    if not path.is_file():
        raise error(f"{folder} is not a CXRDesk model bundle (no {CARD_FILE})")
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise error(f"{path} cannot be read: {exc}") from None
    if not isinstance(card, dict) or card.get("format") != kind.FORMAT:
        other = wrong_kind(card) if wrong_kind and isinstance(card, dict) else None
        raise error(other or f"{path} is not a {kind.FORMAT} card")
    if "card_sha256" in card and card["card_sha256"] != card_digest(card):
        raise error(f"{path} was edited after CXRDesk wrote it: its figures cannot be trusted "
                    "(restore the original, or train again)")
    return kind(card)


def write_card(folder: str | Path, card: dict) -> None:
    """The one writer of ``card.json``: the card signed, written atomically into ``folder`` (a bundle
    being built, or one that exists)."""
    write_text(Path(folder) / CARD_FILE, signed_card_json({k: v for k, v in card.items() if k != "card_sha256"}))


def amend_card(folder: str | Path, kind: type[ModelCard], change: Callable[[dict], None],
               error: type[CxrdeskError] = CardError) -> ModelCard:
    """The one way to add to a card CXRDesk wrote (an evaluation, an estimate): read and verify it (never
    sign over an edit made by hand), let ``change`` edit it, re-sign it and write it atomically. The
    model file is untouched."""
    card = dict(read_card_file(folder, kind, error))
    card.pop("card_sha256", None)
    change(card)
    write_card(folder, card)
    return read_card_file(folder, kind, error)
