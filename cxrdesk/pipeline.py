"""tf.data input pipeline from a curated dataset: decode once, cache, augment, batch, prefetch.

Images are decoded by :func:`cxrdesk.imaging.read_grayscale` (so DICOM, 16-bit and the rest work in
training exactly as in curation), resized with the very operation the model's own ``Resizing`` layer
uses, and cached as 8-bit arrays at the model's size: in memory, or in a file when they would not
fit. Every later epoch reads the cache; the first pays for decoding, in parallel.

Augmentation follows the run's recipe (:mod:`cxrdesk.recipes`); the study's is
``ImageDataGenerator(shear_range=0.3, zoom_range=0.3, horizontal_flip=True)`` (shear in degrees,
independent zoom per axis in [0.7, 1.3], 'nearest' fill), done as one projective transform per image,
applied to a whole batch in one op: the Keras ``RandomShear``/``RandomZoom``/``RandomFlip`` layers
cost about half the training throughput on a CPU.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .dataset import CuratedDataset, DatasetItem
from .errors import CxrdeskError
from .imaging import open_grayscale
from .preprocessing import RESIZE_ANTIALIAS, RESIZE_INTERPOLATION
from .recipes import RECIPES, Recipe


@dataclass
class Pipelines:
    train: object  # tf.data.Dataset of (images float32 [b, s, s, 1], one-hot labels [b, classes])
    val: object | None
    train_size: int
    val_size: int
    steps_per_epoch: int
    cache: str  # 'memory' or the cache file's path


def resize(images, size: int):
    """Resize a batch or one image (..., h, w, 1) to ``size`` x ``size``; float32 out."""
    import tensorflow as tf

    return tf.image.resize(tf.cast(images, tf.float32), [size, size], method=RESIZE_INTERPOLATION,
                           antialias=RESIZE_ANTIALIAS)


def _read(path: bytes) -> np.ndarray:
    # open_grayscale, not read_grayscale: training needs only the pixels, not the colour measure
    return np.asarray(open_grayscale(path.decode())[0], dtype=np.uint8)


def _decode_and_resize(path, size: int):
    import tensorflow as tf

    image = tf.numpy_function(_read, [path], tf.uint8, stateful=False, name="read_grayscale")
    image = tf.ensure_shape(image, [None, None])[..., tf.newaxis]
    resized = resize(image, size)
    return tf.cast(tf.round(tf.clip_by_value(resized, 0.0, 255.0)), tf.uint8)


def augment_batch(images, seed: int | None = None, recipe: Recipe = RECIPES["study"]):
    """The recipe's random shear (study: +-0.3 degrees), zoom (0.7-1.3 per axis) and horizontal flip,
    per image."""
    import tensorflow as tf

    shape = tf.shape(images)
    n, height, width = shape[0], tf.cast(shape[1], tf.float32), tf.cast(shape[2], tf.float32)
    shear_range, zoom_range = recipe.shear_degrees, recipe.zoom
    shear = tf.random.uniform([n], -shear_range, shear_range, seed=seed) * (math.pi / 180.0)
    zx = tf.random.uniform([n], 1.0 - zoom_range, 1.0 + zoom_range, seed=None if seed is None else seed + 1)
    zy = tf.random.uniform([n], 1.0 - zoom_range, 1.0 + zoom_range, seed=None if seed is None else seed + 2)
    flip = tf.where(tf.random.uniform([n], seed=None if seed is None else seed + 3) < 0.5, -1.0, 1.0)
    if not recipe.horizontal_flip:
        flip = tf.ones_like(flip)
    cx, cy = (width - 1.0) / 2.0, (height - 1.0) / 2.0
    # Output pixel (x, y) samples input (a0 x + a1 y + a2, b0 x + b1 y + b2), about the centre.
    a0 = zx * flip
    a1 = -tf.sin(shear) * zy
    b1 = tf.cos(shear) * zy
    a2 = cx - a0 * cx - a1 * cy
    b2 = cy - b1 * cy
    zeros = tf.zeros_like(a0)
    transforms = tf.stack([a0, a1, a2, zeros, b1, b2, zeros, zeros], axis=1)
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=tf.cast(images, tf.float32), transforms=transforms, output_shape=shape[1:3],
        fill_value=0.0, interpolation="BILINEAR", fill_mode="NEAREST")
    return intensity_augment(out, recipe) if recipe.intensity else out


def intensity_augment(images, recipe: Recipe):
    """The recipe's random brightness, contrast, gamma, blur and noise, per image (0..255 in and out):
    what a different scanner, exposure or hospital does to the same chest."""
    import tensorflow as tf

    n = tf.shape(images)[0]

    def draw(low, high):
        return tf.random.uniform([n, 1, 1, 1], low, high)

    x = tf.clip_by_value(images, 0.0, 255.0)
    if recipe.gamma:
        x = 255.0 * tf.pow(x / 255.0, tf.exp(draw(-recipe.gamma, recipe.gamma)))
    if recipe.contrast:
        mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
        x = (x - mean) * draw(1.0 - recipe.contrast, 1.0 + recipe.contrast) + mean
    if recipe.brightness:
        x = x + 255.0 * draw(-recipe.brightness, recipe.brightness)
    if recipe.blur:
        kernel = tf.constant([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]])[:, :, None, None] / 16.0
        blurred = tf.nn.conv2d(x, kernel, strides=1, padding="SAME")
        x = tf.where(draw(0.0, 1.0) < recipe.blur, blurred, x)
    if recipe.noise:
        x = x + tf.random.normal(tf.shape(x)) * 255.0 * draw(0.0, recipe.noise)
    return tf.clip_by_value(x, 0.0, 255.0)


def source_weights(items: list[DatasetItem]) -> list[float]:
    """A weight per image so that, within each class, every source weighs the same (and the weights
    average 1): a class made of 450 images from one hospital and 125 from another learns from both
    alike, not mostly from the first hospital's look."""
    from collections import Counter

    cells = Counter((i.label, i.source) for i in items)
    sources_per_class = Counter(label for label, _ in cells)
    per_class = Counter(i.label for i in items)
    raw = [per_class[i.label] / (sources_per_class[i.label] * cells[(i.label, i.source)]) for i in items]
    mean = sum(raw) / len(raw)
    return [w / mean for w in raw]


