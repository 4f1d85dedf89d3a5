"""Many films at once, for the command line and the window alike: the files a folder holds, one diagnosis
per film with every failure kept as a record (one bad file never ends a batch), and the CSV table of them."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from .atomic import replacing
from .errors import CxrdeskError
from .imaging import is_image_file


def expand_inputs(paths: list[str], recursive: bool) -> list[str]:
    """Files as given; a folder becomes the image files in it (sorted; with ``recursive``, in its sub-folders
    too). A folder without any is an error, said before anything else is done."""
    files = []
    for given in paths:
        folder = Path(given)
        if not folder.is_dir():
            files.append(given)
            continue
        found = sorted(f for f in (folder.rglob("*") if recursive else folder.iterdir())
                       if f.is_file() and is_image_file(f))
        if not found:
            raise CxrdeskError(f"{folder}: no radiograph files in this folder"
                               + ("" if recursive else " (--recursive looks in its sub-folders too)"))
        files += [str(f) for f in found]
    return files


def diagnose_files(diagnoser, files: list[str], progress: Callable[[int, int], None] | None = None, cancel=None,
                   thumbnail: int = 0) -> tuple[list[dict], list[dict], dict[str, np.ndarray]]:
    """Each file diagnosed (no heatmap): (its record, as :meth:`Diagnosis.to_dict` gives it; one failure record
    per file that cannot be read or diagnosed; with ``thumbnail``, a small picture of each film by file).
    ``cancel`` (a ``threading.Event``) stops it between films, with what was done."""
    results, failures, thumbnails = [], [], {}
    for done, path in enumerate(files):
        if cancel is not None and cancel.is_set():
            break
        if progress is not None:
            progress(done, len(files))
        try:
            result = diagnoser.diagnose(path)
        except CxrdeskError as exc:
            failures.append({"file": path, "error": str(exc), "reason": getattr(exc, "reason", None)})
            continue
        results.append(result.to_dict())
        if thumbnail:
            small = Image.fromarray(result.image)
            small.thumbnail((thumbnail, thumbnail))
            thumbnails[path] = np.asarray(small)
    if progress is not None:
        progress(len(files), len(files))
    return results, failures, thumbnails


def write_csv(path: Path, images: list[str], results: list[dict], failures: list[dict], classes) -> None:
    """One row per file, in the order given (atomically): the answer, each class's probability (empty for a
    refused input), uncertain, out of distribution and why, mirrored, the heat share when asked, or the error."""
    by_file = {r["file"]: r for r in results}
    errors = {f["file"]: f["error"] for f in failures}
    columns = ["file", "predicted", *[f"p_{c}" for c in classes], "uncertain", "out_of_distribution", "reasons",
               "forced", "learnt_from", "mirrored", "heat_in_lungs", "error"]
    with replacing(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for file in images:
            r = by_file.get(file)
            if r is None:
                writer.writerow({"file": file, "error": errors.get(file, "not diagnosed")})
                continue
            probabilities = r["probabilities"] or {}
            writer.writerow({"file": file, "predicted": r["predicted"] or "",
                             **{f"p_{c}": f"{probabilities[c]:.6f}" if c in probabilities else "" for c in classes},
                             "uncertain": "" if r["uncertain"] is None else str(r["uncertain"]).lower(),
                             "out_of_distribution": str(r["out_of_distribution"]).lower(),
                             "reasons": "; ".join(r["reasons"]), "forced": str(r["forced"]).lower(),
                             "learnt_from": str(r["learnt_from"]).lower(), "mirrored": str(r["mirrored"]).lower(),
                             "heat_in_lungs": "" if r["heat_in_lungs"] is None else r["heat_in_lungs"], "error": ""})


def csv_summary(path: Path, images, results, failures, seconds: float) -> str:
    answered = sum(1 for r in results if r["predicted"] and not r["uncertain"])
    refused = sum(1 for r in results if r["out_of_distribution"] and not r["forced"])
    uncertain = sum(1 for r in results if r["uncertain"])
    return (f"Wrote {len(images)} rows to {path}: {answered} answered, {uncertain} uncertain, {refused} with no "
            f"diagnosis (may not be a chest radiograph), {len(failures)} unreadable; "
            f"{len(results) / max(seconds, 1e-9):.1f} films/s")
