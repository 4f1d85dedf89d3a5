"""Diagnose one radiograph: class probabilities through the bundle's own preprocessing, a Grad-CAM
heatmap with the share of its heat inside the lungs, and a guard against inputs that are not frontal
chest radiographs (including "no plausible lungs found", from the lung model).

The output always carries the model that produced it and the research-use notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from . import RESEARCH_NOTICE
from .bundle import LEARNED_HASH_DIGITS, Bundle, BundleError, Card, load_bundle, read_card
from .card import LUNGS_ONNX_FILE, ONNX_FILE
from .calibration import apply_temperature
from .errors import CxrdeskError
from .graph import forward
from .imaging import LoadedImage, read_grayscale
from .onnx_inference import OnnxModel, onnx_file_hashes, usable_onnx
from .lungs import (CROP_LAYER, LUNG_MODEL_LAYER, LUNG_SIZE, SOURCE_LAYER, LungField, LungModelError, LungSegmenter,
                    blacks_out, check_darker, load_lung_model, lung_boxes, probability_to_field)
from .orientation import load_orientation_check
from .preprocessing import PREPROCESSING_LAYERS
from .reasons import Reason

#: Thresholds of the out-of-distribution guard, measured on the 1,489 radiographs of
#: ../shared/data/cxr3 (none of which trips them) and on the non-radiographs the tests make.
MAX_COLOURFULNESS = 12.0  # Hasler-Suesstrunk; a grayscale radiograph saved as RGB scores ~0
MIN_CONTRAST = 10.0  # standard deviation of intensity; the lowest of cxr3 is 14.8
MAX_ROUGHNESS = 0.45  # mean neighbour difference / sd at 256 px: cxr3 at most 0.18, noise ~1.0
ASPECT_RANGE = (0.5, 2.0)  # width / height
MEAN_MARGIN = 20.0  # intensity levels beyond the 1st-99th percentile of the training means
#: Below this share of a heatmap's heat inside the lungs, the model looked mostly elsewhere (between the
#: lungs, at the heart and mediastinum, or outside the lung field): a sign of a shortcut, flagged with the result.
MIN_HEAT_IN_LUNGS = 0.5
#: Where a heatmap's heat can lie, named for a person (see :func:`heat_regions`).
HEAT_REGIONS = {"lungs": "the lungs", "between": "between the lungs (mediastinum, heart)",
                "outside": "outside the lung field (neck, shoulders, abdomen, borders)"}
#: The same regions for a model whose lung field is black beyond a margin from the lungs ('mask'): it never saw
#: the heart or the neck there, so heat there lies on the black, the outline of its own lung mask.
HEAT_REGIONS_MASKED = {"lungs": "the lungs", "between": "at the black between the lungs (the outline of its lung mask: "
                       "it does not see the heart there)", "outside": "at the black beyond the lungs (the outline of its "
                       "lung mask)"}


@dataclass
class Diagnosis:
    """One radiograph's result. An input the guard rejects (``warnings``: not a chest radiograph, no
    plausible lungs, turned) gets no diagnosis: ``predicted`` is None and the probabilities are not
    shown, unless the user asked for them anyway (``forced``), which every output then says."""

    path: str
    probabilities: dict[str, float]
    most_likely: str  # the class of highest probability, whether or not it is given as the answer
    warnings: list[str]  # why the input may not be a frontal chest radiograph; empty when none
    model: dict  # name, architecture, classes, training size, validation general precision
    image: np.ndarray = field(repr=False)  # the radiograph as read (uint8)
    heatmap: np.ndarray | None = field(default=None, repr=False)  # 0..1, the image's size
    heatmap_class: str | None = None
    lungs: LungField | None = field(default=None, repr=False)  # None when no lung model is available
    heat_in_lungs: float | None = None  # share of the heatmap's heat inside the lungs
    screening: dict = field(default_factory=dict)  # class -> {threshold, above}: the saved screening thresholds
    #: The model's "uncertain" rule (see :attr:`cxrdesk.bundle.Card.uncertain`), None when it has none.
    uncertain_rule: dict | None = None
    forced: bool = False  # the probabilities of a refused input were asked for anyway
    #: The file is one the model learnt from (its card lists the training and validation files' hashes): its
    #: answer says nothing of how the model does on films it never saw.
    learnt: bool = False
    #: Shares of the heat in the lungs, between them and outside the lung field (see :func:`heat_regions`).
    heat_where: dict[str, float] | None = None
    #: The orientation check's mirrored score when the film seems mirrored left to right (see
    #: :mod:`cxrdesk.orientation`), else None.
    mirrored: float | None = None
    notice: str = RESEARCH_NOTICE

    @property
    def refused(self) -> bool:
        """The guard rejected the input and nobody asked for its probabilities anyway: no diagnosis."""
        return bool(self.warnings) and not self.forced

    @property
    def predicted(self) -> str | None:
        """The answer: the most likely class, or None for a refused input."""
        return None if self.refused else self.most_likely

    @property
    def confidence(self) -> float:
        return self.probabilities[self.most_likely]

    @property
    def uncertain(self) -> bool:
        """Below the confidence at which this model's answers were right the stated share of the time
        at hospitals it never saw: no answer, refer."""
        return self.uncertain_rule is not None and self.confidence < self.uncertain_rule["threshold"]

    def refusal_sentence(self) -> str:
        """Why there is no diagnosis (or, when forced, why the probabilities shown are not one); '' otherwise."""
        if not self.warnings:
            return ""
        why = "; ".join(self.warnings)
        if self.forced:
            return (f"not a diagnosis: the probabilities of an input that may not be a frontal chest radiograph "
                    f"({why}), shown because they were asked for")
        return f"no diagnosis: this may not be a frontal chest radiograph ({why})"

    def uncertain_sentence(self) -> str:
        """Why the result is "uncertain" (or ''), for a person."""
        if not self.uncertain:
            return ""
        rule = self.uncertain_rule
        if not rule.get("reached", True):
            return (f"uncertain - refer: this model's answers never reached {rule['target_accuracy']:.0%} accuracy at "
                    f"hospitals it never saw (most likely {self.most_likely}, {self.confidence:.1%})")
        return (f"uncertain - refer: most likely {self.most_likely} at {self.confidence:.1%}, below the "
                f"{rule['threshold']:.0%} at which this model was right {rule['target_accuracy']:.0%} of the time "
                "at hospitals it never saw")

    def learnt_sentence(self) -> str:
        """'' for a film the model never saw; else that its answer says nothing of new films."""
        return ("the model learnt from this very film (it is among its training and validation files): its answer "
                "says nothing of how it does on films it never saw") if self.learnt else ""

    def mirrored_sentence(self) -> str:
        """'' for a film shown as taken (or not checked); else that it seems mirrored, for a person to check."""
        return ("the film seems mirrored left to right (the heart on the other side from a film as taken): check its "
                "side marker - a flipped image, or dextrocardia") if self.mirrored is not None else ""

    def answer_sentence(self) -> str:
        """The one line that answers: no diagnosis, uncertain, or the predicted class."""
        if self.refused:
            return self.refusal_sentence()
        if self.forced:
            return f"{self.refusal_sentence()}; most likely {self.most_likely} ({self.confidence:.1%})"
        if self.uncertain:
            return self.uncertain_sentence()
        return f"predicted: {self.most_likely} ({self.confidence:.1%})"

    def screening_sentences(self) -> list[str]:
        """One short line per class at or above its screening threshold ("Tuberculosis 75.0 % is above its
        screening threshold 60.0 %: refer for a confirmatory test"); nothing for those below, nothing for a
        refused input."""
        if self.refused:
            return []
        return [f"{name} {self.probabilities[name]:.1%} is above its screening threshold {s['threshold']:.1%}"
                + (" (chosen on this hospital's images)" if s.get("chosen_on") == "site" else "")
                + ": refer for a confirmatory test" for name, s in self.screening.items() if s["above"]]

    @property
    def shortcut_suspected(self) -> bool:
        return self.heat_in_lungs is not None and self.heat_in_lungs < MIN_HEAT_IN_LUNGS

    @property
    def heat_empty(self) -> bool:
        """A heatmap with no heat: nothing in the image raises the class's score (Grad-CAM's ReLU)."""
        return self.heatmap is not None and not float(self.heatmap.max()) > 0

    def heat_sentence(self) -> str:
        """The heatmap's heat inside the lungs, said for a person, and where the rest went; '' without a
        heatmap or lungs."""
        if self.heat_empty:
            return "the heatmap is empty: no part of the image raises this class's score"
        if self.heat_in_lungs is None:
            return ""
        text = f"{self.heat_in_lungs:.0%} of the heatmap's heat is inside the lungs"
        if self.shortcut_suspected and self.heat_where:
            region, share = max(((k, v) for k, v in self.heat_where.items() if k != "lungs"), key=lambda kv: kv[1])
            names = HEAT_REGIONS_MASKED if blacks_out(self.model.get("lung_field") or "off") else HEAT_REGIONS
            text += (f": the model looked mostly {names[region]} ({share:.0%}), a sign it may use a shortcut "
                     "rather than the disease")
        return text

    def to_dict(self) -> dict:
        shown = not self.refused
        return {"file": self.path, "predicted": self.predicted, "most_likely": self.most_likely if shown else None,
                "probabilities": self.probabilities if shown else None,
                "uncertain": self.uncertain if shown else None,
                "uncertain_threshold": self.uncertain_rule["threshold"] if self.uncertain_rule else None,
                "out_of_distribution": bool(self.warnings), "reasons": self.warnings, "warnings": self.warnings,
                "forced": self.forced, "learnt_from": self.learnt, "mirrored": self.mirrored is not None,
                "mirrored_score": round(self.mirrored, 4) if self.mirrored is not None else None, "model": self.model,
                "heatmap_class": self.heatmap_class,
                "lungs": self.lungs.to_dict() if self.lungs is not None else None,
                "heat_in_lungs": round(self.heat_in_lungs, 4) if self.heat_in_lungs is not None else None,
                "heat_where": ({k: round(v, 4) for k, v in self.heat_where.items()} if self.heat_where else None),
                "heat_empty": self.heat_empty if self.heatmap is not None else None,
                "heat_mostly_outside_lungs": self.shortcut_suspected if self.heat_in_lungs is not None else None,
                "screening": self.screening if shown else {},
                "notice": self.notice}


class Diagnoser:
    """A loaded bundle ready to diagnose many images (the model is traced once, for any size).

    One pass of the classifier per image gives what a diagnosis needs: the probabilities and, for a
    lung-field model, the lung map its own lung network made on the way (so that network runs once per
    image, and the lungs checked are the lungs the model cropped); with a heatmap, that one pass is the
    Grad-CAM pass. A model without a lung field has its lungs found by the shipped lung model."""

    def __init__(self, bundle: Bundle, lungs: LungSegmenter | None = None, session: OnnxModel | None = None):
        """``lungs``: the lung model for the lung checks; by default the classifier's own (when it was
        trained with a lung field), else the one shipped in ``models/``, else none (said in the
        summary). ``session``: the bundle's ``model.onnx`` to run instead of TensorFlow (``bundle.model``
        may then be None: it is loaded only if a heatmap is asked for); see :meth:`open`."""
        self.bundle = bundle
        self.classes = bundle.classes
        self.summary = bundle.card.summary()
        if session is None:
            import tensorflow as tf

            traced = tf.function(lambda x: forward(bundle.model, x), autograph=False,
                                 input_signature=[tf.TensorSpec([None, None, None, 1], tf.float32)])
            self._predict = lambda x: tuple(t.numpy() for t in traced(x))
            self.lungs = lungs or default_segmenter(bundle.model)
        else:
            self._predict = lambda x: tuple(session.run(x))
            self.lungs = lungs or onnx_segmenter(bundle)
        self.runtime = "TensorFlow" if session is None else "ONNX Runtime"
        self.learned = bundle.card.learned_sha256 or set()  # short hashes of the files it learnt from
        self.summary["runtime"] = self.runtime
        self.summary["lung_checks"] = self.lungs is not None
        # a film turned is refused, one mirrored left to right said (None: the lung model checks the turn, and the
        # side is not checked)
        self.orientation = load_orientation_check()
        self.summary["orientation_check"] = self.orientation is not None
        # a lung-field model's own lung map comes with its pass; it is used for the checks when the lung network
        # saw the image there at least at its own input size (as when it runs alone), else the lungs are found again
        self.inner_lungs = (lungs is None and bundle.card.lung_field != "off"
                            and (bundle.card.source_size or 0) >= LUNG_SIZE)

    @classmethod
    def open(cls, folder: str | Path, onnx: bool = True) -> Diagnoser:
        """The bundle at ``folder``, run through ONNX Runtime when it has a ``model.onnx`` its card vouches
        for (and ``onnx``), without importing TensorFlow; else loaded into TensorFlow (a bundle from before
        CXRDesk exported ONNX: ``runtime`` says which)."""
        card = read_card(folder)
        if onnx and usable_onnx(folder, card, ONNX_FILE):
            session = OnnxModel(Path(folder) / ONNX_FILE, onnx_file_hashes(card)[ONNX_FILE], BundleError)
            outputs = session.session.get_outputs()[0].shape
            if len(outputs) != 2 or outputs[-1] != len(card.classes):
                raise BundleError(f"{folder}: {ONNX_FILE} gives {outputs[-1]} outputs for {len(card.classes)} classes")
            return cls(Bundle(Path(folder), card, None), session=session)
        return cls(load_bundle(folder))

    def _keras(self):
        """The Keras model (for Grad-CAM), loaded on first use by a diagnoser that runs ONNX."""
        if self.bundle.model is None:
            self.bundle = load_bundle(self.bundle.folder)
        return self.bundle.model

    def _calibrated(self, raw: np.ndarray) -> np.ndarray:
        return apply_temperature(raw[np.newaxis], self.bundle.card.temperature, self.bundle.card.offsets)[0]

    def probabilities(self, pixels: np.ndarray) -> np.ndarray:
        """The class probabilities of one 8-bit image, calibrated as the model's card says."""
        raw, _ = self._predict(pixels[np.newaxis, :, :, np.newaxis].astype(np.float32))
        return self._calibrated(raw[0])

    def screening(self, probabilities: dict[str, float]) -> dict[str, dict]:
        """For each class with a screening threshold: the threshold, and whether this image is above it."""
        return {name: {"threshold": t["threshold"], "above": probabilities[name] >= t["threshold"],
                       "target_sensitivity": t.get("target_sensitivity"),
                       "chosen_on": "site" if self.bundle.card.site_calibration else "validation"}
                for name, t in self.bundle.card.thresholds.items() if name in probabilities}

    def class_named(self, name: str) -> str:
        """The model's class called ``name`` (any case), or a clear error listing its classes."""
        for known in self.classes:
            if known.casefold() == name.casefold():
                return known
        raise CxrdeskError(f"unknown class {name!r}: this model's classes are {', '.join(self.classes)}")

    def _one_pass(self, pixels: np.ndarray, heatmap: bool, target: str | None):
        """(raw probabilities, the lung map of a lung-field model or None, the heatmap or None)."""
        if heatmap:
            card = self.bundle.card
            cam = grad_cam_pass(self._keras(), pixels, self.classes.index(target) if target else None,
                                temperature=card.temperature, offsets=card.offsets)
            return cam.probabilities, (cam.lungs if self.inner_lungs else None), cam.heat
        raw, lung_map = self._predict(pixels[np.newaxis, :, :, np.newaxis].astype(np.float32))
        return raw[0], (lung_map[0, :, :, 0] if self.inner_lungs else None), None

    def diagnose(self, path: str | Path, heatmap: bool = False, heatmap_class: str | None = None,
                 force: bool = False, loaded: LoadedImage | None = None) -> Diagnosis:
        """``force``: give the probabilities of an input the guard rejects (marked as such); ``loaded``: the
        image already read from ``path`` (as a batch checks every file before the model is loaded)."""
        target = self.class_named(heatmap_class) if heatmap_class is not None else None
        loaded = loaded if loaded is not None else read_grayscale(path)
        raw, lung_map, cam = self._one_pass(loaded.pixels, heatmap, target)
        probs = self._calibrated(raw)
        predicted = self.classes[int(probs.argmax())]
        warnings = ood_warnings(loaded, self.bundle.card)
        seen = self.orientation.look(loaded.pixels) if self.orientation is not None and not warnings else None
        if seen is not None and seen.turned:
            warnings.append(seen.turned)
        if lung_map is None and self.lungs is not None:
            lung_map = self.lungs.probability(loaded.pixels)
        lungs = None
        if lung_map is not None:
            height, width = loaded.pixels.shape
            lungs = check_darker(loaded.pixels, probability_to_field(lung_map, width, height))
        if lungs is not None and not lungs.plausible:
            warnings.append(Reason(f"no plausible lungs found ({lungs.reason})", "no_lungs", why=lungs.reason))
        elif lungs is not None and self.lungs is not None and self.orientation is None:
            # without the orientation check, the lung model's own turn check; the film as given needs no second
            # pass: its map is the lung network's own (a lung-field model's lungs.onnx is exported from its own
            # front; in TensorFlow the front resizes once more, a rounding apart)
            turned = self.lungs.turned(loaded.pixels, given=lung_map)
            if turned:
                warnings.append(turned)
        where = heat_regions(cam, lungs) if cam is not None and lungs is not None else None
        mirrored = seen.mirrored if seen is not None and not warnings else None
        probabilities = {c: float(p) for c, p in zip(self.classes, probs)}
        return Diagnosis(str(path), probabilities, predicted, warnings, self.summary, loaded.pixels, cam,
                         (target or predicted) if heatmap else None, lungs, where["lungs"] if where else None,
                         self.screening(probabilities), self.bundle.card.uncertain, forced=force and bool(warnings),
                         learnt=bool(loaded.sha256) and loaded.sha256[:LEARNED_HASH_DIGITS] in self.learned,
                         heat_where=where, mirrored=mirrored)

    def add_heatmap(self, result: Diagnosis, heatmap_class: str | None = None) -> Diagnosis:
        """Grad-CAM for a diagnosis made without one (TensorFlow is loaded on first use): its heatmap for
        ``heatmap_class`` (default: the most likely class) and where the heat lies. The probabilities stay
        those of the diagnosis, so a window can show them first and the heatmap when it is ready."""
        target = self.class_named(heatmap_class) if heatmap_class is not None else result.most_likely
        card = self.bundle.card
        cam = grad_cam_pass(self._keras(), result.image, self.classes.index(target), temperature=card.temperature,
                            offsets=card.offsets)
        where = heat_regions(cam.heat, result.lungs) if result.lungs is not None else None
        result.heatmap, result.heatmap_class, result.heat_where = cam.heat, target, where
        result.heat_in_lungs = where["lungs"] if where else None
        return result


