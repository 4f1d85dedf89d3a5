"""Does fine-tuning ImageNet VGG16's last convolutions on the lung field see the disease better than a frozen base?

Run: python benchmarks/bench_finetune_probe.py [--tune 0,1] [--seeds 1,2,3] [--epochs 5] [--cache DIR]
                                               [--field mask] [--scale caffe] [--size 224] [--precision auto]

Issue 20's lever "fine-tuned transfer", measured at a cost a 2-core CPU can pay: every film of
../shared/data/cxr3 goes once through the frozen layers of ImageNet VGG16 (../shared/weights) on CXRDesk's
lung field with ImageNet's own preprocessing - the linear probe's best input (bench_transfer_probe.py) - and
the activations before the first tuned layer are cached (float16). Then, for each source held out in turn,
the last ``tune`` convolutions of block 5 (ImageNet weights, trainable; 0: all frozen) and a light head
(global average pooling, dropout 0.5, a softmax layer) are trained on the other sources and predict the
held-out one. Classes are weighted alike; Adam, a low learning rate for the tuned convolutions; a fixed
number of epochs (nothing is chosen on the held-out source); no augmentation (the activations are cached).

Printed per (tune, seed): the pooled out-of-source accuracy, ECE as trained (no calibration), recall per
class, the tuberculosis-vs-healthy AUC inside Shenzhen (the one source with two classes: discrimination
with the hospital held fixed), and per source; then each tune's mean and spread over the seeds. Training on
a CPU is not bit-for-bit repeatable: a seed is a label. CPU, precision and seconds per epoch are printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_transfer_probe import CLASSES, VGG, ece, film_to_rgb, films  # noqa: E402

BLOCK5 = ("block5_conv1", "block5_conv2", "block5_conv3")
CUT = {3: "block4_pool", 2: "block5_conv1", 1: "block5_conv2", 0: "block5_conv3"}


def vgg16(size: int):
    import keras

    base = keras.applications.VGG16(include_top=False, weights=None, input_shape=(size, size, 3))
    base.load_weights(VGG)
    return base


def extractor(field: str, scale: str, size: int, cut: str):
    """From an 8-bit film of any size to VGG16's activations at layer ``cut`` (frozen)."""
    import keras

    inputs, rgb = film_to_rgb(field, scale, size)
    base = vgg16(size)
    part = keras.Model(base.input, base.get_layer(cut).output)
    return keras.Model(inputs, part(rgb))


def activations(rows: list[dict], field: str, scale: str, size: int, cut: str, cache: Path) -> np.ndarray:
    path = cache / f"vgg16-{field}-{scale}-{size}-{cut}.npy"
    if path.exists():
        return np.load(path)
    from cxrdesk.imaging import read_grayscale

    model = extractor(field, scale, size, cut)
    out, started = [], time.perf_counter()
    for i, row in enumerate(rows):
        pixels = read_grayscale(row["file"]).pixels
        out.append(model(pixels[None, :, :, None].astype(np.float32), training=False).numpy()[0].astype(np.float16))
        if (i + 1) % 250 == 0:
            print(f"  {cut}: {i + 1}/{len(rows)} films, {(time.perf_counter() - started) / (i + 1):.2f} s each",
                  flush=True)
    x = np.stack(out)
    np.save(path, x)
    return x


