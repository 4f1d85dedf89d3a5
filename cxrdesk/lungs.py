"""The lung field: a small U-Net that finds the lungs, and what the rest of CXRDesk asks of it.

The network takes an 8-bit grayscale radiograph of any size (shape ``(batch, h, w, 1)``, 0..255) and
does its own preprocessing, as the classifiers do: resize to :data:`LUNG_SIZE`, standardise the
intensity of each image (so a film from Japan and a digital radiograph from Shenzhen look alike to
it), then an encoder-decoder with skip connections gives the probability that each pixel is lung.
:func:`segment` turns that into a mask of the image's own size, keeps the two largest regions (two
lungs), and says whether they look like a plausible pair of lungs.

It is trained by ``cxrdesk train-lungs`` on ``../shared/data/lungs`` (hand-drawn masks from three
groups: Shenzhen, JSRT, and COVID-19 images whose lungs are consolidated), validated with each group
held out in turn, and shipped as a bundle in ``models/`` (``model.keras`` + ``card.json`` of format
:data:`FORMAT`, which the classifier loaders do not mistake for a classifier).
"""

from __future__ import annotations

import csv
import json
import platform
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from . import RESEARCH_NOTICE, __version__
from .atomic import building_folder
from .errors import CxrdeskError
from .integrity import file_sha256, load_verified_model
from .preprocessing import INPUT_LAYER, RESIZE_ANTIALIAS, RESIZE_INTERPOLATION, RESIZE_LAYER

FORMAT = "cxrdesk-lungs/1"
MODEL_FILE = "model.keras"
CARD_FILE = "card.json"
LUNG_SIZE = 128
OUTPUT = "lung_probability"
STANDARDISE_LAYER = "standardise"
#: The lung model shipped with CXRDesk (see its card for data, licences and held-out Dice).
LUNG_BUNDLE = Path(__file__).resolve().parents[1] / "models" / "lungs-unet"

#: A plausible pair of lungs: two regions side by side (their centres at least MIN_SEPARATION of the
#: width apart, one in each half), each covering at least MIN_LUNG_SHARE of the image and at least
#: MIN_TALLNESS times as tall as wide (a lying or rotated chest fails this), together between these
#: shares. Every mask of ../shared/data/lungs has its lungs within 0.08-0.50 of the image.
MIN_LUNG_SHARE = 0.02
MIN_SEPARATION = 0.15
MIN_TALLNESS = 0.8
PAIR_SHARE_RANGE = (0.06, 0.60)
#: Lungs hold air: in a radiograph they are darker than the rest of their bounding box (heart,
#: mediastinum, diaphragm). Over 264 images of ../shared/data the lungs' mean was 1 to 100 levels below
#: the rest's (median 54); in the inverted MONOCHROME1 file read as MONOCHROME2 it is 32 above.
MAX_LUNG_CONTRAST = 5.0


class LungModelError(CxrdeskError):
    """A lung model bundle that is missing or cannot be used."""


# ------------------------------------------------------------------------------------------ model


@lru_cache(maxsize=1)
def _standardise_layer():
    """A Keras layer giving each image zero mean and unit spread (registered once, so a saved model
    reloads with ``safe_mode``)."""
    import keras

    @keras.saving.register_keras_serializable(package="cxrdesk")
    class Standardise(keras.layers.Layer):
        def call(self, x):
            from keras import ops

            mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
            sd = ops.std(x, axis=(1, 2, 3), keepdims=True)
            return (x - mean) / ops.maximum(sd, 1.0)

    return Standardise


#: Lung-field preprocessing a classifier can be trained with (`cxrdesk train --lung-field`).
LUNG_FIELDS = {
    "off": "the whole image (the study's recipe)",
    "crop": "cropped to the lungs' bounding box (with a margin)",
    "crop+normalise": "cropped to the lungs, and intensities equalised within the lungs, so overall brightness "
                      "(a hospital's signature) no longer carries the class",
    "mask": "cropped to the lungs, and everything farther than a margin from the lungs set to black, so markers, "
            "text, tubes outside the chest and borders cannot be seen (the lungs' own intensities are kept)",
    "mask+normalise": "cropped to the lungs, equalised within them, and everything farther than a margin from the "
                      "lungs set to black, so markers, text, tubes outside the chest and borders cannot be seen",
}
MASK_MARGIN = 0.04  # of the crop's size: how far beyond the lungs' edge 'mask+normalise' still shows
CROP_LAYER = "lung_crop"
SOURCE_LAYER = "lung_source"
LUNG_MODEL_LAYER = "lung_unet"
CROP_MARGIN = 0.06  # of the box's size, on each side
ROW_MIN_SHARE = 0.02  # a row or column with less lung than this is not part of the box (stray pixels)


