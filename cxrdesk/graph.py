"""One pass through a classifier's Keras graph, shared by diagnosis (TensorFlow), Grad-CAM and the ONNX
export, so that all three see the same two outputs: the probabilities and, for a lung-field model, the
lung map its own lung network made on the way."""

from __future__ import annotations

from .lungs import LUNG_MODEL_LAYER


def forward(model, x, hook=None):
    """One pass of ``model`` on ``x`` (Keras' own graph walk, as ``Functional.call`` does), returning its
    probabilities and the lung map of a lung-field model (its lung network's output; zeros without one).
    ``hook(name, tensor)`` sees every layer's output (Grad-CAM takes its feature map there)."""
    import tensorflow as tf

    captured = {}

    def recording(operation):
        def call(*args, **kwargs):
            kwargs.setdefault("training", False)
            out = operation(*args, **kwargs)
            if operation.name == LUNG_MODEL_LAYER:
                captured["lungs"] = out
            if hook is not None:
                hook(operation.name, out)
            return out
        return call

    out = model._run_through_graph(x, operation_fn=recording)
    out = out[0] if isinstance(out, (list, tuple)) else out
    return out, captured.get("lungs", tf.zeros_like(x[:, :1, :1, :]))
