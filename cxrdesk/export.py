"""Export a model to ONNX, with the preprocessing that lives inside it.

A CXRDesk classifier takes an 8-bit grayscale radiograph of any size and does its own preprocessing:
an antialiased resize (TensorFlow's ``ScaleAndTranslate``), for a lung-field model the lung network and
a crop to the lungs' box (``CropAndResize``). Neither op has an ONNX equivalent that gives the same
numbers (tf2onnx leaves the first out and approximates the second), so, for the export only, each
Resizing layer and the lung crop are traced as what they compute: two matrix products with the
bilinear (triangle) weights, written out with plain ops (:func:`resize_weights`, :func:`crop_weights`).
The exported graph therefore still takes the radiograph of any size, and agrees with the Keras model
within float rounding (tests/test_export.py checks 1e-4 on every probability of 50 real films); the
saved Keras model itself is never changed.

The ONNX classifier has one input, ``grayscale`` ``(batch, height, width, 1)`` float 0..255, and two
outputs, in this order: the raw (uncalibrated) probabilities and the lung network's map (zeros
``(batch, 1, 1, 1)`` for a model without a lung field), as :func:`cxrdesk.graph.forward` returns them.
A lung model's ONNX has the same input and one output, the lung probability map.
"""

from __future__ import annotations

import types
from contextlib import contextmanager
from pathlib import Path

from .atomic import replacing
from .card import LUNGS_ONNX_FILE, ONNX_FILE
from .errors import CxrdeskError
from .graph import forward
from .integrity import file_sha256
from .lungs import CROP_LAYER, LUNG_MODEL_LAYER, equalise_within, lung_boxes, lung_window
from .preprocessing import INPUT_LAYER

ONNX_OPSET = 17
#: TensorFlow Lite was tried: its converter accepts the graph, but its interpreter cannot run it on an image of
#: any size ("BytesRequired number of elements overflowed"), so it is not offered.
FORMATS = ("onnx",)


class ExportError(CxrdeskError):
    """A model that cannot be exported (a missing converter, an op the format lacks)."""


def resize_weights(n_in, n_out: int):
    """``(n_out, n_in)`` weights of an antialiased bilinear resize along one axis, as TensorFlow's
    ``scale_and_translate`` computes them: a triangle kernel widened by the reduction factor, centred on
    each output pixel's centre, over the pixels inside the image, normalised to sum 1."""
    import tensorflow as tf

    n = tf.cast(n_in, tf.float32)
    step = n / float(n_out)
    width = tf.maximum(step, 1.0)
    centres = (tf.range(n_out, dtype=tf.float32) + 0.5) * step
    sources = tf.range(n, dtype=tf.float32) + 0.5
    weights = tf.nn.relu(1.0 - tf.abs(sources[tf.newaxis, :] - centres[:, tf.newaxis]) / width)
    return weights / tf.maximum(tf.reduce_sum(weights, axis=1, keepdims=True), 1e-30)


def crop_weights(low, high, n_in, n_out: int):
    """``(batch, n_out, n_in)`` weights of ``tf.image.crop_and_resize`` (bilinear) along one axis, for
    normalised box edges ``low``, ``high`` ``(batch,)``: output pixel i samples at
    ``low * (n - 1) + i * (high - low) * (n - 1) / (n_out - 1)`` between its two nearest pixels."""
    import tensorflow as tf

    last = tf.cast(n_in, tf.float32) - 1.0
    step = (high - low) * last / float(max(n_out - 1, 1))
    at = low[:, tf.newaxis] * last + tf.range(n_out, dtype=tf.float32)[tf.newaxis, :] * step[:, tf.newaxis]
    sources = tf.range(last + 1.0, dtype=tf.float32)
    return tf.nn.relu(1.0 - tf.abs(sources[tf.newaxis, tf.newaxis, :] - at[:, :, tf.newaxis]))


def crop_to_boxes(images, boxes, size: int):
    """Each image ``(b, h, w, c)`` cropped to its box ``(y1, x1, y2, x2)`` and resized to ``size``, as
    ``tf.image.crop_and_resize`` with one box per image."""
    import tensorflow as tf

    shape = tf.shape(images)
    rows = crop_weights(boxes[:, 0], boxes[:, 2], shape[1], size)
    cols = crop_weights(boxes[:, 1], boxes[:, 3], shape[2], size)
    return tf.einsum("bpw,bowc->bopc", cols, tf.einsum("boh,bhwc->bowc", rows, images))


def _resize_call(layer, inputs, training=None):
    import tensorflow as tf

    x = tf.cast(inputs, tf.float32)
    shape = tf.shape(x)
    x = tf.einsum("oh,bhwc->bowc", resize_weights(shape[1], layer.height), x)
    return tf.einsum("pw,bowc->bopc", resize_weights(shape[2], layer.width), x)