def lung_boxes(probability, margin: float = CROP_MARGIN):
    """Normalised boxes ``(y1, x1, y2, x2)`` around the lungs of each probability map ``(b, h, w, 1)``,
    grown by ``margin`` and clipped to the image; the whole image where no lung is found. The one box
    rule the classifiers' crop layer and Grad-CAM's mapping back to the image both use."""
    import tensorflow as tf

    lung = tf.cast(probability[..., 0] >= 0.5, tf.float32)
    height, width = tf.shape(lung)[1], tf.shape(lung)[2]

    def span(share, n):
        on = share >= ROW_MIN_SHARE
        index = tf.range(n)[tf.newaxis, :]
        first = tf.reduce_min(tf.where(on, index, n), axis=1)
        last = tf.reduce_max(tf.where(on, index, -1), axis=1) + 1
        found = last > first
        lo = tf.where(found, first, 0)
        hi = tf.where(found, last, n)
        lo, hi = tf.cast(lo, tf.float32) / tf.cast(n, tf.float32), tf.cast(hi, tf.float32) / tf.cast(n, tf.float32)
        grow = (hi - lo) * margin
        return tf.clip_by_value(lo - grow, 0.0, 1.0), tf.clip_by_value(hi + grow, 0.0, 1.0)

    y1, y2 = span(tf.reduce_mean(lung, axis=2), height)
    x1, x2 = span(tf.reduce_mean(lung, axis=1), width)
    return tf.stack([y1, x1, y2, x2], axis=1)


def equalise_within(images, masks):
    """Histogram equalisation of each image ``(b, s, s, 1)`` (0..255) by the intensities inside its
    mask (the whole image where the mask is almost empty): the lungs' own distribution is made
    uniform, so an image's overall brightness and contrast no longer survive."""
    import tensorflow as tf

    batch = tf.shape(images)[0]
    levels = tf.cast(tf.clip_by_value(tf.round(images[..., 0]), 0.0, 255.0), tf.int32)
    flat = tf.reshape(levels, [batch, -1])
    weights = tf.reshape(tf.cast(masks[..., 0] >= 0.5, tf.float32), [batch, -1])
    few = tf.reduce_sum(weights, axis=1, keepdims=True) < 0.01 * tf.cast(tf.shape(flat)[1], tf.float32)
    weights = tf.where(few, tf.ones_like(weights), weights)
    hist = tf.math.bincount(flat, weights=weights, minlength=256, maxlength=256, axis=-1, dtype=tf.float32)
    cdf = tf.cumsum(hist, axis=1)
    cdf = cdf / tf.maximum(cdf[:, -1:], 1.0)
    return tf.reshape(tf.gather(cdf, flat, batch_dims=1) * 255.0, tf.shape(images))


def lung_window(masks, margin: float = MASK_MARGIN):
    """1 on the lungs, fading to 0 within twice ``margin`` (of the image's size) beyond their edge: the
    lungs dilated (a max-pool) and softened (an average), so the edge is no sharp new feature."""
    import tensorflow as tf

    k = 2 * max(1, int(round(margin * int(masks.shape[1])))) + 1  # odd, from the (static) crop size
    grown = tf.nn.max_pool2d(tf.cast(masks >= 0.5, tf.float32), k, 1, "SAME")
    return tf.nn.avg_pool2d(grown, k, 1, "SAME")


@lru_cache(maxsize=1)
def _crop_layer():
    """The classifiers' lung-field layer: crop the image to its lungs' box (and optionally equalise
    it within the lungs), inside the saved model, so training, evaluation and diagnosis crop alike."""
    import keras

    @keras.saving.register_keras_serializable(package="cxrdesk")
    class LungCrop(keras.layers.Layer):
        def __init__(self, size: int, normalise: bool = False, margin: float = CROP_MARGIN, mask: bool = False,
                     **kwargs):
            super().__init__(**kwargs)
            self.size, self.normalise, self.margin, self.mask = int(size), bool(normalise), float(margin), bool(mask)

        def call(self, inputs):
            import tensorflow as tf

            image, probability = inputs
            image = tf.cast(image, tf.float32)
            probability = tf.cast(probability, tf.float32)
            boxes = lung_boxes(probability, self.margin)
            index = tf.range(tf.shape(image)[0])
            crops = tf.image.crop_and_resize(image, boxes, index, [self.size, self.size], method="bilinear")
            if self.normalise or self.mask:
                masks = tf.image.crop_and_resize(probability, boxes, index, [self.size, self.size], method="bilinear")
            if self.normalise:
                crops = equalise_within(crops, masks)
            if self.mask:
                crops = crops * lung_window(masks)
            return crops

        def compute_output_shape(self, input_shape):
            return (input_shape[0][0], self.size, self.size, 1)

        def get_config(self):
            return {**super().get_config(), "size": self.size, "normalise": self.normalise, "margin": self.margin,
                    "mask": self.mask}

    return LungCrop


