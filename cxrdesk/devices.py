"""Which devices can train: the CPU always; a GPU only when TensorFlow really sees one.

TensorFlow cannot hide a GPU once it has started, so the device of a run is fixed in its worker
process before TensorFlow is imported (:func:`prepare_process`). The GUI asks :func:`probe` (which
runs in a short-lived subprocess) so that it never loads TensorFlow itself.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from functools import lru_cache

from .errors import CxrdeskError

#: The devices a run can train on, with their names on screen.
DEVICES: dict[str, str] = {"cpu": "CPU", "gpu": "GPU"}


class DeviceUnavailable(CxrdeskError):
    """The requested device cannot run this training."""


def prepare_process(device: str) -> None:
    """Call before importing TensorFlow in a worker: hide GPUs for a CPU run, quiet the C++ logs."""
    if device not in DEVICES:
        raise CxrdeskError(f"device must be one of {', '.join(DEVICES)} (got {device!r})")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
    elif os.environ.get("CUDA_VISIBLE_DEVICES") == "-1":  # inherited from a CPU-only parent (the GUI)
        del os.environ["CUDA_VISIBLE_DEVICES"]


def import_tensorflow():
    """Import TensorFlow keeping its native log lines (absl start-up notes, oneDNN notices, CUDA probes
    that fail on machines without a GPU) off the user's terminal, pipe or log.

    The process's native stderr (fd 2) goes to /dev/null from here on, while Python's ``sys.stderr``
    keeps writing where it did, so CXRDesk's own messages and Python tracebacks still show.
    ``cxrdesk --verbose`` (CXRDESK_DEBUG=1) keeps the native output. Inside a pytest run, whose own
    capture owns fd 2, nothing is redirected.
    """
    if ("tensorflow" not in sys.modules and not os.environ.get("CXRDESK_DEBUG")
            and "pytest" not in sys.modules):
        sys.stderr.flush()
        sys.stderr = os.fdopen(os.dup(2), "w", buffering=1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    import tensorflow

    return tensorflow


def use_cpu_in_process():
    """The one set-up for in-process inference (evaluation, diagnosis, listing models), called by the
    entry points (CLI commands, GUI workers, the demo, benchmarks) before they load a model: hide GPUs
    (inference never needs one, and must not grab one a training run may want) and import TensorFlow
    quietly. Returns the TensorFlow module. Training workers set their own device instead."""
    prepare_process("cpu")
    return import_tensorflow()


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_has_bfloat16() -> bool:
    """True when the CPU computes bfloat16 natively (AVX512-BF16 or AMX); otherwise it is emulated
    and mixed bfloat16 is several times slower than float32 (measured: 6x on an AVX2-only CPU)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            flags = next((line for line in handle if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


#: Why a GPU cannot be used, by code (the window says each in its own language, from the code).
GPU_REASONS = {
    "windows": "TensorFlow has had no GPU support on native Windows since version 2.10: run CXRDesk under WSL2 to "
               "train on the GPU",
    "cpu_build": "this TensorFlow is a CPU-only build: install 'tensorflow[and-cuda]' to train on a GPU",
    "no_gpu": "no GPU seen by TensorFlow: no NVIDIA driver or CUDA libraries were found (check 'nvidia-smi' and "
              "install 'tensorflow[and-cuda]')",
    "no_tensorflow": "TensorFlow could not be started to look for a GPU",
}


def gpu_unavailable_code(tf) -> str | None:
    """Why TensorFlow (already imported) cannot use a GPU, as a key of :data:`GPU_REASONS`; None when it can."""
    if sys.platform == "win32":
        return "windows"
    if not (tf.test.is_built_with_cuda() or tf.test.is_built_with_rocm()):
        return "cpu_build"
    if not tf.config.list_physical_devices("GPU"):
        return "no_gpu"
    return None


def gpu_unavailable_reason(tf) -> str | None:
    """Why TensorFlow (already imported) cannot use a GPU, said in English; None when it can."""
    code = gpu_unavailable_code(tf)
    return GPU_REASONS[code] if code else None


def gpu_names(tf) -> list[str]:
    names = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        names.append(details.get("device_name", gpu.name))
    return names


def _report() -> dict:
    prepare_process("gpu")
    tf = import_tensorflow()

    code = gpu_unavailable_code(tf)
    reason = GPU_REASONS[code] if code else None
    return {"cpu": cpu_name(), "bfloat16": cpu_has_bfloat16(), "gpu_available": reason is None,
            "gpu_reason": reason, "gpu_reason_code": code, "gpus": [] if reason else gpu_names(tf),
            "tensorflow": tf.__version__}


@lru_cache(maxsize=1)
def probe(timeout: float = 120.0) -> dict:
    """Device report from a subprocess (TensorFlow stays out of the calling process)."""
    try:
        result = subprocess.run([sys.executable, "-m", "cxrdesk.devices"], capture_output=True, text=True,
                                timeout=timeout)
        return json.loads(result.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError, OSError) as exc:
        return {"cpu": cpu_name(), "bfloat16": cpu_has_bfloat16(), "gpu_available": False,
                "gpu_reason": f"{GPU_REASONS['no_tensorflow']} ({type(exc).__name__})", "gpu_reason_code": "no_tensorflow",
                "gpus": [], "tensorflow": None}


if __name__ == "__main__":
    print(json.dumps(_report()))
