"""The lung field: a small U-Net that finds the lungs, and what the rest of CXRDesk asks of it.

The network takes an 8-bit grayscale radiograph of any size (shape ``(batch, h, w, 1)``, 0..255) and
does its own preprocessing, as the classifiers do: resize to :data:`LUNG_SIZE`, standardise the
intensity of each image (so a film from Japan and a digital radiograph from Shenzhen look alike to
it), then an encoder-decoder with skip connections gives the probability that each pixel is lung.
:func:`segment` turns that into a mask of the image's own size, keeps the two largest regions (two
lungs), and says whether they look like a plausible pair of lungs.

It is trained by ``cxrdesk train-lungs`` on ``../shared/data/lungs`` (hand-drawn masks from three
groups: Shenzhen, JSRT, and COVID-19 images whose lungs are consolidated), validated with each group
held out in turn, and shipped as a bundle in ``models/`` (``model.keras`` + ``card.json`` of format
:data:`FORMAT`, which the classifier loaders do not mistake for a classifier).

The package: :mod:`.layers` (the networks' layers and the lung field inside a classifier), :mod:`.segment`
(one radiograph's lungs and their plausibility), :mod:`.store` (bundles) and :mod:`.training` (training and
Dice; imported by itself, as it needs the data modules).
"""

from .layers import (CROP_LAYER, CROP_MARGIN, LUNG_FIELDS, LUNG_MODEL_LAYER, LUNG_SIZE, MASK_MARGIN, SOURCE_LAYER,
                     blacks_out, build_lung_model, equalise_within, lung_boxes, lung_field_input, lung_window, register_layers)
from .segment import LungField, LungSegmenter, check_darker, outline, overlay, probability_to_field
from .store import (FORMAT, LUNG_BUNDLE, LungCard, LungModelError, load_lung_model, read_lung_card,
                    write_lung_bundle)

__all__ = ["CROP_LAYER", "CROP_MARGIN", "FORMAT", "LUNG_BUNDLE", "LUNG_FIELDS", "LUNG_MODEL_LAYER", "LUNG_SIZE",
           "MASK_MARGIN", "SOURCE_LAYER", "LungCard", "LungField", "LungModelError", "LungSegmenter",
           "blacks_out", "build_lung_model", "check_darker", "equalise_within", "load_lung_model", "lung_boxes", "lung_field_input",
           "lung_window", "outline", "overlay", "probability_to_field", "read_lung_card", "register_layers",
           "write_lung_bundle"]
