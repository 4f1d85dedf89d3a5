"""CXRDesk's measure of truth: train on every source but one, test on the hospital never seen.

Run: python benchmarks/bench_generalisation.py [--models custom,vgg16] [--recipes study,lungs]
                                               [--epochs 15] [--image-size 64] [--seeds 1,2,3]
                                               [--early-stopping 8] [--mode loso|scenarios]
                                               [--heat 40] [--heat-layers pool2,conv3]
                                               [--extra-sources jsrt [--leave-out jsrt]] [--curation-seed 42]
A recipe may name another lung field after a colon (``robust:crop``) to try a variant.
``--extra-sources jsrt`` adds JSRT's healthy films as a sixth source; ``--leave-out SOURCE`` curates as asked and
then leaves that source's films out, so a lever that adds data is compared on the very same films of the others
(curation's balancing draw alone moves the Shenzhen AUC by about 0.05; ``--curation-seed`` sets the draw).

Mode ``loso`` (the default, the yardstick): for each model, recipe and seed, ``cxrdesk crossval
--estimate-only`` on every source of the data below - each source held out in turn, predicted by a model
trained on the others, calibrated on the other sources' predictions only - and printed per run: the pooled
accuracy and calibration error as trained and calibrated, the share of films answered when the model is
sure and its accuracy then, and the area under the ROC curve of tuberculosis against healthy inside the
Shenzhen hospital (the one source with two classes: discrimination with the hospital held fixed). The
summary gives each (model, recipe)'s mean and spread over the seeds, and its paired difference from the
study's recipe. With ``--heat N``, each fold's model is kept long enough to draw Grad-CAM on N films of the
source it never saw (evenly spread, the heatmap of the class the product would show, lungs found as a
diagnosis finds them): the median share of the heat inside the lungs, over all those films and over the
diseased ones, at the layer the product uses and at each of ``--heat-layers`` beside it, and the share a
heatmap spread evenly over what the model sees would put there (the chance level: a lung-field model sees
the lungs' box, where the lungs are about half).

Mode ``scenarios`` (the older single-hospital yardstick, ``--scenarios shenzhen,ieee8023 --site-share 0.5``):

Scenarios, with the real radiographs of ../shared/data:
  shenzhen  Shenzhen held out: tuberculosis vs healthy from a hospital never seen - the 128 px Shenzhen
            images of cxr3 and the 256 px ones of lungs/shenzhen (one image per patient; no Shenzhen
            patient is in training at all). The models train on hannover, ieee8023, nih and tbx11k.
  ieee8023  ieee8023 held out: COVID-19 recall on a collection never seen; the models train on
            hannover, nih, shenzhen128 and tbx11k.
  For each scenario, model and recipe, one run of `cxrdesk curate --holdout-source` + `cxrdesk train` +
`cxrdesk evaluate`, exactly as a user would; printed side by side: the internal figure (validation
images of the training hospitals, a random split), the held-out figure, the held-out ECE after the
temperature fitted on validation, and the scenario's clinical figure (TB sensitivity/specificity at
the screening threshold; COVID-19 recall). Prints the CPU and the precision used.

Then the deployment a hospital can do: `cxrdesk calibrate` on the held-out hospital's labelled images,
fitted on about half of its patients (``--site-share``) and measured on the other half, printed beside
the same half's figures without it.

One training run moves by up to ~60 points of held-out general precision between seeds (ieee8023, the
study's recipe: 19-79 %), and training on a CPU is not bit-for-bit repeatable (a seed is a label, not a
replay), so ``--seeds`` repeats every run with other training seeds (same curated split) and the summary gives
each recipe's mean and spread per held-out hospital, and its difference from the study's recipe;
then, per cell, the ensemble of its seeds (the mean of their per-image probabilities from
`cxrdesk evaluate --report`'s predictions.csv): what one model made of them would score.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
VGG = ROOT.parent / "shared" / "weights" / "vgg16_imagenet_notop.weights.h5"
FOLDERS = {"covid": "COVID-19", "normal": "Healthy", "tuberculosis": "Tuberculosis"}


def build_source(folder: Path, extra: tuple[str, ...] = ()) -> None:
    """A labelled folder of links: cxr3 (source from its '<source>__' prefix) plus lungs/shenzhen as
    source 'shenzhen128' too, one image per Shenzhen patient (the 256 px one where both exist). With
    ``extra`` ('jsrt'): the healthy films of that group of lungs/ as a source of their own (JSRT's 93
    films without a nodule; its nodule films are none of the three classes and stay out)."""
    import csv

    for name in FOLDERS:
        (folder / name).mkdir(parents=True)
    lungs = {}
    with (DATA / "lungs" / "pairs.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row["group"] in extra and row["label"] in ("normal", "no_nodule"):
                os.symlink(DATA / "lungs" / row["image"], folder / "normal" / f"{row['group']}__{Path(row['image']).name}")
            if row["group"] == "shenzhen":
                patient = "_".join(Path(row["image"]).stem.split("_")[:2])
                lungs[patient] = (DATA / "lungs" / row["image"], "tuberculosis" if row["label"] == "tuberculosis"
                                  else "normal")
    for patient, (path, label) in lungs.items():
        os.symlink(path, folder / label / f"shenzhen128__{path.name}")
    for name in FOLDERS:
        for path in sorted((DATA / "cxr3" / name).glob("*.png")):
            if path.name.startswith("shenzhen128__"):
                patient = "_".join(path.stem.split("__", 1)[1].split("_")[:2])
                if patient in lungs:
                    continue  # the same patient's larger image is already there
            os.symlink(path, folder / name / path.name)


def build_site(source: Path, folder: Path, prefix: str) -> None:
    """The held-out hospital's own labelled folder (its images of every class, cxr3's labels.csv beside
    them for patient ids): what it would calibrate on."""
    for class_folder in source.iterdir():
        if class_folder.is_dir():
            files = [f for f in class_folder.iterdir() if f.name.startswith(prefix + "__")]
            if files:
                (folder / class_folder.name).mkdir(parents=True)
                for f in files:
                    os.symlink(os.readlink(f), folder / class_folder.name / f.name)
    os.symlink(DATA / "cxr3" / "labels.csv", folder / "labels.csv")


def cxrdesk(*argv: object) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "cxrdesk", *map(str, argv)], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"cxrdesk {' '.join(map(str, argv))} failed:\n{result.stderr[-2000:]}")
    return result


def spread(values: list[float]) -> str:
    """Mean, and the standard deviation over seeds when there are several."""
    mean = statistics.fmean(values)
    return f"{mean:.1%}" + (f" +- {statistics.stdev(values):.1%}" if len(values) > 1 else "")


def summarise(rows: list[dict], recipes: list[str]) -> None:
    """Per recipe: mean held-out general precision and ECE per (held-out hospital, model) over seeds,
    the mean over those pairs, the paired difference from the study's recipe, and site calibration."""
    pairs = sorted({(r["held_out"], r["model"]) for r in rows})
    for recipe in recipes:
        mine = [r for r in rows if r["recipe"] == recipe]
        if not mine:
            continue
        print(f"recipe {recipe}: mean held-out general precision {statistics.fmean(r['held_out_gp'] for r in mine):.1%}, "
              f"mean held-out ECE {statistics.fmean(r['ece'] for r in mine):.3f} ({len(mine)} runs)")
        for scenario, model in pairs:
            cell = [r for r in mine if (r["held_out"], r["model"]) == (scenario, model)]
            study = [r for r in rows if r["recipe"] == "study" and (r["held_out"], r["model"]) == (scenario, model)]
            if not cell:
                continue
            versus = ""
            if study and recipe != "study":
                gap = statistics.fmean(r["held_out_gp"] for r in cell) - statistics.fmean(r["held_out_gp"] for r in study)
                versus = f"; {gap * 100:+.1f} points against the study's"
            ranking = [r["auc"].get("Tuberculosis") for r in cell]
            ranking = (f", TB AUC {statistics.fmean(ranking):.3f}" + (f" +- {statistics.stdev(ranking):.3f}"
                       if len(ranking) > 1 else "")) if all(ranking) else ""
            print(f"    {scenario} {model}: held-out GP {spread([r['held_out_gp'] for r in cell])}, ECE "
                  f"{statistics.fmean(r['ece'] for r in cell):.3f}{ranking}{versus}")
        sited = [r["site"] for r in mine if r["site"]]
        if sited:
            mean = lambda key, part: statistics.fmean(s[part][key] for s in sited)  # noqa: E731
            print(f"    site-calibrated (checked on the other half of the hospital): general precision "
                  f"{mean('general_precision', 'before'):.1%} -> {mean('general_precision', 'after'):.1%}, "
                  f"ECE {mean('ece', 'before'):.3f} -> {mean('ece', 'after'):.3f}")


