"""One pass through a classifier's Keras graph, shared by diagnosis (TensorFlow), Grad-CAM and the ONNX
export, so that all three see the same outputs: the probabilities and, for a lung-field model, the lung
map its own lung network made on the way (and, for Grad-CAM, a feature map).

Only public Keras is used: a model whose outputs are the wanted tensors of the classifier's own graph. A
nested model (the lung network, a pretrained base) answers ``.output`` with its *inner* graph's tensor, which a
model built on the outer inputs cannot reach (Keras' well-known "graph disconnected" with Grad-CAM on
transfer-learning models); its output in the outer graph is the one the layers after it take in."""

from __future__ import annotations

from functools import lru_cache

from .lungs import LUNG_MODEL_LAYER


def _tensors(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def layer_outputs(model) -> dict:
    """Each layer's output tensor in ``model``'s own graph, by layer name (public ``Layer.input`` and
    ``Layer.output``). A nested model's output is the first tensor, after it in the graph's order, that no
    earlier layer's ``.output`` gives; CXRDesk's classifiers take every nested model's output in at once."""
    import keras

    known = {id(t) for t in model.inputs}
    found, pending = {}, []
    for layer in model.layers:
        nested = isinstance(layer, keras.Model)  # its .input is its inner graph's too
        for tensor in _tensors(layer.input) if not (nested or isinstance(layer, keras.layers.InputLayer)) else []:
            if id(tensor) not in known:
                if not pending:
                    raise ValueError(f"layer {layer.name} takes in a tensor no layer before it gives")
                found[pending.pop(0).name] = tensor
                known.add(id(tensor))
        if nested:
            pending.append(layer)
            continue
        found[layer.name] = layer.output
        known.update(id(t) for t in _tensors(layer.output))
    for tensor in model.outputs:  # a nested model that ends the classifier
        if id(tensor) not in known and pending:
            found[pending.pop(0).name] = tensor
    if pending:
        raise ValueError(f"the output of {pending[0].name} is not found in {model.name}'s graph")
    return found


@lru_cache(maxsize=2)
def _passes(model, feature: str | None):
    """The classifier with (probabilities, lung map or None, feature map or None) as outputs; kept for the
    model in use (its pass and its Grad-CAM pass), not for every model a session opened."""
    import keras

    outputs = layer_outputs(model)
    wanted = [model.outputs[0], outputs.get(LUNG_MODEL_LAYER), outputs[feature] if feature else None]
    return keras.Model(model.inputs, [t for t in wanted if t is not None]), [t is not None for t in wanted]


def forward(model, x, feature: str | None = None):
    """One pass of ``model`` on ``x`` in inference mode, returning its probabilities and the lung map of a
    lung-field model (its lung network's output; zeros without one), and with ``feature`` (a layer's name)
    that layer's output too, as a third value (Grad-CAM's feature map)."""
    import tensorflow as tf

    sub, present = _passes(model, feature)
    values = iter(_tensors(sub(x, training=False)))
    out = next(values)
    lungs = next(values) if present[1] else tf.zeros_like(x[:, :1, :1, :])
    return (out, lungs, next(values)) if feature else (out, lungs)
