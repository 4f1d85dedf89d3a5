"""Reports for a clinician to open: a model's evaluation (PNG figures and a self-contained HTML page)
and one radiograph's analysis (a one-page PDF or PNG).

Matplotlib's Agg backend draws off-screen, so reports are made the same way from the command line,
the GUI's worker threads and tests. Every file is written atomically.
"""

from __future__ import annotations

import base64
import html
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import RESEARCH_NOTICE, __version__
from .atomic import building_folder, replacing
from .diagnosis import heatmap_overlay
from .errors import CxrdeskError
from .evaluation import METRICS, Evaluation

#: The study's classes keep their colours everywhere; other classes take the next free colour.
_FIXED_COLOURS = {"COVID-19": "#d62728", "Healthy": "#2ca02c", "Tuberculosis": "#1f77b4"}
#: Severity colours of a result's texts, in the report and the window alike: a refusal red (and first), a
#: shortcut or screening line amber, information grey.
RED, AMBER, GREY = "#b00020", "#9a5b00", "#424242"
_MORE_COLOURS = ("#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def class_colours(classes) -> dict[str, str]:
    """A colour per class, stable for the study's three and distinct for any others."""
    free = [c for c in _MORE_COLOURS if c not in _FIXED_COLOURS.values()]
    colours, n = {}, 0
    for name in classes:
        if name in _FIXED_COLOURS:
            colours[name] = _FIXED_COLOURS[name]
        else:
            colours[name] = free[n % len(free)]
            n += 1
    return colours


def _figure(width=5.0, height=4.0):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def curves_figure(history: list[dict]):
    """Loss and accuracy per epoch, training and validation (the study's Figs. 5-7)."""
    from matplotlib.ticker import MaxNLocator

    fig = _figure(9, 3.6)
    epochs = [h["epoch"] for h in history]
    for ax, key, title in zip(fig.subplots(1, 2), ("loss", "accuracy"), ("Loss", "Accuracy")):
        ax.plot(epochs, [h[key] for h in history], marker="o", label="training")
        if any(h.get(f"val_{key}") is not None for h in history):
            ax.plot(epochs, [h.get(f"val_{key}") for h in history], marker="o", label="validation")
        ax.set(title=title, xlabel="epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    return fig


def confusion_figure(matrix, classes):
    fig = _figure(4.6, 4.0)
    ax = fig.subplots()
    m = np.asarray(matrix)
    ax.imshow(m, cmap="Blues")
    ax.set(xticks=range(len(classes)), yticks=range(len(classes)), xticklabels=classes, yticklabels=classes,
           xlabel="predicted", ylabel="true", title="Confusion matrix")
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            ax.text(j, i, str(m[i, j]), ha="center", va="center",
                    color="white" if m[i, j] > m.max() / 2 else "black")
    return fig


def roc_figure(curves: dict):
    fig = _figure()
    ax = fig.subplots()
    for name, curve in curves.items():
        ax.plot(curve["fpr"], curve["tpr"], label=f"{name} (AUC {curve['auc']:.3f})")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1)
    ax.set(xlabel="1 - specificity", ylabel="sensitivity", title="ROC, one class vs the rest")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    return fig


def calibration_figure(calibration: dict):
    fig = _figure()
    ax = fig.subplots()
    bins = calibration["bins"]
    ax.bar([(b["low"] + b["high"]) / 2 for b in bins], [b["accuracy"] for b in bins], width=0.09,
           alpha=0.7, label="accuracy in bin")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfect calibration")
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence of the predicted class", ylabel="accuracy",
           title=f"Reliability (ECE {calibration['ece']:.3f})")
    ax.legend(loc="upper left")
    return fig


def write_report(evaluation: Evaluation, card: dict, out: str | Path) -> Path:
    """Write PNG figures and ``report.html`` (figures embedded) to ``out``; returns the HTML path.

    The folder is built under a temporary name and renamed into place.
    """
    out = Path(out).expanduser().resolve()
    if out.exists() and any(out.iterdir()) and not (out / "report.html").exists():

        raise CxrdeskError(f"{out} exists and is not a CXRDesk report folder: choose another --report")
    with building_folder(out) as tmp:
        figures = {
            "curves.png": curves_figure(card.history),
            "confusion_matrix.png": confusion_figure(evaluation.metrics["confusion_matrix"], evaluation.classes),
            "roc.png": roc_figure(evaluation.roc),
            "calibration.png": calibration_figure(evaluation.calibration),
        }
        for name, fig in figures.items():
            fig.savefig(tmp / name)
        write_predictions_csv(evaluation, tmp / PREDICTIONS_FILE)
        (tmp / "report.html").write_text(_html(evaluation, card, tmp), encoding="utf-8")
    return out / "report.html"


