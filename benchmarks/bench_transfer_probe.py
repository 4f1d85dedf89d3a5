"""Which input lets ImageNet VGG16 see the disease, not the hospital: a linear probe, leave one source out.

Run: python benchmarks/bench_transfer_probe.py [--variants off/unit,mask/unit,mask/caffe,crop/caffe]
                                               [--size 224] [--cs 0.01,0.1,1] [--cache DIR] [--results]
                                               [--standardise pool,held-out,each] [--weighting class|source]
                                               [--shenzhen256]
Features are computed once per film (cached in a temporary .npz per variant, or --cache DIR) by the frozen
ImageNet VGG16 of ../shared/weights (block 4 and block 5, each averaged over the image: 1,024 numbers),
for each lung field (off: the whole film; crop: the lungs' box, nothing masked; mask: the box with
everything beyond a margin from the lungs black, CXRDesk's default) and each pixel scale (unit: 0..1, as
the study fed VGG16 and CXRDesk does; caffe: ImageNet's own preprocessing, BGR minus the ImageNet means,
which the weights were trained with). The lung field comes from the shipped lung model through the same
Keras layers a lung-field classifier holds (cxrdesk.lungs.lung_field_input).

Then, for each source of ../shared/data/cxr3 held out in turn, a logistic regression (standardised
features, classes weighted alike) is fitted on the other sources and predicts the held-out one. Printed per
variant and regularisation C: the pooled out-of-source accuracy, ECE (as fitted; no calibration), recall
per class, and the area under the ROC curve of tuberculosis against healthy inside Shenzhen (the one
source with two classes: discrimination with the hospital held fixed). A linear probe on fixed features is
deterministic: there is no seed to repeat. CPU and precision are printed.

``--standardise`` tries issue 20's "re-estimate the statistics on a hospital's unlabelled films" on the probe: the
features standardised by the training pool's statistics (``pool``, the default and what a shipped model does), the
held-out hospital by its own (``held-out``), or every source by its own, in training too (``each``);
``--weighting source`` its "source-balanced batches": inside each class, every source that gives it weighs alike.

``--shenzhen256`` measures issue 20's resolution lever where it matters, tuberculosis against healthy inside one
hospital: the probe learns from cxr3's four other sources and ranks the 566 Shenzhen films of ../shared/data/lungs
(256 px, from the 512 px originals; the same hospital as cxr3's 128 px copies) as they are and shrunk to 128 px
first (as cxr3's copies were), so that the two AUCs differ by the resolution alone (a paired bootstrap over films
gives the difference's 95 % interval).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "cxr3"
LUNGS = ROOT.parent / "shared" / "data" / "lungs"
VGG = ROOT.parent / "shared" / "weights" / "vgg16_imagenet_notop.weights.h5"
CLASSES = ("covid", "normal", "tuberculosis")


def films() -> list[dict]:
    with (DATA / "labels.csv").open(newline="", encoding="utf-8") as handle:
        return [{"file": DATA / row["filename"], "label": CLASSES.index(row["label"]), "source": row["source_key"]}
                for row in csv.DictReader(handle)]


def shenzhen256() -> list[dict]:
    """The Shenzhen films with lung masks (256 px), tuberculosis and healthy: the hospital cxr3 has at 128 px."""
    with (LUNGS / "pairs.csv").open(newline="", encoding="utf-8") as handle:
        return [{"file": LUNGS / row["image"], "label": CLASSES.index(row["label"]), "source": "shenzhen256"}
                for row in csv.DictReader(handle) if row["source"] == "shenzhen" and row["label"] in CLASSES]


def film_to_rgb(field: str, scale: str, size: int):
    """(input, output) of the layers from an 8-bit film of any size to VGG16's RGB input: the lung field (or the
    whole film resized), gray to three channels, the pixel scale."""
    import keras
    from keras import layers

    from cxrdesk.lungs import lung_field_input, load_lung_model, register_layers
    from cxrdesk.preprocessing import RESIZE_ANTIALIAS, RESIZE_INTERPOLATION

    register_layers()
    inputs = keras.Input((None, None, 1))
    if field == "off":
        x = layers.Resizing(size, size, interpolation=RESIZE_INTERPOLATION, antialias=RESIZE_ANTIALIAS)(inputs)
    else:
        x = lung_field_input(inputs, size, field, load_lung_model().model)
    rgb = layers.Concatenate()([x, x, x])
    if scale == "unit":
        return inputs, layers.Rescaling(1 / 255)(rgb)
    return inputs, layers.Lambda(lambda t: keras.applications.vgg16.preprocess_input(t))(rgb)


def extractor(field: str, scale: str, size: int):
    """A Keras model from an 8-bit film of any size to 1,024 pooled VGG16 features."""
    import keras
    from keras import layers

    inputs, rgb = film_to_rgb(field, scale, size)
    base = keras.applications.VGG16(include_top=False, weights=None, input_shape=(size, size, 3))
    base.load_weights(VGG)
    base.trainable = False
    probe = keras.Model(base.input, [base.get_layer("block4_conv3").output, base.get_layer("block5_conv3").output])
    b4, b5 = probe(rgb)
    out = layers.Concatenate()([layers.GlobalAveragePooling2D()(b4), layers.GlobalAveragePooling2D()(b5)])
    return keras.Model(inputs, out)


def features(rows: list[dict], field: str, scale: str, size: int, cache: Path, name: str = "",
             shrink: int | None = None) -> np.ndarray:
    """The films' pooled features, cached as ``vgg16-{field}-{scale}-{size}{name}.npz``; ``shrink``: each film
    made ``shrink`` px square first (Lanczos), as cxr3's Shenzhen copies were."""
    path = cache / f"vgg16-{field}-{scale}-{size}{name}.npz"
    if path.exists():
        return np.load(path)["x"]
    from PIL import Image

    from cxrdesk.imaging import read_grayscale

    model = extractor(field, scale, size)
    out, started = [], time.perf_counter()
    for i, row in enumerate(rows):
        pixels = read_grayscale(row["file"]).pixels
        if shrink:
            pixels = np.asarray(Image.fromarray(pixels).resize((shrink, shrink), Image.Resampling.LANCZOS))
        out.append(model(pixels[None, :, :, None].astype(np.float32), training=False).numpy()[0])
        if (i + 1) % 250 == 0:
            print(f"  {field}/{scale}: {i + 1}/{len(rows)} films, {(time.perf_counter() - started) / (i + 1):.2f} s each",
                  flush=True)
    x = np.array(out, dtype=np.float32)
    np.savez(path, x=x)
    return x


