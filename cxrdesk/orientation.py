"""Which way round a frontal film is shown: a small network of its own tells a film as taken from one mirrored
left to right (the heart on the image's left), upside down, turned 180 degrees or turned a quarter either way.

Every film teaches it six times, labels that cost nothing: the film as given and turned each of those ways.
A film that seems turned (upside down, 180 degrees, on its side) gets no diagnosis - the classifiers never saw
one - and says which way it seems turned; a mirrored film still gets its diagnosis (the classifiers learnt from
mirrored films too, the study's augmentation flips) and is *said*: a flipped image, or dextrocardia, is for a
person to check, not for CXRDesk to correct.

It replaced two older checks: the lung model's certainty compared with the film turned back (two more lung
passes, about 15 ms of a 37-ms diagnosis, and blind to a film on its side, which only the lungs' plausibility
caught: 98 / 90 % of films turned a quarter) and a network that told the side alone. Out of source it refuses
about as many films as taken (0.2-0.4 % over three seeds; the lung check 0.3 %), more turned ones (99.3-99.9 % each
way), films on their side above all, and says as many mirrored ones (benchmarks/RESULTS.md); the lung check stays
for a diagnosis without this bundle (see :meth:`cxrdesk.lungs.LungSegmenter.turned`).

Its thresholds are chosen where they must hold, on hospitals it never saw: each source of the training films
held out in turn, scored by a network trained on the others. A film is refused as turned when the four turned
ways together are more likely than :data:`TURN_SHARE`'s quantile of those out-of-source films as given (and
never below one half); it is said mirrored above the score that flags :data:`FLAG_SHARE` of them. The card
keeps what that found, per source; the shipped network (``models/orientation-cnn``) then learns from every
source.

TensorFlow is imported only to train; :class:`OrientationCheck` runs the bundle's ``model.onnx`` on ONNX Runtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .atomic import building_folder
from .card import CARD_FILE, MODEL_FILE, ONNX_FILE, ORIENTATION_FORMAT, ModelCard, read_card_file, write_card
from .errors import CxrdeskError
from .export import export_model
from .imaging import read_grayscale
from .integrity import file_sha256
from .onnx_inference import OnnxModel, onnx_file_hashes, onnx_runtime_installed
from .preprocessing import INPUT_LAYER, RESIZE_ANTIALIAS, RESIZE_INTERPOLATION, RESIZE_LAYER
from .reasons import Reason

ORIENTATION_BUNDLE = Path(__file__).resolve().parents[1] / "models" / "orientation-cnn"
ORIENTATION_SIZE = 128
#: The network's outputs, in order: each way a film as taken can be shown, as done to a batch ``(n, h, w, ...)``.
ORIENTATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "as taken": lambda a: a,
    "mirrored": lambda a: a[:, :, ::-1],
    "upside down": lambda a: a[:, ::-1],
    "rotated 180 degrees": lambda a: a[:, ::-1, ::-1],
    "turned 90 degrees counter-clockwise": lambda a: np.rot90(a, 1, axes=(1, 2)),
    "turned 90 degrees clockwise": lambda a: np.rot90(a, 3, axes=(1, 2)),
}
NAMES = list(ORIENTATIONS)
TURNED = NAMES[2:]
#: How a turned film is named to a person: upside down and 180 degrees apart differ only by a mirror, which the
#: network tells less surely than up from down (out of source it named 89-92 % of them right), so both are
#: "upside down"; the quarter turns it names right 99.7 %+ of the time.
SAID = {"upside down": "upside down", "rotated 180 degrees": "upside down",
        "turned 90 degrees counter-clockwise": "turned 90 degrees counter-clockwise",
        "turned 90 degrees clockwise": "turned 90 degrees clockwise"}
#: Share of films as taken (out of source) the turn threshold may refuse (the threshold is never below 0.5).
TURN_SHARE = 0.005
#: Share of films as taken (out of source) the mirror threshold flags: a wrong note on 1 film in 100.
FLAG_SHARE = 0.01


class OrientationError(CxrdeskError):
    """An orientation-check bundle that is missing or cannot be used."""


class OrientationCard(ModelCard):
    FORMAT = ORIENTATION_FORMAT

    @property
    def turn_threshold(self) -> float:
        return float(self["turn_threshold"])

    @property
    def mirror_threshold(self) -> float:
        return float(self["mirror_threshold"])


def every_way(images: np.ndarray) -> np.ndarray:
    """``(6, n, ...)``: the images ``(n, s, s, ...)`` (square) shown each way of :data:`ORIENTATIONS`, in order."""
    return np.stack([np.ascontiguousarray(turn(images)) for turn in ORIENTATIONS.values()])


# ------------------------------------------------------------------------------------------ training


def build_orientation_model(size: int = ORIENTATION_SIZE):
    """(model, core): ``model`` takes 8-bit grayscale films of any size and resizes them itself (what is exported);
    ``core`` is the same network from ``size`` px on (what training feeds, augmented). Flatten, not global
    pooling: where a feature lies is the point (pooled, the side was not learnt at all)."""
    import keras
    from keras import layers

    core_in = keras.Input((size, size, 1))
    x = layers.Rescaling(1 / 255)(core_in)
    for filters in (16, 32, 64, 128):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(0.3)(layers.Flatten()(x))
    out = layers.Dense(len(ORIENTATIONS), activation="softmax", dtype="float32", name="orientation")(x)
    core = keras.Model(core_in, out, name="orientation")
    inputs = keras.Input((None, None, 1), name=INPUT_LAYER)
    resized = layers.Resizing(size, size, interpolation=RESIZE_INTERPOLATION, antialias=RESIZE_ANTIALIAS,
                              name=RESIZE_LAYER)(inputs)
    return keras.Model(inputs, core(resized), name="orientation_check"), core


def thumbnails(files: list[Path], size: int = ORIENTATION_SIZE) -> np.ndarray:
    """Each film read as CXRDesk reads it and resized as the model's own first layer resizes: ``(n, size, size, 1)``
    (square, so that turning a thumbnail is turning the film, then resizing it)."""
    import keras

    resize = keras.layers.Resizing(size, size, interpolation=RESIZE_INTERPOLATION, antialias=RESIZE_ANTIALIAS)
    return np.stack([np.asarray(resize(read_grayscale(f).pixels[None, :, :, None].astype(np.float32)))[0]
                     for f in files])


def fit_orientation(x: np.ndarray, seed: int, epochs: int, mixed: bool = False):
    """An orientation network trained on ``x`` (thumbnails as taken) shown every way, with random shifts, zoom and
    contrast: (model, core) in float32 (``mixed``: trained in mixed bfloat16, twice as fast on a CPU that has it,
    its weights then put into a float32 network, which is what is exported and scored)."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if mixed else "float32")
    try:
        _, core = build_orientation_model(x.shape[1])
        augment = keras.Sequential([layers.RandomTranslation(0.05, 0.05, fill_mode="nearest", seed=seed),
                                    layers.RandomZoom(0.1, fill_mode="nearest", seed=seed),
                                    layers.RandomContrast(0.3, seed=seed)])
        trainer_in = keras.Input(x.shape[1:])
        trainer = keras.Model(trainer_in, core(augment(trainer_in)))
        trainer.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
        shown = every_way(x).reshape(-1, *x.shape[1:]).astype(np.float32)
        labels = np.repeat(np.arange(len(ORIENTATIONS)), len(x))
        trainer.fit(shown, labels, batch_size=32, epochs=epochs, verbose=0, shuffle=True)
        weights = core.get_weights()
        keras.mixed_precision.set_global_policy("float32")
        model, core = build_orientation_model(x.shape[1])
    finally:
        keras.mixed_precision.set_global_policy(previous)
    core.set_weights(weights)
    return model, core


