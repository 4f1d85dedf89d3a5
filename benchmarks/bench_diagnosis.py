"""Diagnosis latency on the CPU, ONNX Runtime against TensorFlow, side by side in one run.

Run: python benchmarks/bench_diagnosis.py [--models custom,vgg16,...]
By default the shipped demo model; with --models, a bundle of each model trained for one step at its
default size on the real radiographs as well (the weights do not matter for latency). For each bundle:
  cold      wall time of `cxrdesk diagnose ONE.png --model BUNDLE` in a new process (median of 3), with the
            bundle's model.onnx (ONNX Runtime) and with a copy without it (TensorFlow), beside
            `python -c "import tensorflow"` measured in the same run: the ratio is the figure (target <= 0.5)
  warm      per-image time of Diagnoser.diagnose in a loaded process (median of 20 real films; target <= 30 ms)
  folder    films per second over 60 films in a loaded process (read, guard, lung checks, probabilities)
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "cxr3"


def cold(argv: list[str], repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def warm(bundle: str, runtime: str) -> dict:
    """Run in a fresh process (--warm): per-image latency and folder throughput of one runtime."""
    from cxrdesk.bundle import load_bundle
    from cxrdesk.devices import use_cpu_in_process
    from cxrdesk.diagnosis import Diagnoser

    images = sorted(DATA.rglob("*.png"))[::20][:60]
    if runtime == "tensorflow":
        use_cpu_in_process()
        diagnoser = Diagnoser(load_bundle(bundle))
    else:
        diagnoser = Diagnoser.open(bundle)
    assert diagnoser.runtime.lower().startswith(runtime[:4]), diagnoser.runtime
    diagnoser.diagnose(images[0])  # trace once
    times = []
    for path in images[:20]:
        started = time.perf_counter()
        diagnoser.diagnose(path)
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    for path in images:
        diagnoser.diagnose(path)
    return {"warm_ms": statistics.median(times) * 1000, "films_per_s": len(images) / (time.perf_counter() - started)}


def trained_bundles(names: list[str], tmp: Path) -> list[Path]:
    from cxrdesk.curation import CurationSettings, plan_curation
    from cxrdesk.dataset import export_dataset
    from cxrdesk.models import MODELS
    from cxrdesk.scanning import scan_folder

    dataset = export_dataset(plan_curation(scan_folder(DATA), CurationSettings()), tmp / "ds")
    bundles = []
    for name in names:
        weights = ["--weights", "none"] if MODELS[name].pretrained else []
        subprocess.run([sys.executable, "-m", "cxrdesk", "train", str(dataset), "--model", name, "--epochs", "1",
                        "--max-steps", "1", "--batch-size", "8", "--out", str(tmp), "--name", name, *weights],
                       check=True, capture_output=True)
        bundles.append(tmp / name)
    return bundles


def without_onnx(bundle: Path, tmp: Path) -> Path:
    """A copy of ``bundle`` as a bundle from before ONNX export: no model.onnx, so it runs on TensorFlow."""
    from cxrdesk.bundle import amend_card

    copy = tmp / f"{bundle.name}-tensorflow"
    shutil.copytree(bundle, copy, ignore=shutil.ignore_patterns("crossval"))
    for name in ("model.onnx", "lungs.onnx"):
        (copy / name).unlink(missing_ok=True)
    amend_card(copy, lambda card: card.pop("onnx", None))
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="", help="comma-separated registry models to train for one step too")
    parser.add_argument("--warm", nargs=2, metavar=("BUNDLE", "RUNTIME"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.warm:
        print(json.dumps(warm(*args.warm)))
        return
    from cxrdesk.bundle import DEMO_BUNDLE
    from cxrdesk.devices import cpu_name

    one = sorted(DATA.rglob("*.png"))[0]
    print(f"CPU: {cpu_name()}; inference in float32; {one.name} ({one.stat().st_size // 1024} KB)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        bundles = [DEMO_BUNDLE] + (trained_bundles(args.models.split(","), tmp) if args.models else [])
        print(f"{'model':<16}{'runtime':<14}{'cold (s)':>9}{'/ import tf':>12}{'warm (ms)':>11}{'films/s':>9}")
        for bundle in bundles:
            tf_import = cold([sys.executable, "-c", "import tensorflow"])
            for runtime, folder in (("onnx", bundle), ("tensorflow", without_onnx(bundle, tmp))):
                seconds = cold([sys.executable, "-m", "cxrdesk", "diagnose", str(one), "--model", str(folder)])
                figures = json.loads(subprocess.run([sys.executable, __file__, "--warm", str(folder), runtime],
                                                    check=True, capture_output=True, text=True, cwd=ROOT)
                                     .stdout.strip().splitlines()[-1])
                print(f"{bundle.name:<16}{runtime:<14}{seconds:>9.2f}{seconds / tf_import:>12.2f}"
                      f"{figures['warm_ms']:>11.1f}{figures['films_per_s']:>9.1f}", flush=True)
            print(f"{'':<16}{'import tf':<14}{tf_import:>9.2f}{1.0:>12.2f}")


if __name__ == "__main__":
    main()
