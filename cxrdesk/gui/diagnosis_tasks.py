"""The Diagnosis tab's work, run in worker threads (see :class:`.workers.Tasks`): loading a model, a diagnosis
and then its heatmap, a test or a calibration at a hospital, a report. Plain functions over the core: no Qt."""

from __future__ import annotations

from pathlib import Path

from ..bundle import is_demo_bundle, read_card
from ..card import ONNX_FILE
from ..devices import prepare_process, use_cpu_in_process
from ..diagnosis import Diagnoser
from ..errors import CxrdeskError
from ..evaluation import evaluate_folder
from ..lungs import outline
from ..onnx_inference import usable_onnx
from ..report import write_diagnosis_report
from ..site import calibrate_at_site


def diagnose(diagnoser: Diagnoser, path: str):
    """The diagnosis (without its heatmap: on ONNX Runtime it comes at once), and the lungs' outline to draw
    on it (a worker task)."""
    result = diagnoser.diagnose(path)
    edge = outline(result.lungs.mask) if result.lungs is not None and result.lungs.plausible else None
    return result, edge


def add_heatmap(diagnoser: Diagnoser, result):
    """The diagnosis's Grad-CAM heatmap (a worker task: TensorFlow starts the first time)."""
    use_cpu_in_process()
    return diagnoser.add_heatmap(result)


def load_diagnoser(folder: str) -> Diagnoser:
    """The model on ONNX Runtime when its bundle has model.onnx (ready in a second), else on TensorFlow."""
    prepare_process("cpu")
    if not usable_onnx(folder, read_card(folder), ONNX_FILE):
        use_cpu_in_process()
    return Diagnoser.open(folder)


def evaluate_at_hospital(bundle_folder: str, folder: str):
    """The model on another hospital's labelled folder, stored in its card - except the shipped demo
    model's, which is never changed (a worker task)."""
    use_cpu_in_process()
    return evaluate_folder(bundle_folder, folder, record=not is_demo_bundle(bundle_folder))[1]


def calibrate_site(bundle_folder: str, folder: str, out: str):
    """A site-calibrated copy of the model (a worker task; see cxrdesk.site)."""
    use_cpu_in_process()
    return calibrate_at_site(bundle_folder, folder, out)


def write_report(result, path: str, opacity: float, wording=None) -> Path:
    """The one-page report in ``wording``'s language (a worker task); a file that cannot be written is the
    user's to fix."""
    try:
        return write_diagnosis_report(result, path, opacity, wording)
    except OSError as exc:
        raise CxrdeskError(f"cannot write {path}: {exc.strerror or exc}") from None