def has_lung_field(model) -> bool:
    return any(layer.name == LUNG_MODEL_LAYER for layer in model.layers)


def onnx_segmenter(bundle: Bundle) -> LungSegmenter | None:
    """For a diagnoser on ONNX Runtime: a lung-field classifier's own lung network (``lungs.onnx``), else
    the shipped lung model (through ONNX Runtime when it has its ``model.onnx``), else None."""
    if usable_onnx(bundle.folder, bundle.card, LUNGS_ONNX_FILE):
        session = OnnxModel(bundle.folder / LUNGS_ONNX_FILE, onnx_file_hashes(bundle.card)[LUNGS_ONNX_FILE],
                            BundleError)
        return LungSegmenter(None, predict=lambda x: session.run(x)[0])
    if bundle.card.lung_field != "off":
        return None  # its own lung network was not exported: the lung map of its pass is what is checked
    try:
        return load_lung_model(onnx=True)
    except LungModelError:
        return None


def default_segmenter(model) -> LungSegmenter | None:
    """The lung model inside a lung-field classifier, else the shipped one, else None."""
    names = {layer.name for layer in model.layers}
    if LUNG_MODEL_LAYER in names:
        return LungSegmenter(model.get_layer(LUNG_MODEL_LAYER))
    try:
        return load_lung_model()
    except LungModelError:
        return None


