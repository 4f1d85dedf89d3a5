"""The networks CXRDesk trains, as one registry: each entry carries its builder, input size,
preprocessing and pretrained weights, so adding a model is one entry in :data:`MODELS`.

Every model takes a batch of 8-bit grayscale radiographs of any size (shape ``(batch, h, w, 1)``,
values 0..255) and does the rest itself (see :mod:`cxrdesk.preprocessing`): resize to its input
size, rescale when its network wants 0..1 (the study's ``rescale=1./255``), copy the gray channel to
three, then the network. What is saved is therefore what diagnoses: no separate preprocessing step can
drift between training and inference.

TensorFlow is imported inside the functions, never at module import, so the GUI and ``cxrdesk scan``
start without it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .classes import STUDY_CLASSES
from .errors import CxrdeskError
from .lungs import lung_field_input
from .preprocessing import (GRAY_TO_RGB_LAYER, INPUT_LAYER, OUTPUT_LAYER, RESCALE_LAYER, RESIZE_ANTIALIAS,
                            RESIZE_INTERPOLATION, RESIZE_LAYER, describe)
from .style import mix_style


@dataclass(frozen=True)
class PretrainedWeights:
    """A Keras Applications base's ImageNet weights without top, as Keras' own cache names them."""

    file: str
    origin: str
    md5: str


@dataclass(frozen=True)
class ModelSpec:
    """One trainable network: everything the CLI, the GUI, training, the card and benchmarks need."""

    name: str
    title: str
    default_size: int
    min_size: int
    description: str
    #: ``body(x, size, weight_file, fine_tune, mix)`` -> the features the output layer classifies; ``x`` is the
    #: resized, rescaled RGB batch, ``weight_file`` a path or None (random initialisation) and ``mix`` the
    #: probability of style mixing in training (:mod:`cxrdesk.style`; 0: none).
    body: Callable
    pixel_scale: str = "unit"  # see preprocessing.PIXEL_SCALES
    imagenet: PretrainedWeights | None = None  # None: no pretrained base

    @property
    def pretrained(self) -> bool:
        return self.imagenet is not None

    @property
    def weight_choices(self) -> tuple[str, ...]:
        """What ``--weights`` may be for this model (besides a weights file, for a pretrained base)."""
        return ("imagenet", "none") if self.pretrained else ("none",)

    @property
    def expects(self) -> str:
        return describe(self.pixel_scale)


# ----------------------------------------------------------------------------------- bodies


def _study_convolutions(x, mix: float = 0.0):
    """The study's three convolutions and two poolings (layers 1-5 of SPEC.md §2); with ``mix``, style
    mixing after the first convolution and after the first pooling (the early layers, where style lives)."""
    from keras import layers

    x = layers.Conv2D(32, 4, padding="same", activation="relu", name="conv1")(x)
    x = mix_style(x, mix, "mix_style1")
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = mix_style(x, mix, "mix_style2")
    x = layers.Conv2D(128, 2, padding="same", activation="relu", name="conv3")(x)
    return layers.MaxPooling2D(2, name="pool2")(x)


def _dense_head(x):
    from keras import layers

    x = layers.Dense(128, activation="relu", name="dense128")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    return layers.Dense(64, activation="relu", name="dense64")(x)


def _custom_body(x, size, weight_file, fine_tune, mix=0.0):
    """The study's 'red arbitraria': SPEC.md §2, 51,441,763 parameters at 224 px."""
    from keras import layers

    return _dense_head(layers.Flatten(name="flatten")(_study_convolutions(x, mix)))


def _compact_body(x, size, weight_file, fine_tune, mix=0.0):
    """The study's convolutions, two more, and global pooling instead of a 51 M-weight Dense."""
    from keras import layers

    x = _study_convolutions(x, mix)
    x = layers.Conv2D(128, 3, padding="same", activation="relu", name="conv4")(x)
    x = layers.MaxPooling2D(2, name="pool3")(x)
    x = layers.Conv2D(256, 3, padding="same", activation="relu", name="conv5")(x)
    return _dense_head(layers.GlobalAveragePooling2D(name="gap")(x))


