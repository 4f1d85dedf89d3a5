"""The study's three networks (plus a compact one), with preprocessing inside the model.

Every model takes a batch of 8-bit grayscale radiographs of any size (shape ``(batch, h, w, 1)``,
values 0..255) and does the rest itself: resize to its input size, rescale by 1/255 (the study's
``rescale=1./255``), copy the gray channel to three, then the network. What is saved is therefore
what diagnoses: no separate preprocessing step can drift between training and inference.

TensorFlow is imported inside the functions, never at module import, so the GUI and ``cxrdesk scan``
start without it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .classes import CLASSES
from .errors import CxrdeskError
from .pipeline import RESIZE_ANTIALIAS, RESIZE_INTERPOLATION


@dataclass(frozen=True)
class ModelSpec:
    name: str
    title: str
    default_size: int
    min_size: int
    pretrained: bool  # has an ImageNet base
    description: str


MODELS: dict[str, ModelSpec] = {
    "custom": ModelSpec("custom", "Custom CNN (study)", 224, 8, False,
                        "the study's 10-layer network: 3 convolutions, Flatten, Dense 128-64-3"),
    "vgg16": ModelSpec("vgg16", "VGG16 transfer (study)", 224, 32, True,
                       "ImageNet VGG16 without top, then Flatten, Dense 128-64-32, Dropout, Dense 3"),
    "inceptionv3": ModelSpec("inceptionv3", "InceptionV3 transfer (study)", 299, 75, True,
                             "ImageNet InceptionV3 without top, then Flatten, Dense 128-64-32, Dropout, Dense 3"),
    "compact": ModelSpec("compact", "Compact CNN", 224, 16, False,
                         "the custom network with two more convolutions and global average pooling "
                         "in place of Flatten: ~0.5 M parameters instead of 51 M"),
}

#: Where Keras keeps downloaded ImageNet weights, and their published file names.
_IMAGENET = {
    "vgg16": ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
              "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
              "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "6d6bbae143d832006294945121d1f1fc"),
    "inceptionv3": ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
                    "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
                    "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
                    "bcbd6486424b2319ff4ef7d526e38f63"),
}

#: Output layer name, and the name of the last convolutional layer per model (for Grad-CAM).
OUTPUT_LAYER = "probabilities"


def spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise CxrdeskError(f"unknown model {name!r}: choose one of {', '.join(MODELS)}") from None


def keras_home() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))


def imagenet_weights(name: str) -> Path:
    """The cached ImageNet file for ``name``, downloading it (Keras' own cache) when online."""
    fname, origin, md5 = _IMAGENET[name]
    cached = keras_home() / "models" / fname
    if cached.is_file():
        return cached
    try:
        return Path(_download(fname, origin, md5))
    except Exception as exc:  # no network, proxy, TLS...: all mean the same thing to the user
        raise CxrdeskError(
            f"ImageNet weights for {name} are not cached and could not be downloaded ({type(exc).__name__}): "
            f"put {fname} in {cached.parent}, pass --weights FILE with a local copy, or --weights none"
        ) from None


def _download(fname: str, origin: str, md5: str) -> str:
    import keras

    return keras.utils.get_file(fname, origin, cache_subdir="models", file_hash=md5)


def build_model(name: str, image_size: int | None = None, weights: str = "imagenet",
                fine_tune: int = 0, seed: int | None = None):
    """A compiled-ready Keras model; ``weights``: 'imagenet', 'none' or a path to a weights file.

    ``fine_tune`` unfreezes that many of the pretrained base's last layers (BatchNormalization
    layers stay frozen: their statistics come from ImageNet and small batches would spoil them).
    """
    import keras
    from keras import layers

    model_spec = spec(name)
    size = int(image_size or model_spec.default_size)
    if size < model_spec.min_size:
        raise CxrdeskError(f"{name} needs an image size of at least {model_spec.min_size} px (got {size})")
    if seed is not None:
        keras.utils.set_random_seed(seed)

    inputs = keras.Input(shape=(None, None, 1), name="grayscale")
    x = layers.Resizing(size, size, interpolation=RESIZE_INTERPOLATION, antialias=RESIZE_ANTIALIAS,
                        name="resize")(inputs)
    x = layers.Rescaling(1.0 / 255.0, name="rescale")(x)
    x = layers.Concatenate(axis=-1, name="gray_to_rgb")([x, x, x])
    if name == "custom":
        x = _custom_body(x)
    elif name == "compact":
        x = _compact_body(x)
    else:
        x = _transfer_body(name, x, size, weights, fine_tune)
    outputs = layers.Dense(len(CLASSES), activation="softmax", dtype="float32", name=OUTPUT_LAYER)(x)
    return keras.Model(inputs, outputs, name=name)


def _study_convolutions(x):
    """The study's three convolutions and two poolings (layers 1-5 of SPEC.md §2)."""
    from keras import layers

    x = layers.Conv2D(32, 4, padding="same", activation="relu", name="conv1")(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(128, 2, padding="same", activation="relu", name="conv3")(x)
    return layers.MaxPooling2D(2, name="pool2")(x)


def _dense_head(x):
    from keras import layers

    x = layers.Dense(128, activation="relu", name="dense128")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    return layers.Dense(64, activation="relu", name="dense64")(x)


def _custom_body(x):
    """The study's 'red arbitraria': SPEC.md §2, 51,441,763 parameters at 224 px."""
    from keras import layers

    return _dense_head(layers.Flatten(name="flatten")(_study_convolutions(x)))


def _compact_body(x):
    """The study's convolutions, two more, and global pooling instead of a 51 M-weight Dense."""
    from keras import layers

    x = _study_convolutions(x)
    x = layers.Conv2D(128, 3, padding="same", activation="relu", name="conv4")(x)
    x = layers.MaxPooling2D(2, name="pool3")(x)
    x = layers.Conv2D(256, 3, padding="same", activation="relu", name="conv5")(x)
    return _dense_head(layers.GlobalAveragePooling2D(name="gap")(x))


def _transfer_body(name: str, x, size: int, weights: str, fine_tune: int):
    """ImageNet base without top + the study's head (Flatten, Dense 128-64-32, Dropout 0.5)."""
    import keras
    from keras import layers

    weight_file = None
    if weights == "imagenet":
        weight_file = str(imagenet_weights(name))
    elif weights not in ("none", None):
        if not Path(weights).is_file():
            raise CxrdeskError(f"weights file not found: {weights}")
        weight_file = str(weights)
    app = keras.applications.VGG16 if name == "vgg16" else keras.applications.InceptionV3
    base = app(include_top=False, weights=None, input_shape=(size, size, 3))
    base.name = f"{name}_base"
    if weight_file:
        try:
            base.load_weights(weight_file)
        except Exception as exc:
            raise CxrdeskError(f"{weights} does not hold {name} weights without top "
                               f"({str(exc).splitlines()[0][:160]})") from None
    base.trainable = fine_tune > 0
    if fine_tune > 0:
        for layer in base.layers[:-fine_tune]:
            layer.trainable = False
        for layer in base.layers:
            if isinstance(layer, layers.BatchNormalization):
                layer.trainable = False
    x = base(x, training=False)  # BatchNorm in inference mode even when fine-tuning
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(128, activation="relu", name="dense128")(x)
    x = layers.Dense(64, activation="relu", name="dense64")(x)
    x = layers.Dense(32, activation="relu", name="dense32")(x)
    return layers.Dropout(0.5, name="dropout")(x)


def parameter_counts(model) -> tuple[int, int]:
    """(total, trainable) parameters."""
    import numpy as np

    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    return int(model.count_params()), trainable