def heat_regions(heatmap: np.ndarray, lungs: LungField) -> dict[str, float] | None:
    """The shares of a heatmap's heat inside the lungs, between them (the columns between the two lungs
    inside the lungs' box: mediastinum and heart) and outside the lung field; None for an empty heatmap.
    A lung-field model sees black outside the field, so heat there is heat on the field's own outline."""
    inside = heat_in_lungs(heatmap, lungs.mask)
    if inside is None:
        return None
    total = float(heatmap.sum())
    mask = lungs.mask > 0
    # per row, the pixels between that row's first and last lung pixel that are not lung
    width = mask.shape[1]
    has = mask.any(axis=1)
    first = np.where(has, mask.argmax(axis=1), width)
    last = np.where(has, width - 1 - mask[:, ::-1].argmax(axis=1), -1)
    columns = np.arange(width)[np.newaxis, :]
    spans = (columns >= first[:, np.newaxis]) & (columns <= last[:, np.newaxis])
    between = float(heatmap[spans & ~mask].sum())
    return {"lungs": inside, "between": between / total, "outside": max(0.0, 1.0 - inside - between / total)}


def heat_in_lungs(heatmap: np.ndarray, lung_mask: np.ndarray) -> float | None:
    """The share of a heatmap's heat (its sum) that lies inside the lung mask; None for an empty heatmap."""
    total = float(heatmap.sum())
    if total <= 0:
        return None
    return float(heatmap[lung_mask > 0].sum() / total)


