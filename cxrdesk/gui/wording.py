"""The core's reasons and the report's words in the window's language: the core writes English (the command
line, JSON and CSV keep it); a :class:`~cxrdesk.reasons.Reason` carries its code and figures, so the window
words it from its own translations instead of matching English text."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from ..report import ReportWording
from .widgets import class_name


def reason_text(reason) -> str:
    """A reason for no diagnosis in the interface language; one without a code (or of a kind this window does
    not know) as the core wrote it."""
    code, v = getattr(reason, "code", None), getattr(reason, "values", {})
    if code == "colour":
        text = QCoreApplication.translate(
            "reasons", "a colour image (colourfulness {0:.0f}): radiographs are grayscale")
        return text.format(v["colourfulness"])
    if code == "uniform":
        return QCoreApplication.translate(
            "reasons", "almost uniform (intensity sd {0:.1f}): a blank or empty image?").format(v["sd"])
    if code == "noise":
        return QCoreApplication.translate(
            "reasons", "noise-like texture (roughness {0:.2f}), unlike a radiograph").format(v["roughness"])
    if code == "shape":
        return QCoreApplication.translate(
            "reasons", "unusual shape for a chest radiograph (width/height {0:.2f})").format(v["aspect"])
    if code == "intensity":
        text = QCoreApplication.translate(
            "reasons", "mean intensity {0:.0f} is outside the training images' range ({1:.0f}-{2:.0f})")
        return text.format(v["mean"], v["low"], v["high"])
    if code == "no_lungs":
        return QCoreApplication.translate(
            "reasons", "no plausible lungs found ({0})").format(reason_text(v["why"]))
    if code == "few_regions":
        return QCoreApplication.translate(
            "reasons", "fewer than two lung regions found")
    if code == "not_side_by_side":
        return QCoreApplication.translate(
            "reasons", "the two regions are not side by side, one in each half of the image")
    if code == "wide":
        return QCoreApplication.translate(
            "reasons", "the regions are wider than tall, unlike the lungs of an upright frontal radiograph")
    if code == "lung_share":
        text = QCoreApplication.translate(
            "reasons", "the lungs cover {0:.0%} of the image (expected {1:.0%}-{2:.0%})")
        return text.format(v["share"], v["low"], v["high"])
    if code == "inverted":
        text = QCoreApplication.translate(
            "reasons", "the 'lungs' are {0:.0f} levels brighter than the rest of the chest: an inverted "
                       "(negative) image?")
        return text.format(v["contrast"])
    if code == "turned":
        turns = {"upside down": QCoreApplication.translate("reasons", "upside down"),
                 "rotated 180 degrees": QCoreApplication.translate("reasons", "rotated 180 degrees")}
        turn = turns.get(v["turn"], v["turn"])
        text = QCoreApplication.translate(
            "reasons", "the film seems {0}: its lungs are found more clearly once it is turned back "
                       "(certainty {1:.2f} as given, {2:.2f} turned back)")
        return text.format(turn, v["given"], v["back"])
    return str(reason)


def report_wording(model: str, notes: list[tuple[str, str]]) -> ReportWording:
    """The report's words in the interface language, with the model described and the notes as the window
    shows them (``notes``: (text, colour), most severe first)."""
    return ReportWording(
        title=QCoreApplication.translate("report", "CXRDesk - radiograph analysis"),
        file_date=QCoreApplication.translate("report", "File: {0}    Date: {1}"),
        radiograph=QCoreApplication.translate("report", "Radiograph"),
        grad_cam=QCoreApplication.translate("report", "Grad-CAM ({0})"),
        no_heatmap=QCoreApplication.translate("report", "No heatmap"),
        no_diagnosis=QCoreApplication.translate(
            "report", "No diagnosis: the input may not be a frontal chest radiograph (see below)."),
        asked_anyway=QCoreApplication.translate("report", "Not a diagnosis: probabilities asked for anyway"),
        uncertain=QCoreApplication.translate("report", "Uncertain - refer"),
        predicted=QCoreApplication.translate("report", "Predicted: {0}"),
        axis=QCoreApplication.translate("report", "probability (%)"),
        model=model, notes=notes, class_name=class_name)
