"""Training recipes: how a network is taught, beyond its architecture and hyperparameters.

A recipe names the augmentation applied to training images (and, as recipes grow, the rest of the
way of training); the run records its recipe in the card, the CLI and the Training tab list
:data:`RECIPES`. The study's recipe is kept exactly: a new way of training is a new entry, never an
edit of this one.
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

    def card(self) -> dict:
        """What the model card records of the recipe."""
        return {**asdict(self), "fill": "nearest", "applied_to": "training images only"}


RECIPES: dict[str, Recipe] = {recipe.name: recipe for recipe in (
    Recipe("study", "Study (shear, zoom, flip)",
           "the study's ImageDataGenerator(shear_range=0.3, zoom_range=0.3, horizontal_flip=True)",
           shear_degrees=0.3, zoom=0.3, horizontal_flip=True),
)}


def recipe(name: str) -> Recipe:
    try:
        return RECIPES[name]
    except KeyError:
        raise CxrdeskError(f"unknown recipe {name!r}: choose one of {', '.join(RECIPES)}") from None