def register_layers() -> None:
    """Make CXRDesk's custom layers known to Keras before a saved model is loaded."""
    _standardise_layer()
    _crop_layer()


def lung_field_input(inputs, size: int, lung_field: str, lung_model):
    """The lung-field front of a classifier: the image at twice the model's size (enough detail for the
    crop), the lung model's probability map, and the crop (and equalisation) to ``size``."""
    from keras import layers

    if lung_field not in LUNG_FIELDS or lung_field == "off":
        raise CxrdeskError(f"lung field must be one of {', '.join(LUNG_FIELDS)} (got {lung_field!r})")
    source = layers.Resizing(2 * size, 2 * size, interpolation=RESIZE_INTERPOLATION, antialias=RESIZE_ANTIALIAS,
                             name=SOURCE_LAYER)(inputs)
    lung_model.trainable = False
    lung_model.name = LUNG_MODEL_LAYER
    probability = lung_model(source, training=False)
    return _crop_layer()(size, normalise=lung_field in ("crop+normalise", "mask+normalise"),
                         mask=lung_field in ("mask", "mask+normalise"), name=CROP_LAYER)([source, probability])


def build_lung_model(size: int = LUNG_SIZE, base: int = 8, depth: int = 4, seed: int | None = None):
    """A U-Net with ``base`` filters at full resolution, doubling over ``depth`` levels."""
    import keras
    from keras import layers

    if seed is not None:
        keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=(None, None, 1), name=INPUT_LAYER)
    x = layers.Resizing(size, size, interpolation=RESIZE_INTERPOLATION, antialias=RESIZE_ANTIALIAS,
                        name=RESIZE_LAYER)(inputs)
    x = _standardise_layer()(name=STANDARDISE_LAYER)(x)

    def block(x, filters, name):
        for i in (1, 2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{i}")(x)
            x = layers.BatchNormalization(name=f"{name}_bn{i}")(x)
            x = layers.Activation("relu", name=f"{name}_relu{i}")(x)
        return x

    skips = []
    for level in range(depth):
        x = block(x, base * 2**level, f"down{level}")
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"pool{level}")(x)
    x = block(x, base * 2**depth, "bottom")
    for level in reversed(range(depth)):
        x = layers.Conv2DTranspose(base * 2**level, 2, strides=2, name=f"up{level}")(x)
        x = layers.Concatenate(name=f"skip{level}")([x, skips[level]])
        x = block(x, base * 2**level, f"dec{level}")
    outputs = layers.Conv2D(1, 1, activation="sigmoid", dtype="float32", name=OUTPUT)(x)
    return keras.Model(inputs, outputs, name="lung_unet")


# --------------------------------------------------------------------------------- segmentation


@dataclass
class LungField:
    """The lungs found in one radiograph, at the image's own size."""

    mask: np.ndarray = field(repr=False)  # uint8, 0 background, 255 lung, the image's height x width
    share: float  # of the image's pixels that are lung
    bbox: tuple[int, int, int, int] | None  # (left, top, right, bottom), right/bottom exclusive
    plausible: bool
    reason: str  # why the lungs are not plausible ('' when they are)
    regions: list[float] = field(default_factory=list)  # share of the image of each kept region

    def to_dict(self) -> dict:
        return {"lung_share": round(self.share, 4), "bbox": list(self.bbox) if self.bbox else None,
                "plausible_lungs": self.plausible, "reason": self.reason,
                "regions": [round(r, 4) for r in self.regions]}


