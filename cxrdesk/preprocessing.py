"""What happens to a radiograph before the network, named once: the model's own input layers and the
tf.data pipeline both read these, so training, evaluation and diagnosis cannot drift apart.

Every model takes 8-bit grayscale radiographs of any size, shape ``(batch, h, w, 1)``, values 0..255,
and does the rest inside itself: resize, rescale (unless its network normalises pixels itself), gray
to three channels.
"""

from __future__ import annotations

#: The one resize used in the model and in the pipeline's cache.
RESIZE_INTERPOLATION = "bilinear"
RESIZE_ANTIALIAS = True

#: Layer names a saved model is recognised and taken apart by (bundle checks, Grad-CAM).
INPUT_LAYER = "grayscale"
RESIZE_LAYER = "resize"
RESCALE_LAYER = "rescale"
GRAY_TO_RGB_LAYER = "gray_to_rgb"
OUTPUT_LAYER = "probabilities"
PREPROCESSING_LAYERS = (RESIZE_LAYER, RESCALE_LAYER, GRAY_TO_RGB_LAYER)

#: How a model's network wants its pixels: 'unit' rescales 0..255 to 0..1 (the study's
#: ``rescale=1./255``); 'raw' passes 0..255 to a network that normalises them itself (EfficientNet).
PIXEL_SCALES = {
    "unit": "rescaled by 1/255",
    "raw": "passed as 0-255 to the network, which normalises them itself",
}


def describe(pixel_scale: str) -> str:
    """The card's sentence on what the model expects and does with it."""
    return ("8-bit grayscale radiograph of any size, values 0-255; the model resizes (bilinear, "
            f"antialiased), {PIXEL_SCALES[pixel_scale]}, and copies gray to RGB itself")
