"""Training throughput at the default size on the real radiographs, beside the study's pipeline.

For each model, in one process per model (so peak memory is the model's own):
  step      the training step alone, fed one batch from memory          (the model's ceiling)
  cxrdesk   CXRDesk's whole pipeline: tf.data decode-once cache + batch affine augmentation
  study     the same model fed by the study's pipeline: Keras' legacy ImageDataGenerator
            (shear 0.3, zoom 0.3, horizontal flip) over a folder tree, as in the paper
and the ratio cxrdesk / study, measured in the same process one after the other.

Run: python benchmarks/bench_training.py [--models custom,compact,vgg16,inceptionv3] [--steps 3]
Figures vary by +-50 % between runs on shared machines: compare within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "cxr3"
VGG = ROOT.parent / "shared" / "weights" / "vgg16_imagenet_notop.weights.h5"


def curate(folder: Path) -> Path:
    from cxrdesk.curation import CurationSettings, plan_curation
    from cxrdesk.dataset import export_dataset
    from cxrdesk.scanning import scan_folder

    plan = plan_curation(scan_folder(DATA), CurationSettings(seed=42))
    return export_dataset(plan, folder / "curated", layout="link")


def timed_fit(model, data, steps: int, batch: int) -> float:
    """Images per second over ``steps`` batches, after one warm-up batch."""
    model.fit(data, steps_per_epoch=1, epochs=1, verbose=0)
    started = time.perf_counter()
    model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
    return steps * batch / (time.perf_counter() - started)


def one(name: str, what: str, dataset: Path, steps: int, batch: int, precision: str) -> dict:
    """One measurement in this (fresh) process, so its peak memory is its own."""
    from cxrdesk.devices import use_cpu_in_process

    use_cpu_in_process()
    import keras
    import tensorflow as tf
    from keras.src.legacy.preprocessing.image import ImageDataGenerator

    from cxrdesk.dataset import load_dataset
    from cxrdesk.models import build_model, spec
    from cxrdesk.pipeline import make_pipelines
    from cxrdesk.training import auto_accumulation

    keras.mixed_precision.set_global_policy(precision)
    size = spec(name).default_size
    model = build_model(name, size, weights=str(VGG) if name == "vgg16" and VGG.exists() else "none", seed=0)
    # CXRDesk splits big CPU batches into micro-batches (same updates, less memory); the study does not.
    n = 1 if what == "study" else auto_accumulation(model, batch, "cpu")
    model.compile(optimizer=keras.optimizers.Adam(gradient_accumulation_steps=n if n > 1 else None),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    result = {"size": size, "accumulation": n}
    if what == "study":
        data = ImageDataGenerator(shear_range=0.3, zoom_range=0.3, horizontal_flip=True).flow_from_directory(
            str(dataset / "train"), target_size=(size, size), color_mode="grayscale", batch_size=batch,
            class_mode="categorical", seed=0)  # rescale 1/255 happens inside the model for both
    else:
        pipes = make_pipelines(load_dataset(dataset), size, batch // n, seed=0)
        started = time.perf_counter()
        for _ in pipes.train:  # the first epoch decodes and caches every image; later epochs read the cache
            pass
        result["cache_fill_s"] = time.perf_counter() - started
        data = pipes.train.repeat()
        if what == "step":
            data = tf.data.Dataset.from_tensors(next(iter(pipes.train))).repeat()
    result["ips"] = timed_fit(model, data, steps * n, batch // n)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    from cxrdesk.models import MODELS

    parser.add_argument("--models", default="custom,compact,vgg16,inceptionv3",
                        help=f"comma-separated, of: {', '.join(MODELS)}")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--precision", default="auto", choices=["auto", "float32", "mixed_bfloat16"])
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--what", help=argparse.SUPPRESS)
    parser.add_argument("--dataset", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.precision == "auto":
        from cxrdesk.devices import cpu_has_bfloat16

        args.precision = "mixed_bfloat16" if cpu_has_bfloat16() else "float32"
    if args.one:
        print(json.dumps(one(args.one, args.what, Path(args.dataset), args.steps, args.batch_size,
                             args.precision)))
        return
    if not DATA.is_dir():
        sys.exit(f"no data at {DATA}")
    from cxrdesk.devices import cpu_has_bfloat16, cpu_name

    os.environ.setdefault("CXRDESK_CACHE_DIR", tempfile.mkdtemp(prefix="cxrdesk-bench-"))
    with tempfile.TemporaryDirectory() as tmp:
        dataset = curate(Path(tmp))
        print(f"CPU: {cpu_name()} ({os.cpu_count()} cores), native bfloat16: {cpu_has_bfloat16()}, "
              f"precision: {args.precision}, batch {args.batch_size}, {args.steps} timed steps")
        print(f"{'model':<12}{'size':>5}{'step img/s':>12}{'cxrdesk img/s':>15}{'study img/s':>13}"
              f"{'ratio':>7}{'cxrdesk RSS':>13}{'study RSS':>11}{'cache fill':>12}")
        for name in args.models.split(","):
            r = {}
            for what in ("step", "cxrdesk", "study"):
                out = subprocess.run([sys.executable, __file__, "--one", name, "--what", what, "--dataset",
                                      str(dataset), "--steps", str(args.steps), "--batch-size",
                                      str(args.batch_size), "--precision", args.precision],
                                     capture_output=True, text=True)
                if out.returncode != 0:
                    tail = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode
                    print(f"{name} {what} failed: {tail}")
                    break
                r[what] = json.loads(out.stdout.strip().splitlines()[-1])
            else:
                print(f"{name:<12}{r['step']['size']:>5}{r['step']['ips']:>12.2f}{r['cxrdesk']['ips']:>15.2f}"
                      f"{r['study']['ips']:>13.2f}{r['cxrdesk']['ips'] / r['study']['ips']:>6.2f}x"
                      f"{r['cxrdesk']['peak_rss_mb']:>10.0f} MB{r['study']['peak_rss_mb']:>8.0f} MB"
                      f"{r['cxrdesk']['cache_fill_s']:>10.1f} s  (micro-batches: {r['cxrdesk']['accumulation']})",
                      flush=True)


if __name__ == "__main__":
    main()