def probability_to_field(probability: np.ndarray, width: int, height: int) -> LungField:
    """Upsample the network's probability map to ``width`` x ``height``, threshold it at 0.5, keep the
    two largest regions and judge whether they are a plausible pair of lungs."""
    from scipy import ndimage

    prob = Image.fromarray(np.asarray(probability, dtype=np.float32), mode="F").resize(
        (width, height), Image.Resampling.BILINEAR)
    binary = np.asarray(prob) >= 0.5
    labels, n = ndimage.label(binary)
    if n:
        sizes = np.bincount(labels.ravel())[1:]
        keep = np.argsort(sizes)[::-1][:2] + 1
        # each lung whole: a consolidation the network missed inside a lung is still lung
        regions = [ndimage.binary_fill_holes(labels == k) for k in keep]
        binary = np.logical_or.reduce(regions)
    else:
        regions = []
    total = width * height
    shares = [float(r.sum()) / total for r in regions]
    share = float(binary.sum()) / total
    reason = ""
    if len(regions) < 2 or min(shares) < MIN_LUNG_SHARE:
        reason = "fewer than two lung regions found"
    else:
        centres, tallness = [], []
        for region in regions:
            rows, cols = np.nonzero(region)
            centres.append(float(cols.mean()) / width)
            tallness.append((rows.max() - rows.min() + 1) / (cols.max() - cols.min() + 1))
        if not (min(centres) < 0.5 < max(centres)) or max(centres) - min(centres) < MIN_SEPARATION:
            reason = "the two regions are not side by side, one in each half of the image"
        elif min(tallness) < MIN_TALLNESS:
            reason = "the regions are wider than tall, unlike the lungs of an upright frontal radiograph"
        elif not PAIR_SHARE_RANGE[0] <= share <= PAIR_SHARE_RANGE[1]:
            reason = (f"the lungs cover {share:.0%} of the image (expected "
                      f"{PAIR_SHARE_RANGE[0]:.0%}-{PAIR_SHARE_RANGE[1]:.0%})")
    bbox = None
    if binary.any():
        rows, cols = np.nonzero(binary.any(axis=1))[0], np.nonzero(binary.any(axis=0))[0]
        bbox = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
    return LungField((binary * 255).astype(np.uint8), share, bbox, not reason, reason, shares)


class LungSegmenter:
    """A loaded lung model, ready for many images (traced once for any size)."""

    def __init__(self, model, card: dict | None = None, folder: Path | None = None):
        import tensorflow as tf

        self.model, self.card, self.folder = model, card or {}, folder
        self._predict = tf.function(lambda x: model(x, training=False), autograph=False,
                                    input_signature=[tf.TensorSpec([None, None, None, 1], tf.float32)])

    def probability(self, pixels: np.ndarray) -> np.ndarray:
        """The lung probability map at the network's size for one 8-bit image."""
        return self._predict(pixels[np.newaxis, :, :, np.newaxis].astype(np.float32)).numpy()[0, :, :, 0]

    def segment(self, pixels: np.ndarray) -> LungField:
        found = probability_to_field(self.probability(pixels), pixels.shape[1], pixels.shape[0])
        return check_darker(pixels, found)


def check_darker(pixels: np.ndarray, found: LungField) -> LungField:
    """Lungs brighter than the rest of their box are not lungs of a radiograph as read: an inverted
    (negative) image, or not a radiograph at all."""
    if not found.plausible or found.bbox is None:
        return found
    left, top, right, bottom = found.bbox
    lung = found.mask[top:bottom, left:right] > 0
    box = pixels[top:bottom, left:right].astype(np.float64)
    if lung.all() or not lung.any():
        return found
    contrast = float(box[lung].mean() - box[~lung].mean())
    if contrast > MAX_LUNG_CONTRAST:
        found.plausible = False
        found.reason = (f"the 'lungs' are {contrast:.0f} levels brighter than the rest of the chest: "
                        "an inverted (negative) image?")
    return found


def outline(mask: np.ndarray, width: int | None = None) -> np.ndarray:
    """The boolean outline of a mask, ``width`` pixels thick (default: about 1/256 of the image)."""
    from scipy import ndimage

    lung = mask > 0
    width = width or max(1, min(mask.shape) // 256)
    return lung & ~ndimage.binary_erosion(lung, iterations=width)


def overlay(pixels: np.ndarray, field_: LungField, opacity: float = 0.35) -> Image.Image:
    """The radiograph in gray, the lungs tinted green with their outline and bounding box in colour."""
    gray = np.repeat(pixels[..., None], 3, axis=2).astype(np.float64)
    lung = field_.mask > 0
    tint = np.array([40.0, 200.0, 80.0])
    gray[lung] = gray[lung] * (1 - opacity) + tint * opacity
    gray[outline(field_.mask)] = (60, 255, 90)
    if field_.bbox:
        left, top, right, bottom = field_.bbox
        colour = (255, 200, 0) if field_.plausible else (255, 60, 60)
        gray[top, left:right] = gray[bottom - 1, left:right] = colour
        gray[top:bottom, left] = gray[top:bottom, right - 1] = colour
    return Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8))


