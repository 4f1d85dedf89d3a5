"""Diagnose one radiograph: class probabilities through the bundle's own preprocessing, a Grad-CAM
heatmap, and a guard against inputs that are not frontal chest radiographs.

The output always carries the model that produced it and the research-use notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from . import RESEARCH_NOTICE
from .bundle import Bundle, Card
from .errors import CxrdeskError
from .imaging import LoadedImage, read_grayscale
from .preprocessing import GRAY_TO_RGB_LAYER, PREPROCESSING_LAYERS

#: Thresholds of the out-of-distribution guard, measured on the 1,489 radiographs of
#: ../shared/data/cxr3 (none of which trips them) and on the non-radiographs the tests make.
MAX_COLOURFULNESS = 12.0  # Hasler-Suesstrunk; a grayscale radiograph saved as RGB scores ~0
MIN_CONTRAST = 10.0  # standard deviation of intensity; the lowest of cxr3 is 14.8
MAX_ROUGHNESS = 0.45  # mean neighbour difference / sd at 256 px: cxr3 at most 0.18, noise ~1.0
ASPECT_RANGE = (0.5, 2.0)  # width / height
MEAN_MARGIN = 20.0  # intensity levels beyond the 1st-99th percentile of the training means


@dataclass
class Diagnosis:
    path: str
    probabilities: dict[str, float]
    predicted: str
    warnings: list[str]  # why the input may not be a frontal chest radiograph; empty when none
    model: dict  # name, architecture, classes, training size, validation general precision
    image: np.ndarray = field(repr=False)  # the radiograph as read (uint8)
    heatmap: np.ndarray | None = field(default=None, repr=False)  # 0..1, the image's size
    heatmap_class: str | None = None
    notice: str = RESEARCH_NOTICE

    def to_dict(self) -> dict:
        return {"file": self.path, "probabilities": self.probabilities, "predicted": self.predicted,
                "out_of_distribution": bool(self.warnings), "warnings": self.warnings, "model": self.model,
                "heatmap_class": self.heatmap_class, "notice": self.notice}


class Diagnoser:
    """A loaded bundle ready to diagnose many images (the model is traced once, for any size)."""

    def __init__(self, bundle: Bundle):
        import tensorflow as tf

        self.bundle = bundle
        self.classes = bundle.classes
        self.summary = bundle.card.summary()
        self._predict = tf.function(lambda x: bundle.model(x, training=False), autograph=False,
                                    input_signature=[tf.TensorSpec([None, None, None, 1], tf.float32)])

    def probabilities(self, pixels: np.ndarray) -> np.ndarray:
        return self._predict(pixels[np.newaxis, :, :, np.newaxis].astype(np.float32)).numpy()[0]

    def class_named(self, name: str) -> str:
        """The model's class called ``name`` (any case), or a clear error listing its classes."""
        for known in self.classes:
            if known.casefold() == name.casefold():
                return known
        raise CxrdeskError(f"unknown class {name!r}: this model's classes are {', '.join(self.classes)}")

    def diagnose(self, path: str | Path, heatmap: bool = False, heatmap_class: str | None = None) -> Diagnosis:
        target = self.class_named(heatmap_class) if heatmap_class is not None else None
        loaded = read_grayscale(path)
        probs = self.probabilities(loaded.pixels)
        predicted = self.classes[int(probs.argmax())]
        target = target or predicted
        cam = grad_cam(self.bundle.model, loaded.pixels, self.classes.index(target)) if heatmap else None
        return Diagnosis(str(path), {c: float(p) for c, p in zip(self.classes, probs)}, predicted,
                         ood_warnings(loaded, self.bundle.card), self.summary, loaded.pixels, cam,
                         target if heatmap else None)


def feature_layer(model) -> str:
    """The last layer with a spatial (4-D) output: the last convolution, or the pretrained base."""
    for layer in reversed(model.layers):
        shape = layer.output.shape if not isinstance(layer.output, (list, tuple)) else None
        if shape is not None and len(shape) == 4 and layer.name not in PREPROCESSING_LAYERS:
            return layer.name
    raise CxrdeskError(f"model {model.name} has no convolutional feature map for Grad-CAM")


def grad_cam(model, pixels: np.ndarray, class_index: int, layer: str | None = None) -> np.ndarray:
    """Grad-CAM (Selvaraju et al.): where the feature map pushes the class score up; 0..1 heatmap at
    the image's own size. Runs the model layer by layer so a nested pretrained base works too."""
    import tensorflow as tf

    layer = layer or feature_layer(model)
    x = tf.constant(pixels[np.newaxis, :, :, np.newaxis], tf.float32)
    with tf.GradientTape() as tape:
        features, out = None, x
        for item in model.layers[1:]:
            out = item([out, out, out]) if item.name == GRAY_TO_RGB_LAYER else item(out, training=False)
            if item.name == layer:
                features = out
                tape.watch(features)
        score = out[:, class_index]
    grads = tape.gradient(score, features)
    weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(weights * features, axis=-1))[0].numpy()
    if cam.max() > 0:
        cam = cam / cam.max()
    image = Image.fromarray(cam.astype(np.float32), mode="F").resize(
        (pixels.shape[1], pixels.shape[0]), Image.Resampling.BILINEAR)
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
        found.append(f"a colour image (colourfulness {loaded.colourfulness:.0f}): radiographs are grayscale")
    sd = float(pixels.std())
    if sd < MIN_CONTRAST:
        found.append(f"almost uniform (intensity sd {sd:.1f}): a blank or empty image?")
    else:
        rough = roughness(pixels)
        if rough > MAX_ROUGHNESS:
            found.append(f"noise-like texture (roughness {rough:.2f}), unlike a radiograph")
    aspect = pixels.shape[1] / pixels.shape[0]
    if not ASPECT_RANGE[0] <= aspect <= ASPECT_RANGE[1]:
        found.append(f"unusual shape for a chest radiograph (width/height {aspect:.2f})")
    train = card.train_intensity
    mean = float(pixels.mean())
    if train and not train["p1"] - MEAN_MARGIN <= mean <= train["p99"] + MEAN_MARGIN:
        found.append(f"mean intensity {mean:.0f} is outside the training images' range "
                     f"({train['p1']:.0f}-{train['p99']:.0f})")
    return found


def heatmap_overlay(pixels: np.ndarray, heatmap: np.ndarray, opacity: float = 0.45) -> Image.Image:
    """The radiograph in gray with the heatmap in colour (Matplotlib's 'jet') on top."""
    from matplotlib import colormaps

    gray = np.repeat(pixels[..., None], 3, axis=2).astype(np.float64)
    colour = colormaps["jet"](heatmap)[..., :3] * 255.0
    alpha = opacity * heatmap[..., None]
    return Image.fromarray(np.clip(gray * (1 - alpha) + colour * alpha, 0, 255).astype(np.uint8))
