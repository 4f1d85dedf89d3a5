"""``cxrdesk evaluate``, ``calibrate`` and ``compare``: a model measured on a curated split or another
hospital's folder, a copy calibrated for a hospital, and the study's Table VII across models."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .. import RESEARCH_NOTICE
from ..bundle import BundleError, is_demo_bundle, read_card
from ..card import CARD_FILE
from ..curation import SPLITS
from ..dataset import DESCRIPTION, load_dataset
from ..devices import use_cpu_in_process
from ..errors import CxrdeskError
from ..evaluation import comparison_rows, evaluate_bundle, evaluate_folder
from ..report import metrics_table_rows, write_report
from ..site import DEFAULT_CHECK_SHARE, calibrate_at_site
from .common import progress_bar, table


def register(sub) -> None:
    p = sub.add_parser("evaluate", help="the study's metrics, calibration, screening and per-source figures of a "
                                        "model on a curated dataset's split or on any labelled folder")
    p.add_argument("dataset", metavar="PATH",
                   help="a curated dataset folder, or any labelled folder (one sub-folder per class, e.g. another "
                        "hospital's images): the result is stored in the card as an external evaluation")
    p.add_argument("--model", required=True, help="model bundle folder")
    p.add_argument("--split", choices=list(SPLITS), help="split of a curated dataset (default: test, else val)")
    p.add_argument("--source-pattern", metavar="REGEX", help="for a labelled folder: the source in file names")
    p.add_argument("--report", metavar="DIR", help="write PNG figures and report.html to DIR")
    record = p.add_mutually_exclusive_group()
    record.add_argument("--record", action="store_true",
                        help="store the result in the model's card (by default the model is left exactly as it was; "
                             "the card's headline stays its estimate for a new hospital, or its largest test on "
                             "hospitals it never saw)")
    record.add_argument("--no-record", action="store_true",
                        help="leave the model's card unchanged (the default; kept for scripts written before --record)")
    p.add_argument("--json", action="store_true", help="print the evaluation as JSON (figures, per source, coverage, where it was recorded)")
    p.set_defaults(func=cmd_evaluate)

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
    p.add_argument("--json", action="store_true", help="print the calibrated copy's figures as JSON")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("compare", help="the study's Table VII across model bundles")
    p.add_argument("bundles", nargs="+", help="model bundle folders, or folders of bundles (e.g. models/)")
    p.add_argument("--json", action="store_true", help="print the comparison table as JSON (one row per bundle)")
    p.set_defaults(func=cmd_compare)


def cmd_evaluate(args) -> int:
    """A curated dataset's split, or any labelled folder (another hospital's images)."""
    if args.record and is_demo_bundle(args.model):
        raise CxrdeskError(f"{args.model} is the demo model shipped with CXRDesk, which is never changed: evaluate it "
                           "without --record, or copy the folder and record into the copy")
    curated = (Path(args.dataset) / DESCRIPTION).is_file()
    dataset = load_dataset(args.dataset) if curated else None
    if not curated and args.split:
        raise CxrdeskError(f"{args.dataset} is a labelled folder, not a curated dataset: --split does not apply")
    use_cpu_in_process()
    if curated:
        bundle, result = evaluate_bundle(args.model, dataset, args.split, record=args.record)
        where = f"the '{result.split}' split of {dataset.folder}"
    else:
        update, close = progress_bar("reading", enabled=not args.json)
        try:
            bundle, result, _ = evaluate_folder(args.model, args.dataset, source_pattern=args.source_pattern,
                                                progress=update, record=args.record)
        finally:
            close()
        where = f"the labelled folder {result.dataset} (external)"
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
    print_evaluation(result)
    if result.not_recorded:
        print(f"\nThis evaluation is {result.not_recorded}.")
    print(f"\nModel quality{'' if result.not_recorded else ' now'}: {card.quality_sentence()}")
    if report:
        print(f"Report written to {report}")
    print(RESEARCH_NOTICE)
    return 0


def print_evaluation(result) -> None:
    """An evaluation's tables as text: whether it is on hospitals never seen, the study's per-class table,
    the confusion matrix, AUC and calibration, per source, when sure, and screening."""
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


def cmd_calibrate(args) -> int:
    """A site-calibrated copy of a model, fitted on part of a hospital's labelled folder and checked on
    the rest."""
    use_cpu_in_process()
    update, close = progress_bar("reading", enabled=not args.json)
    try:
        result = calibrate_at_site(args.model, args.folder, args.out, check_share=args.check_share,
                                   target=args.target_sensitivity, source_pattern=args.source_pattern,
                                   progress=update)
    finally:
        close()
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
