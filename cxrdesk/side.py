"""Which way round a frontal film is shown: a small network that tells a film mirrored left to right (the heart
on the image's left, where a film as taken shows the patient's right) from one as taken.

The lungs do not tell it (their map is nearly symmetric; three cues of the heart's side read from it followed
the hospital, not the side: benchmarks/RESULTS.md); a network trained for it on whole films does: each film as
given and mirrored, labels that cost nothing. A mirrored film still gets its diagnosis - the classifiers learnt
from mirrored films too (the study's augmentation flips) - and is *said*: a flipped image, or dextrocardia, is
for a person to check, not for CXRDesk to correct.

Its threshold is chosen where it must hold, on hospitals it never saw: each source of the training films held
out in turn, scored by a network trained on the others; the threshold flags :data:`FLAG_SHARE` of those
out-of-source films as given. The card keeps what that found (mirrored films caught, films as given flagged,
per source); the shipped network (``models/side-cnn``) then learns from every source.

TensorFlow is imported only to train; :class:`SideCheck` runs the bundle's ``model.onnx`` on ONNX Runtime.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Callable

import numpy as np

from .atomic import building_folder
from .card import CARD_FILE, MODEL_FILE, ONNX_FILE, SIDE_FORMAT, ModelCard, read_card_file, write_card
from .errors import CxrdeskError
from .export import export_model
from .imaging import read_grayscale
from .integrity import file_sha256
from .onnx_inference import OnnxModel, onnx_file_hashes, onnx_runtime_installed
from .preprocessing import INPUT_LAYER, RESIZE_ANTIALIAS, RESIZE_INTERPOLATION, RESIZE_LAYER

SIDE_BUNDLE = Path(__file__).resolve().parents[1] / "models" / "side-cnn"
SIDE_SIZE = 128
#: Share of films as given (out of source) the threshold flags as mirrored: a wrong note on 1 film in 100.
FLAG_SHARE = 0.01
OUTPUT = "mirrored"


class SideError(CxrdeskError):
    """A side-check bundle that is missing or cannot be used."""


class SideCard(ModelCard):
    FORMAT = SIDE_FORMAT

    @property
    def threshold(self) -> float:
        return float(self["threshold"])


def mirrored(images: np.ndarray) -> np.ndarray:
    """Images ``(n, h, w, ...)`` mirrored left to right."""
    return np.ascontiguousarray(images[:, :, ::-1])


# ------------------------------------------------------------------------------------------ training


def build_side_model(size: int = SIDE_SIZE):
    """(model, core): ``model`` takes 8-bit grayscale films of any size and resizes them itself (what is exported);
    ``core`` is the same network from ``size`` px on (what training feeds, augmented). Flatten, not global
    pooling: where a feature lies is the point."""
    import keras
    from keras import layers

    core_in = keras.Input((size, size, 1))
    x = layers.Rescaling(1 / 255)(core_in)
    for filters in (16, 32, 64, 128):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(0.3)(layers.Flatten()(x))
    core = keras.Model(core_in, layers.Dense(1, activation="sigmoid", dtype="float32", name=OUTPUT)(x), name="side")
    inputs = keras.Input((None, None, 1), name=INPUT_LAYER)
    resized = layers.Resizing(size, size, interpolation=RESIZE_INTERPOLATION, antialias=RESIZE_ANTIALIAS,
                              name=RESIZE_LAYER)(inputs)
    return keras.Model(inputs, core(resized), name="side_check"), core


def thumbnails(files: list[Path], size: int = SIDE_SIZE) -> np.ndarray:
    """Each film read as CXRDesk reads it and resized as the model's own first layer resizes: ``(n, size, size, 1)``."""
    import keras

    resize = keras.layers.Resizing(size, size, interpolation=RESIZE_INTERPOLATION, antialias=RESIZE_ANTIALIAS)
    return np.stack([np.asarray(resize(read_grayscale(f).pixels[None, :, :, None].astype(np.float32)))[0]
                     for f in files])