PREDICTIONS_FILE = "predictions.csv"


def write_predictions_csv(evaluation: Evaluation, path: Path) -> None:
    """The per-image answers of an evaluation (see :meth:`Evaluation.prediction_rows`)."""
    import csv

    rows = evaluation.prediction_rows()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["image", "source", "label", "predicted",
                                                    *(f"p_{c}" for c in evaluation.classes)])
        writer.writeheader()
        writer.writerows(rows)


def metrics_table_rows(metrics: dict) -> list[list[str]]:
    """The study's table layout: one row per class present, general precision on the first row."""
    rows = []
    for i, (name, values) in enumerate(metrics["per_class"].items()):
        rows.append([name, *[f"{values[m]:.4f}" for m in METRICS],
                     f"{metrics['general_precision']:.4f}" if i == 0 else ""])
    return rows


def _html(evaluation: Evaluation, card: dict, folder: Path) -> str:
    esc = html.escape
    training, data = card.training, card.dataset

    def img(name: str) -> str:
        encoded = base64.b64encode((folder / name).read_bytes()).decode()
        return f'<img alt="{esc(name)}" src="data:image/png;base64,{encoded}">'

    header = "".join(f"<th>{h}</th>" for h in ("Class", "Accuracy", "Precision", "Recall", "Specificity",
                                                 "F1-score", "General precision"))
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>"
                   for row in metrics_table_rows(evaluation.metrics))
    facts = [
        ("Model", f"{card.name} ({card.architecture}, {card.parameters:,} parameters, "
                  f"{card.image_size} px)"),
        ("Classes", ", ".join(card.classes)),
        ("Trained on", f"{training['device'].upper()} ({training['device_name']}), {training['precision']}, "
                       f"{training['epochs_run']} epochs, {training['seconds_per_epoch']} s per epoch"),
        ("Training data", f"{data['split_sizes']['train']} training / {data['split_sizes']['val']} validation "
                          f"images from {data['source_root']} (manifest {data['manifest_sha256'][:12]})"),
        ("Evaluated on", (f"the labelled folder {evaluation.dataset} (external)" if evaluation.external else
                          f"the '{evaluation.split}' split of {evaluation.dataset}")
                         + f": {evaluation.metrics['n']} images from {', '.join(sorted(set(evaluation.sources)))}"
                         + f" - {evaluation.independence()}"),
        ("Model quality", card.quality_sentence()),
        ("Shortcut check", data.get("shortcut_check") or "not available"),
    ]
    facts_html = "".join(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in facts)
    auc = ", ".join(f"{esc(c)} {r['auc']:.3f}" for c, r in evaluation.roc.items())
    fitted_on = "a hospital's own images (site calibration)" if card.site_calibration else "validation"
    calibrated = (f" (before temperature scaling: {evaluation.ece_uncalibrated:.3f}; T = {evaluation.temperature:.2f}, "
                  f"fitted on {fitted_on})" if evaluation.temperature else " (the model has no temperature scaling)")
    sources = evaluation.per_source()
    per_source = "<h2>Per source (hospital)</h2><table><tr><th>Source</th><th>Images</th><th>General precision</th>" + \
        "".join(f"<th>Recall {esc(c)}</th>" for c in evaluation.classes) + "</tr>" + "".join(
            f"<tr><td>{esc(s)}</td><td>{r['n']}</td><td>{r['general_precision']:.2%}</td>"
            + "".join(f"<td>{r['recall'][c]:.2%}</td>" if c in r["recall"] else "<td>-</td>" for c in evaluation.classes)
            + "</tr>" for s, r in sources.items()) + "</table>"
    screening = ""
    if evaluation.screening:
        screening = f"<h2>Screening thresholds (chosen on {esc(fitted_on)})</h2><table><tr><th>Class</th><th>Threshold</th>" \
                    "<th>Sensitivity</th><th>Specificity</th><th>WHO minimum for TB screening</th></tr>" + "".join(
                        f"<tr><td>{esc(c)}</td><td>{r['threshold']:.3f}</td><td>{r['sensitivity']:.1%}</td>"
                        f"<td>{r['specificity']:.1%}</td><td>"
                        + ({True: "met", False: "not met"}[r["who_minimum_met"]]
                           if "who_minimum_met" in r and evaluation.on_unseen_hospitals else
                           "- (only on hospitals it never saw)" if "who_minimum_met" in r else "")
                        + "</td></tr>" for c, r in evaluation.screening.items()) + "</table>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CXRDesk evaluation: {esc(card.name)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #bbb;padding:.3em .6em;text-align:left}}