# --------------------------------------------------------------------------------------- bundles


def read_lung_card(folder: str | Path) -> dict:
    folder = Path(folder)
    path = folder / CARD_FILE
    if not path.is_file():
        raise LungModelError(f"{folder} is not a CXRDesk lung model (no {CARD_FILE})")
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LungModelError(f"{path} cannot be read: {exc}") from None
    if not isinstance(card, dict) or card.get("format") != FORMAT:
        raise LungModelError(f"{path} is not a {FORMAT} card (a classifier is not a lung model)")
    return card


def load_lung_model(folder: str | Path | None = None) -> LungSegmenter:
    """Load and verify a lung model bundle (default: the one shipped in ``models/``)."""
    register_layers()
    folder = Path(folder) if folder else LUNG_BUNDLE
    if not folder.exists():
        raise LungModelError(f"no lung model at {folder}: train one with 'cxrdesk train-lungs ../shared/data/lungs "
                             "--out models'")
    card = read_lung_card(folder)
    model = load_verified_model(folder / MODEL_FILE, card.get("model_sha256"), LungModelError)
    if model.get_layer(OUTPUT).output.shape[-1] != 1 or model.get_layer(RESIZE_LAYER).height != card["input_size"]:
        raise LungModelError(f"{folder}: card and model disagree")
    return LungSegmenter(model, card, folder)


def write_lung_bundle(model, card: dict, folder: Path) -> Path:
    """Save a float32 copy of ``model`` and its card atomically at ``folder``."""
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
        card = {**card, "model_sha256": file_sha256(tmp / MODEL_FILE)}
        (tmp / CARD_FILE).write_text(json.dumps(card, indent=2), encoding="utf-8")
    return Path(folder)


# -------------------------------------------------------------------------------------- training


@dataclass(frozen=True)
class LungPair:
    image: Path
    mask: Path
    group: str
    patient: str
    licence: str


def _known_patients(data: Path) -> dict[str, str]:
    """File name -> patient, from the ``labels.csv`` of sibling datasets: the COVID-19 lung images are
    cxr3 images, and one ieee8023 patient has several films, so a test split by file would put the same
    patient on both sides."""
    from .scanning import patients_in_csv

    patients = {}
    for table in sorted(data.parent.glob("*/labels.csv")):
        patients.update(patients_in_csv(table))
    return patients


def load_pairs(data: str | Path) -> list[LungPair]:
    """The image/mask pairs of a lungs folder (``pairs.csv``: group, image, mask, licence...). A
    patient is the ``patient`` column if there is one, else the Shenzhen ``CHNCXR_NNNN`` number, else
    the patient a sibling dataset's labels give the same file name, else the image itself."""
    data = Path(data).expanduser()
    table = data / "pairs.csv"
    if not table.is_file():
        raise CxrdeskError(f"{data} has no pairs.csv: expected a folder like ../shared/data/lungs "
                           "(images/ and masks/ per group, listed in pairs.csv)")
    pairs = []
    known = _known_patients(data)
    with table.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            image, mask = data / row["image"], data / row["mask"]
            if image.is_file() and mask.is_file():
                stem = Path(row["image"]).stem
                patient = (row.get("patient") or ("_".join(stem.split("_")[:2]) if stem.startswith("CHNCXR") else "")
                           or known.get(image.name) or stem)
                pairs.append(LungPair(image, mask, row["group"], patient, row.get("licence", "")))
    if not pairs:
        raise CxrdeskError(f"{table} lists no image whose image and mask files exist")
    return pairs


def split_test(pairs: list[LungPair], share: float, seed: int = 0) -> tuple[list[LungPair], list[LungPair]]:
    """(training, test): about ``share`` of each group's patients in the test part, chosen by a hash of
    the patient id (stable whatever the order or the other files), every film of a patient on one side."""
    from .curation import in_hashed_share

    if not 0.0 <= share < 1.0:
        raise CxrdeskError(f"the test share must be at least 0 and below 1, not {share}")
    tested = [in_hashed_share(f"{seed}:{p.group}:{p.patient}", share) for p in pairs]
    return [p for p, t in zip(pairs, tested) if not t], [p for p, t in zip(pairs, tested) if t]