def _study_transfer_head(x):
    """The study's head on a pretrained base: Flatten, Dense 128-64-32, Dropout 0.5."""
    from keras import layers

    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(128, activation="relu", name="dense128")(x)
    x = layers.Dense(64, activation="relu", name="dense64")(x)
    x = layers.Dense(32, activation="relu", name="dense32")(x)
    return layers.Dropout(0.5, name="dropout")(x)


def _pooled_head(x):
    """Global average pooling, Dense 128, Dropout 0.5: a light head for a modern base."""
    from keras import layers

    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dense(128, activation="relu", name="dense128")(x)
    return layers.Dropout(0.5, name="dropout")(x)


def transfer_body(application: str, head: Callable = _study_transfer_head, **options) -> Callable:
    """A body made of ``keras.applications.<application>`` without top (random or ImageNet weights,
    the last ``fine_tune`` layers trainable) and ``head``."""
    def body(x, size, weight_file, fine_tune, mix=0.0):
        import keras
        from keras import layers

        if mix:
            raise CxrdeskError(f"style mixing works on layers CXRDesk builds (custom, compact), not on a pretrained "
                               f"{application} base")
        base = getattr(keras.applications, application)(include_top=False, weights=None,
                                                        input_shape=(size, size, 3), **options)
        base.name = f"{application.lower()}_base"
        if weight_file:
            try:
                base.load_weights(weight_file)
            except Exception as exc:
                raise CxrdeskError(f"{weight_file} does not hold {application} weights without top "
                                   f"({str(exc).splitlines()[0][:160]})") from None
        base.trainable = fine_tune > 0
        if fine_tune > 0:
            for layer in base.layers[:-fine_tune]:
                layer.trainable = False
            for layer in base.layers:  # ImageNet statistics; small batches would spoil them
                if isinstance(layer, layers.BatchNormalization):
                    layer.trainable = False
        return head(base(x, training=False))  # BatchNorm in inference mode even when fine-tuning

    return body


_KERAS_APPLICATIONS = "https://storage.googleapis.com/tensorflow/keras-applications/"

# ----------------------------------------------------------------------------------- registry

MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in (
    ModelSpec("custom", "Custom CNN (study)", 224, 8,
              "the study's 10-layer network: 3 convolutions, Flatten, Dense 128-64-classes", _custom_body),
    ModelSpec("vgg16", "VGG16 transfer (study)", 224, 32,
              "ImageNet VGG16 without top, then Flatten, Dense 128-64-32, Dropout, Dense classes",
              transfer_body("VGG16"),
              imagenet=PretrainedWeights("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                                         _KERAS_APPLICATIONS + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                                         "6d6bbae143d832006294945121d1f1fc")),
    ModelSpec("inceptionv3", "InceptionV3 transfer (study)", 299, 75,
              "ImageNet InceptionV3 without top, then Flatten, Dense 128-64-32, Dropout, Dense classes",
              transfer_body("InceptionV3"),
              imagenet=PretrainedWeights("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
                                         _KERAS_APPLICATIONS + "inception_v3/"
                                         "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
                                         "bcbd6486424b2319ff4ef7d526e38f63")),
    ModelSpec("compact", "Compact CNN", 224, 16,
              "the custom network with two more convolutions and global average pooling in place of "
              "Flatten: ~0.5 M parameters instead of 51 M", _compact_body),
    ModelSpec("efficientnetv2b0", "EfficientNetV2-B0 transfer", 224, 32,
              "ImageNet EfficientNetV2-B0 without top (its own ImageNet normalisation inside), then global "
              "pooling, Dense 128, Dropout, Dense classes: ~6 M parameters",
              transfer_body("EfficientNetV2B0", _pooled_head, include_preprocessing=True), pixel_scale="raw",
              imagenet=PretrainedWeights("efficientnetv2-b0_notop.h5",
                                         _KERAS_APPLICATIONS + "efficientnet_v2/efficientnetv2-b0_notop.h5",
                                         "893217f2bb855e2983157299931e43ff")),
)}


def spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise CxrdeskError(f"unknown model {name!r}: choose one of {', '.join(MODELS)}") from None


def keras_home() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))


