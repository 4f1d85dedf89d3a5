"""Matplotlib canvases embedded in Qt: the intensity histogram and the live training curves."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..report import class_colours


class HistogramCanvas(FigureCanvasQTAgg):
    """Per-class histograms of mean intensity, overlaid, with the two thresholds as lines."""

    def __init__(self, parent=None):
        super().__init__(Figure(figsize=(6, 3), layout="constrained"))
        self.setParent(parent)
        self.ax = self.figure.subplots()
        self._lines = []
        self.show_empty()

    def show_empty(self, message: str = "") -> None:
        self.ax.clear()
        self.ax.text(0.5, 0.5, message, ha="center", va="center", transform=self.ax.transAxes, color="grey")
        self.ax.set_xlim(0, 255)
        self._lines = []
        self.draw_idle()

    def plot(self, edges: np.ndarray, counts: dict, low: float, high: float, xlabel: str, ylabel: str,
             names: dict[str, str] | None = None) -> None:
        """``counts``: {class: counts per bin} for each class, plus 'All' (not drawn); ``names``: the
        classes' names on screen (translated)."""
        self.ax.clear()
        centres, width = (edges[:-1] + edges[1:]) / 2, edges[1] - edges[0]
        classes = [name for name in counts if name != "All"]
        colours = class_colours(classes)
        for name in classes:
            self.ax.bar(centres, counts[name], width=width, alpha=0.45, color=colours[name],
                        label=(names or {}).get(name, name))
        self.ax.set(xlim=(0, 255), xlabel=xlabel, ylabel=ylabel)
        self.ax.legend(loc="upper left", fontsize="small")
        self._lines = [self.ax.axvline(low, color="black", ls="--"), self.ax.axvline(high, color="black", ls="--")]
        self.draw_idle()

    def move_thresholds(self, low: float, high: float) -> None:
        if self._lines:
            self._lines[0].set_xdata([low, low])
            self._lines[1].set_xdata([high, high])
            self.draw_idle()


class CurvesCanvas(FigureCanvasQTAgg):
    """Loss and accuracy per epoch, training and validation, updated as epochs finish."""

    def __init__(self, parent=None):
        super().__init__(Figure(figsize=(7, 2.8), layout="constrained"))
        self.setParent(parent)
        self.loss_ax, self.acc_ax = self.figure.subplots(1, 2)
        self.history: list[dict] = []
        self.titles = ("Loss", "Accuracy", "training", "validation", "epoch")
        self.redraw()

    def reset(self) -> None:
        self.history = []
        self.redraw()

    def add_epoch(self, record: dict) -> None:
        self.history.append(record)
        self.redraw()

    def redraw(self) -> None:
        loss_title, acc_title, train, val, epoch = self.titles
        for ax, key, title in ((self.loss_ax, "loss", loss_title), (self.acc_ax, "accuracy", acc_title)):
            ax.clear()
            epochs = [h["epoch"] for h in self.history]
            if self.history:
                ax.plot(epochs, [h[key] for h in self.history], marker="o", label=train)
                vals = [h.get(f"val_{key}") for h in self.history]
                if any(v is not None for v in vals):
                    ax.plot(epochs, vals, marker="o", label=val)
                ax.legend(fontsize="small")
            ax.set(title=title, xlabel=epoch)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
        self.draw_idle()
