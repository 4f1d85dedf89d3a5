"""Lung model bundles: ``model.keras`` and a card of format :data:`LUNG_FORMAT` (read and written by
:mod:`cxrdesk.card`, like a classifier's), which the classifier loaders do not mistake for a classifier."""

from __future__ import annotations

from pathlib import Path

from ..atomic import building_folder
from ..card import CARD_FILE, LUNG_FORMAT, MODEL_FILE, ONNX_FILE, ModelCard, read_card_file, write_card
from ..errors import CxrdeskError
from ..integrity import file_sha256, load_verified_model
from ..onnx_inference import OnnxModel, onnx_file_hashes, usable_onnx
from ..preprocessing import RESIZE_LAYER
from .layers import OUTPUT, build_lung_model, register_layers
from .segment import LungSegmenter

FORMAT = LUNG_FORMAT
#: The lung model shipped with CXRDesk (see its card for data, licences and held-out Dice).
LUNG_BUNDLE = Path(__file__).resolve().parents[2] / "models" / "lungs-unet"


class LungModelError(CxrdeskError):
    """A lung model bundle that is missing or cannot be used."""


class LungCard(ModelCard):
    """A lung model's card."""

    FORMAT = LUNG_FORMAT

    @property
    def input_size(self) -> int | None:
        return self.get("input_size")


def read_lung_card(folder: str | Path) -> LungCard:
    return read_card_file(folder, LungCard, LungModelError,
                          lambda card: (f"{Path(folder) / CARD_FILE} is not a {FORMAT} card (a classifier is not a "
                                        "lung model)"))


def load_lung_model(folder: str | Path | None = None, onnx: bool = False) -> LungSegmenter:
    """Load and verify a lung model bundle (default: the one shipped in ``models/``). ``onnx``: run it
    through ONNX Runtime when the bundle has a ``model.onnx`` its card vouches for (no TensorFlow; such a
    segmenter has no Keras ``model``, so it cannot be put inside a classifier)."""
    folder = Path(folder) if folder else LUNG_BUNDLE
    if not folder.exists():
        raise LungModelError(f"no lung model at {folder}: train one with 'cxrdesk train-lungs ../shared/data/lungs "
                             "--out models'")
    card = read_lung_card(folder)
    if onnx and usable_onnx(folder, card, ONNX_FILE):
        session = OnnxModel(folder / ONNX_FILE, onnx_file_hashes(card)[ONNX_FILE], LungModelError)
        return LungSegmenter(None, card, folder, predict=lambda x: session.run(x)[0])
    register_layers()
    model = load_verified_model(folder / MODEL_FILE, card.get("model_sha256"), LungModelError)
    if model.get_layer(OUTPUT).output.shape[-1] != 1 or model.get_layer(RESIZE_LAYER).height != card["input_size"]:
        raise LungModelError(f"{folder}: card and model disagree")
    return LungSegmenter(model, card, folder)


def write_lung_bundle(model, card: dict, folder: Path, extra=None) -> Path:
    """Save a float32 copy of ``model`` and its card atomically at ``folder``. ``extra(copy, folder being
    built)``, when given, writes more files beside it and returns what the card says of them (the ONNX
    export: :func:`cxrdesk.export.export_lung_bundle_file`)."""
    import keras

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")
    try:
        clone = build_lung_model(card["input_size"], card["architecture"]["base_filters"],
                                 card["architecture"]["depth"])
    finally:
        keras.mixed_precision.set_global_policy(previous)
    clone.set_weights(model.get_weights())
    with building_folder(Path(folder)) as tmp:
        clone.save(tmp / MODEL_FILE)
        more = extra(clone, tmp) if extra is not None else {}
        write_card(tmp, {**card, "model_sha256": file_sha256(tmp / MODEL_FILE), **more})
    return Path(folder)
