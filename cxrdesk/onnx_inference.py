"""Inference through ONNX Runtime, without TensorFlow: a bundle's ``model.onnx`` (see :mod:`cxrdesk.export`),
verified against its card's hash before it is run.

Importing TensorFlow takes seconds, the networks themselves milliseconds; a diagnosis that needs no
gradient (probabilities, the lung field and its checks) runs here, and TensorFlow is imported only for
Grad-CAM, training and evaluation. A bundle from before CXRDesk exported ONNX has no ``model.onnx`` and is
run through TensorFlow, as before (the command line says so once)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from .integrity import file_sha256


def onnx_runtime_installed() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


def onnx_file_hashes(card) -> dict[str, str]:
    """The ONNX files a card vouches for, by name (empty for a card from before, or an export that failed)."""
    section = card.get("onnx") or {}
    return dict(section.get("files") or {})


def usable_onnx(folder: str | Path, card, name: str) -> bool:
    """Whether ``name`` in ``folder`` can be run: ONNX Runtime installed, the card vouches for the file, it exists."""
    return onnx_runtime_installed() and name in onnx_file_hashes(card) and (Path(folder) / name).is_file()


class OnnxModel:
    """An ONNX file run by ONNX Runtime on the CPU; refused with ``error`` when it is not the file its card
    names (changed or replaced) or cannot be loaded."""

    def __init__(self, path: str | Path, expected_sha256: str | None, error: type[Exception]):
        import onnxruntime

        path = Path(path)
        if not path.is_file():
            raise error(f"{path.parent} has no {path.name}")
        if file_sha256(path) != expected_sha256:
            raise error(f"{path} does not match its card (changed or replaced after export)")
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # errors only: its warnings about unused initialisers are not the user's
        # a diagnosis runs two sessions in turn (the classifier, then the lung network on the turned film): threads
        # of one left spinning after its run take the cores from the next (on 2 cores, 33 ms for a 13-ms pass)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # ONNX Runtime's own reason, in one line
            raise error(f"{path} cannot be loaded by ONNX Runtime: {str(exc).splitlines()[0][:200]}") from None
        self.path = path
        self.input = self.session.get_inputs()[0].name

    def run(self, images: np.ndarray) -> list[np.ndarray]:
        """Every output for a batch ``(b, h, w, 1)`` of 0..255 images."""
        return self.session.run(None, {self.input: np.asarray(images, dtype=np.float32)})
