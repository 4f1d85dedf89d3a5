"""Single-image diagnosis latency on the CPU: the whole command from a cold start, and warm per image.

Run: python benchmarks/bench_diagnosis.py [--models custom,compact,...] (default: every model of the registry)
For each model a bundle is trained for one step at its default size on the real radiographs (the
weights do not matter for latency), then:
  cold   wall time of `cxrdesk diagnose IMAGE --model BUNDLE` in a new process (median of 3)
  warm   per-image time of Diagnoser.diagnose in a loaded process (median of 20 real images)
Targets for the custom CNN: warm <= 50 ms, cold <= 5 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "cxr3"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    from cxrdesk.models import MODELS

    parser.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, of: {', '.join(MODELS)}")
    parser.add_argument("--warm", metavar="BUNDLE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    images = sorted(DATA.rglob("*.png"))[::70][:20]
    if args.warm:
        from cxrdesk.bundle import load_bundle
        from cxrdesk.devices import use_cpu_in_process
        from cxrdesk.diagnosis import Diagnoser

        use_cpu_in_process()
        diagnoser = Diagnoser(load_bundle(args.warm))
        diagnoser.diagnose(images[0])  # trace once
        times, heat = [], []
        for path in images:
            started = time.perf_counter()
            diagnoser.diagnose(path)
            times.append(time.perf_counter() - started)
        for path in images[:5]:
            started = time.perf_counter()
            diagnoser.diagnose(path, heatmap=True)
            heat.append(time.perf_counter() - started)
        print(json.dumps({"warm_ms": statistics.median(times) * 1000, "heatmap_ms": statistics.median(heat) * 1000}))
        return

    from cxrdesk.curation import CurationSettings, plan_curation
    from cxrdesk.dataset import export_dataset
    from cxrdesk.scanning import scan_folder

    with tempfile.TemporaryDirectory() as tmp:
        dataset = export_dataset(plan_curation(scan_folder(DATA), CurationSettings()), Path(tmp) / "ds")
        print(f"{'model':<12}{'cold command (s)':>18}{'warm per image (ms)':>21}{'with Grad-CAM (ms)':>20}")
        for name in args.models.split(","):
            weights = ["--weights", "none"] if MODELS[name].pretrained else []
            subprocess.run([sys.executable, "-m", "cxrdesk", "train", str(dataset), "--model", name, "--epochs", "1",
                            "--max-steps", "1", "--batch-size", "8", "--out", tmp, "--name", name, *weights],
                           check=True, capture_output=True)
            bundle = Path(tmp) / name
            cold = []
            for _ in range(3):
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "cxrdesk", "diagnose", str(images[0]), "--model", str(bundle)],
                               check=True, capture_output=True)
                cold.append(time.perf_counter() - started)
            warm = json.loads(subprocess.run([sys.executable, __file__, "--warm", str(bundle)], check=True,
                                             capture_output=True, text=True).stdout.strip().splitlines()[-1])
            print(f"{name:<12}{statistics.median(cold):>18.2f}{warm['warm_ms']:>21.1f}{warm['heatmap_ms']:>20.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
