"""The study's whole workflow, headless, on a folder of radiographs: `cxrdesk demo --data DIR`.

Curate (balanced; the study's 120-140 band only when asked), train the custom CNN with a quick
preset on the CPU (and on the GPU too when there is one), evaluate, compare, diagnose a few held-out
images, and write everything to one report folder with an index page.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import RESEARCH_NOTICE, __version__
from .atomic import building_folder
from .bundle import load_bundle, read_card
from .curation import PRESETS, CurationSettings, plan_curation
from .dataset import export_dataset, load_dataset
from .devices import probe
from .diagnosis import Diagnoser, heatmap_overlay
from .errors import CxrdeskError
from .evaluation import comparison_rows, evaluate_bundle
from .events import Epoch, Failed, Finished
from .report import write_report
from .runs import TrainingRun
from .scanning import scan_folder
from .training import TrainConfig

Say = Callable[[str], None]


@dataclass
class DemoSettings:
    image_size: int = 64
    epochs: int = 5
    batch_size: int = 32
    study_band: bool = False
    seed: int = 42
    devices: tuple[str, ...] | None = None  # None: the CPU, and the GPU when there is one


def run_demo(data: str | Path, out: str | Path, settings: DemoSettings | None = None, *, force: bool = False,
             say: Say = print) -> Path:
    """Run the workflow and return the path of ``index.html`` in ``out``."""
    settings = settings or DemoSettings()

    out = Path(out).expanduser().resolve()
    if out.exists():
        if not force:
            raise CxrdeskError(f"{out} already exists: choose another --out, or pass --force to replace it")
        if not (out / "summary.json").is_file():
            raise CxrdeskError(f"{out} exists and is not a CXRDesk demo folder: refusing to replace it")
    with building_folder(out) as work:
        say(f"1/5 Scanning {data}")
        scan = scan_folder(data)
        low, high = PRESETS["study" if settings.study_band else "all"]
        plan = plan_curation(scan, CurationSettings(low=low, high=high, seed=settings.seed))
        for note in plan.notes:
            say(f"    {note}")
        if settings.study_band and any(n.kind == "band_keeps_few" for n in plan.notes):
            say("    The study's 120-140 band removes most of some class on this data: balancing then "
                "shrinks every class to that size.")
        dataset_dir = export_dataset(plan, work / "dataset")
        dataset = load_dataset(dataset_dir)
        counts = dataset.description["counts"]
        say("    curated: " + ", ".join(f"{s} {sum(counts[s].values())}" for s in counts))

        devices = settings.devices or _available_devices()
        bundles = []
        for device in devices:
            say(f"2/5 Training the custom CNN on the {device.upper()} ({settings.epochs} epochs at "
                f"{settings.image_size} px)")
            bundles.append(_train(dataset_dir, work / "models", device, settings, say))

        say("3/5 Evaluating on the held-out test images")
        evaluations = [_evaluate(bundle, dataset, work / "reports" / Path(bundle).name) for bundle in bundles]
        for bundle, result in zip(bundles, evaluations):
            say(f"    {Path(bundle).name}: general precision {result.metrics['general_precision']:.2%} "
                f"on {result.metrics['n']} test images")

        say("4/5 Comparing the runs")

        rows = comparison_rows([read_card(b) for b in bundles])

        say("5/5 Diagnosing a few held-out radiographs")
        diagnoses = _diagnose_examples(bundles[0], dataset, work / "diagnoses")
        summary = {"cxrdesk_version": __version__, "data": str(Path(data).resolve()), "settings": vars(settings),
                   "curation_notes": [n.text for n in plan.notes], "counts": counts,
                   "shortcut_check": dataset.description.get("shortcut_check"), "comparison": rows,
                   "diagnoses": diagnoses, "notice": RESEARCH_NOTICE}
        (work / "summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
        (work / "index.html").write_text(_index(summary, bundles, work), encoding="utf-8")
    say(f"Demo report: {out / 'index.html'}")
    return out / "index.html"


def _available_devices() -> tuple[str, ...]:
    return ("cpu", "gpu") if probe().get("gpu_available") else ("cpu",)


def _train(dataset_dir: Path, models: Path, device: str, settings: DemoSettings, say: Say) -> str:
    config = TrainConfig(dataset=str(dataset_dir), model="custom", device=device, epochs=settings.epochs,
                         batch_size=settings.batch_size, image_size=settings.image_size, seed=settings.seed,
                         out=str(models), name=f"custom-{device}", command="cxrdesk demo")
    for event in TrainingRun(config).start().events():
        if isinstance(event, Epoch):
            say(f"    epoch {event.epoch}/{event.epochs}: loss {event.loss:.3f}, accuracy {event.accuracy:.3f}, "
                f"validation accuracy {event.val_accuracy:.3f}, {event.seconds:.1f} s")
        elif isinstance(event, Failed):
            raise CxrdeskError(f"training on the {device.upper()} failed: {event.message}")
        elif isinstance(event, Finished):
            return event.bundle
    raise CxrdeskError("training ended without a model")


def _evaluate(bundle_folder: str, dataset, report_dir: Path):
    bundle, result = evaluate_bundle(bundle_folder, dataset)
    write_report(result, bundle.card, report_dir)
    return result


def _diagnose_examples(bundle_folder: str, dataset, out: Path) -> list[dict]:
    out.mkdir(parents=True)
    diagnoser = Diagnoser(load_bundle(bundle_folder))
    results = []
    for name in dataset.classes:
        item = next((i for i in dataset.split("test") if i.label == name), None)
        if item is None:
            continue
        result = diagnoser.diagnose(item.file, heatmap=True)
        picture = out / f"{name}-{item.file.stem}.png"
        heatmap_overlay(result.image, result.heatmap).save(picture)
        results.append({**result.to_dict(), "true_class": name, "heatmap": picture.name})
    return results


def _index(summary: dict, bundles: list[str], folder: Path) -> str:
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(str(r['run']))}</td><td>{esc(str(r['device']).upper())}</td><td>{r['seconds_per_epoch']}</td>"
        f"<td>{(r['val_accuracy'] or 0):.2%}</td><td>{(r['test_general_precision'] or 0):.2%}</td>"
        f"<td><a href='reports/{esc(str(r['run']))}/report.html'>report</a></td></tr>" for r in summary["comparison"])
    cases = "".join(
        f"<figure><img src='diagnoses/{esc(d['heatmap'])}' width='256'><figcaption>true {esc(d['true_class'])}, "
        + (f"predicted <b>{esc(d['predicted'])}</b> ({d['probabilities'][d['predicted']]:.1%})" if d["predicted"]
           else "<b>no diagnosis</b> (may not be a chest radiograph)")
        + ("<br>warning: " + esc("; ".join(d["warnings"])) if d["warnings"] else "") + "</figcaption></figure>"
        for d in summary["diagnoses"])
    shortcut = (summary.get("shortcut_check") or {}).get("verdict", "")
    notes = "".join(f"<li>{esc(n)}</li>" for n in summary["curation_notes"])
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>CXRDesk demo</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{border:1px solid #bbb;padding:.3em .6em}}
table{{border-collapse:collapse}}figure{{display:inline-block;margin:.5em}}.notice{{background:#fff3cd;padding:.8em}}</style>
</head><body><h1>CXRDesk demo on {esc(summary['data'])}</h1>
<p class="notice"><b>{esc(RESEARCH_NOTICE)}</b></p>
<h2>Curation</h2><ul>{notes}</ul><p>{esc(shortcut)}</p>
<h2>Runs (the study's Table VII)</h2><table><tr><th>run</th><th>device</th><th>s/epoch</th>
<th>validation general precision</th><th>test general precision</th><th></th></tr>{rows}</table>
<h2>Held-out radiographs, with Grad-CAM</h2>{cases}
<p><small>CXRDesk {esc(__version__)}; details in summary.json</small></p></body></html>
"""