def feature_layer(model) -> str:
    """The last layer with a spatial (4-D) output: the last convolution, or the pretrained base."""
    for layer in reversed(model.layers):
        shape = layer.output.shape if not isinstance(layer.output, (list, tuple)) else None
        if (shape is not None and len(shape) == 4 and layer.name not in PREPROCESSING_LAYERS
                and layer.name not in (SOURCE_LAYER, LUNG_MODEL_LAYER, CROP_LAYER)):
            return layer.name
    raise CxrdeskError(f"model {model.name} has no convolutional feature map for Grad-CAM")


@dataclass
class CamPass:
    """What one Grad-CAM pass of a model over an image gives: the heatmap at the image's size, the model's
    probabilities as it gives them (before calibration), and a lung-field model's lung map (else None)."""

    heat: np.ndarray
    probabilities: np.ndarray
    lungs: np.ndarray | None


def grad_cam(model, pixels: np.ndarray, class_index: int, layer: str | None = None) -> np.ndarray:
    """The Grad-CAM heatmap of ``class_index`` (see :func:`grad_cam_pass`)."""
    return grad_cam_pass(model, pixels, class_index, layer=layer).heat


def grad_cam_pass(model, pixels: np.ndarray, class_index: int | None = None, *, layer: str | None = None,
                  temperature: float | None = None, offsets=None) -> CamPass:
    """Grad-CAM (Selvaraju et al.): where the feature map pushes the class score up; 0..1 heatmap at the
    image's own size, for ``class_index`` or, when None, the class predicted after calibration
    (``temperature`` and ``offsets``, chosen inside the pass). The feature map comes from the same pass as the
    probabilities (:func:`cxrdesk.graph.forward`: a nested pretrained base and the lung-field crop with its two
    inputs work alike); for a lung-field model
    the map is put back in the lungs' box of the image, found by the model's own lung model and box rule."""
    import tensorflow as tf

    layer = layer or feature_layer(model)
    x = tf.constant(pixels[np.newaxis, :, :, np.newaxis], tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)  # a frozen base's variables are not watched: record the pass from its input
        out, lung_map, features = forward(model, x, layer)
        if class_index is None:
            logits = tf.math.log(tf.clip_by_value(tf.cast(out[0], tf.float64), 1e-7, 1.0)) / (temperature or 1.0)
            if offsets is not None:
                logits += tf.constant(offsets, tf.float64)
            class_index = tf.argmax(logits)
        score = tf.gather(out[0], class_index)
    grads = tape.gradient(score, features)
    weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(weights * features, axis=-1))[0].numpy()
    if cam.max() > 0:
        cam = cam / cam.max()
    inner = has_lung_field(model)
    heat = cam_in_image(model, cam, lung_map if inner else None, pixels.shape)
    return CamPass(heat, out.numpy()[0].astype(np.float64), lung_map.numpy()[0, :, :, 0] if inner else None)


