"""Training recipes: how a network is taught, beyond its architecture and hyperparameters.

A recipe names the augmentation applied to training images, the lung field, how images are weighted
and when training stops; the run records its recipe in the card, the CLI and the Training tab list
:data:`RECIPES`. The study's recipe is kept exactly: a new way of training is a new entry, never an
edit of this one.

``robust`` is the recipe against shortcuts: the network sees only the lungs (cropped, and black beyond
them: lung field 'mask') under random brightness, contrast, gamma, blur and noise, so brightness cannot
carry the class; each (class, source) cell weighs the same within its class, so no single hospital
dominates what a class looks like; training stops when validation stops improving. Of the lung fields
measured with benchmarks/bench_generalisation.py (mean held-out general precision over two hospitals x
two networks): 'mask' 49.5 %, 'mask+normalise' 47.5 %, 'crop+normalise' 40.5 %, 'crop' 39.2 % - all
below the study's recipe (56.7 %); equalising within the lungs cost 12-16 points in a paired
ablation, so this recipe no longer does it.
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
    Recipe("robust", "Robust across hospitals (lungs, intensity, balance)",
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
