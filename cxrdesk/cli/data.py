"""``cxrdesk scan`` and ``cxrdesk curate``: classify and measure a folder of radiographs, then threshold,
balance and split it into a curated dataset."""

from __future__ import annotations

import argparse
import json

import numpy as np

from ..curation import (PRESETS, WARNING_NOTES, CurationSettings, confounded_classes, histograms, plan_curation,
                        shortcut_check, threshold_counts)
from ..dataset import export_dataset, load_dataset
from ..devices import use_cpu_in_process
from ..lungs import load_lung_model
from ..scanning import measure_lungs, scan_folder
from .common import progress_bar, table


def register(sub) -> None:
    p = sub.add_parser("scan", help="classify and measure a folder of radiographs; report problems")
    _add_scan_options(p)
    p.set_defaults(func=cmd_scan)

    curate_defaults = CurationSettings()
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


def _add_scan_options(p: argparse.ArgumentParser) -> None:
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
    low, high = PRESETS[args.preset] if args.preset else PRESETS["all"]
    low, high = (args.low if args.low is not None else low), (args.high if args.high is not None else high)
    CurationSettings(low=low, high=high)  # one rule for scan and curate: 0 <= low <= high <= 255
    return low, high


def _scan(args):
    update, close = progress_bar("scanning", enabled=not args.json)
    try:
        scan = scan_folder(args.src, workers=args.workers, use_cache=not args.no_cache,
                           patient_pattern=args.patient_pattern, source_pattern=args.source_pattern, progress=update)
    finally:
        close()
    if args.lung_means or args.measure == "lungs":
        use_cpu_in_process()
        update, close = progress_bar("lungs", enabled=not args.json)
        try:
            measure_lungs(scan, load_lung_model(), progress=update, use_cache=not args.no_cache)
        finally:
            close()
    return scan


def cmd_scan(args) -> int:
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


def cmd_curate(args) -> int:
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
