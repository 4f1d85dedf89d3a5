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
                 "rotated 180 degrees": QCoreApplication.translate("reasons", "rotated 180 degrees"),
                 "turned 90 degrees clockwise": QCoreApplication.translate("reasons", "turned 90 degrees clockwise"),
                 "turned 90 degrees counter-clockwise": QCoreApplication.translate(
                     "reasons", "turned 90 degrees counter-clockwise")}
        turn = turns.get(v["turn"], v["turn"])
        if "score" in v:  # the orientation check's (cxrdesk.orientation)
            text = QCoreApplication.translate("reasons", "the film seems {0}: the orientation check gives {1:.0%} "
                                                         "that it is turned")
            return text.format(turn, v["score"])
        text = QCoreApplication.translate(  # the lung model's, where there is no orientation check
            "reasons", "the film seems {0}: its lungs are found more clearly once it is turned back "
                       "(certainty {1:.2f} as given, {2:.2f} turned back)")
        return text.format(turn, v["given"], v["back"])
    if code == "class_unreadable":
        text = QCoreApplication.translate("reasons", "class {0} (folder {1}) has no readable image ({2} unreadable)")
        return text.format(class_name(v["label"]), ", ".join(v["folders"]), v["unreadable"])
    if code == "one_class":
        text = QCoreApplication.translate("reasons", "only one class ({0}): a model needs at least {1} class folders")
        return text.format(class_name(v["label"]), v["needed"])
    return str(reason)


def read_error_text(reason) -> str:
    """Why the reader refused a file (:attr:`cxrdesk.errors.ImageReadError.reason`) in the interface language;
    a decoder's own detail (an exception's words, a DICOM transfer syntax) is kept as it came."""
    code, v = getattr(reason, "code", None), getattr(reason, "values", {})
    if code == "empty":
        return QCoreApplication.translate("reader", "empty file (0 bytes)")
    if code == "not_found":
        return QCoreApplication.translate("reader", "file not found")
    if code == "cannot_read":
        return QCoreApplication.translate("reader", "cannot be read ({0})").format(v["why"])
    if code == "bomb":
        return QCoreApplication.translate(
            "reader", "refused as a possible decompression bomb (its header claims an enormous image)")
    if code == "too_small":
        text = QCoreApplication.translate(
            "reader", "too small to be a radiograph ({0}x{1} px; at least {2} px a side is needed)")
        return text.format(v["width"], v["height"], v["least"])
    if code == "too_large":
        pixels = v["width"] * v["height"]
        text = QCoreApplication.translate(
            "reader", "{0}x{1} px is {2:.1f} megapixels, over the limit of {3:.0f} megapixels (refused as a "
                      "possible decompression bomb); if the image is genuine, allow it with --max-pixels {4}")
        return text.format(v["width"], v["height"], pixels / 1e6, v["limit"] / 1e6, pixels)
    if code == "not_image":
        return QCoreApplication.translate(
            "reader", "not a recognised image file (PNG, JPEG, BMP, TIFF and DICOM are supported)")
    if code == "memory":
        return QCoreApplication.translate("reader", "corrupt image (its header asks for more memory than there is)")
    if code == "corrupt":
        return QCoreApplication.translate("reader", "truncated or corrupt image ({0})").format(v["detail"])
    return _dicom_error_text(reason)


def _dicom_error_text(reason) -> str:
    code, v = getattr(reason, "code", None), getattr(reason, "values", {})
    if code == "dicom_memory":
        return QCoreApplication.translate(
            "reader", "damaged DICOM file (its header asks for more memory than there is)")
    if code == "dicom_damaged":
        return QCoreApplication.translate("reader", "damaged DICOM file ({0})").format(v["detail"])
    if code == "dicom_unreadable":
        return QCoreApplication.translate("reader", "not a readable DICOM file ({0})").format(v["detail"])
    if code == "not_dicom":
        return QCoreApplication.translate(
            "reader", "not a DICOM file (no DICOM header; named .dcm but holds something else)")
    if code == "dicom_no_image":
        return QCoreApplication.translate("reader", "DICOM file has no image (no Pixel Data element)")
    if code == "dicom_undecodable":
        text = QCoreApplication.translate("reader", "DICOM pixel data cannot be decoded ({0}): {1}")
        return text.format(v["syntax"], v["detail"])
    if code == "dicom_not_2d":
        text = QCoreApplication.translate("reader", "DICOM image is not one 2-D frame (shape {0})")
        return text.format(tuple(v["shape"]))
    return str(reason)