def ensemble(key: tuple[str, str, str], files: list[Path]) -> dict:
    """The average of several runs' per-image probabilities (their `evaluate --report` predictions.csv,
    same images): accuracy, ECE and AUC of the mean, as one model made of the seeds would score."""
    import csv

    import numpy as np

    from cxrdesk.calibration import reliability as calibration
    from cxrdesk.evaluation import roc

    tables = []
    for file in files:
        with file.open(newline="") as handle:
            tables.append({row["image"]: row for row in csv.DictReader(handle)})
    images = sorted(tables[0])
    if any(sorted(table) != images for table in tables):
        raise SystemExit(f"the runs of {key} were evaluated on different images")
    classes = [name[2:] for name in next(iter(tables[0].values())) if name.startswith("p_")]
    mean = np.mean([[[float(t[i][f"p_{c}"]) for c in classes] for i in images] for t in tables], axis=0)
    y_true = np.array([classes.index(tables[0][i]["label"]) for i in images])
    return {"held_out": key[0], "model": key[1], "recipe": key[2], "members": len(files),
            "held_out_gp": float((mean.argmax(axis=1) == y_true).mean()), "ece": calibration(mean, y_true)["ece"],
            "auc": {c: r["auc"] for c, r in roc(mean, y_true, classes).items()}}