def ece(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    confidence, predicted = probs.max(axis=1), probs.argmax(axis=1)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (confidence > lo) & (confidence <= hi)
        if inside.any():
            total += inside.mean() * abs((predicted[inside] == labels[inside]).mean() - confidence[inside].mean())
    return float(total)


def _standard(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-6)


def standardised(x: np.ndarray, sources: np.ndarray, test: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray]:
    """(training features, held-out features) standardised ``how``: ``pool`` - both by the training pool's mean
    and spread (as a model trained once and shipped); ``held-out`` - the held-out hospital by its own (its
    unlabelled films re-estimate the statistics, as batch norm re-estimated at a new site); ``each`` - every
    source by its own, in training too (each hospital's style taken away before the classifier learns)."""
    if how == "pool":
        mean, spread = x[~test].mean(axis=0), x[~test].std(axis=0) + 1e-6
        return (x[~test] - mean) / spread, (x[test] - mean) / spread
    if how == "held-out":
        return _standard(x[~test]), _standard(x[test])
    out = np.empty_like(x)
    for source in set(sources):
        out[sources == source] = _standard(x[sources == source])
    return out[~test], out[test]


def source_weights(labels: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Each film's weight so that every class weighs alike and, inside a class, every source that gives it too
    (a source-balanced batch, in a linear probe's terms)."""
    weights = np.empty(len(labels))
    for label in set(labels):
        givers = sorted(set(sources[labels == label]))
        for source in givers:
            group = (labels == label) & (sources == source)
            weights[group] = 1.0 / (len(set(labels)) * len(givers) * group.sum())
    return weights * len(labels)


def loso(x: np.ndarray, rows: list[dict], c: float, how: str = "pool", weighting: str = "class") -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    labels = np.array([r["label"] for r in rows])
    sources = np.array([r["source"] for r in rows])
    probs = np.zeros((len(rows), len(CLASSES)))
    for source in sorted(set(sources)):
        test = sources == source
        train_x, test_x = standardised(x, sources, test, how)
        if weighting == "class":
            fit = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
            fit.fit(train_x, labels[~test])
        else:
            fit = LogisticRegression(C=c, max_iter=3000)
            fit.fit(train_x, labels[~test], sample_weight=source_weights(labels[~test], sources[~test]))
        probs[np.ix_(test, fit.classes_)] = fit.predict_proba(test_x)
    predicted = probs.argmax(axis=1)
    shenzhen = (sources == "shenzhen128") & (labels != 0)
    tb = CLASSES.index("tuberculosis")
    return {"accuracy": float((predicted == labels).mean()), "ece": ece(probs, labels),
            "recall": [float((predicted[labels == k] == k).mean()) for k in range(len(CLASSES))],
            "shenzhen_tb_auc": float(roc_auc_score(labels[shenzhen] == tb, probs[shenzhen, tb])),
            "per_source": {s: float((predicted[sources == s] == labels[sources == s]).mean())
                           for s in sorted(set(sources))}}


def resolution_at_shenzhen(x: np.ndarray, rows: list[dict], hires: np.ndarray, lowres: np.ndarray,
                           c: float, resamples: int = 2000) -> dict:
    """The probe fitted on cxr3 without Shenzhen (standardised by its pool), then tuberculosis against healthy
    ranked on the 256 px Shenzhen films as they are (``hires``) and shrunk to 128 px (``lowres``): both AUCs, the
    difference's paired bootstrap 95 % interval, and each's accuracy over the three classes."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    labels = np.array([r["label"] for r in rows])
    train = np.array([r["source"] != "shenzhen128" for r in rows])
    mean, spread = x[train].mean(axis=0), x[train].std(axis=0) + 1e-6
    fit = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    fit.fit((x[train] - mean) / spread, labels[train])
    tb = list(fit.classes_).index(CLASSES.index("tuberculosis"))
    truth = np.array([r["label"] == CLASSES.index("tuberculosis") for r in shenzhen256()])
    probs = {k: fit.predict_proba((v - mean) / spread) for k, v in (("256", hires), ("128", lowres))}
    auc = {k: float(roc_auc_score(truth, p[:, tb])) for k, p in probs.items()}
    rng = np.random.default_rng(0)
    differences = []
    for _ in range(resamples):
        pick = rng.integers(0, len(truth), len(truth))
        if truth[pick].all() or not truth[pick].any():
            continue
        differences.append(roc_auc_score(truth[pick], probs["256"][pick, tb])
                           - roc_auc_score(truth[pick], probs["128"][pick, tb]))
    labels_sz = np.array([r["label"] for r in shenzhen256()])
    accuracy = {k: float((fit.classes_[p.argmax(axis=1)] == labels_sz).mean()) for k, p in probs.items()}
    return {"auc": auc, "accuracy": accuracy, "difference": auc["256"] - auc["128"],
            "interval": (float(np.percentile(differences, 2.5)), float(np.percentile(differences, 97.5)))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="off/unit,mask/unit,mask/caffe,crop/caffe",
                        help="lung field/pixel scale pairs (fields: off, crop, mask; scales: unit, caffe)")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--cs", default="0.01,0.1,1")
    parser.add_argument("--cache", type=Path, help="keep the features here (default: a temporary folder)")
    parser.add_argument("--weighting", choices=("class", "source"), default="class",
                        help="classes weighted alike (class), or classes and, inside each, the sources that give it")
    parser.add_argument("--standardise", default="pool",
                        help="comma-separated: pool (the training sources' statistics), held-out (the held-out "
                             "hospital's own, from its unlabelled films), each (every source by its own)")
    parser.add_argument("--shenzhen256", action="store_true",
                        help="resolution at Shenzhen: its 256 px films against the same shrunk to 128 px")
    parser.add_argument("--results", action="store_true", help="append the table to benchmarks/RESULTS.md")
    args = parser.parse_args()
    from cxrdesk.devices import cpu_name, use_cpu_in_process

    use_cpu_in_process()
    rows = films()
    print(f"CPU: {cpu_name()}; float32; {len(rows)} films of cxr3, VGG16 (ImageNet, frozen) at {args.size} px")
    lines = ["| lung field | pixel scale | standardised | C | pooled out-of-source accuracy | ECE | recall COVID-19 / Healthy / TB "
             "| Shenzhen TB AUC (within) | per held-out source (hannover, ieee8023, nih, shenzhen128, tbx11k) |",
             "|---|---|---|---|---|---|---|---|---|"]
    if args.shenzhen256:
        lines = ["| lung field | pixel scale | C | Shenzhen films | TB AUC at 256 px | TB AUC at 128 px | difference (95 % "
                 "interval) | accuracy, 3 classes, 256 / 128 px |", "|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache or Path(tmp)
        cache.mkdir(parents=True, exist_ok=True)
        for field, scale in (variant.split("/") for variant in args.variants.split(",")):
            started = time.perf_counter()
            x = features(rows, field, scale, args.size, cache)
            print(f"features {field}/{scale}: {time.perf_counter() - started:.0f} s", flush=True)
            if args.shenzhen256:
                started = time.perf_counter()
                hires = features(shenzhen256(), field, scale, args.size, cache, "-shenzhen256")
                lowres = features(shenzhen256(), field, scale, args.size, cache, "-shenzhen256-at128", 128)
                print(f"features of Shenzhen's 256 px films, as they are and at 128 px: "
                      f"{time.perf_counter() - started:.0f} s", flush=True)
                for c in (float(v) for v in args.cs.split(",")):
                    r = resolution_at_shenzhen(x, rows, hires, lowres, c)
                    line = (f"| {field} | {scale} | {c:g} | {len(hires)} | {r['auc']['256']:.3f} | {r['auc']['128']:.3f} | "
                            f"{r['difference']:+.3f} ({r['interval'][0]:+.3f} to {r['interval'][1]:+.3f}) | "
                            f"{r['accuracy']['256']:.1%} / {r['accuracy']['128']:.1%} |")
                    lines.append(line)
                    print(line, flush=True)
                continue
            for how, c in ((h, float(v)) for h in args.standardise.split(",") for v in args.cs.split(",")):
                r = loso(x, rows, c, how, args.weighting)
                line = (f"| {field} | {scale} | {how} | {c:g} | {r['accuracy']:.1%} | {r['ece']:.3f} | "
                        + " / ".join(f"{v:.0%}" for v in r["recall"]) + f" | {r['shenzhen_tb_auc']:.3f} | "
                        + ", ".join(f"{v:.0%}" for v in r["per_source"].values()) + " |")
                lines.append(line)
                print(line, flush=True)
    if args.results:
        with (ROOT / "benchmarks" / "RESULTS.md").open("a", encoding="utf-8") as handle:
            handle.write("\n\n## A linear probe on frozen ImageNet VGG16 features (`benchmarks/bench_transfer_probe.py`)\n"
                         f"{cpu_name()}, float32, {time.strftime('%Y-%m-%d')}.\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
