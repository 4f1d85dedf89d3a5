"""The lung model's network and the lung field inside a classifier: Keras layers, saved with the models.

:func:`build_lung_model` is the U-Net that finds the lungs (it resizes and standardises each image itself);
:func:`lung_field_input` puts it, frozen, in front of a classifier with the crop layer, so training,
evaluation and diagnosis crop alike; :func:`lung_boxes` is the one box rule the crop and Grad-CAM's
mapping back to the image share.
"""

from __future__ import annotations

from functools import lru_cache

from ..errors import CxrdeskError
from ..preprocessing import INPUT_LAYER, RESIZE_ANTIALIAS, RESIZE_INTERPOLATION, RESIZE_LAYER

LUNG_SIZE = 128
OUTPUT = "lung_probability"
STANDARDISE_LAYER = "standardise"


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


def equalise_within(images, masks, exportable: bool = False):
    """Histogram equalisation of each image ``(b, s, s, 1)`` (0..255) by the intensities inside its
    mask (the whole image where the mask is almost empty): the lungs' own distribution is made
    uniform, so an image's overall brightness and contrast no longer survive. ``exportable``: count
    and look up the histogram through one-hot products (the same numbers; ONNX has no bincount)."""
    import tensorflow as tf

    batch = tf.shape(images)[0]
    levels = tf.cast(tf.clip_by_value(tf.round(images[..., 0]), 0.0, 255.0), tf.int32)
    flat = tf.reshape(levels, [batch, -1])
    weights = tf.reshape(tf.cast(masks[..., 0] >= 0.5, tf.float32), [batch, -1])
    few = tf.reduce_sum(weights, axis=1, keepdims=True) < 0.01 * tf.cast(tf.shape(flat)[1], tf.float32)
    weights = tf.where(few, tf.ones_like(weights), weights)
    if exportable:
        one_hot = tf.one_hot(flat, 256, dtype=tf.float32)
        hist = tf.einsum("bn,bnk->bk", weights, one_hot)
    else:
        hist = tf.math.bincount(flat, weights=weights, minlength=256, maxlength=256, axis=-1, dtype=tf.float32)
    cdf = tf.cumsum(hist, axis=1)
    cdf = cdf / tf.maximum(cdf[:, -1:], 1.0)
    equalised = tf.einsum("bk,bnk->bn", cdf, one_hot) if exportable else tf.gather(cdf, flat, batch_dims=1)
    return tf.reshape(equalised * 255.0, tf.shape(images))


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


#: A lung-field model is fed images at this many times its own size, so that its crop of the lungs keeps detail.
SOURCE_FACTOR = 2


def source_size(image_size: int, lung_field: str = "off") -> int:
    """The size a model's images are cached and fed at: its own, or :data:`SOURCE_FACTOR` times it for a
    lung-field model - the one place this is decided (training, evaluation and the crop layer read it)."""
    return int(image_size) if lung_field == "off" else SOURCE_FACTOR * int(image_size)


def blacks_out(lung_field: str) -> bool:
    """Whether a model with this lung field sees black beyond a margin from the lungs (no heart, mediastinum or
    neck: only the outline of its lung mask there)."""
    return lung_field in ("mask", "mask+normalise")


def lung_field_input(inputs, size: int, lung_field: str, lung_model):
    """The lung-field front of a classifier: the image at twice the model's size (enough detail for the
    crop), the lung model's probability map, and the crop (and equalisation) to ``size``."""
    from keras import layers

    if lung_field not in LUNG_FIELDS or lung_field == "off":
        raise CxrdeskError(f"lung field must be one of {', '.join(LUNG_FIELDS)} (got {lung_field!r})")
    feed = source_size(size, lung_field)
    source = layers.Resizing(feed, feed, interpolation=RESIZE_INTERPOLATION, antialias=RESIZE_ANTIALIAS,
                             name=SOURCE_LAYER)(inputs)
    lung_model.trainable = False
    lung_model.name = LUNG_MODEL_LAYER
    probability = lung_model(source, training=False)
    return _crop_layer()(size, normalise=lung_field in ("crop+normalise", "mask+normalise"),
                         mask=blacks_out(lung_field), name=CROP_LAYER)([source, probability])


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
