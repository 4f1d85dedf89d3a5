"""Training the lung model (``cxrdesk train-lungs``) on image/mask pairs, and measuring it (Dice): each
group held out in turn, then the final model on every group but a test share of its patients."""

from __future__ import annotations

import csv
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from .. import RESEARCH_NOTICE, __version__
from ..curation import in_hashed_share
from ..devices import cpu_has_bfloat16, cpu_name
from ..errors import CxrdeskError
from ..export import card_section, export_lung_bundle_file
from ..imaging import read_grayscale
from ..preprocessing import RESIZE_ANTIALIAS, RESIZE_INTERPOLATION
from ..scanning import patients_in_csv
from .layers import LUNG_SIZE, build_lung_model
from .segment import LungSegmenter
from .store import FORMAT, write_lung_bundle


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
    if not 0.0 <= share < 1.0:
        raise CxrdeskError(f"the test share must be at least 0 and below 1, not {share}")
    tested = [in_hashed_share(f"{seed}:{p.group}:{p.patient}", share) for p in pairs]
    return [p for p, t in zip(pairs, tested) if not t], [p for p, t in zip(pairs, tested) if t]


def _arrays(pairs: list[LungPair], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Images (0..255) and masks (0..1) resized to ``size`` the way the model resizes."""
    import tensorflow as tf

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
    folder = write_lung_bundle(model, card, Path(out) / name,
                               extra=lambda copy, tmp: card_section(export_lung_bundle_file, copy, tmp))
    say(f"Lung model written to {folder}")
    return folder