def _arrays(pairs: list[LungPair], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Images (0..255) and masks (0..1) resized to ``size`` the way the model resizes."""
    import tensorflow as tf

    from .imaging import read_grayscale

    images, masks = [], []
    for pair in pairs:
        pixels = read_grayscale(pair.image).pixels
        mask = np.asarray(Image.open(pair.mask).convert("L"), dtype=np.float32) / 255.0
        images.append(tf.image.resize(pixels[..., None].astype(np.float32), [size, size], method=RESIZE_INTERPOLATION,
                                      antialias=RESIZE_ANTIALIAS).numpy())
        masks.append(tf.image.resize(mask[..., None], [size, size], method="area").numpy())
    return np.stack(images), np.clip(np.stack(masks), 0.0, 1.0)


def _augment(images, masks, seed: int):
    """The same random affine (scale, shift, rotation) on image and mask; random gamma and contrast on
    the image only, so brightness and film type do not decide where the lungs are."""
    import math

    import tensorflow as tf

    n = tf.shape(images)[0]
    size = tf.cast(tf.shape(images)[1], tf.float32)
    angle = tf.random.uniform([n], -10.0, 10.0) * (math.pi / 180.0)
    scale = tf.random.uniform([n], 0.85, 1.15)
    tx = tf.random.uniform([n], -0.08, 0.08) * size
    ty = tf.random.uniform([n], -0.08, 0.08) * size
    c = (size - 1.0) / 2.0
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    a2 = c - cos * c + sin * c + tx
    b2 = c - sin * c - cos * c + ty
    zeros = tf.zeros_like(cos)
    transform = tf.stack([cos, -sin, a2, sin, cos, b2, zeros, zeros], axis=1)

    def warp(x, interpolation):
        return tf.raw_ops.ImageProjectiveTransformV3(images=x, transforms=transform, output_shape=tf.shape(x)[1:3],
                                                     fill_value=0.0, interpolation=interpolation, fill_mode="NEAREST")

    images, masks = warp(images, "BILINEAR"), warp(masks, "BILINEAR")
    images = _opacities(images, masks)
    gamma = tf.exp(tf.random.uniform([n, 1, 1, 1], -0.4, 0.4))
    images = 255.0 * tf.pow(tf.clip_by_value(images / 255.0, 0.0, 1.0), gamma)
    contrast = tf.random.uniform([n, 1, 1, 1], 0.7, 1.3)
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    images = tf.clip_by_value((images - mean) * contrast + mean, 0.0, 255.0)
    return images, masks


def _opacities(images, masks, chance: float = 0.5, most: int = 4):
    """Synthetic consolidation: for half the images, up to ``most`` soft bright blobs centred inside the
    lungs (the mask is unchanged), so that an opacified lung is still taken for lung, as the COVID-19
    lungs of the hard group must be."""
    import tensorflow as tf

    n = tf.shape(images)[0]
    size = tf.shape(images)[1]
    grid = tf.cast(tf.range(size), tf.float32)
    yy, xx = tf.meshgrid(grid, grid, indexing="ij")
    # centres drawn from the lung pixels of each image (Gumbel-max sampling over the mask)
    flat = tf.reshape(masks[..., 0], [n, -1])
    total = tf.zeros_like(images[..., 0])
    for _ in range(most):
        noise = -tf.math.log(-tf.math.log(tf.random.uniform(tf.shape(flat), 1e-6, 1.0)))
        index = tf.argmax(tf.math.log(flat + 1e-6) + noise, axis=1, output_type=tf.int32)
        cy, cx = tf.cast(index // size, tf.float32), tf.cast(index % size, tf.float32)
        sigma = tf.random.uniform([n], 0.04, 0.15) * tf.cast(size, tf.float32)
        amplitude = tf.random.uniform([n], 40.0, 140.0) * tf.cast(tf.random.uniform([n]) < 0.7, tf.float32)
        blob = tf.exp(-((yy[None] - cy[:, None, None]) ** 2 + (xx[None] - cx[:, None, None]) ** 2)
                      / (2.0 * sigma[:, None, None] ** 2))
        total += amplitude[:, None, None] * blob
    apply = tf.cast(tf.random.uniform([n, 1, 1]) < chance, tf.float32)
    return tf.clip_by_value(images + (apply * total)[..., None], 0.0, 255.0)


def dice(pred: np.ndarray, truth: np.ndarray) -> float:
    """Dice coefficient of two binary masks (1.0 when both are empty)."""
    pred, truth = pred.astype(bool), truth.astype(bool)
    total = pred.sum() + truth.sum()
    return 1.0 if total == 0 else float(2.0 * (pred & truth).sum() / total)


def evaluate_dice(segmenter: LungSegmenter, pairs: list[LungPair]) -> dict:
    """Dice per image at the mask's own size, after the post-processing a user gets (upsampling,
    threshold, two largest regions); mean, median and 5th percentile, and the plausible share."""
    from .imaging import read_grayscale

    scores, plausible = [], 0
    for pair in pairs:
        pixels = read_grayscale(pair.image).pixels
        truth = np.asarray(Image.open(pair.mask).convert("L")) > 127
        found = segmenter.segment(pixels)
        scores.append(dice(found.mask > 0, truth))
        plausible += found.plausible
    values = np.array(scores)
    return {"images": len(pairs), "dice_mean": round(float(values.mean()), 4),
            "dice_median": round(float(np.median(values)), 4), "dice_p5": round(float(np.percentile(values, 5)), 4),
            "plausible_share": round(plausible / len(pairs), 4)}


@dataclass
class LungTraining:
    """How a lung model is trained (the defaults are what the shipped model used)."""

    size: int = LUNG_SIZE
    base: int = 12
    depth: int = 4
    epochs: int = 40
    batch_size: int = 16
    learning_rate: float = 2e-3
    seed: int = 7
    test_share: float = 0.15  # of each group's patients kept out of the shipped model's training
    #: Draw each batch's images from every group equally often (the small hard COVID-19 group would
    #: otherwise be a fifth of what the network sees); an epoch is still one pass's worth of images.
    balance_groups: bool = False


def _loss():
    import tensorflow as tf

    def bce_dice(y_true, y_pred):
        y_pred = tf.cast(y_pred, tf.float32)
        bce = tf.reduce_mean(tf.keras.losses.binary_crossentropy(y_true, y_pred))
        inter = tf.reduce_sum(y_true * y_pred, axis=[1, 2, 3])
        total = tf.reduce_sum(y_true + y_pred, axis=[1, 2, 3])
        return bce + 1.0 - tf.reduce_mean((2.0 * inter + 1.0) / (total + 1.0))

    return bce_dice


Say = Callable[[str], None]


def _balanced(images, masks, groups: list[str], settings: LungTraining):
    """An endless stream drawing each group with the same probability, cut to one epoch's length."""
    import tensorflow as tf

    names = sorted(set(groups))
    streams = []
    for k, name in enumerate(names):
        index = np.array([g == name for g in groups])
        streams.append(tf.data.Dataset.from_tensor_slices((images[index], masks[index]))
                       .shuffle(int(index.sum()), seed=settings.seed + k, reshuffle_each_iteration=True).repeat())
    mixed = tf.data.Dataset.sample_from_datasets(streams, weights=[1.0 / len(names)] * len(names), seed=settings.seed,
                                                 rerandomize_each_iteration=True)
    return mixed.take(len(groups))


