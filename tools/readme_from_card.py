"""Write the README's section on the demo model from its card: no figure of it is typed by hand.

Run from the repository root after `tools/make_demo_model.sh` (and after any evaluation recorded in the
demo's card):  .venv/bin/python tools/readme_from_card.py   (--check: exit 1 if the README differs)

The section lies between the two marker lines below in README.md; tests/test_demo.py checks that it is
what this script writes from the shipped card, so the README cannot drift from the model it describes.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
README = ROOT / "README.md"
BEGIN = "<!-- demo model: written by tools/readme_from_card.py from its card; do not edit by hand -->"
END = "<!-- end of the demo model section -->"


def pct(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value * 100:.{digits}f} %"


def render(folder: Path) -> str:
    """The demo model's section, from its card and the leave-one-hospital-out summary beside it."""
    from cxrdesk.bundle import read_card
    from cxrdesk.estimate import CROSSVAL_FOLDER, SUMMARY, Predictions

    card = read_card(folder)
    e = card.expected_at_new_hospital
    hyper = card.get("hyperparameters") or {}
    training = card.training
    sources = sorted(card.learned_sources or [])
    form = e.get("calibration_form") or "temperature and class offsets"
    calibration = (f"temperature {card.temperature:.2f}" if form == "temperature" else
                   f"temperature {card.temperature:.2f} and class offsets")
    lines = [
        BEGIN,
        *wrap(f"`models/{folder.name}` is a demonstration model: the study's {card.architecture} network at "
              f"{card.image_size} px, recipe `{hyper.get('recipe')}` (lung field `{card.lung_field}`), trained by "
              f"CXRDesk's own command line (`tools/make_demo_model.sh`) on every source of `../shared/data/cxr3` "
              f"({', '.join(sources)}; {card.train_images} training images, {training.get('epochs_run')} epochs, "
              f"best epoch {card.best_epoch}). Its card records the exact commands, the sources and licences, and:"),
        "",
        *wrap(f"- **Expected at a hospital it never saw: {pct(e['accuracy'])}** accuracy, calibration error "
              f"{e['ece']:.2f} - leave one hospital out: each of its {len(e['folds'])} sources predicted by a model "
              f"of the same settings trained on the other {len(e['folds']) - 1}, calibrated ({calibration}, the form "
              f"with the lower loss on hospitals it was not fitted on) on the other sources' predictions only, "
              f"{e['n']:,} films in all. As trained, before that calibration: {pct(e['as_trained']['accuracy'])}, "
              f"calibration error {e['as_trained']['ece']:.2f}. Recall "
              + ", ".join(f"{c} {pct(v, 0)}" for c, v in e["recall"].items()) + ".", bullet=True),
    ]
    if e.get("accuracy_when_sure") is not None:
        lines += wrap(f"- **When sure** (highest probability at least {pct(card.uncertain['threshold'], 0)}: "
                      f"{pct(e['coverage'], 0)} of those films) it was right **{pct(e['accuracy_when_sure'])}** of "
                      f"the time; below that it says \"uncertain - refer\" (target {pct(e['target_accuracy'], 0)}).",
                      bullet=True)
    else:
        predictions = Predictions.read(folder / CROSSVAL_FOLDER / "predictions.csv")
        confidence, right = predictions.raw.max(axis=1), predictions.raw.argmax(axis=1) == predictions.y
        sure = confidence >= 0.95
        lines += wrap(f"- **Never sure enough**: at hospitals it never saw, no confidence gave "
                      f"{pct(e['target_accuracy'], 0)} accuracy - as trained, its answers given with 95 % confidence "
                      f"or more ({pct(sure.mean(), 0)} of the films) were right {pct(right[sure].mean(), 0)} of the "
                      f"time, all of them {pct(right.mean(), 0)} - so it answers \"uncertain - refer\" and shows the "
                      "probabilities in grey.", bullet=True)
    tb = e.get("who_tb")
    if tb:
        lines += wrap(f"- Tuberculosis screening at hospitals it never saw, at thresholds chosen on the other "
                      f"hospitals: sensitivity {pct(tb['sensitivity'])}, specificity {pct(tb['specificity'])} - the "
                      f"WHO minimum (90 % / 70 %) is {'met' if tb['met'] else 'not met'}.", bullet=True)
    lines += ["", ("| held out | films | classes | accuracy | calibration error | answered | "
                   "AUC within the hospital |"), "|---|---|---|---|---|---|---|"]
    for source, r in e["per_source"].items():
        auc = ", ".join(f"{c} {v:.2f}" for c, v in (r["auc"] or {}).items()) or "- (one class)"
        lines.append(f"| {source} | {r['n']} | {', '.join(r['classes'])} | {pct(r['accuracy'])} | {r['ece']:.2f} | "
                     f"{pct(r['coverage'], 0)} | {auc} |")
    lines.append("")
    for test in card.get("external_evaluations") or []:
        if test.get("seen_sources") or test.get("seen_images"):
            continue
        recall = ", ".join(f"{c} recall {pct(m['recall'])}" for c, m in (test.get("per_class") or {}).items())
        lines += wrap(f"- Tested on {', '.join(test.get('sources') or [])}, a hospital absent from cxr3 "
                      f"({test['n']} films): {pct(test['general_precision'])} general precision ({recall}), "
                      f"calibration error {test['ece']:.2f}.", bullet=True)
    internal = card.internal_test_general_precision
    if internal is not None:
        lines += wrap(f"- On a random test split of its own hospitals: {pct(internal)} - what the study would "
                      "report, and not a figure for another hospital.", bullet=True)
    lines += [""] + wrap(
        "The gap between the last figure and the first is the point: in `cxr3` no hospital gives all three "
        "classes, so part of what any model learns there is the hospital. Every screen that uses the demo model "
        "says it is a demonstration, **not a clinical model**, and leads with the figure expected at a hospital "
        f"it never saw. Per source: `models/{folder.name}/{CROSSVAL_FOLDER}/{SUMMARY}`; every held-out "
        f"prediction: `models/{folder.name}/{CROSSVAL_FOLDER}/predictions.csv`.") + [END]
    return "\n".join(lines)


def wrap(text: str, bullet: bool = False) -> list[str]:
    """README paragraphs wrapped as the rest of it is (bullets indented under their dash)."""
    import textwrap

    return textwrap.wrap(text, 105, subsequent_indent="  " if bullet else "", break_on_hyphens=False)


def updated(readme: str, section: str) -> str:
    if BEGIN not in readme or END not in readme:
        raise SystemExit(f"{README} lacks the demo model's markers ({BEGIN} ... {END})")
    before, rest = readme.split(BEGIN, 1)
    return before + section + rest.split(END, 1)[1]


def main() -> int:
    from cxrdesk.bundle import DEMO_BUNDLE

    readme = README.read_text(encoding="utf-8")
    new = updated(readme, render(DEMO_BUNDLE))
    if "--check" in sys.argv[1:]:
        if new != readme:
            print("README.md's demo model section differs from its card: run tools/readme_from_card.py")
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    print(f"wrote the demo model's section of {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