LOSO_FIELDS = ("accuracy", "ece", "accuracy_as_trained", "ece_as_trained", "coverage", "accuracy_when_sure",
               "shenzhen_tb_auc", "heat_in_lungs", "heat_in_lungs_diseased")


def heat_shares(run: Path, per_source: int, layers: list[str]) -> dict[str, dict]:
    """Median share of Grad-CAM heat inside the lungs on films of the source each fold's model never saw, per
    layer ('' is the product's own): over all films with plausible lungs and over the diseased ones. The
    diagnosis and its lungs are the product's (`Diagnoser`); only the layer of the heatmap varies."""
    import numpy as np
    import tensorflow as tf

    from cxrdesk.bundle import load_bundle
    from cxrdesk.classes import HEALTHY, canonical_class
    from cxrdesk.dataset import load_dataset
    from cxrdesk.diagnosis import Diagnoser, cam_in_image, grad_cam_pass, has_lung_field, heat_regions

    shares = {layer: {"all": [], "diseased": []} for layer in ["", *layers, "evenly"]}
    for fold in sorted((run / "folds").iterdir()):
        bundle = load_bundle(fold / f"holding-out-{fold.name}")
        diagnoser = Diagnoser(bundle)
        items = load_dataset(fold / "dataset").split("test")
        step = max(1, len(items) // per_source)
        for item in items[::step][:per_source]:
            result = diagnoser.diagnose(item.file)
            if result.lungs is None or not result.lungs.plausible:
                continue
            index = bundle.classes.index(result.most_likely)
            product = grad_cam_pass(bundle.model, result.image, index)  # the product's layer; its lung map too
            for layer in shares:
                if layer == "evenly":  # what the model saw, evenly: the lungs' box its own pass cropped, or the film
                    seen = (tf.constant(product.lungs[np.newaxis, :, :, np.newaxis])
                            if has_lung_field(bundle.model) else None)
                    heat = cam_in_image(bundle.model, np.ones((8, 8), np.float32), seen, result.image.shape)
                else:
                    heat = product.heat if not layer else grad_cam_pass(bundle.model, result.image, index,
                                                                        layer=layer).heat
                if heat.max() > 0:
                    share = heat_regions(heat, result.lungs)["lungs"]
                    shares[layer]["all"].append(share)
                    if canonical_class(item.label) != HEALTHY:
                        shares[layer]["diseased"].append(share)
    return {layer: {k: (statistics.median(v) if v else None) for k, v in kinds.items()} | {"films": len(kinds["all"])}
            for layer, kinds in shares.items()}


def loso_row(summary: dict) -> dict:
    """The figures a leave-one-source-out summary gives one run."""
    e = summary["expected_at_new_hospital"]
    shenzhen = summary["per_source"].get("shenzhen128") or {}
    return {"accuracy": e["accuracy"], "ece": e["ece"], "accuracy_as_trained": e["as_trained"]["accuracy"],
            "ece_as_trained": e["as_trained"]["ece"], "coverage": e["coverage"],
            "accuracy_when_sure": e["accuracy_when_sure"],
            "shenzhen_tb_auc": ((shenzhen.get("as_trained") or {}).get("auc") or {}).get("Tuberculosis"),
            "per_source": {s: r["accuracy"] for s, r in summary["per_source"].items()}}


def run_loso(args, work: Path, seeds: list[int]) -> list[dict]:
    """Every (model, recipe, seed) as ``cxrdesk crossval --estimate-only`` on all the sources."""
    dataset = work / "ds-all"
    cxrdesk("curate", work / "src", "--out", dataset,
            *(["--seed", args.curation_seed] if args.curation_seed is not None else []))
    if args.leave_out:
        # the control for --extra-sources: the very films the run with them keeps, less that source's own
        from cxrdesk.dataset import derive_dataset, load_dataset

        curated, left = load_dataset(dataset), set(args.leave_out.split(","))
        unknown = left - {item.source for item in curated.items if item.split}
        if unknown:
            raise SystemExit(f"--leave-out: no curated film comes from {', '.join(sorted(unknown))}")
        dataset = derive_dataset(curated, work / "ds-less", lambda item: None if item.source in left else item.split,
                                 why=f"source {args.leave_out} left out after curation (a control)")
    header = (f"{'model':<8}{'recipe':<12}{'seed':>5}{'accuracy':>10}{'ECE':>7}{'as trained':>12}{'ECE':>7}"
              f"{'answered':>10}{'when sure':>11}{'Shenzhen TB AUC':>17}")
    print(header)
    print("-" * len(header))
    rows = []
    for model in args.models.split(","):
        for variant, seed in ((v, s) for v in args.recipes.split(",") for s in seeds):
            recipe, _, lung_field = variant.partition(":")
            name = f"loso-{model}-{variant.replace(':', '-').replace('+', '-')}-{seed}"
            weights = ["--weights", str(VGG) if VGG.is_file() else "none"] if model == "vgg16" else []
            started = time.perf_counter()
            cxrdesk("crossval", dataset, "--estimate-only", *(["--keep-fold-models"] if args.heat else []),
                    "--model", model, "--recipe", recipe, "--epochs",
                    args.epochs, "--image-size", args.image_size, "--batch-size", args.batch_size, "--out",
                    work / "models", "--name", name, "--seed", seed, *weights,
                    *(["--lung-field", lung_field] if lung_field else []),
                    *(["--early-stopping", args.early_stopping] if args.early_stopping is not None else []))
            minutes = (time.perf_counter() - started) / 60
            summary = json.loads((work / "models" / ".crossval" / name / "summary.json").read_text())
            row = {"model": model, "recipe": variant, "seed": seed, "minutes": round(minutes, 1), **loso_row(summary)}
            if args.heat:
                heat = heat_shares(work / "models" / ".crossval" / name, args.heat,
                                   [layer for layer in args.heat_layers.split(",") if layer])
                row |= {"heat": heat, "heat_in_lungs": heat[""]["all"], "heat_in_lungs_diseased": heat[""]["diseased"]}
                shutil.rmtree(work / "models" / ".crossval" / name / "folds", ignore_errors=True)
            rows.append(row)
            auc = f"{row['shenzhen_tb_auc']:.3f}" if row["shenzhen_tb_auc"] is not None else "-"
            sure = f"{row['accuracy_when_sure']:.1%}" if row["accuracy_when_sure"] is not None else "-"
            print(f"{model:<8}{variant:<12}{seed:>5}{row['accuracy']:>10.1%}{row['ece']:>7.3f}"
                  f"{row['accuracy_as_trained']:>12.1%}{row['ece_as_trained']:>7.3f}{row['coverage']:>10.0%}"
                  f"{sure:>11}{auc:>17}  [{minutes:.0f} min; per source "
                  + ", ".join(f"{s} {a:.0%}" for s, a in row["per_source"].items()) + "]", flush=True)
            for layer, h in row.get("heat", {}).items():
                shown = ["-" if v is None else f"{v:.0%}" for v in (h["all"], h["diseased"])]
                at = {"": "the product layer", "evenly": "chance (spread evenly over what it sees)"}.get(layer, layer)
                print(f"    heat inside the lungs at {at}: median {shown[0]} of "
                      f"{h['films']} held-out films, {shown[1]} of the diseased", flush=True)
    return rows


def summarise_loso(rows: list[dict]) -> list[str]:
    """Per (model, recipe): mean and spread over seeds, and the paired gap to the study's recipe; printed,
    and returned as lines for RESULTS.md."""
    lines = ["Mean +- standard deviation over seeds (leave-one-source-out, calibrated for unseen hospitals):"]
    for model, variant in dict.fromkeys((r["model"], r["recipe"]) for r in rows):
        cell = [r for r in rows if (r["model"], r["recipe"]) == (model, variant)]
        study = [r for r in rows if (r["model"], r["recipe"]) == (model, "study")]
        parts = []
        for key in LOSO_FIELDS:
            values = [r[key] for r in cell if r[key] is not None]
            if values:
                sd = f" +- {statistics.stdev(values):.3f}" if len(values) > 1 else ""
                parts.append(f"{key} {statistics.fmean(values):.3f}{sd}")
        gap = ""
        if study and variant != "study":
            gap = (f"; accuracy {100 * (statistics.fmean(r['accuracy'] for r in cell) - statistics.fmean(r['accuracy'] for r in study)):+.1f} "
                   "points against the study's recipe")
        lines.append(f"    {model} {variant} ({len(cell)} seeds): " + ", ".join(parts) + gap)
    print("\n" + "\n".join(lines))
    return lines


def append_results(title: str, lines: list[str]) -> None:
    """Add a dated section to benchmarks/RESULTS.md: the measured figures, not typed by hand."""
    results = Path(__file__).with_name("RESULTS.md")
    section = (f"\n## {title}\n`{' '.join(['python', *sys.argv])}`, {time.strftime('%Y-%m-%d')}\n\n```\n"
               + "\n".join(lines) + "\n```\n")
    with results.open("a", encoding="utf-8") as handle:
        handle.write(section)
    print(f"appended to {results}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["loso", "scenarios"], default="loso",
                        help="loso: leave each source out in turn (the default); scenarios: the two single-hospital "
                             "scenarios with site calibration")
    parser.add_argument("--models", default="custom,vgg16")
    parser.add_argument("--recipes", default="study,lungs")
    parser.add_argument("--scenarios", default="shenzhen,ieee8023")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--early-stopping", type=int, metavar="PATIENCE",
                        help="every run stops after PATIENCE epochs without a better validation loss (default: "
                             "each recipe's own)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--site-share", type=float, default=0.5,
                        help="share of the held-out hospital's patients kept to check its site calibration "
                             "(0: no site calibration)")
    parser.add_argument("--seeds", default="1", help="training seeds, comma-separated: each run is repeated "
                        "with each (default 1)")
    parser.add_argument("--heat", type=int, default=0, metavar="N",
                        help="loso: Grad-CAM on N films of each held-out source, the median heat share inside the "
                             "lungs (0: not measured)")
    parser.add_argument("--heat-layers", default="", help="loso with --heat: other layers to draw the heatmap at, "
                        "beside the product's (comma-separated layer names)")
    parser.add_argument("--extra-sources", default="", choices=["", "jsrt"],
                        help="loso: add the healthy films of this group of ../shared/data/lungs as a source of their "
                             "own (trained on, and held out in turn like the others)")
    parser.add_argument("--curation-seed", type=int, metavar="SEED",
                        help="loso: the seed of `cxrdesk curate` (which films balancing keeps, and the split; "
                             "default: curate's own). The Shenzhen TB AUC moves with it more than with the "
                             "training seed: compare levers on the same curated films")
    parser.add_argument("--leave-out", default="", metavar="SOURCE",
                        help="loso: curate as asked, then leave this source's films out (with --extra-sources jsrt "
                             "--leave-out jsrt, the control: the very films of every other source, without JSRT's)")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    parser.add_argument("--results", action="store_true", help="append the summary to benchmarks/RESULTS.md")
    args = parser.parse_args()
    if args.mode != "loso" and (args.extra_sources or args.leave_out or args.curation_seed is not None):
        parser.error("--extra-sources, --leave-out and --curation-seed belong to --mode loso")

    from cxrdesk.devices import cpu_has_bfloat16, cpu_name

    print(f"CPU: {cpu_name()}; native bfloat16: {cpu_has_bfloat16()} (training precision: "
          f"{'mixed_bfloat16' if cpu_has_bfloat16() else 'float32'}; evaluation float32)")
    seeds = [int(seed) for seed in args.seeds.split(",")]
    data_choices = ((f"; extra source {args.extra_sources}" if args.extra_sources else "")
                    + (f"; left out after curation: {args.leave_out}" if args.leave_out else "")
                    + (f"; curation seed {args.curation_seed}" if args.curation_seed is not None else ""))
    print(f"{args.epochs} epochs at most, {args.image_size} px, batch {args.batch_size}, training seeds "
          f"{', '.join(map(str, seeds))}, early stopping "
          f"{'each recipe its own' if args.early_stopping is None else f'after {args.early_stopping} epochs'}"
          f"{data_choices}\n")
    if args.mode == "loso":
        with tempfile.TemporaryDirectory(prefix="cxrdesk-loso-") as tmp:
            work = Path(tmp)
            build_source(work / "src", tuple(filter(None, [args.extra_sources])))
            rows = run_loso(args, work, seeds)
        lines = summarise_loso(rows)
        if args.results:
            append_results(f"Leave one source out ({cpu_name()}, native bfloat16: {cpu_has_bfloat16()}{data_choices})",
                           [f"{r['model']} {r['recipe']} seed {r['seed']}: accuracy {r['accuracy']:.3f}, ECE "
                            f"{r['ece']:.3f}, answered {r['coverage']:.2f}, Shenzhen TB AUC {r['shenzhen_tb_auc']}"
                            for r in rows] + lines)
        if args.json:
            Path(args.json).write_text(json.dumps({"mode": "loso", "runs": rows}, indent=2))
        return
    holdout = {"shenzhen": "shenzhen128", "ieee8023": "ieee8023"}
    rows, answers = [], {}
    with tempfile.TemporaryDirectory(prefix="cxrdesk-generalisation-") as tmp:
        work = Path(tmp)
        build_source(work / "src")
        header = (f"{'held out':<10}{'model':<8}{'recipe':<8}{'seed':>5}{'internal GP':>12}{'held-out GP':>12}{'ECE':>7}"
                  f"{'ECE raw':>9}  clinical figure on the held-out hospital")
        print(header)
        print("-" * len(header))
        for scenario in args.scenarios.split(","):
            dataset = work / f"ds-{scenario}"
            cxrdesk("curate", work / "src", "--out", dataset, "--holdout-source", holdout[scenario])
            site = work / f"site-{scenario}"
            build_site(work / "src", site, holdout[scenario])
            for model in args.models.split(","):
                for variant, seed in ((v, s) for v in args.recipes.split(",") for s in seeds):
                    recipe, _, lung_field = variant.partition(":")
                    name = f"{scenario}-{model}-{variant.replace(':', '-').replace('+', '-')}-{seed}"
                    weights = ["--weights", str(VGG) if VGG.is_file() else "none"] if model == "vgg16" else []
                    started = time.perf_counter()
                    cxrdesk("train", dataset, "--model", model, "--recipe", recipe, "--epochs", args.epochs,
                            "--image-size", args.image_size, "--batch-size", args.batch_size, "--out", work / "models",
                            "--name", name, "--seed", seed, *weights, *(["--lung-field", lung_field] if lung_field else []),
                            *(["--early-stopping", args.early_stopping] if args.early_stopping is not None else []))
                    minutes = (time.perf_counter() - started) / 60
                    result = json.loads(cxrdesk("evaluate", dataset, "--model", work / "models" / name, "--json",
                                                "--report", work / "reports" / name).stdout)
                    answers.setdefault((scenario, model, variant), []).append(work / "reports" / name / "predictions.csv")
                    card = json.loads((work / "models" / name / "card.json").read_text())
                    history, best = card["training"]["history"], card["training"]["best_epoch"]
                    internal = history[best - 1]["val_accuracy"] if best else None
                    if scenario == "shenzhen":
                        tb = result["screening"].get("Tuberculosis", {})
                        clinical = (f"TB AUC {result['auc'].get('Tuberculosis') or float('nan'):.3f}; TB sensitivity "
                                    f"{tb.get('sensitivity', 0):.0%}, specificity "
                                    f"{tb.get('specificity', 0):.0%} at the screening threshold"
                                    + (" (WHO minimum met)" if tb.get("who_minimum_met") else ""))
                    else:
                        clinical = f"COVID-19 recall {result['per_class']['COVID-19']['recall']:.0%}"
                    site_figures = None
                    if args.site_share > 0:
                        calibrated = json.loads(cxrdesk("calibrate", site, "--model", work / "models" / name, "--out",
                                                        work / "models" / f"{name}-site", "--check-share",
                                                        args.site_share, "--json").stdout)
                        site_figures = {key: {"general_precision": calibrated[key]["general_precision"],
                                              "ece": calibrated[key]["ece"], "screening": calibrated[key]["screening"]}
                                        for key in ("before", "after")}
                        site_figures.update(calibration_images=calibrated["calibration_images"],
                                            check_images=calibrated["check_images"])
                    row = {"held_out": scenario, "model": model, "recipe": variant, "seed": seed, "internal_gp": internal,
                           "held_out_gp": result["general_precision"], "ece": result["ece"],
                           "ece_uncalibrated": result["ece_uncalibrated"], "clinical": clinical,
                           "n_test": result["n"], "epochs_run": card["training"]["epochs_run"],
                           "minutes": round(minutes, 1), "screening": result["screening"],
                           "per_class": result["per_class"], "auc": result["auc"], "site": site_figures}
                    rows.append(row)
                    print(f"{scenario:<10}{model:<8}{variant:<8}{seed:>5}{internal:>12.1%}{row['held_out_gp']:>12.1%}"
                          f"{row['ece']:>7.3f}{row['ece_uncalibrated']:>9.3f}  {clinical} "
                          f"[{row['n_test']} images, {row['epochs_run']} epochs, {minutes:.1f} min]", flush=True)
                    if site_figures:
                        before, after = site_figures["before"], site_figures["after"]
                        tb = after["screening"].get("Tuberculosis")
                        print(f"{'':<31}site-calibrated on {site_figures['calibration_images']}, checked on "
                              f"{site_figures['check_images']}: GP {before['general_precision']:.1%} -> "
                              f"{after['general_precision']:.1%}, ECE {before['ece']:.3f} -> {after['ece']:.3f}"
                              + (f"; TB sensitivity {tb['sensitivity']:.0%}, specificity {tb['specificity']:.0%}"
                                 if tb else ""), flush=True)
        ensembles = [ensemble(key, files) for key, files in answers.items() if len(files) > 1]
    print()
    summarise(rows, args.recipes.split(","))
    if ensembles:
        print("\nEnsembles: each cell's seeds averaged (their calibrated probabilities), one model per cell:")
        for row in ensembles:
            tb = f", TB AUC {row['auc']['Tuberculosis']:.3f}" if row["auc"].get("Tuberculosis") else ""
            print(f"    {row['held_out']} {row['model']} {row['recipe']} ({row['members']} seeds): held-out GP "
                  f"{row['held_out_gp']:.1%}, ECE {row['ece']:.3f}{tb}")
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": rows, "ensembles": ensembles}, indent=2))


if __name__ == "__main__":
    main()