def out_of_source(x: np.ndarray, sources: np.ndarray, seed: int, epochs: int, mixed: bool = False,
                  say: Callable[[str], None] = print) -> np.ndarray:
    """``(6, n, 6)``: the probabilities of each film shown each way, each from a network that never saw its source."""
    scores = np.zeros((len(ORIENTATIONS), len(x), len(ORIENTATIONS)), dtype=np.float32)
    for source in sorted(set(sources)):
        held = sources == source
        _, core = fit_orientation(x[~held], seed, epochs, mixed)
        for k, shown in enumerate(every_way(x[held])):
            scores[k, held] = core.predict(shown.astype(np.float32), batch_size=64, verbose=0)
        right = np.mean([(scores[k, held].argmax(1) == k).mean() for k in range(len(ORIENTATIONS))])
        say(f"  {source} held out: {right:.1%} of its films shown each way named right")
    return scores


def turned_score(probabilities: np.ndarray) -> np.ndarray:
    """How likely a film is turned (upside down, 180 degrees, a quarter either way), from its six probabilities."""
    return probabilities[..., 2:].sum(-1)


def thresholds(scores: np.ndarray) -> tuple[float, float]:
    """(turn, mirror) thresholds from out-of-source ``scores`` (see :func:`out_of_source`): the turn threshold
    refuses :data:`TURN_SHARE` of the films as taken (at least 0.5: turned more likely than not); the mirror
    threshold flags :data:`FLAG_SHARE` of those it lets through."""
    as_taken = scores[0]
    turn = max(0.5, float(np.quantile(turned_score(as_taken), 1 - TURN_SHARE)))
    kept = turned_score(as_taken) <= turn
    return turn, float(np.quantile(as_taken[kept, 1], 1 - FLAG_SHARE))


def said_way(probabilities: np.ndarray) -> str:
    """How a turned film with these six probabilities is named to a person (see :data:`SAID`)."""
    ways: dict[str, float] = {}
    for name, share in zip(TURNED, probabilities[2:]):
        ways[SAID[name]] = ways.get(SAID[name], 0.0) + float(share)
    return max(ways, key=ways.get)