def cam_in_image(model, cam: np.ndarray, lung_map, shape: tuple[int, int]) -> np.ndarray:
    """The feature-map heatmap at the image's size: for a lung-field model, inside the lungs' box it cropped
    (``lung_map``: its lung network's map, as :func:`cxrdesk.graph.forward` gives it). A map of ones is what
    the model saw: the chance level of a heat share."""
    height, width = shape
    if lung_map is not None and CROP_LAYER in {item.name for item in model.layers}:
        margin = model.get_layer(CROP_LAYER).margin
        y1, x1, y2, x2 = lung_boxes(lung_map, margin)[0].numpy()
        top, left = int(round(y1 * height)), int(round(x1 * width))
        bottom, right = max(int(round(y2 * height)), top + 1), max(int(round(x2 * width)), left + 1)
        inside = Image.fromarray(cam.astype(np.float32), mode="F").resize((right - left, bottom - top),
                                                                           Image.Resampling.BILINEAR)
        full = np.zeros((height, width), np.float32)
        full[top:bottom, left:right] = np.asarray(inside)
        return np.clip(full, 0.0, 1.0)
    image = Image.fromarray(cam.astype(np.float32), mode="F").resize((width, height), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(image), 0.0, 1.0)


def roughness(pixels: np.ndarray) -> float:
    """Mean absolute difference between neighbouring pixels over the spread, at 256 px: radiographs
    are smooth at that scale, noise and textures are not."""
    small = Image.fromarray(pixels)
    small.thumbnail((256, 256), Image.Resampling.BILINEAR)
    a = np.asarray(small, dtype=np.float64)
    diff = (np.abs(np.diff(a, axis=0)).mean() + np.abs(np.diff(a, axis=1)).mean()) / 2
    return float(diff / (a.std() + 1e-6))


