"""Training recipes: how a network is taught, beyond its architecture and hyperparameters.

A recipe names the augmentation applied to training images, the lung field, how images are weighted
and when training stops; the run records its recipe in the card, the CLI and the Training tab list
:data:`RECIPES`. The study's recipe is kept exactly: a new way of training is a new entry, never an
edit of this one.

- ``study``: the paper's ``ImageDataGenerator`` (shear, zoom, horizontal flip) on the whole image.
- ``lungs`` (the default for new runs): the same augmentation on the lungs only (lung field 'mask'),
  the recipe that measured best on hospitals never seen.
- ``robust``: the lungs plus random brightness, contrast, gamma, blur and noise, sources weighed alike
  within each class, early stopping; measured worse than both, kept so that the comparison can be repeated.
- ``mixstyle``: the lungs recipe plus style mixing of the early layers in training (:mod:`cxrdesk.style`),
  against the hospital's style standing for the class; the custom and compact networks only. Measured no
  better than ``lungs`` beyond the spread of seeds, kept so that the comparison can be repeated.

What each measured, against which and how (seeds, hospitals held out): ``benchmarks/RESULTS.md``, written
by ``benchmarks/bench_generalisation.py``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .errors import CxrdeskError


@dataclass(frozen=True)
class Recipe:
    name: str
    title: str
    description: str
    shear_degrees: float  # random shear in +-degrees (ImageDataGenerator's shear_range)
    zoom: float  # independent zoom per axis in [1 - zoom, 1 + zoom]
    horizontal_flip: bool
    lung_field: str = "off"  # see cxrdesk.lungs.LUNG_FIELDS; a run may choose another
    brightness: float = 0.0  # random shift of up to +- this share of 255
    contrast: float = 0.0  # random contrast factor in [1 - c, 1 + c] about the image's mean
    gamma: float = 0.0  # random gamma in [exp(-g), exp(g)]
    blur: float = 0.0  # probability of a 3 x 3 Gaussian blur
    noise: float = 0.0  # sd of added Gaussian noise, as a share of 255 (drawn up to this, per image)
    balance_sources: bool = False  # weight images so each source counts equally within its class
    early_stopping: int = 0  # patience in epochs on validation loss (0: off); a run may choose another
    mix_style: float = 0.0  # probability per batch of mixing early feature statistics between images (cxrdesk.style)

    @property
    def intensity(self) -> bool:
        return any((self.brightness, self.contrast, self.gamma, self.blur, self.noise))

    def card(self) -> dict:
        """What the model card records of the recipe."""
        return {**asdict(self), "fill": "nearest", "applied_to": "training images only"}


RECIPES: dict[str, Recipe] = {recipe.name: recipe for recipe in (
    Recipe("study", "Study (shear, zoom, flip)",
           "the study's ImageDataGenerator(shear_range=0.3, zoom_range=0.3, horizontal_flip=True)",
           shear_degrees=0.3, zoom=0.3, horizontal_flip=True),
    Recipe("lungs", "Lungs only (study augmentation)",
           "the lungs only (cropped, black beyond them); the study's shear, zoom and flip, nothing else changed",
           shear_degrees=0.3, zoom=0.3, horizontal_flip=True, lung_field="mask"),
    Recipe("robust", "Lungs + intensity augmentation, balance, early stop",
           "the lungs only (black beyond them); the study's shear, zoom and flip plus random "
           "brightness, contrast, gamma, blur and noise; each source weighs the same within its class; early stopping",
           shear_degrees=0.3, zoom=0.15, horizontal_flip=True, lung_field="mask", brightness=0.15,
           contrast=0.3, gamma=0.4, blur=0.3, noise=0.03, balance_sources=True, early_stopping=8),
    Recipe("mixstyle", "Lungs + style mixing (MixStyle)",
           "the lungs recipe, and in training each image's early feature statistics mixed with another image's "
           "of the batch (MixStyle, half the batches), so a hospital's style cannot stand for its class; "
           "custom and compact networks only",
           shear_degrees=0.3, zoom=0.3, horizontal_flip=True, lung_field="mask", mix_style=0.5),
)}


def recipe(name: str) -> Recipe:
    try:
        return RECIPES[name]
    except KeyError:
        raise CxrdeskError(f"unknown recipe {name!r}: choose one of {', '.join(RECIPES)}") from None