def fit_side(x: np.ndarray, seed: int, epochs: int):
    """A side model trained on ``x`` (thumbnails, as given) and their mirror images, with random shifts, zoom and
    contrast."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    model, core = build_side_model(x.shape[1])
    augment = keras.Sequential([layers.RandomTranslation(0.05, 0.05, fill_mode="nearest", seed=seed),
                                layers.RandomZoom(0.1, fill_mode="nearest", seed=seed),
                                layers.RandomContrast(0.3, seed=seed)])
    trainer_in = keras.Input(x.shape[1:])
    trainer = keras.Model(trainer_in, core(augment(trainer_in)))
    trainer.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    both = np.concatenate([x, mirrored(x)]).astype(np.float32)
    labels = np.concatenate([np.zeros(len(x)), np.ones(len(x))]).astype(np.float32)
    trainer.fit(both, labels, batch_size=32, epochs=epochs, verbose=0, shuffle=True)
    return model, core


def out_of_source(x: np.ndarray, sources: np.ndarray, seed: int, epochs: int,
                  say: Callable[[str], None] = print) -> tuple[np.ndarray, np.ndarray]:
    """(scores of each film as given, scores of it mirrored), each from a network that never saw its source."""
    given, flipped = np.zeros(len(x)), np.zeros(len(x))
    for source in sorted(set(sources)):
        held = sources == source
        _, core = fit_side(x[~held], seed, epochs)
        given[held] = core.predict(x[held].astype(np.float32), batch_size=64, verbose=0)[:, 0]
        flipped[held] = core.predict(mirrored(x[held]).astype(np.float32), batch_size=64, verbose=0)[:, 0]
        say(f"  {source} held out: {float((flipped[held] > given[held]).mean()):.1%} of its films score higher "
            "mirrored than as given")
    return given, flipped


def train_side_bundle(files: list[Path], sources: list[str], out: Path, *, seed: int = 1, epochs: int = 8,
                      size: int = SIDE_SIZE, data: str = "", say: Callable[[str], None] = print) -> Path:
    """Choose the threshold on out-of-source scores, train on every source, and write the bundle at ``out``
    (``model.keras``, ``model.onnx``, ``card.json``) atomically."""
    sources = np.asarray(sources)
    if len(set(sources)) < 2:
        raise SideError("the side check's threshold is chosen on sources held out: it needs films from at least 2")
    x = thumbnails(files, size)
    given, flipped = out_of_source(x, sources, seed, epochs, say)
    threshold = float(np.quantile(given, 1 - FLAG_SHARE))
    per_source = {s: {"films": int((sources == s).sum()),
                      "mirrored_caught": float((flipped[sources == s] > threshold).mean()),
                      "as_given_flagged": float((given[sources == s] > threshold).mean())} for s in sorted(set(sources))}
    model, _ = fit_side(x, seed, epochs)
    card = {"format": SIDE_FORMAT, "name": Path(out).name, "input_size": size, "threshold": threshold,
            "flag_share": FLAG_SHARE, "seed": seed, "epochs": epochs, "data": data, "films": len(files),
            "out_of_source": {"mirrored_caught": statistics.mean(v["mirrored_caught"] for v in per_source.values()),
                              "as_given_flagged": statistics.mean(v["as_given_flagged"] for v in per_source.values()),
                              "per_source": per_source,
                              "how": "each source held out in turn, scored by a network trained on the others; "
                                     "means over the sources"}}
    with building_folder(Path(out)) as tmp:
        model.save(tmp / MODEL_FILE)
        export_model(model, tmp / ONNX_FILE, classifier=False)
        write_card(tmp, {**card, "model_sha256": file_sha256(tmp / MODEL_FILE),
                         "onnx": {"files": {ONNX_FILE: file_sha256(tmp / ONNX_FILE)}}})
    return Path(out)


# ------------------------------------------------------------------------------------------ inference


def read_side_card(folder: str | Path) -> SideCard:
    return read_card_file(folder, SideCard, SideError, lambda card: f"{Path(folder) / CARD_FILE} is not a side check")


class SideCheck:
    """A side-check bundle run on ONNX Runtime: :meth:`score` of a film, mirrored when above the card's threshold."""

    def __init__(self, folder: str | Path = SIDE_BUNDLE):
        folder = Path(folder)
        self.card = read_side_card(folder)
        self.session = OnnxModel(folder / ONNX_FILE, onnx_file_hashes(self.card).get(ONNX_FILE), SideError)
        self.threshold = self.card.threshold

    def score(self, pixels: np.ndarray) -> float:
        """How much an 8-bit film looks mirrored left to right, 0..1."""
        return float(self.session.run(pixels[np.newaxis, :, :, np.newaxis])[0][0, 0])

    def mirrored(self, pixels: np.ndarray) -> float | None:
        """The film's score when it seems mirrored (above the threshold), else None."""
        score = self.score(pixels)
        return score if score > self.threshold else None


def load_side_check(folder: str | Path | None = None) -> SideCheck | None:
    """The side check (default: the one shipped in ``models/``), or None where there is none or ONNX Runtime is
    missing (a diagnosis then says nothing of the film's side)."""
    folder = Path(folder) if folder else SIDE_BUNDLE
    if not onnx_runtime_installed() or not (folder / CARD_FILE).is_file():
        return None
    return SideCheck(folder)
