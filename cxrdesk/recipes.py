"""Training recipes: how a network is taught, beyond its architecture and hyperparameters.

A recipe names the augmentation applied to training images, the lung field, how images are weighted
and when training stops; the run records its recipe in the card, the CLI and the Training tab list
:data:`RECIPES`. The study's recipe is kept exactly: a new way of training is a new entry, never an
edit of this one.

``lungs`` (the default for new runs) is the study's recipe with one change: the network sees only the
lungs (cropped to them, and black beyond them: lung field 'mask'). It is the one that measured best on
hospitals never seen (benchmarks/bench_generalisation.py, 64 px, 12 epochs; every cell run twice with
three training seeds, 48 runs). Held-out general precision, study -> lungs: Shenzhen 71.5 -> 74.5 %
(custom CNN), 69.2 -> 72.5 % (VGG16); ieee8023 43.0 -> 58.9 % (custom), 29.0 -> 53.0 % (VGG16): +11.6
points on average, better in every cell, but not steady at ieee8023 (the custom CNN 29-72 % over six
runs), and with VGG16 it ranks tuberculosis worse (TB AUC 0.776 against 0.811). Trained longer (up to 40
epochs, early stopping after 8; custom CNN) the lead shrinks to +2.9 points at Shenzhen and +3.5 at
ieee8023 (44.0 against 40.5 %, six runs each), with worse held-out calibration there: expect about +3
at the default training length. See the README.

``robust`` adds to the lungs what was meant against shortcuts: random brightness, contrast, gamma, blur
and noise, so brightness cannot carry the class; each (class, source) cell weighs the same within its
class; early stopping. Measured the same way it is worse than both (Shenzhen 61.1 % +- 4.9, ieee8023
23.0 % +- 6.8). Probably the density of the lungs is the disease's sign, and perturbing it costs more
than the hospital's brightness signature it hides (not yet separated from the weighting and the early
stopping). Kept so that the comparison can be repeated.
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
)}


def recipe(name: str) -> Recipe:
    try:
        return RECIPES[name]
    except KeyError:
        raise CxrdeskError(f"unknown recipe {name!r}: choose one of {', '.join(RECIPES)}") from None