def _crop_call(layer, inputs, training=None):
    import tensorflow as tf

    image, probability = (tf.cast(t, tf.float32) for t in inputs)
    boxes = lung_boxes(probability, layer.margin)
    crops = crop_to_boxes(image, boxes, layer.size)
    if layer.normalise or layer.mask:
        masks = crop_to_boxes(probability, boxes, layer.size)
    if layer.normalise:
        crops = equalise_within(crops, masks, exportable=True)
    if layer.mask:
        crops = crops * lung_window(masks)
    return crops


def _every_layer(model):
    """``model``'s layers, those of the models nested in it included."""
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _every_layer(layer)


@contextmanager
def traced_as_matrices(model):
    """Within the block, ``model``'s Resizing layers and lung crop (nested models included) compute
    through :func:`resize_weights` / :func:`crop_weights`; as they were after it."""
    import keras

    patched = []
    for layer in _every_layer(model):
        if isinstance(layer, keras.layers.Resizing):
            if layer.interpolation != "bilinear" or getattr(layer, "crop_to_aspect_ratio", False) \
                    or getattr(layer, "pad_to_aspect_ratio", False):
                raise ExportError(f"layer {layer.name}: only a plain bilinear resize can be exported")
            layer.call = types.MethodType(_resize_call, layer)
            patched.append(layer)
        elif layer.name == CROP_LAYER:
            layer.call = types.MethodType(_crop_call, layer)
            patched.append(layer)
    try:
        yield model
    finally:
        for layer in patched:
            del layer.call


def _signature():
    import tensorflow as tf

    return [tf.TensorSpec([None, None, None, 1], tf.float32, name=INPUT_LAYER)]


def _function(model, classifier: bool):
    import tensorflow as tf

    if classifier:
        return tf.function(lambda x: forward(model, x), autograph=False, input_signature=_signature())
    return tf.function(lambda x: model(x, training=False), autograph=False, input_signature=_signature())


def _check_onnx(converted) -> None:
    """Refuse a graph in which the converter left an op ONNX does not define (it writes one rather than fail)."""
    import onnx

    unsupported = [node.op_type for node in converted.graph.node if not onnx.defs.has(node.op_type, node.domain or "")]
    if unsupported:
        raise ExportError(f"ops without an ONNX equivalent: {', '.join(sorted(set(unsupported)))}")


def export_model(model, path: str | Path, format: str = "onnx", classifier: bool = True) -> Path:
    """Write ``model`` (a classifier, or with ``classifier=False`` a lung model) to ``path`` atomically."""
    if format not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)} (got {format!r})")
    path = Path(path)
    with traced_as_matrices(model):
        data = _onnx_bytes(_function(model, classifier))
    with replacing(path) as tmp:
        Path(tmp).write_bytes(data)
    return path


def _tf2onnx():
    try:
        import tf2onnx
    except ImportError:
        raise ExportError("ONNX export needs tf2onnx (a dependency of CXRDesk: pip install -e .)") from None
    return tf2onnx


def _onnx_bytes(function) -> bytes:
    tf2onnx = _tf2onnx()
    try:
        converted, _ = tf2onnx.convert.from_function(function, input_signature=_signature(), opset=ONNX_OPSET)
    except Exception as exc:  # the converter's own reason, in one line
        raise ExportError(f"the ONNX converter failed: {str(exc).splitlines()[0][:200]}") from None
    _check_onnx(converted)
    return converted.SerializeToString()


def card_section(write, *args) -> dict:
    """``{"onnx": ...}`` for a card: what ``write(*args)`` exported, or why the export failed (the bundle is
    still written, and diagnosed through TensorFlow)."""
    try:
        return {"onnx": write(*args)}
    except ExportError as exc:
        return {"onnx": {"files": {}, "error": str(exc)}}


def export_bundle_files(model, folder: Path, lung_field: bool) -> dict:
    """``model.onnx`` (and, for a lung-field classifier, ``lungs.onnx``: its own lung network alone, for the
    lung checks) written into a bundle folder being built; returns the card's ``onnx`` section: each
    file's hash, the opset and the converter."""
    files = {ONNX_FILE: export_model(model, folder / ONNX_FILE)}
    if lung_field:
        files[LUNGS_ONNX_FILE] = export_model(model.get_layer(LUNG_MODEL_LAYER), folder / LUNGS_ONNX_FILE,
                                              classifier=False)
    return _section(files, ["probabilities (before calibration)", "lung map (zeros without a lung field)"])


def export_lung_bundle_file(model, folder: Path) -> dict:
    """A lung model's ``model.onnx`` in its bundle folder being built; the card's ``onnx`` section."""
    return _section({ONNX_FILE: export_model(model, folder / ONNX_FILE, classifier=False)}, ["lung probability map"])


def _section(files: dict[str, Path], outputs: list[str]) -> dict:
    return {"files": {name: file_sha256(path) for name, path in files.items()}, "opset": ONNX_OPSET,
            "converter": f"tf2onnx {_tf2onnx().__version__}", "outputs": outputs}