def prior_weights(items: list[DatasetItem], prior: dict[str, float]) -> list[float]:
    """A weight per image so that the classes weigh in the shares ``prior`` gives (and the weights average
    1): a fold of a leave-one-hospital-out estimate whose held-out source took most of one class still
    learns the class balance of the model it stands in for."""
    from collections import Counter

    counts = Counter(i.label for i in items)
    raw = [prior.get(i.label, 0.0) * len(items) / counts[i.label] for i in items]
    mean = sum(raw) / len(raw)
    return [w / mean for w in raw]


def training_weights(items: list[DatasetItem], recipe: Recipe, class_prior: dict[str, float] | None
                     ) -> list[float] | None:
    """Per-image loss weights of a training split, or None when every image weighs the same."""
    if not recipe.balance_sources and not class_prior:
        return None
    weights = source_weights(items) if recipe.balance_sources else [1.0] * len(items)
    if class_prior:
        weights = [a * b for a, b in zip(weights, prior_weights(items, class_prior))]
        mean = sum(weights) / len(weights)
        weights = [w / mean for w in weights]
    return weights


def cache_location(n_images: int, size: int, work_dir: Path | None) -> str:
    """'' (memory) when the decoded images take under a quarter of RAM, else a file in ``work_dir``."""
    needed = n_images * size * size
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        ram = 8 << 30
    if needed < ram // 4 or work_dir is None:
        return ""
    work_dir.mkdir(parents=True, exist_ok=True)
    return str(work_dir / f"images-{size}px")


def split_pipeline(items: list[DatasetItem], size: int, batch_size: int, *, classes: tuple[str, ...],
                   training: bool, seed: int, cache_file: str, recipe: Recipe = RECIPES["study"],
                   class_prior: dict[str, float] | None = None):
    """One split as a tf.data pipeline: shuffled and augmented for training, only resized otherwise.
    Labels are one-hot over ``classes`` (the model's outputs, in order); training images weighted as
    :func:`training_weights` says."""
    import tensorflow as tf

    unknown = sorted({item.label for item in items} - set(classes))
    if unknown:
        raise CxrdeskError(f"images of class {', '.join(unknown)}, which the model does not know "
                           f"(its classes: {', '.join(classes)})")
    paths = [str(item.file) for item in items]
    labels = [classes.index(item.label) for item in items]
    weights = training_weights(items, recipe, class_prior) if training else None
    weighted = weights is not None
    weights = weights or [1.0] * len(items)
    ds = tf.data.Dataset.from_tensor_slices((paths, labels, weights))
    ds = ds.map(lambda p, y, w: (_decode_and_resize(p, size), tf.one_hot(y, len(classes)), w),
                num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.cache(cache_file)
    if training:
        ds = ds.shuffle(len(items), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if training:
        ds = ds.map(lambda x, y, w: (augment_batch(x, recipe=recipe), y, w) if weighted else
                    (augment_batch(x, recipe=recipe), y), num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(lambda x, y, w: (tf.cast(x, tf.float32), y))
    options = tf.data.Options()
    # Multi-worker training shards by element: the input is a list of files read in Python.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options).prefetch(tf.data.AUTOTUNE)


def make_pipelines(dataset: CuratedDataset, size: int, batch_size: int, seed: int = 42,
                   work_dir: Path | None = None, recipe: Recipe = RECIPES["study"],
                   class_prior: dict[str, float] | None = None) -> Pipelines:
    """Training (shuffled, augmented by ``recipe``) and validation (only resized) pipelines of
    ``dataset``, labelled over the dataset's classes."""
    train_items, val_items = dataset.split("train"), dataset.split("val")
    if not train_items:
        raise CxrdeskError(f"{dataset.folder} has no training images")
    missing = [str(i.file) for i in train_items + val_items if not i.file.is_file()]
    if missing:
        raise CxrdeskError(f"{len(missing)} images of {dataset.folder} are gone since curation "
                           f"(first: {missing[0]}): curate again")
    cache_file = cache_location(len(train_items) + len(val_items), size, work_dir)
    classes = dataset.classes
    train = split_pipeline(train_items, size, batch_size, classes=classes, training=True, seed=seed,
                           cache_file=cache_file and cache_file + "-train", recipe=recipe, class_prior=class_prior)
    val = split_pipeline(val_items, size, batch_size, classes=classes, training=False, seed=seed,
                         cache_file=cache_file and cache_file + "-val") if val_items else None
    return Pipelines(train, val, len(train_items), len(val_items),
                     math.ceil(len(train_items) / batch_size), cache_file or "memory")