def error_text(error) -> str:
    """A core error as the window says it: a file the reader refused is its path and the reason in the interface
    language; any other error as the core wrote it."""
    reason = getattr(error, "reason", None)
    if reason is not None and getattr(error, "path", None) is not None:
        return f"{error.path}: {read_error_text(reason)}"
    return str(error)


def note_text(note) -> str:
    """A curation note (:class:`~cxrdesk.curation.Note`) in the interface language where its kind is known: a class
    whose images all come from sources no other class has, sets of the same picture kept on one side."""
    if note.kind == "confounded":
        text = QCoreApplication.translate("curation", "CONFOUNDED: every {0} image comes from {1}, a source no other "
                                                      "class has: the class cannot be told from the hospital")
        return text.format(class_name(note.data["class"]), ", ".join(note.data["sources"]))
    if note.kind == "duplicates":
        sets, across = note.data["sets"], note.data["across_classes"]
        text = QCoreApplication.translate("curation", "{0} set(s) of the same picture (identical or near-identical) "
                                                      "kept together on one side of the split, e.g. {1}")
        text = text.format(len(sets), " = ".join(sets[0]))
        if across:
            text += QCoreApplication.translate("curation", "; {0} across classes, kept as allowed").format(across)
        return text
    return note.text


def shortcut_verdicts(report) -> list[str]:
    """What the shortcut check found (a :class:`~cxrdesk.curation.ShortcutReport`), a sentence per finding."""
    if report.has_shortcut:
        text = QCoreApplication.translate(
            "curation", "SHORTCUT WARNING: intensity and size statistics alone predict the class {0:.0%} of the time "
                        "({1}-fold cross-validation; chance {2:.0%}). The classes probably come from different "
                        "sources, and a network may learn the source instead of the disease.")
        verdicts = [text.format(report.accuracy, report.folds, report.chance)]
    else:
        text = QCoreApplication.translate(
            "curation", "No strong shortcut found: simple statistics predict the class {0:.0%} of the time (chance "
                        "{1:.0%}).")
        verdicts = [text.format(report.accuracy, report.chance)]
    if report.source_accuracy is not None:
        text = QCoreApplication.translate(
            "curation", "The same statistics tell the {0} sources apart {1:.0%} of the time (chance {2:.0%}): ")
        verdicts.append(text.format(report.n_sources, report.source_accuracy, report.source_chance) + (
            QCoreApplication.translate("curation", "each hospital leaves its signature on its images.")
            if report.has_source_signature else QCoreApplication.translate("curation", "no strong hospital signature.")))
    return verdicts


def heat_region(region: str, masked: bool) -> str:
    """Where the heat lies outside the lungs, for a model that sees the whole film or the lungs' box, or for one
    whose lung field is black beyond the lungs (``masked``: it never saw the heart or the neck there)."""
    if masked:
        return {"between": QCoreApplication.translate(
                    "heat", "at the black between the lungs (the outline of its lung mask: it does not see the heart "
                    "there)"),
                "outside": QCoreApplication.translate(
                    "heat", "at the black beyond the lungs (the outline of its lung mask)")}.get(region, region)
    return {"between": QCoreApplication.translate("heat", "between the lungs (mediastinum, heart)"),
            "outside": QCoreApplication.translate(
                "heat", "outside the lung field (neck, shoulders, abdomen, borders)")}.get(region, region)


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
