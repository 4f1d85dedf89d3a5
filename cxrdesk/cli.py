"""The command line: one thin sub-command per stage, over the same core functions as the GUI."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from typing import Callable, Sequence

from . import RESEARCH_NOTICE, __version__
from .errors import CxrdeskError


class _Parser(argparse.ArgumentParser):
    """argparse, but a wrong argument is one line (plus a hint), not a usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned text table: first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        parts = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def progress_bar(description: str, enabled: bool = True) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A tqdm bar on stderr driven by (done, total) callbacks; returns (update, close)."""
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if not enabled:
            return
        if bar is None:
            bar = tqdm(total=total, desc=description, unit="img", file=sys.stderr, leave=False,
                       disable=None)  # disable=None: no bar when stderr is not a terminal
        bar.n = done
        bar.refresh()

    def close() -> None:
        if bar is not None:
            bar.close()

    return update, close


# ---------------------------------------------------------------------------------------- scan


def _add_scan_options(p: argparse.ArgumentParser) -> None:
    from .curation import PRESETS

    p.add_argument("src", help="folder with one sub-folder per class (COVID, Tuberculosis, Normal, Pneumonia...)")
    p.add_argument("--low", type=float, help="lowest mean intensity kept (0-255)")
    p.add_argument("--high", type=float, help="highest mean intensity kept (0-255)")
    p.add_argument("--preset", choices=list(PRESETS),
                   help="named band: " + ", ".join(f"'{n}' {lo:g}-{hi:g}" for n, (lo, hi) in PRESETS.items())
                   + " ('study' is the paper's)")
    p.add_argument("--measure", choices=["image", "lungs"], default="image",
                   help="what the band applies to: the whole image's mean intensity (default, the study's) or the "
                        "mean inside the lungs (found by the lung model; implies --lung-means)")
    p.add_argument("--lung-means", action="store_true",
                   help="also measure each image's mean intensity inside its lungs (recorded in the manifest)")
    p.add_argument("--patient-pattern", metavar="REGEX",
                   help="regular expression whose first group in a file name is the patient id")
    p.add_argument("--source-pattern", metavar="REGEX",
                   help="regular expression whose first group in a file name is the image's source (hospital); "
                        "default: a 'source' column of a CSV beside the class folders, else a '<source>__' prefix")
    p.add_argument("--workers", type=int, help="processes used to measure images (default: all cores)")
    p.add_argument("--no-cache", action="store_true", help="measure every image again")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")


def _band(args) -> tuple[float, float]:
    from .curation import PRESETS

    from .curation import CurationSettings

    low, high = PRESETS[args.preset] if args.preset else PRESETS["all"]
    low, high = (args.low if args.low is not None else low), (args.high if args.high is not None else high)
    CurationSettings(low=low, high=high)  # one rule for scan and curate: 0 <= low <= high <= 255
    return low, high


def _scan(args):
    from .scanning import scan_folder

    update, close = progress_bar("scanning", enabled=not args.json)
    try:
        scan = scan_folder(args.src, workers=args.workers, use_cache=not args.no_cache,
                           patient_pattern=args.patient_pattern, source_pattern=args.source_pattern, progress=update)
    finally:
        close()
    if args.lung_means or args.measure == "lungs":
        from .devices import use_cpu_in_process
        from .scanning import measure_lungs

        use_cpu_in_process()
        update, close = progress_bar("lungs", enabled=not args.json)
        try:
            measure_lungs(scan, progress=update, use_cache=not args.no_cache)
        finally:
            close()
    return scan


def cmd_scan(args) -> int:
    from .curation import confounded_classes, histograms, shortcut_check, threshold_counts

    low, high = _band(args)  # a wrong band is refused before any image is read
    scan = _scan(args)
    counts = threshold_counts(scan, low, high, args.measure)
    shortcut = shortcut_check(scan.records)
    stats = {}
    for index, name in enumerate(scan.classes):
        means = scan.means[scan.label_index == index]
        stats[name] = {"images": int(means.size),
                       "mean_intensity": round(float(means.mean()), 2) if means.size else None,
                       "sd_intensity": round(float(means.std()), 2) if means.size else None,
                       "kept": counts[name][0], "dropped": counts[name][1]}
        if scan.lung_means is not None:
            inside = scan.lung_means[scan.label_index == index]
            inside = inside[~np.isnan(inside)]
            stats[name]["lung_mean_intensity"] = round(float(inside.mean()), 2) if inside.size else None
    if args.json:
        edges, hist = histograms(scan, bins=32, measure=args.measure)
        print(json.dumps({
            "source": str(scan.root), "class_names": list(scan.classes), "class_folders": scan.class_folders,
            "ignored_folders": scan.ignored_folders, "patient_groups": scan.group_source,
            "classes": stats, "band": [low, high], "measure": args.measure,
            "unreadable": [vars(u) for u in scan.unreadable], "skipped": [vars(s) for s in scan.skipped],
            "histogram": {"edges": edges.tolist(), "counts": {k: v.tolist() for k, v in hist.items()}},
            "sources": scan.class_source_counts(), "source_origin": scan.source_origin,
            "confounded": [n.to_dict() for n in confounded_classes(scan)],
            "shortcut_check": shortcut.to_dict() if shortcut else None, "warnings": scan.warnings,
            "seconds": round(scan.seconds, 3), "from_cache": scan.from_cache}, indent=2))
        return 0
    print(f"Source: {scan.root}")
    print(f"Scanned {len(scan.records) + len(scan.unreadable)} images in {scan.seconds:.1f} s "
          f"({scan.from_cache} from cache)")
    print("Class folders: " + ", ".join(f"{f} -> {c}" for f, c in scan.class_folders.items()))
    for folder, why in scan.ignored_folders.items():
        print(f"Ignored folder: {folder} ({why})")
    print(f"Patient ids: {scan.group_source}")
    print()
    lungs = scan.lung_means is not None
    band = f"kept [{low:g}-{high:g}]" + (" in the lungs" if args.measure == "lungs" else "")
    print(table(["class", "images", "mean intensity", "sd of means", *(["mean in the lungs"] if lungs else []), band,
                 "dropped"],
                [[c, s["images"], s["mean_intensity"], s["sd_intensity"],
                  *([s["lung_mean_intensity"]] if lungs else []), s["kept"], s["dropped"]] for c, s in stats.items()]))
    _print_sources(scan)
    _print_problems(scan)
    if shortcut:
        print()
        print(shortcut.verdict())
        if shortcut.source_verdict():
            print(shortcut.source_verdict())
    return 0


def _print_sources(scan) -> None:
    """The class x source table and what it means for a model."""
    from .curation import confounded_classes

    print(f"\nSources: {scan.source_origin}")
    table_ = scan.class_source_counts()
    print(table(["class", *scan.sources], [[c, *row.values()] for c, row in table_.items()]))
    for note in confounded_classes(scan):
        print(f"Warning: {note.text}")


def _print_problems(scan) -> None:
    for label, items in (("Unreadable", scan.unreadable), ("Skipped (not an image)", scan.skipped)):
        if items:
            print(f"\n{label}: {len(items)}")
            for item in items[:10]:
                print(f"  {item.path}: {item.reason}")
            if len(items) > 10:
                print(f"  ... and {len(items) - 10} more (all are listed with --json)")
    for warning in scan.warnings:
        print(f"\nWarning: {warning}")


# -------------------------------------------------------------------------------------- curate


def cmd_curate(args) -> int:
    from .curation import WARNING_NOTES, CurationSettings, plan_curation
    from .dataset import export_dataset

    low, high = _band(args)
    holdout = tuple(s.strip() for s in (args.holdout_source or "").split(",") if s.strip())
    settings = CurationSettings(low=low, high=high, balance=not args.no_balance, val=args.val,
                                test=args.test, seed=args.seed, measure=args.measure, holdout_sources=holdout,
                                allow_cross_class_duplicates=args.allow_cross_class_duplicates)
    scan = _scan(args)
    plan = plan_curation(scan, settings)
    layout = "link" if args.link else "copy" if args.copy else "manifest"
    update, close = progress_bar("writing", enabled=not args.json)
    try:
        out = export_dataset(plan, args.out, layout=layout, force=args.force, progress=update)
    finally:
        close()
    from .dataset import load_dataset

    description = load_dataset(out).description
    if args.json:
        print(json.dumps({"dataset": str(out), **description}, indent=2))
        return 0
    counts = description["counts"]
    print(f"Curated dataset written to {out} ({layout})")
    print(f"Band [{low:g}, {high:g}], seed {settings.seed}, balance {'on' if settings.balance else 'off'}, "
          f"validation {settings.val:.0%} of non-test, test {settings.test:.0%}")
    print()
    print(table(["class", *[s for s in counts], "total"],
                [[c, *[counts[s][c] for s in counts], sum(counts[s][c] for s in counts)]
                 for c in description["classes"]]))
    print()
    print(table(["split", *scan.sources], [[split, *[row.get(s, 0) for s in scan.sources]]
                                            for split, row in description["split_sources"].items()]))
    for note in plan.notes:
        print(f"{'Warning' if note.kind in WARNING_NOTES else 'Note'}: {note}")
    _print_problems(scan)
    if description.get("shortcut_check"):
        print()
        print(description["shortcut_check"]["verdict"])
        if description["shortcut_check"].get("source_verdict"):
            print(description["shortcut_check"]["source_verdict"])
    return 0


# ------------------------------------------------------------------------------- models, train


def cmd_models(args) -> int:
    from .devices import use_cpu_in_process

    use_cpu_in_process()
    from .models import MODELS, build_model, parameter_counts

    rows = []
    for name, model_spec in MODELS.items():
        size = args.image_size or model_spec.default_size
        model = build_model(name, size, weights="none")
        total, trainable = parameter_counts(model)
        rows.append({"model": name, "title": model_spec.title, "input": f"{size}x{size}x3",
                     "parameters": total, "trainable": trainable, "pretrained": model_spec.pretrained,
                     "pixel_scale": model_spec.pixel_scale, "description": model_spec.description})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(table(["model", "input", "parameters", "trainable", "description"],
                [[r["model"], r["input"], f"{r['parameters']:,}", f"{r['trainable']:,}", r["description"]]
                 for r in rows]))
    print("\nCounts are for the study's three classes; trainable counts are with the pretrained base frozen "
          "(the default; see --fine-tune).")
    return 0


def _train_config(args):
    from .training import TrainConfig, resume_config

    if args.resume:
        return resume_config(args.out, args.resume, args.epochs)
    if not args.dataset:
        raise CxrdeskError("give a curated DATASET folder (or --resume NAME)")
    return TrainConfig(dataset=args.dataset, model=args.model, device=args.device, recipe=args.recipe,
                       lung_field=args.lung_field, lung_model=args.lung_model,
                       epochs=args.epochs or TrainConfig.defaults()["epochs"], batch_size=args.batch_size, image_size=args.image_size, weights=args.weights,
                       fine_tune=args.fine_tune, learning_rate=args.lr, seed=args.seed, out=args.out,
                       name=args.name, precision=args.precision, early_stopping=args.early_stopping,
                       strategy=args.strategy, cpu_replicas=args.cpu_replicas, max_steps=args.max_steps,
                       accumulation=args.accumulate, demo=args.demo, no_validation=args.no_validation,
                       command="cxrdesk " + " ".join(sys.argv[1:]))


class _Interrupted:
    """Counts SIGINT (Ctrl-C) and SIGTERM instead of raising where they land: the training loop looks
    at the count between events, so a signal never cuts a message or a bundle in half. Remembers the
    exit code (130 for SIGINT, 143 for SIGTERM)."""

    def __init__(self):
        self.count = 0
        self.exit_code = 130

    def __call__(self, signum, frame):
        self.count += 1
        self.exit_code = 128 + signum


def cmd_train(args) -> int:
    """Train with progress. Ctrl-C (or SIGTERM) stops at the end of the batch and writes the bundle of
    the best epoch so far, says how to resume, and exits 130 (143 for SIGTERM); a second one kills the
    worker and says what is kept."""
    import signal

    from .training import TrainingRun

    config = _train_config(args)
    run = TrainingRun(config).start(resume=bool(args.resume))
    interrupted = _Interrupted()
    previous = {sig: signal.signal(sig, interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _follow_training(run, config, args, interrupted)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _follow_training(run, config, args, interrupted, command: str = "train",
                     extra: Callable[[dict], bool] | None = None) -> int:
    """Show a run's events until it ends; ``extra(event)`` shows what a plain training does not send (and
    says before each training which it is), returning True for an event it has shown in full."""
    from tqdm import tqdm

    from .training import folder_size, log_tail

    resume = f"cxrdesk {command} --resume {config.name} --out {config.out}"
    bar = None
    interrupts = 0
    while not run.done:
        if interrupted.count > interrupts:
            interrupts = interrupted.count
            if bar is not None:
                bar.close()
                bar = None
            if interrupts >= 2:
                run.kill()
                kept = run.work_folder()
                print(f"cxrdesk: training killed. Kept: the checkpoints of the completed epochs in {kept} "
                      f"({folder_size(kept) / 1e6:.0f} MB); continue with: {resume}", file=sys.stderr)
                return interrupted.exit_code
            run.stop()
            print("\nStopping at the end of this batch and saving the best epoch so far "
                  "(Ctrl-C again to kill)...", file=sys.stderr)
        event = run.next_event(0.2)
        if event is None:
            continue
        kind = event["type"]
        if kind == "error":
            if bar is not None:
                bar.close()
            if args.json:
                print(json.dumps(event), flush=True)
            print(f"cxrdesk: error: {event['message']}", file=sys.stderr)
            tail = log_tail(event["log"]) if event.get("log") else []
            if tail:
                print("The training process's last lines:\n  " + "\n  ".join(tail), file=sys.stderr)
            return 1
        if args.json:
            print(json.dumps(event), flush=True)
            continue
        if extra is not None and extra(event):
            continue  # shown in full
        if kind == "started":
            resumed = f", resuming after epoch {event['resumed_at_epoch']}" if event["resumed_at_epoch"] else ""
            print(f"Training {event['model']} as run {event['name']!r} on {event['device'].upper()} "
                  f"({event['device_name']}), {event['precision']}, {event['replicas']} replica(s){resumed}")
            print(f"Classes: {', '.join(event['classes'])}; recipe: {event['recipe']}; lung field: {event['lung_field']}")
            print(f"{event['train_images']} training / {event['val_images']} validation images at "
                  f"{event['image_size']} px, batch {event['batch_size']}"
                  f"{' in ' + str(event['accumulation']) + ' micro-batches' if event['accumulation'] > 1 else ''}, "
                  f"{event['steps_per_epoch']} steps "
                  f"per epoch, {event['parameters']:,} parameters ({event['trainable_parameters']:,} trainable)",
                  flush=True)
        elif kind == "batch":
            if bar is None:
                where = f"{event['training']}/{event['trainings']} " if "training" in event else ""
                bar = tqdm(total=event["steps"], desc=f"{where}epoch {event['epoch']}", unit="batch",
                           file=sys.stderr, leave=False, disable=None)
            bar.n = event["batch"]
            seconds = max(event["seconds"], 1e-6)
            bar.set_postfix(loss=event["loss"], acc=event["accuracy"],
                            img_s=round(event["batch"] * config.batch_size / seconds, 1), refresh=True)
        elif kind == "epoch":
            if bar is not None:
                bar.close()
                bar = None
            val = (f"  val_loss {event['val_loss']:.4f}  val_acc {event['val_accuracy']:.4f}"
                   if event["val_loss"] is not None else "")
            partial = "  (partial epoch)" if event["partial"] else ""
            print(f"epoch {event['epoch']:>3}/{event['epochs']}  loss {event['loss']:.4f}  "
                  f"acc {event['accuracy']:.4f}{val}  {event['seconds']:.1f} s{partial}", flush=True)
        elif kind == "finished":
            if event.get("bundle"):
                print(f"Model bundle written to {event['bundle']}")
            if event.get("stopped_early") and event.get("stopped_by_user"):
                kept = run.work_folder()
                print(f"Stopped after {event['epochs_run']} epoch(s); the bundle holds the best epoch so far. "
                      f"Continue with: {resume}")
                print(f"The run's checkpoints stay in {kept} ({folder_size(kept) / 1e6:.0f} MB) for that; "
                      f"'cxrdesk runs --out {config.out} --clean' deletes them.")
    return interrupted.exit_code if interrupts else 0


def cmd_crossval(args) -> int:
    """Leave one hospital out, then (unless --estimate-only) the final model on every source, with one
    line per fold and the estimate a new hospital can expect."""
    import signal

    from .crossval import CrossvalRun, CrossvalSettings, Progress, resume_crossval

    if args.resume:
        config, settings = resume_crossval(args.out, args.resume)
    else:
        config = _train_config(args)
        settings = CrossvalSettings(by=args.by, min_images=args.min_images, target_accuracy=args.target_accuracy,
                                    final=not args.estimate_only, keep_fold_models=args.keep_fold_models)
    run = CrossvalRun(config, settings).start(resume=bool(args.resume))
    progress = Progress()

    def show(event: dict) -> bool:
        progress.update(event)
        kind = event["type"]
        if kind == "crossval":
            print(f"Leave-one-hospital-out estimate {event['name']!r}: {len(event['folds'])} folds"
                  + (", then the final model on every source" if event["final"] else " (estimate only)"))
            print(table(["held out", "its images", "its classes", "trained on", "validated on"],
                        [[f["name"] + (f" ({', '.join(f['sources'])})" if f["sources"] != [f["name"]] else ""),
                          f["held_out_images"], ", ".join(f["held_out_classes"]), f["train_images"], f["val_images"]]
                         for f in event["folds"]]))
            for note in event["notes"]:
                print(f"Note: {note}")
            return True
        if kind == "started":
            left = progress.seconds_left
            print(f"\n== {progress.describe()} ({progress.fraction:.0%} of the run done"
                  + (f", at most {_duration(left)} left)" if left is not None else ")"), flush=True)
            return False
        if kind == "fold":
            f = event["figures"]
            auc = ", ".join(f"{c} {v:.3f}" for c, v in (f["auc"] or {}).items()) if len(f["classes_present"]) > 1 else ""
            print(f"Held out {event['held_out']}{' (done before)' if event['resumed'] else ''}: {f['n']} images, "
                  f"accuracy {f['accuracy']:.1%} as trained, recall "
                  + ", ".join(f"{c} {r:.0%}" for c, r in f["recall"].items()) + (f"; AUC {auc}" if auc else ""),
                  flush=True)
            return True
        if kind == "estimate":
            _print_estimate(json.loads(Path(event["summary"]).read_text(encoding="utf-8")))
            return True
        if kind == "finished":
            if event.get("bundle"):
                print(f"\nFinal model, trained on every source: {event['bundle']} (its card carries the estimate "
                      "and the calibration for unseen hospitals)")
            elif event.get("stopped_by_user"):
                print(f"\nStopped; the completed folds are kept in {event.get('crossval')}. Continue with: "
                      f"cxrdesk crossval --resume {config.name} --out {config.out}")
            elif event.get("summary"):
                print(f"\nEstimate written to {Path(event['summary']).parent}")
            return True
        return False

    interrupted = _Interrupted()
    previous = {sig: signal.signal(sig, interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = _follow_training(run, config, args, interrupted, command="crossval", extra=show)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if code == 0 and not args.json:
        print(RESEARCH_NOTICE)
    return code


def _print_estimate(summary: dict) -> None:
    """The per-source table and the pooled figures of a crossval summary."""
    classes = summary["classes"]
    print("\nEach source predicted by a model that never saw it; calibrated on the other sources' predictions only:")
    rows = []
    for source, r in summary["per_source"].items():
        auc = ", ".join(f"{c} {v:.3f}" for c, v in (r["auc"] or {}).items()) or "- (one class)"
        rows.append([source, r["n"], f"{r['as_trained']['accuracy']:.1%}", f"{r['accuracy']:.1%}", f"{r['ece']:.3f}",
                     *[f"{r['recall'][c]:.0%}" if c in r["recall"] else "-" for c in classes],
                     f"{r['coverage']:.0%}", auc])
    print(table(["held-out source", "images", "accuracy as trained", "accuracy", "ECE",
                 *[f"recall {c}" for c in classes], "answered", "AUC within the source"], rows))
    e = summary["expected_at_new_hospital"]
    print(f"\nExpected at a hospital it never saw ({len(e['folds'])} hospitals held out in turn, {e['n']} images): "
          f"accuracy {e['accuracy']:.1%} (as trained {e['as_trained']['accuracy']:.1%}), calibration error "
          f"{e['ece']:.3f} (as trained {e['as_trained']['ece']:.3f}); recall "
          + ", ".join(f"{c} {v:.0%}" for c, v in e["recall"].items()))
    if e["accuracy_when_sure"] is not None:
        print(f"When sure: {e['coverage']:.0%} of films answered, right {e['accuracy_when_sure']:.1%} of the time "
              f"(target {e['target_accuracy']:.0%}); the others are 'uncertain - refer'")
    else:
        print(f"Never sure enough: no confidence gave {e['target_accuracy']:.0%} accuracy, so every answer is "
              "'uncertain - refer'")
    for c, row in e["screening"].items():
        print(f"Screening {c} at its threshold: sensitivity {row['sensitivity']:.1%}, specificity "
              f"{row['specificity']:.1%}")
    if e.get("who_tb"):
        who = e["who_tb"]
        print(f"WHO minimum for TB screening (sensitivity >= 90 %, specificity >= 70 %) at hospitals never seen: "
              f"{'met' if who['met'] else 'not met'}")
    cal = summary["calibration"]
    offsets = ", ".join(f"{c} {b:+.2f}" for c, b in (cal["offsets"] or {}).items())
    print(f"Calibration for unseen hospitals (fitted on all {cal['images']} out-of-source predictions): "
          f"T = {cal['temperature']:.2f}" + (f", offsets {offsets}" if offsets else "")
          + f"; 'uncertain' below {cal['uncertain']['threshold']:.0%} confidence")


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def cmd_runs(args) -> int:
    """Resumable runs left in a models folder, with their size and age; --clean deletes them."""
    import shutil

    from .training import resumable_runs

    runs = resumable_runs(args.out)
    if args.json:
        print(json.dumps(runs, indent=2))
    elif not runs:
        print(f"No resumable run in {args.out}/.runs")
    else:
        print(table(["run", "epochs done", "size", "age", "resume with"],
                    [[r["name"], r["epochs_done"], f"{r['bytes'] / 1e6:.0f} MB", f"{r['age_hours']:g} h",
                      f"cxrdesk train --resume {r['name']} --out {args.out}" if r["resumable"] else "-"]
                     for r in runs]))
    if args.clean:
        chosen = [r for r in runs if not args.names or r["name"] in args.names]
        for run in chosen:
            shutil.rmtree(run["folder"])
        if not args.json:
            print(f"Deleted {len(chosen)} run(s), {sum(r['bytes'] for r in chosen) / 1e6:.0f} MB")
    return 0


# ------------------------------------------------------------------- evaluate, compare, diagnose


def cmd_evaluate(args) -> int:
    """A curated dataset's split, or any labelled folder (another hospital's images)."""
    from pathlib import Path

    from .dataset import DESCRIPTION, load_dataset
    from .devices import use_cpu_in_process
    from .evaluation import evaluate_bundle, evaluate_folder
    from .report import metrics_table_rows, write_report

    curated = (Path(args.dataset) / DESCRIPTION).is_file()
    dataset = load_dataset(args.dataset) if curated else None
    if not curated and args.split:
        raise CxrdeskError(f"{args.dataset} is a labelled folder, not a curated dataset: --split does not apply")
    use_cpu_in_process()
    if curated:
        bundle, result = evaluate_bundle(args.model, dataset, args.split, record=not args.no_record)
        where = f"the '{result.split}' split of {dataset.folder}"
    else:
        update, close = progress_bar("reading", enabled=not args.json)
        try:
            bundle, result, _ = evaluate_folder(args.model, args.dataset, source_pattern=args.source_pattern,
                                                progress=update, record=not args.no_record)
        finally:
            close()
        where = f"the labelled folder {result.dataset} (external)"
    from .bundle import read_card

    card = read_card(bundle.folder)  # with this evaluation in it, unless it was not recorded
    report = write_report(result, card, args.report) if args.report else None
    if args.json:
        print(json.dumps({"model": bundle.name, **result.summary(), "quality": card.quality_sentence(),
                          "recorded": not result.not_recorded, "not_recorded": result.not_recorded or None,
                          "report": str(report) if report else None},
                         indent=2))
        return 0
    print(f"Model {bundle.name} ({bundle.card.architecture}, trained on {(bundle.card.device or '?').upper()}; "
          f"classes {', '.join(bundle.classes)}) on {where} ({result.metrics['n']} images)")
    if result.external or result.holdout_sources:
        verdict = result.independence()
        print(verdict[0].upper() + verdict[1:] + ("" if result.on_unseen_hospitals else
                                                  ": it is not counted as the model's held-out-hospital figure"))
    print()
    print(table(["class", "accuracy", "precision", "recall", "specificity", "F1-score", "general precision"],
                metrics_table_rows(result.metrics)))
    print()
    print(table(["true \\ predicted", *result.classes],
                [[c, *row] for c, row in zip(result.classes, result.metrics["confusion_matrix"])]))
    print()
    calibrated = (f" (before temperature scaling {result.ece_uncalibrated:.3f}, T = {result.temperature:.2f})"
                  if result.temperature else " (no temperature: the model was not calibrated)")
    print("AUC: " + ", ".join(f"{c} {r['auc']:.3f}" for c, r in result.roc.items())
          + f"; expected calibration error {result.calibration['ece']:.3f}{calibrated}")
    per_source = result.per_source()
    if len(per_source) > 1 or result.external or result.holdout_sources:
        print()
        print(table(["source", "images", "general precision", *[f"recall {c}" for c in result.classes]],
                    [[s + (" (learnt from)" if s in (result.seen_sources or []) else ""), r["n"],
                      f"{r['general_precision']:.2%}",
                      *[f"{r['recall'][c]:.2%}" if c in r["recall"] else "-" for c in result.classes]]
                     for s, r in per_source.items()]))
    if result.answered:
        a = result.answered
        print("When sure (highest probability at least " f"{a['threshold']:.0%}): {a['coverage']:.0%} of these images "
              "answered" + (f", right {a['accuracy_when_sure']:.1%} of the time" if a["answered"] else "")
              + "; the others 'uncertain - refer'")
    if result.screening:
        print()
        for name, row in result.screening.items():
            who = ""
            if "who_minimum_met" in row and result.on_unseen_hospitals:  # a random split says nothing of it
                who = ("; WHO minimum for TB screening (sensitivity >= 90 %, specificity >= 70 %) at hospitals it never "
                       "saw: " + ("met" if row["who_minimum_met"] else "not met"))
            print(f"Screening threshold {name} >= {row['threshold']:.3f}: sensitivity {row['sensitivity']:.1%}, "
                  f"specificity {row['specificity']:.1%}{who}")
    if result.not_recorded:
        print(f"\nThis evaluation is {result.not_recorded}.")
    print(f"\nModel quality{'' if result.not_recorded else ' now'}: {card.quality_sentence()}")
    if report:
        print(f"Report written to {report}")
    print(RESEARCH_NOTICE)
    return 0


def cmd_calibrate(args) -> int:
    """A site-calibrated copy of a model, fitted on part of a hospital's labelled folder and checked on
    the rest."""
    from .devices import use_cpu_in_process
    from .site import calibrate_at_site

    use_cpu_in_process()
    update, close = progress_bar("reading", enabled=not args.json)
    try:
        result = calibrate_at_site(args.model, args.folder, args.out, check_share=args.check_share,
                                   target=args.target_sensitivity, source_pattern=args.source_pattern,
                                   progress=update)
    finally:
        close()
    from .bundle import read_card

    card = read_card(result.folder)

    def figures(evaluation):
        if evaluation is None:
            return None
        return {"general_precision": evaluation.metrics["general_precision"], "ece": evaluation.calibration["ece"],
                "per_class": evaluation.metrics["per_class"], "screening": evaluation.screening,
                "n": evaluation.metrics["n"]}

    if args.json:
        print(json.dumps({"model": str(result.folder), "calibration": result.calibration,
                          "calibration_images": result.calibration_images, "check_images": result.check_images,
                          "sources": result.sources, "before": figures(result.before), "after": figures(result.after),
                          "quality": card.quality_sentence()}, indent=2))
        return 0
    fitted = result.calibration
    offsets = ", ".join(f"{c} {b:+.2f}" for c, b in (fitted["offsets"] or {}).items())
    print(f"Site calibration on {result.calibration_images} images of {', '.join(result.sources)}: "
          f"T = {fitted['temperature']:.2f}" + (f", class offsets {offsets}" if offsets else "")
          + f" ({fitted['what']})")
    if result.after is not None:
        print(f"Checked on the {result.check_images} other images of the site (patients never on both sides):")
        rows = []
        for label, evaluation in (("as trained", result.before), ("site-calibrated", result.after)):
            rows.append([label, f"{evaluation.metrics['general_precision']:.1%}",
                         f"{evaluation.calibration['ece']:.3f}",
                         *[f"{s['sensitivity']:.0%} / {s['specificity']:.0%}" for s in
                           [evaluation.screening.get(c, {"sensitivity": float('nan'), "specificity": float('nan')})
                            for c in fitted["thresholds"]]]])
        print(table(["model", "general precision", "ECE",
                     *[f"{c} sensitivity / specificity at its threshold" for c in fitted["thresholds"]]], rows))
    else:
        print("No images were kept to check it (--check-share 0): its figures at this site are unknown.")
    print(f"Site-calibrated model written to {result.folder} (the original is unchanged)")
    print(f"Model quality now: {card.quality_sentence()}")
    print(RESEARCH_NOTICE)
    return 0


def cmd_compare(args) -> int:
    """Bundles named one by one, or folders of bundles; anything else is skipped with a note."""
    from pathlib import Path

    from .bundle import CARD_FILE, BundleError, read_card
    from .evaluation import comparison_rows

    cards, notes = [], []
    for given in args.bundles:
        path = Path(given)
        children = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")) \
            if path.is_dir() and not (path / CARD_FILE).exists() else []
        folders = children if any((c / CARD_FILE).exists() for c in children) else [path]
        for folder in folders:
            try:
                cards.append(read_card(folder))
            except BundleError as exc:
                notes.append(f"skipped: {exc}")
    for note in notes:
        print(note, file=sys.stderr)
    if not cards:
        raise CxrdeskError("no model bundle among " + ", ".join(args.bundles))
    rows = comparison_rows(cards)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0

    def pct(value):
        return f"{value:.2%}" if value is not None else "-"

    print(table(["run", "model", "classes", "device", "precision", "size", "epochs", "s/epoch",
                 "expected at a new hospital", "held-out hospital test", "val general precision",
                 "test general precision"],
                [[r["run"], r["model"], len(r["classes"]), r["device"], r["precision"], r["image_size"], r["epochs"],
                  r["seconds_per_epoch"],
                  (f"{r['expected_at_new_hospital']:.1%} (ECE {r['expected_ece']:.2f}, {r['expected_hospitals']} held out)"
                   if r["expected_at_new_hospital"] is not None else "not estimated"),
                  (f"{r['held_out_general_precision']:.1%} ({', '.join(r['held_out_sources'] or [])})"
                   if r["held_out_general_precision"] is not None else "never tested"),
                  pct(r["val_accuracy"]), pct(r["test_general_precision"])] for r in rows]))
    print("\nA figure on a random split of the training hospitals is not a figure on another hospital: see "
          "'expected at a new hospital' (leave one hospital out: 'cxrdesk crossval') and 'held-out hospital test'.")
    return 0


def cmd_diagnose(args) -> int:
    from pathlib import Path

    from .bundle import default_bundle_folder, load_bundle
    from .devices import use_cpu_in_process
    from .diagnosis import Diagnoser
    from .report import write_diagnosis_report, write_heatmap_png

    folder = args.model or default_bundle_folder(args.models_dir)
    use_cpu_in_process()
    diagnoser = Diagnoser(load_bundle(folder))
    if args.heatmap_class:
        diagnoser.class_named(args.heatmap_class)  # a wrong class is refused before any image is read
    summary = diagnoser.summary
    if not args.json:
        val = summary["validation_general_precision"]
        print(f"Model: {summary['name']} ({summary['architecture']}, {summary['train_images']} training images, "
              f"validation general precision {val:.2%})" if val is not None else f"Model: {summary['name']}")
        print(f"Classes: {', '.join(summary['classes'])}")
        print(f"Quality: {summary['quality']}")
        if summary["demo"]:
            print("This is the demonstration model shipped with CXRDesk, trained on about 1,500 public images: "
                  "not a clinical model.")
        print(RESEARCH_NOTICE)
    outputs = {}
    for option in ("heatmap", "report"):
        if getattr(args, option):
            outputs[option] = Path(getattr(args, option))
            outputs[option].mkdir(parents=True, exist_ok=True)
    failures = []
    results = []
    for path in args.images:
        try:
            result = diagnoser.diagnose(path, heatmap=bool(outputs), heatmap_class=args.heatmap_class)
        except CxrdeskError as exc:
            failures.append({"file": path, "error": str(exc)})
            print(f"cxrdesk: error: {exc}", file=sys.stderr)
            continue
        heatmap_path = report_path = None
        if "heatmap" in outputs:
            heatmap_path = write_heatmap_png(result, outputs["heatmap"] / f"{Path(path).stem}.gradcam.png")
        if "report" in outputs:
            report_path = write_diagnosis_report(result, outputs["report"] / f"{Path(path).stem}.cxrdesk.pdf")
        record = {**result.to_dict(), "heatmap": str(heatmap_path) if heatmap_path else None,
                  "report": str(report_path) if report_path else None}
        results.append(record)
        if args.json:
            continue
        probs = "  ".join(f"{c} {p:6.1%}" for c, p in result.probabilities.items())
        answer = (result.uncertain_sentence()[0].upper() + result.uncertain_sentence()[1:] if result.uncertain
                  else f"predicted: {result.predicted}")
        print(f"\n{path}\n  {answer}\n  probabilities: {probs}")
        for line in result.screening_sentences():
            print(f"  Screening: {line}")
        for warning in result.warnings:
            print(f"  WARNING: may not be a frontal chest radiograph: {warning}")
        if result.lungs is not None and result.lungs.plausible:
            print(f"  Lungs: {result.lungs.share:.0%} of the image, box {result.lungs.bbox}")
        if result.heatmap is not None:
            print(f"  Grad-CAM ({result.heatmap_class}): {result.heat_sentence() or 'no lung model for the heat share'}"
                  + (f"; {heatmap_path}" if heatmap_path else ""))
            if result.shortcut_suspected:
                print("  WARNING: the heatmap lies mostly outside the lungs: the model may be using a shortcut")
        if report_path:
            print(f"  Report: {report_path}")
    if args.json:
        print(json.dumps({"model": summary, "notice": RESEARCH_NOTICE, "results": results, "failed": failures},
                         indent=2))
    return 1 if failures else 0


def cmd_demo(args) -> int:
    from .demo import DemoSettings, run_demo
    from .devices import use_cpu_in_process

    use_cpu_in_process()  # evaluation and diagnosis run here; training runs in its own processes
    settings = DemoSettings(image_size=args.image_size, epochs=args.epochs, study_band=args.study_band,
                            devices=tuple(args.device) if args.device else None)
    run_demo(args.data, args.out, settings, force=args.force, say=lambda text: print(text, flush=True))
    print(RESEARCH_NOTICE)
    return 0


def cmd_train_lungs(args) -> int:
    from .devices import prepare_process
    from .lungs import LungTraining, train_lungs

    prepare_process(args.device)
    from .devices import import_tensorflow

    import_tensorflow()
    defaults = LungTraining()
    settings = LungTraining(size=args.size or defaults.size, epochs=args.epochs or defaults.epochs,
                            batch_size=args.batch_size or defaults.batch_size, seed=args.seed,
                            balance_groups=args.balance_groups,
                            test_share=defaults.test_share if args.test_share is None else args.test_share)
    folds = [f.strip() for f in args.folds.split(",")] if args.folds else None
    train_lungs(args.data, args.out, settings, validate=not args.no_validation, name=args.name,
                command="cxrdesk " + " ".join(sys.argv[1:]), say=lambda text: print(text, flush=True),
                folds=folds, final=not args.validation_only)
    return 0


def cmd_lungs(args) -> int:
    """Lung masks and overlays of radiographs; one line per unreadable file, the rest still run."""
    from pathlib import Path

    from .atomic import replacing
    from .devices import use_cpu_in_process
    from .imaging import read_grayscale
    from .lungs import load_lung_model, overlay

    use_cpu_in_process()
    segmenter = load_lung_model(args.model)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results, failures = [], []
    for path in args.images:
        try:
            pixels = read_grayscale(path).pixels
        except CxrdeskError as exc:
            failures.append({"file": path, "error": str(exc)})
            print(f"cxrdesk: error: {exc}", file=sys.stderr)
            continue
        found = segmenter.segment(pixels)
        stem = Path(path).stem
        mask_path, overlay_path = out / f"{stem}.mask.png", out / f"{stem}.overlay.png"
        from PIL import Image

        with replacing(mask_path) as tmp:
            Image.fromarray(found.mask, mode="L").save(tmp, format="PNG")
        with replacing(overlay_path) as tmp:
            overlay(pixels, found).save(tmp, format="PNG")
        record = {"file": path, "width": int(pixels.shape[1]), "height": int(pixels.shape[0]), **found.to_dict(),
                  "mask": str(mask_path), "overlay": str(overlay_path)}
        results.append(record)
        if not args.json:
            verdict = "plausible lungs" if found.plausible else f"NO PLAUSIBLE LUNGS ({found.reason})"
            print(f"{path}: lungs {found.share:.1%} of the image, box {found.bbox}, {verdict}; {mask_path}")
    if args.json:
        print(json.dumps({"model": segmenter.card.get("name"), "results": results, "failed": failures}, indent=2))
    return 1 if failures else 0


def cmd_gui(args) -> int:
    from .gui.app import run_gui

    return run_gui(language=args.language)


def _add_train_options(p: argparse.ArgumentParser) -> None:
    """The options of a training run ('train', and every training of 'crossval'), defaults from TrainConfig."""
    from .devices import DEVICES
    from .lungs import LUNG_FIELDS
    from .models import MODELS
    from .recipes import RECIPES
    from .training import PRECISIONS, STRATEGIES, TrainConfig

    d = TrainConfig.defaults()
    p.add_argument("dataset", nargs="?", help="curated dataset folder (from 'cxrdesk curate')")
    p.add_argument("--model", choices=list(MODELS), default=d["model"],
                   help="; ".join(f"{n}: {m.title}" for n, m in MODELS.items()) + f" (default {d['model']})")
    p.add_argument("--device", choices=list(DEVICES), default=d["device"],
                   help="where to train: " + ", ".join(DEVICES) + f" (default {d['device']}; the GPU needs a CUDA build "
                        "of TensorFlow and a GPU it can see)")
    p.add_argument("--recipe", choices=list(RECIPES), default=d["recipe"],
                   help="; ".join(f"{n}: {r.description}" for n, r in RECIPES.items()) + f" (default {d['recipe']})")
    p.add_argument("--lung-field", choices=list(LUNG_FIELDS), default=d["lung_field"],
                   help="; ".join(f"{n}: {t}" for n, t in LUNG_FIELDS.items()) + " (default: the recipe's; "
                        + ", ".join(f"{n}: {r.lung_field}" for n, r in RECIPES.items()) + ")")
    p.add_argument("--lung-model", metavar="BUNDLE", help="lung model for --lung-field (default: the shipped one)")
    p.add_argument("--epochs", type=int, help=f"epochs (default {d['epochs']}, the study's)")
    p.add_argument("--batch-size", type=int, default=d["batch_size"], help=f"images per batch (default {d['batch_size']})")
    p.add_argument("--image-size", type=int, help="input size in px (default: the model's, e.g. 224; InceptionV3 299)")
    p.add_argument("--weights", default=d["weights"],
                   help="pretrained base: 'imagenet' (Keras download cache), a weights file, or 'none'")
    p.add_argument("--fine-tune", type=int, default=d["fine_tune"], metavar="N",
                   help="unfreeze the base's last N layers")
    p.add_argument("--lr", type=float, default=d["learning_rate"],
                   help=f"Adam learning rate (default {d['learning_rate']:g})")
    p.add_argument("--seed", type=int, default=d["seed"],
                   help=f"seed of the weights' initialisation, shuffling and augmentation (default {d['seed']}); on a "
                        "CPU, training is not bit-for-bit repeatable even with the same seed")
    p.add_argument("--out", default=d["out"], help=f"folder for model bundles (default ./{d['out']})")
    p.add_argument("--name", help="run name (default: MODEL-DEVICE-DATE-TIME)")
    p.add_argument("--resume", metavar="NAME", help="continue a stopped or crashed run in --out")
    p.add_argument("--precision", choices=PRECISIONS, default=d["precision"],
                   help="auto: mixed bfloat16/float16 where the hardware has it, else float32")
    p.add_argument("--early-stopping", type=int, default=d["early_stopping"], metavar="PATIENCE",
                   help="stop after PATIENCE epochs without a better validation loss (0: never; default: the "
                        "recipe's: " + ", ".join(f"{n} {r.early_stopping}" for n, r in RECIPES.items()) + ")")
    p.add_argument("--strategy", choices=STRATEGIES, default=d["strategy"],
                   help="mirrored: all local GPUs; multiworker: several machines (TF_CONFIG)")
    p.add_argument("--cpu-replicas", type=int, default=d["cpu_replicas"], help=argparse.SUPPRESS)
    p.add_argument("--max-steps", type=int, metavar="N", help="at most N steps per epoch (quick runs)")
    p.add_argument("--accumulate", type=int, default=d["accumulation"], metavar="N",
                   help="split each batch into N micro-batches with gradient accumulation (same updates, "
                        "less memory); default: automatic on the CPU")
    p.add_argument("--demo", action="store_true", help="mark the bundle as a demonstration model")
    p.add_argument("--no-validation", action="store_true",
                   help="train even without validation images (no best epoch, early stopping or calibration)")
    p.add_argument("--json", action="store_true", help="print progress events as JSON lines")


# ---------------------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    """The commands; every choice comes from a registry and every default from a config dataclass."""
    from .curation import SPLITS, CurationSettings
    from .demo import DemoSettings
    from .devices import DEVICES
    from .lungs import LUNG_FIELDS
    from .models import MODELS
    from .recipes import RECIPES
    from .training import PRECISIONS, STRATEGIES, TrainConfig

    train_defaults, curate_defaults = TrainConfig.defaults(), CurationSettings()
    demo_defaults = DemoSettings()
    parser = _Parser(prog="cxrdesk", description="Chest radiograph research tool: curate, train, diagnose. "
                     + RESEARCH_NOTICE)
    parser.add_argument("--version", action="version", version=f"cxrdesk {__version__}")
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's own log lines (hidden by default)")
    parser.add_argument("--max-pixels", type=int, metavar="N",
                        help="read images of up to N pixels (default 80 million; larger ones are refused as possible "
                             "decompression bombs)")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    p = sub.add_parser("gui", help="open the desktop application (the default with no command)")
    p.add_argument("--language", choices=["en", "es"], help="interface language (default: the system's)")
    p.set_defaults(func=cmd_gui)

    p = sub.add_parser("demo", help="the study's whole workflow on a folder of radiographs, with a report")
    p.add_argument("--data", required=True, help="folder with one sub-folder per class")
    p.add_argument("--out", default="cxrdesk-demo", help="report folder to write (default ./cxrdesk-demo)")
    p.add_argument("--epochs", type=int, default=demo_defaults.epochs,
                   help=f"epochs of the quick preset (default {demo_defaults.epochs})")
    p.add_argument("--image-size", type=int, default=demo_defaults.image_size,
                   help=f"image size of the quick preset (default {demo_defaults.image_size})")
    p.add_argument("--study-band", action="store_true", help="keep only mean intensities in 120-140, as the study")
    p.add_argument("--device", action="append", choices=list(DEVICES),
                   help="train on this device (repeatable; default: the CPU, and the GPU when there is one)")
    p.add_argument("--force", action="store_true", help="replace an earlier demo report folder")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("scan", help="classify and measure a folder of radiographs; report problems")
    _add_scan_options(p)
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("curate", help="threshold, balance and split a folder into a curated dataset")
    _add_scan_options(p)
    p.add_argument("--out", required=True, help="folder to write the curated dataset to (must not exist)")
    p.add_argument("--seed", type=int, default=curate_defaults.seed,
                   help=f"seed for balancing and splitting (default {curate_defaults.seed})")
    p.add_argument("--val", type=float, default=curate_defaults.val,
                   help=f"validation share of non-test images (default {curate_defaults.val})")
    p.add_argument("--test", type=float, default=curate_defaults.test,
                   help=f"test share of all kept images (default {curate_defaults.test})")
    p.add_argument("--holdout-source", metavar="NAME[,NAME]",
                   help="put these whole sources (hospitals) in the test split, never seen in training: the "
                        "held-out-hospital evaluation (a patient never straddles the split)")
    p.add_argument("--allow-cross-class-duplicates", action="store_true",
                   help="keep a picture that appears in two classes (refused by default)")
    p.add_argument("--no-balance", action="store_true", default=not curate_defaults.balance,
                   help="keep every class's images (no balancing)")
    p.add_argument("--balance", dest="no_balance", action="store_false",
                   help="reduce every class to the smallest one" + (" (default)" if curate_defaults.balance else ""))
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--link", action="store_true", help="also lay out a folder tree of hard links")
    mode.add_argument("--copy", action="store_true", help="also lay out a folder tree of copies")
    p.add_argument("--force", action="store_true", help="replace an existing curated dataset at --out")
    p.set_defaults(func=cmd_curate)

    p = sub.add_parser("models", help="list the networks with their input size and parameter counts")
    p.add_argument("--image-size", type=int, help="input size in pixels (default: each model's own)")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.set_defaults(func=cmd_models)

    d = train_defaults
    p = sub.add_parser("train", help="train a model on a curated dataset, on the CPU or the GPU")
    _add_train_options(p)
    p.set_defaults(func=cmd_train)

    from .calibration import DEFAULT_TARGET_ACCURACY
    from .crossval import MIN_SOURCE_IMAGES

    p = sub.add_parser("crossval", help="what a hospital the model never saw can expect: one model per source "
                                        "(hospital) held out, the pooled figures and a calibration fitted on them, "
                                        "then the final model trained on every source")
    _add_train_options(p)
    p.add_argument("--by", choices=["source"], default="source",
                   help="hold out one source (hospital or collection) at a time (the only choice)")
    p.add_argument("--min-images", type=int, default=MIN_SOURCE_IMAGES, metavar="N",
                   help=f"a source with fewer images is merged with the other small ones into 'other', or kept in "
                        f"training if still too small (default {MIN_SOURCE_IMAGES})")
    p.add_argument("--target-accuracy", type=float, default=DEFAULT_TARGET_ACCURACY, metavar="A",
                   help=f"the accuracy the model's answers must reach at unseen hospitals; below the confidence "
                        f"that gives it, a diagnosis says 'uncertain' (default {DEFAULT_TARGET_ACCURACY})")
    p.add_argument("--estimate-only", action="store_true",
                   help="only the estimate (in OUT/.crossval/NAME/), no final model")
    p.add_argument("--keep-fold-models", action="store_true", help="keep each fold's model (deleted by default)")
    p.set_defaults(func=cmd_crossval)

    p = sub.add_parser("runs", help="list stopped or crashed runs that can be resumed, with their size; --clean")
    p.add_argument("names", nargs="*", help="runs to clean (default: all listed)")
    p.add_argument("--out", default=d["out"], help=f"models folder (default ./{d['out']})")
    p.add_argument("--clean", action="store_true", help="delete the listed runs' checkpoints")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("evaluate", help="the study's metrics, calibration, screening and per-source figures of a "
                                        "model on a curated dataset's split or on any labelled folder")
    p.add_argument("dataset", metavar="PATH",
                   help="a curated dataset folder, or any labelled folder (one sub-folder per class, e.g. another "
                        "hospital's images): the result is stored in the card as an external evaluation")
    p.add_argument("--model", required=True, help="model bundle folder")
    p.add_argument("--split", choices=list(SPLITS), help="split of a curated dataset (default: test, else val)")
    p.add_argument("--source-pattern", metavar="REGEX", help="for a labelled folder: the source in file names")
    p.add_argument("--report", metavar="DIR", help="write PNG figures and report.html to DIR")
    p.add_argument("--no-record", action="store_true",
                   help="leave the model's card unchanged (by default the result is stored in it; the card's "
                        "headline held-out figure is its largest test on hospitals never seen)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate)

    from .site import DEFAULT_CHECK_SHARE

    p = sub.add_parser("calibrate", help="a copy of a model calibrated for a new hospital on some of its labelled "
                                         "images, checked on the others")
    p.add_argument("folder", help="labelled folder of the hospital's radiographs (one sub-folder per class)")
    p.add_argument("--model", required=True, help="model bundle folder (left unchanged)")
    p.add_argument("--out", required=True, help="new folder for the site-calibrated model (must not exist)")
    p.add_argument("--check-share", type=float, default=DEFAULT_CHECK_SHARE, metavar="SHARE",
                   help=f"share of the hospital's patients kept out of the calibration to check it "
                        f"(default {DEFAULT_CHECK_SHARE})")
    p.add_argument("--target-sensitivity", type=float, metavar="S",
                   help="sensitivity the screening thresholds are chosen for (default 0.9)")
    p.add_argument("--source-pattern", metavar="REGEX", help="the source in file names")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("compare", help="the study's Table VII across model bundles")
    p.add_argument("bundles", nargs="+", help="model bundle folders, or folders of bundles (e.g. models/)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_compare)

    from .lungs import LungTraining

    lung_defaults = LungTraining()
    p = sub.add_parser("train-lungs", help="train the lung segmentation model (each group held out in turn, "
                                           "then all but a test share), with progress")
    p.add_argument("data", help="folder of image/mask pairs with pairs.csv (e.g. ../shared/data/lungs)")
    p.add_argument("--out", default=d["out"], help=f"folder for the lung model bundle (default ./{d['out']})")
    p.add_argument("--name", default="lungs-unet", help="bundle name (default lungs-unet)")
    p.add_argument("--epochs", type=int, help=f"epochs (default {lung_defaults.epochs})")
    p.add_argument("--size", type=int, help=f"input size in px (default {lung_defaults.size})")
    p.add_argument("--batch-size", type=int, help=f"images per batch (default {lung_defaults.batch_size})")
    p.add_argument("--seed", type=int, default=lung_defaults.seed)
    p.add_argument("--balance-groups", action=argparse.BooleanOptionalAction, default=lung_defaults.balance_groups,
                   help="draw every group (hospital / annotation protocol) equally often in training")
    p.add_argument("--test-share", type=float, metavar="SHARE",
                   help=f"share of each group's patients kept out of the final model to test it "
                        f"(default {lung_defaults.test_share})")
    p.add_argument("--device", choices=list(DEVICES), default="cpu")
    p.add_argument("--no-validation", action="store_true", help="skip the held-out-group validation")
    p.add_argument("--folds", metavar="GROUP[,GROUP]", help="hold out only these groups (default: each in turn)")
    p.add_argument("--validation-only", action="store_true",
                   help="only the held-out-group validation, no final model (to try settings)")
    p.set_defaults(func=cmd_train_lungs)

    p = sub.add_parser("lungs", help="lung masks and overlays of radiographs (any format, DICOM included)")
    p.add_argument("images", nargs="+", help="radiograph files")
    p.add_argument("--out", required=True, help="folder for <stem>.mask.png and <stem>.overlay.png")
    p.add_argument("--model", help="lung model bundle (default: the one shipped in models/)")
    p.add_argument("--json", action="store_true", help="print lung share, bounding box and plausibility as JSON")
    p.set_defaults(func=cmd_lungs)

    p = sub.add_parser("diagnose", help="class probabilities of radiographs, with an optional Grad-CAM heatmap")
    p.add_argument("images", nargs="+", help="radiograph files (PNG, JPEG, BMP, TIFF, DICOM)")
    p.add_argument("--model", help="model bundle folder (default: the newest in --models-dir)")
    p.add_argument("--models-dir", default="models", help="where to look for the newest bundle")
    p.add_argument("--heatmap", metavar="DIR", help="save a Grad-CAM overlay PNG per image to DIR")
    p.add_argument("--heatmap-class", metavar="CLASS",
                   help="one of the model's classes for the heatmap (default: the predicted one)")
    p.add_argument("--report", metavar="DIR", help="write a one-page PDF report per image to DIR")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_diagnose)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verbose:
        import os

        os.environ["CXRDESK_DEBUG"] = "1"
    if args.max_pixels:
        import os

        os.environ["CXRDESK_MAX_PIXELS"] = str(args.max_pixels)  # worker processes inherit it
    if not getattr(args, "func", None):
        args = parser.parse_args(["gui"])
    try:
        return args.func(args)
    except CxrdeskError as exc:
        print(f"cxrdesk: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cxrdesk: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