def ood_warnings(loaded: LoadedImage, card: Card) -> list[str]:
    """Reasons to doubt the input is a frontal chest radiograph like those the model learnt from."""
    pixels = loaded.pixels
    found = []
    if loaded.colourfulness > MAX_COLOURFULNESS:
        found.append(Reason(f"a colour image (colourfulness {loaded.colourfulness:.0f}): radiographs are grayscale",
                            "colour", colourfulness=loaded.colourfulness))
    sd = float(pixels.std())
    if sd < MIN_CONTRAST:
        found.append(Reason(f"almost uniform (intensity sd {sd:.1f}): a blank or empty image?", "uniform", sd=sd))
    else:
        rough = roughness(pixels)
        if rough > MAX_ROUGHNESS:
            found.append(Reason(f"noise-like texture (roughness {rough:.2f}), unlike a radiograph", "noise",
                                roughness=rough))
    aspect = pixels.shape[1] / pixels.shape[0]
    if not ASPECT_RANGE[0] <= aspect <= ASPECT_RANGE[1]:
        found.append(Reason(f"unusual shape for a chest radiograph (width/height {aspect:.2f})", "shape", aspect=aspect))
    train = card.train_intensity
    mean = float(pixels.mean())
    if train and not train["p1"] - MEAN_MARGIN <= mean <= train["p99"] + MEAN_MARGIN:
        found.append(Reason(f"mean intensity {mean:.0f} is outside the training images' range "
                            f"({train['p1']:.0f}-{train['p99']:.0f})", "intensity", mean=mean, low=train["p1"],
                            high=train["p99"]))
    return found


def heatmap_overlay(pixels: np.ndarray, heatmap: np.ndarray, opacity: float = 0.45) -> Image.Image:
    """The radiograph in gray with the heatmap in colour (Matplotlib's 'jet') on top."""
    from matplotlib import colormaps

    gray = np.repeat(pixels[..., None], 3, axis=2).astype(np.float64)
    colour = colormaps["jet"](heatmap)[..., :3] * 255.0
    alpha = opacity * heatmap[..., None]
    return Image.fromarray(np.clip(gray * (1 - alpha) + colour * alpha, 0, 255).astype(np.uint8))