def imagenet_weights(name: str) -> Path:
    """The cached ImageNet file for ``name``, downloading it (Keras' own cache) when online."""
    weights = spec(name).imagenet
    if weights is None:
        raise CxrdeskError(f"{name} has no pretrained ImageNet base: use --weights none")
    cached = keras_home() / "models" / weights.file
    if cached.is_file():
        return cached
    try:
        return Path(_download(weights.file, weights.origin, weights.md5))
    except Exception as exc:  # no network, proxy, TLS...: all mean the same thing to the user
        raise CxrdeskError(
            f"ImageNet weights for {name} are not cached and could not be downloaded ({type(exc).__name__}): "
            f"put {weights.file} in {cached.parent}, pass --weights FILE with a local copy, or --weights none"
        ) from None


def _download(fname: str, origin: str, md5: str) -> str:
    import keras

    return keras.utils.get_file(fname, origin, cache_subdir="models", file_hash=md5)


def weight_file(name: str, weights: str | None) -> str | None:
    """The file to initialise ``name``'s pretrained base from: 'imagenet', 'none' or a path."""
    if weights in ("none", None) or not spec(name).pretrained:
        return None
    if weights == "imagenet":
        return str(imagenet_weights(name))
    if not Path(weights).is_file():
        raise CxrdeskError(f"weights file not found: {weights}")
    return str(weights)


def build_model(name: str, image_size: int | None = None, weights: str = "imagenet",
                fine_tune: int = 0, seed: int | None = None, n_classes: int = len(STUDY_CLASSES),
                lung_field: str = "off", lung_model=None, mix_style: float = 0.0):
    """A compile-ready Keras model with ``n_classes`` softmax outputs; ``weights``: 'imagenet', 'none'
    or a path to a weights file (ignored by models without a pretrained base).

    ``lung_field`` ('off', 'crop', 'mask'...; see :data:`cxrdesk.lungs.LUNG_FIELDS`) puts the
    frozen ``lung_model`` and the lung crop in front of the network, inside the saved model.

    ``fine_tune`` unfreezes that many of the pretrained base's last layers (BatchNormalization
    layers stay frozen: their statistics come from ImageNet and small batches would spoil them).

    ``mix_style`` > 0 mixes the early layers' feature statistics between training images with that
    probability per batch (:mod:`cxrdesk.style`; the custom and compact networks only).
    """
    import keras
    from keras import layers

    model_spec = spec(name)
    size = int(image_size or model_spec.default_size)
    if size < model_spec.min_size:
        raise CxrdeskError(f"{name} needs an image size of at least {model_spec.min_size} px (got {size})")
    if n_classes < 2:
        raise CxrdeskError(f"a model needs at least 2 classes (got {n_classes})")
    if seed is not None:
        keras.utils.set_random_seed(seed)

    inputs = keras.Input(shape=(None, None, 1), name=INPUT_LAYER)
    x = inputs
    if lung_field != "off":

        if lung_model is None:
            raise CxrdeskError(f"lung field {lung_field!r} needs a lung model")
        x = lung_field_input(inputs, size, lung_field, lung_model)
    x = layers.Resizing(size, size, interpolation=RESIZE_INTERPOLATION, antialias=RESIZE_ANTIALIAS,
                        name=RESIZE_LAYER)(x)
    if model_spec.pixel_scale == "unit":
        x = layers.Rescaling(1.0 / 255.0, name=RESCALE_LAYER)(x)
    x = layers.Concatenate(axis=-1, name=GRAY_TO_RGB_LAYER)([x, x, x])
    x = model_spec.body(x, size, weight_file(name, weights), fine_tune, mix_style)
    outputs = layers.Dense(n_classes, activation="softmax", dtype="float32", name=OUTPUT_LAYER)(x)
    return keras.Model(inputs, outputs, name=name)


def parameter_counts(model) -> tuple[int, int]:
    """(total, trainable) parameters."""
    import numpy as np

    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    return int(model.count_params()), trainable