def top(tune: int, shape: tuple, size: int, seed: int):
    """Block 5's last ``tune`` convolutions (ImageNet weights) and the head, on cached activations."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    base = vgg16(size)
    inputs = keras.Input(shape)
    x = inputs
    for name in BLOCK5[len(BLOCK5) - tune:]:
        source = base.get_layer(name)
        conv = layers.Conv2D(source.filters, source.kernel_size, padding="same", activation="relu", name=name)
        x = conv(x)
        conv.set_weights(source.get_weights())
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(len(CLASSES), activation="softmax", dtype="float32")(x)
    return keras.Model(inputs, outputs)


def fit_predict(x, labels, train, test, tune, seed, args) -> tuple[np.ndarray, float]:
    import keras

    model = top(tune, x.shape[1:], args.size, seed)
    counts = np.bincount(labels[train], minlength=len(CLASSES))
    weight = {k: len(labels[train]) / (len(CLASSES) * max(n, 1)) for k, n in enumerate(counts)}
    optimizer = keras.optimizers.Adam(args.rate_tuned if tune else args.rate_head)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    started = time.perf_counter()
    model.fit(x[train].astype(np.float32), labels[train], batch_size=args.batch_size, epochs=args.epochs,
              class_weight=weight, verbose=0, shuffle=True)
    per_epoch = (time.perf_counter() - started) / args.epochs
    return model.predict(x[test].astype(np.float32), batch_size=64, verbose=0), per_epoch


def score(probs, labels, sources) -> dict:
    from sklearn.metrics import roc_auc_score

    predicted = probs.argmax(axis=1)
    shenzhen = (sources == "shenzhen128") & (labels != 0)
    tb = CLASSES.index("tuberculosis")
    return {"accuracy": float((predicted == labels).mean()), "ece": ece(probs, labels),
            "recall": [float((predicted[labels == k] == k).mean()) for k in range(len(CLASSES))],
            "auc": float(roc_auc_score(labels[shenzhen] == tb, probs[shenzhen, tb])) if shenzhen.any() else float("nan"),
            "per_source": {s: float((predicted[sources == s] == labels[sources == s]).mean())
                           for s in sorted(set(sources))}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", default="0,1", help="how many of block 5's convolutions to fine-tune (0-3)")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rate-tuned", type=float, default=1e-4, help="Adam's rate when convolutions are tuned")
    parser.add_argument("--rate-head", type=float, default=1e-3, help="Adam's rate for the head alone (tune 0)")
    parser.add_argument("--field", default="mask", choices=["off", "crop", "mask"])
    parser.add_argument("--scale", default="caffe", choices=["unit", "caffe"])
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--precision", default="auto", choices=["auto", "float32", "bfloat16"],
                        help="of the tuned layers' training (the cached activations are computed in float32)")
    parser.add_argument("--cache", type=Path, help="keep the activations here (default: a temporary folder)")
    parser.add_argument("--hold-out", help="only these sources held out in turn, comma-separated (default: every "
                                           "source); the figures are then over those sources' films only")
    args = parser.parse_args()
    from cxrdesk.devices import cpu_name, use_cpu_in_process

    use_cpu_in_process()
    rows = films()
    labels = np.array([r["label"] for r in rows])
    sources = np.array([r["source"] for r in rows])
    tunes = [int(t) for t in args.tune.split(",")]
    held_out = args.hold_out.split(",") if args.hold_out else sorted(set(sources))
    seeds = [int(s) for s in args.seeds.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache or Path(tmp)
        cache.mkdir(parents=True, exist_ok=True)
        cut = CUT[max(tunes)]
        started = time.perf_counter()
        x_cut = activations(rows, args.field, args.scale, args.size, cut, cache)
        print(f"activations at {cut} {x_cut.shape}: {time.perf_counter() - started:.0f} s", flush=True)
        precision = _precision(args.precision)
        print(f"CPU: {cpu_name()}; tuned layers in {precision}; {len(rows)} films of cxr3, VGG16 (ImageNet) at "
              f"{args.size} px, lung field {args.field}, pixels {args.scale}; {args.epochs} epochs", flush=True)
        summary = {}
        for tune in tunes:
            x = x_cut if tune == max(tunes) else _forward(x_cut, max(tunes), tune, args.size)
            for seed in seeds:
                probs, seconds = np.zeros((len(rows), len(CLASSES))), []
                for source in held_out:
                    test = sources == source
                    probs[test], per_epoch = fit_predict(x, labels, ~test, test, tune, seed, args)
                    seconds.append(per_epoch)
                scored = np.isin(sources, held_out)
                r = score(probs[scored], labels[scored], sources[scored])
                summary.setdefault(tune, []).append(r)
                print(f"| {tune} | {seed} | {r['accuracy']:.1%} | {r['ece']:.3f} | "
                      + " / ".join(f"{v:.0%}" for v in r["recall"]) + f" | {r['auc']:.3f} | "
                      + ", ".join(f"{v:.0%}" for v in r["per_source"].values())
                      + f" | {statistics.mean(seconds):.1f} s |", flush=True)
        for tune, runs in summary.items():
            print(f"tune {tune}: accuracy {_spread([r['accuracy'] for r in runs], '%')}, "
                  f"ECE {_spread([r['ece'] for r in runs])}, Shenzhen TB AUC {_spread([r['auc'] for r in runs])}")


def _forward(x_cut: np.ndarray, from_tune: int, to_tune: int, size: int) -> np.ndarray:
    """Activations cached for tuning ``from_tune`` convolutions, carried through the frozen ones up to
    the input of the last ``to_tune``."""
    import keras

    base = vgg16(size)
    inputs = keras.Input(x_cut.shape[1:])
    x = inputs
    for name in BLOCK5[len(BLOCK5) - from_tune:len(BLOCK5) - to_tune]:
        x = base.get_layer(name)(x)
    model = keras.Model(inputs, x)
    return model.predict(x_cut.astype(np.float32), batch_size=32, verbose=0).astype(np.float16)


def _precision(choice: str) -> str:
    import keras

    from cxrdesk.devices import cpu_has_bfloat16

    use = choice if choice != "auto" else ("bfloat16" if cpu_has_bfloat16() else "float32")
    if use == "bfloat16":
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    return use


def _spread(values: list[float], unit: str = "") -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    if unit == "%":
        return f"{statistics.mean(values):.1%} ± {sd:.1%}"
    return f"{statistics.mean(values):.3f} ± {sd:.3f}"


if __name__ == "__main__":
    main()