def fit_lung_model(pairs: list[LungPair], settings: LungTraining, say: Say = print, label: str = ""):
    """Train a lung model on ``pairs``; returns (model, history)."""
    import keras
    import tensorflow as tf

    from .devices import cpu_has_bfloat16

    keras.mixed_precision.set_global_policy("mixed_bfloat16" if cpu_has_bfloat16() else "float32")
    try:
        images, masks = _arrays(pairs, settings.size)
        model = build_lung_model(settings.size, settings.base, settings.depth, seed=settings.seed)
        steps = int(np.ceil(len(pairs) / settings.batch_size))
        schedule = keras.optimizers.schedules.CosineDecay(settings.learning_rate, settings.epochs * steps, alpha=0.05)
        model.compile(optimizer=keras.optimizers.Adam(schedule), loss=_loss())
        data = _balanced(images, masks, [p.group for p in pairs], settings) if settings.balance_groups else (
            tf.data.Dataset.from_tensor_slices((images, masks))
            .shuffle(len(pairs), seed=settings.seed, reshuffle_each_iteration=True))
        data = (data.batch(settings.batch_size)
                .map(lambda x, y: _augment(x, y, settings.seed), num_parallel_calls=tf.data.AUTOTUNE)
                .prefetch(tf.data.AUTOTUNE))
        history = []

        class Progress(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.started = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                seconds = time.perf_counter() - self.started
                history.append({"epoch": epoch + 1, "loss": round(float(logs["loss"]), 5),
                                "seconds": round(seconds, 2)})
                say(f"    {label}epoch {epoch + 1}/{settings.epochs}: loss {logs['loss']:.4f}, {seconds:.1f} s")

        model.fit(data, epochs=settings.epochs, verbose=0, shuffle=False, callbacks=[Progress()])
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return model, history


def train_lungs(data: str | Path, out: str | Path, settings: LungTraining | None = None, *, validate: bool = True,
                name: str = "lungs-unet", command: str | None = None, say: Say = print,
                folds: list[str] | None = None, final: bool = True) -> Path | None:
    """Validate with each group held out in turn (train on the others, Dice on the held-out one), then
    train on every group but a test share of its patients, measure Dice on that share, and write the
    bundle ``out/name`` whose card records both."""
    import keras
    import tensorflow as tf

    from .devices import cpu_name

    settings = settings or LungTraining()
    pairs = load_pairs(data)
    groups = sorted({p.group for p in pairs})
    say(f"{len(pairs)} image/mask pairs in {len(groups)} groups: "
        + ", ".join(f"{g} {sum(p.group == g for p in pairs)}" for g in groups))
    held_out = {}
    if validate:
        unknown = sorted(set(folds or []) - set(groups))
        if unknown:
            raise CxrdeskError(f"no group {', '.join(unknown)} in {data}: the groups are {', '.join(groups)}")
        for group in folds or groups:
            say(f"Held out: {group} (training on {', '.join(g for g in groups if g != group)})")
            model, _ = fit_lung_model([p for p in pairs if p.group != group], settings, say, f"[{group}] ")
            held_out[group] = evaluate_dice(LungSegmenter(model), [p for p in pairs if p.group == group])
            say(f"    Dice on {group}, never seen: {held_out[group]['dice_mean']:.4f} "
                f"(median {held_out[group]['dice_median']:.4f}, 5th percentile {held_out[group]['dice_p5']:.4f})")
    if not final:
        return None
    training, testing = split_test(pairs, settings.test_share)
    say(f"Final model: training on {len(training)} pairs; {len(testing)} pairs of "
        f"{len({(p.group, p.patient) for p in testing})} patients kept out to test it")
    started = time.perf_counter()
    model, history = fit_lung_model(training, settings, say, "[final] ")
    seconds = time.perf_counter() - started
    tested = {}
    for group in groups:
        part = [p for p in testing if p.group == group]
        if part:
            tested[group] = evaluate_dice(LungSegmenter(model), part)
            say(f"    Dice on the {len(part)} {group} test images it never saw: {tested[group]['dice_mean']:.4f} "
                f"(median {tested[group]['dice_median']:.4f}, 5th percentile {tested[group]['dice_p5']:.4f})")
    licences = sorted({(p.group, p.licence) for p in pairs})
    card = {
        "format": FORMAT, "name": name, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cxrdesk_version": __version__, "notice": RESEARCH_NOTICE, "command": command,
        "task": "lung segmentation: probability that each pixel is lung (the heart and the rest are background)",
        "input_size": settings.size,
        "input": {"expects": "8-bit grayscale radiograph of any size, values 0-255; the model resizes "
                             f"(bilinear, antialiased) to {settings.size} px and standardises each image itself",
                  "output": f"{settings.size} x {settings.size} lung probability; cxrdesk upsamples it to the "
                            "image's size, thresholds at 0.5 and keeps the two largest regions"},
        "architecture": {"name": "U-Net", "base_filters": settings.base, "depth": settings.depth,
                         "parameters": int(model.count_params())},
        "training": {**asdict(settings), "loss": "binary cross-entropy + soft Dice", "optimizer": "Adam, cosine decay",
                     "augmentation": "rotation +-10 deg, scale 0.85-1.15, shift +-8 %, synthetic opacities "
                                     "inside the lungs, gamma, contrast",
                     "post_processing": "upsample, threshold 0.5, two largest regions, holes filled",
                     "seconds": round(seconds, 1), "device_name": cpu_name(), "history": history,
                     "images": len(training)},
        "data": {"folder": str(Path(data).resolve()), "groups": {g: sum(p.group == g for p in pairs) for g in groups},
                 "licences": [{"group": g, "licence": lic} for g, lic in licences]},
        "held_out_dice": held_out,
        "held_out_dice_what": "each group measured by a model of the same settings trained on the other groups only "
                              "(a hospital and annotation protocol never seen)",
        "test_dice": tested,
        "test_dice_what": f"this model on the {settings.test_share:.0%} of each group's patients kept out of its "
                          "training (hospitals and protocols it learnt, images it never saw)",
        "versions": {"cxrdesk": __version__, "tensorflow": tf.__version__, "keras": keras.__version__,
                     "python": platform.python_version()},
    }
    folder = write_lung_bundle(model, card, Path(out) / name)
    say(f"Lung model written to {folder}")
    return folder