def found(scores: np.ndarray, turn: float, mirror: float) -> dict:
    """What the thresholds do to out-of-source ``scores`` of one set of films: films as taken refused and flagged,
    each turned way refused (and named right), mirrored films flagged."""
    refused = turned_score(scores) > turn  # (6, n)
    flagged = ~refused & (scores[..., 1] > mirror)
    named = {name: float(np.mean([said_way(p) == SAID[name] for p in scores[k, refused[k]]] or [0.0]))
             for k, name in enumerate(TURNED, start=2)}
    return {"films": int(scores.shape[1]), "as_taken_refused": float(refused[0].mean()),
            "as_taken_flagged": float(flagged[0].mean()), "mirrored_flagged": float(flagged[1].mean()),
            "turned_refused": {name: float(refused[k].mean()) for k, name in enumerate(TURNED, start=2)},
            "turned_named_right": named}


def train_orientation_bundle(files: list[Path], sources: list[str], out: Path, *, seed: int = 1, epochs: int = 6,
                             size: int = ORIENTATION_SIZE, mixed: bool = False, data: str = "",
                             say: Callable[[str], None] = print) -> Path:
    """Choose the thresholds on out-of-source scores, train on every source, and write the bundle at ``out``
    (``model.keras``, ``model.onnx``, ``card.json``) atomically."""
    sources = np.asarray(sources)
    if len(set(sources)) < 2:
        raise OrientationError("the orientation check's thresholds are chosen on sources held out: it needs films "
                               "from at least 2")
    x = thumbnails(files, size)
    scores = out_of_source(x, sources, seed, epochs, mixed, say)
    turn, mirror = thresholds(scores)
    per_source = {s: found(scores[:, sources == s], turn, mirror) for s in sorted(set(sources))}
    model, _ = fit_orientation(x, seed, epochs, mixed)
    card = {"format": ORIENTATION_FORMAT, "name": Path(out).name, "input_size": size, "outputs": NAMES,
            "turn_threshold": turn, "mirror_threshold": mirror, "turn_share": TURN_SHARE, "flag_share": FLAG_SHARE,
            "seed": seed, "epochs": epochs, "precision": "mixed_bfloat16" if mixed else "float32", "data": data,
            "films": len(files),
            "out_of_source": {**found(scores, turn, mirror), "per_source": per_source,
                              "how": "each source held out in turn, scored by a network trained on the others; "
                                     "shares of all those films"}}
    with building_folder(Path(out)) as tmp:
        model.save(tmp / MODEL_FILE)
        export_model(model, tmp / ONNX_FILE, classifier=False)
        write_card(tmp, {**card, "model_sha256": file_sha256(tmp / MODEL_FILE),
                         "onnx": {"files": {ONNX_FILE: file_sha256(tmp / ONNX_FILE)}}})
    return Path(out)


# ------------------------------------------------------------------------------------------ inference


@dataclass
class Seen:
    """What the orientation check made of one film."""

    turned: Reason | str  # why the film seems turned (a refusal), or ''
    mirrored: float | None  # its mirrored score when it seems mirrored (a note), else None


def read_orientation_card(folder: str | Path) -> OrientationCard:
    return read_card_file(folder, OrientationCard, OrientationError,
                          lambda card: f"{Path(folder) / CARD_FILE} is not an orientation check")


class OrientationCheck:
    """An orientation-check bundle run on ONNX Runtime: :meth:`look` at a film."""

    def __init__(self, folder: str | Path = ORIENTATION_BUNDLE):
        folder = Path(folder)
        self.card = read_orientation_card(folder)
        if self.card.get("outputs") != NAMES:
            raise OrientationError(f"{folder} gives {self.card.get('outputs')}, not the ways CXRDesk knows ({NAMES})")
        self.session = OnnxModel(folder / ONNX_FILE, onnx_file_hashes(self.card).get(ONNX_FILE), OrientationError)
        self.turn_threshold, self.mirror_threshold = self.card.turn_threshold, self.card.mirror_threshold

    def probabilities(self, pixels: np.ndarray) -> np.ndarray:
        """The six probabilities (in the order of :data:`ORIENTATIONS`) of an 8-bit film."""
        return self.session.run(pixels[np.newaxis, :, :, np.newaxis])[0][0]

    def look(self, pixels: np.ndarray) -> Seen:
        p = self.probabilities(pixels)
        turned = float(turned_score(p))
        reason: Reason | str = ""
        if turned > self.turn_threshold:
            way = said_way(p)
            reason = Reason(f"the film seems {way}: the orientation check gives {turned:.0%} that it is turned",
                            "turned", turn=way, score=turned)
        mirrored = float(p[1]) if not reason and p[1] > self.mirror_threshold else None
        return Seen(reason, mirrored)


def load_orientation_check(folder: str | Path | None = None) -> OrientationCheck | None:
    """The orientation check (default: the one shipped in ``models/``), or None where there is none or ONNX
    Runtime is missing (a diagnosis then checks the turn with the lung model and says nothing of the side)."""
    folder = Path(folder) if folder else ORIENTATION_BUNDLE
    if not onnx_runtime_installed() or not (folder / CARD_FILE).is_file():
        return None
    return OrientationCheck(folder)
