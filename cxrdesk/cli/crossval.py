"""``cxrdesk crossval``: leave one hospital out, the estimate a new hospital can expect, and the final model
(see :mod:`cxrdesk.crossval`); one line per fold, the per-source table and the pooled figures."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from .. import RESEARCH_NOTICE
from ..calibration import DEFAULT_TARGET_ACCURACY
from ..crossval import MIN_SOURCE_IMAGES, CrossvalRun, CrossvalSettings, Progress, resume_crossval
from ..events import CrossvalPlanned, EstimateDone, Event, Finished, FoldDone, Started, Stopped
from .common import Interrupted, duration, table
from .train import add_train_options, follow_run, train_config


def register(sub) -> None:
    p = sub.add_parser("crossval", help="what a hospital the model never saw can expect: one model per source "
                                        "(hospital) held out, the pooled figures and a calibration fitted on them, "
                                        "then the final model trained on every source")
    add_train_options(p)
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


def cmd_crossval(args) -> int:
    """Leave one hospital out, then (unless --estimate-only) the final model on every source, with one
    line per fold and the estimate a new hospital can expect."""
    if args.resume:
        config, settings = resume_crossval(args.out, args.resume)
    else:
        config = train_config(args)
        settings = CrossvalSettings(by=args.by, min_images=args.min_images, target_accuracy=args.target_accuracy,
                                    final=not args.estimate_only, keep_fold_models=args.keep_fold_models)
    run = CrossvalRun(config, settings).start(resume=bool(args.resume))
    view = _CrossvalView(config, Progress())
    interrupted = Interrupted()
    previous = {sig: signal.signal(sig, interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = follow_run(run, config, args, interrupted, command="crossval", extra=view.show)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if code == 0 and not args.json:
        print(RESEARCH_NOTICE)
    return code


class _CrossvalView:
    """What a crossval run says beyond its trainings' own lines; ``show`` returns True for what it said in full."""

    def __init__(self, config, progress: Progress):
        self.config, self.progress = config, progress

    def show(self, event: Event) -> bool:
        self.progress.update(event)
        if isinstance(event, CrossvalPlanned):
            self.planned(event)
        elif isinstance(event, Started):
            left = self.progress.seconds_left
            print(f"\n== {self.progress.describe()} ({self.progress.fraction:.0%} of the run done"
                  + (f", at most {duration(left)} left)" if left is not None else ")"), flush=True)
            return False  # the training's own set-up lines follow
        elif isinstance(event, FoldDone):
            f = event.figures
            auc = ", ".join(f"{c} {v:.3f}" for c, v in (f["auc"] or {}).items()) if len(f["classes_present"]) > 1 else ""
            print(f"Held out {event.held_out}{' (done before)' if event.resumed else ''}: {f['n']} images, "
                  f"accuracy {f['accuracy']:.1%} as trained, recall "
                  + ", ".join(f"{c} {r:.0%}" for c, r in f["recall"].items()) + (f"; AUC {auc}" if auc else ""),
                  flush=True)
        elif isinstance(event, EstimateDone):
            print_estimate(json.loads(Path(event.summary).read_text(encoding="utf-8")))
        elif isinstance(event, Finished):
            self.finished(event)
        else:
            return False
        return True

    @staticmethod
    def planned(event: CrossvalPlanned) -> None:
        print(f"Leave-one-hospital-out estimate {event.name!r}: {len(event.folds)} folds"
              + (", then the final model on every source" if event.final else " (estimate only)"))
        print(table(["held out", "its images", "its classes", "trained on", "validated on"],
                    [[f["name"] + (f" ({', '.join(f['sources'])})" if f["sources"] != [f["name"]] else ""),
                      f["held_out_images"], ", ".join(f["held_out_classes"]), f["train_images"], f["val_images"]]
                     for f in event.folds]))
        for note in event.notes:
            print(f"Note: {note}")

    def finished(self, event: Finished) -> None:
        if event.bundle:
            print(f"\nFinal model, trained on every source: {event.bundle} (its card carries the estimate "
                  "and the calibration for unseen hospitals)")
        elif isinstance(event, Stopped):
            print(f"\nStopped; the completed folds are kept in {event.crossval}. Continue with: "
                  f"cxrdesk crossval --resume {self.config.name} --out {self.config.out}")
        elif event.summary:
            print(f"\nEstimate written to {Path(event.summary).parent}")


def print_estimate(summary: dict) -> None:
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