.notice{{background:#fff3cd;border:1px solid #e0c36b;padding:.8em}}img{{max-width:100%}}</style></head>
<body><h1>Evaluation of {esc(card.name)}</h1>
<p class="notice"><strong>{esc(RESEARCH_NOTICE)}</strong></p>
<table>{facts_html}</table>
<h2>Metrics (one class vs the rest)</h2><table><tr>{header}</tr>{body}</table>
<p>AUC: {auc}. Expected calibration error: {evaluation.calibration['ece']:.3f}{calibrated}.</p>
{per_source}{screening}
<p>Every image's answer: <a href="{PREDICTIONS_FILE}">{PREDICTIONS_FILE}</a> (file, source, true and predicted
class, each class's probability).</p>
<h2>Training curves</h2>{img('curves.png')}
<h2>Confusion matrix</h2>{img('confusion_matrix.png')}
<h2>ROC</h2>{img('roc.png')}
<h2>Calibration</h2>{img('calibration.png')}
<p><small>CXRDesk {esc(__version__)}</small></p></body></html>
"""


@dataclass
class ReportWording:
    """The words of a diagnosis report. English by default, as the command line writes it; a window in another
    language passes its own (translations are the GUI's, through Qt), with the model described and the notes as
    it shows them - the figures in them are the same result's."""

    title: str = "CXRDesk - radiograph analysis"
    file_date: str = "File: {0}    Date: {1}"
    radiograph: str = "Radiograph"
    grad_cam: str = "Grad-CAM ({0})"
    no_heatmap: str = "No heatmap"
    no_diagnosis: str = "No diagnosis: the input may not be a frontal chest radiograph (see below)."
    asked_anyway: str = "Not a diagnosis: probabilities asked for anyway"
    uncertain: str = "Uncertain - refer"
    predicted: str = "Predicted: {0}"
    axis: str = "probability (%)"
    model: str | None = None  # the model described; None: from the result's model summary
    notes: list[tuple[str, str]] | None = None  # (text, colour), most severe first; None: diagnosis_notes(result)
    class_name: Callable[[str], str] = field(default=str)  # a class's name as shown


def write_diagnosis_report(result, path: str | Path, opacity: float = 0.45, wording: ReportWording | None = None) -> Path:
    """One radiograph's analysis on one page (PDF, or PNG by the suffix): the image, its Grad-CAM
    heatmap, the probability of each of the model's classes (or, for an input the guard rejected, why
    there is no diagnosis), the model, the date, any warning and the research notice, in ``wording``'s
    language (English by default). Written atomically."""
    path = Path(path)
    fig = diagnosis_figure(result, opacity, wording)
    with replacing(path) as tmp:
        fig.savefig(tmp, dpi=150, format=path.suffix.lstrip(".").lower() or "pdf")
    return path


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + "."


def diagnosis_notes(result) -> list[tuple[str, str]]:
    """The report's notes, most severe first, each with its colour: a refusal red, a shortcut amber,
    information grey (the research notice last, always)."""
    notes = []
    if result.warnings:
        notes.append((_sentence(result.refusal_sentence()), RED))
    if result.uncertain and not result.refused:
        notes.append((_sentence(result.uncertain_sentence()), GREY))
    notes += [(f"Screening: {line}.", AMBER) for line in result.screening_sentences()]
    if result.mirrored is not None:
        notes.append((_sentence(result.mirrored_sentence()), AMBER))
    if result.learnt:
        notes.append((_sentence(result.learnt_sentence()), GREY))
    if result.heat_sentence() and not result.refused:
        notes.append(("Grad-CAM: " + result.heat_sentence() + " (green line: the lungs found by CXRDesk's lung model).",
                      AMBER if result.shortcut_suspected else GREY))
    notes.append((RESEARCH_NOTICE, GREY))
    return notes


def model_description(model: dict) -> str:
    """The model as the report names it (English): name, network, training images, quality."""
    val = model.get("validation_general_precision")
    described = f"Model: {model['name']} ({model['architecture']}, {model['train_images']} training images)"
    if model.get("demo"):
        described += " - a demonstration model, not a clinical one"
    quality = model.get("quality") or (f"validation general precision {val:.1%}" if val is not None else "unknown")
    return described + "\n" + textwrap.fill("Quality: " + quality, 115)


def diagnosis_figure(result, opacity: float = 0.45, wording: ReportWording | None = None):
    """The report's page as a Matplotlib figure: a header, the two images, the probabilities and the notes,
    each in its own row so that nothing is drawn over anything else (a test checks the text boxes)."""
    words = wording or ReportWording()
    notes = [("\n".join(textwrap.fill(line, 120) for line in text.splitlines()), colour)
             for text, colour in (words.notes or diagnosis_notes(result))]
    note_lines = sum(text.count("\n") + 1 for text, _ in notes)
    described = "\n".join(textwrap.fill(line, 115) for line in (words.model or model_description(result.model)).splitlines())
    fig = _figure(8.27, 11.69)  # A4 portrait
    grid = fig.add_gridspec(4, 2, height_ratios=[0.55 + 0.11 * (described.count("\n") + 1),
                                                 3, 0.6 + 0.25 * len(result.probabilities), 0.2 + 0.16 * note_lines])
    head = fig.add_subplot(grid[0, :])
    head.axis("off")
    head.text(0, 1, words.title, fontsize=16, weight="bold", va="top", transform=head.transAxes)
    head.text(0, 0.7, words.file_date.format(Path(result.path).name, time.strftime("%Y-%m-%d %H:%M")), va="top",
              transform=head.transAxes)
    head.text(0, 0.48, described, va="top", fontsize=8, transform=head.transAxes)
    heat = (np.asarray(heatmap_overlay(result.image, result.heatmap, opacity))
            if result.heatmap is not None else result.image)
    panels = ((words.radiograph, result.image),
              (words.grad_cam.format(words.class_name(result.heatmap_class)) if result.heatmap is not None
               else words.no_heatmap, heat))
    for column, (title, image) in enumerate(panels):
        ax = fig.add_subplot(grid[1, column])
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
        if column == 1 and result.lungs is not None and result.lungs.mask.any():
            ax.contour(result.lungs.mask > 0, levels=[0.5], colors=["#00ff66"], linewidths=0.6)
        ax.set_title(title)
        ax.axis("off")
    _probability_panel(fig.add_subplot(grid[2, :]), result, words)
    box = fig.add_subplot(grid[3, :])
    box.axis("off")
    y = 1.0
    for text, colour in notes:
        box.text(0, y, text, fontsize=8, va="top", color=colour, transform=box.transAxes)
        y -= (text.count("\n") + 1 + 0.4) / (note_lines + 0.4 * len(notes))
    return fig


def _probability_panel(bars, result, words: ReportWording) -> None:
    """The class probabilities as bars; grey and titled so when the result names no class; for a refused
    input no bars at all, only why."""
    if result.refused:
        bars.axis("off")
        bars.text(0, 0.5, textwrap.fill(words.no_diagnosis, 75), fontsize=12, weight="bold", color=RED, va="center",
                  transform=bars.transAxes)
        return
    names = list(result.probabilities)
    values = [result.probabilities[n] * 100 for n in names]
    colours = class_colours(names)
    grey = result.uncertain or result.forced
    bars.barh([words.class_name(n) for n in names], values, color=["#9e9e9e" if grey else colours[n] for n in names])
    for i, value in enumerate(values):
        bars.text(min(value + 1, 90), i, f"{value:.1f} %", va="center")
    title = (words.asked_anyway if result.forced else words.uncertain if result.uncertain else
             words.predicted.format(words.class_name(result.predicted)))
    bars.set(xlim=(0, 100), xlabel=words.axis, title=title)
    bars.invert_yaxis()


def write_heatmap_png(result, path: str | Path, opacity: float = 0.45) -> Path:
    """A Grad-CAM picture a reader can interpret on its own: the radiograph with the heatmap, a colour
    scale, the class and its probability, the share of the heat inside the lungs (with the lungs'
    outline) and a flag when most of it lies outside them. Written atomically."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    path = Path(path)
    height, width = result.image.shape
    fig = _figure(6.4, 6.4 * height / width * 0.92 + 1.0)
    ax = fig.subplots()
    ax.imshow(np.asarray(heatmap_overlay(result.image, result.heatmap, opacity)))
    if result.lungs is not None and result.lungs.mask.any():
        ax.contour(result.lungs.mask > 0, levels=[0.5], colors=["#00ff66"], linewidths=0.8)
    ax.axis("off")
    probability = result.probabilities[result.heatmap_class]
    title = f"Grad-CAM for {result.heatmap_class} ({probability:.1%})"
    if result.refused:
        title += "; no diagnosis (may not be a chest radiograph)"
    elif result.heatmap_class != result.predicted:
        title += f"; predicted {result.predicted}"
    ax.set_title(title, fontsize=11)
    lines = [result.heat_sentence() or "lung share of the heat: no lung model"]
    if result.lungs is not None:
        lines.append("green line: the lungs found by CXRDesk's lung model")
    fig.text(0.02, 0.005, "\n".join(lines), ha="left", va="bottom", fontsize=8, wrap=True,
             color=AMBER if result.shortcut_suspected else "black")
    bar = fig.colorbar(ScalarMappable(Normalize(0, 1), colormaps["jet"]), ax=ax, fraction=0.046, pad=0.02)
    bar.set_label("contribution to the class score (0 = none, 1 = most)", fontsize=8)
    with replacing(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    return path
