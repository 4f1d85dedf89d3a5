"""The curated dataset on disk: a manifest (CSV) and a description (JSON) that training reads.

Layout of a dataset folder::

    dataset.json    settings, counts, source folder, shortcut report, manifest hash
    manifest.csv    one row per source image: path, class, split, mean, reason if dropped, sha256...
    train/ val/ test/<class>/...   only with --link or --copy

Writing is atomic: the folder is built under a temporary name beside the target and renamed into
place, so a crash never leaves a half-written dataset where training would find it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from . import __version__
from .atomic import building_folder
from .classes import classes_of
from .curation import SPLITS, CurationPlan, shortcut_check
from .errors import CurationError

MANIFEST = "manifest.csv"
DESCRIPTION = "dataset.json"
FIELDS = ("path", "class", "source", "split", "mean_intensity", "lung_mean_intensity", "reason", "sha256", "group",
          "width", "height", "file")
LAYOUTS = ("manifest", "link", "copy")


@dataclass(frozen=True)
class DatasetItem:
    file: Path  # absolute path to read the image from
    label: str
    split: str
    mean: float  # mean 8-bit intensity measured at curation
    source: str = "unknown"  # hospital or collection
    sha256: str = ""  # of the file's bytes, as scanning measured it ('' when unknown)
    group: str = ""  # the patient (or the image's own id): one group is never on both sides of a split


@dataclass
class CuratedDataset:
    """A dataset folder as training sees it."""

    folder: Path
    description: dict
    items: list[DatasetItem]

    @property
    def classes(self) -> tuple[str, ...]:
        """The dataset's classes, in model-output order, as curation recorded them."""
        return classes_of(self.description)

    def split(self, name: str) -> list[DatasetItem]:
        return [item for item in self.items if item.split == name]

    @property
    def manifest_sha256(self) -> str:
        return self.description["manifest_sha256"]


def export_dataset(plan: CurationPlan, out: str | Path, *, layout: str = "manifest", force: bool = False,
                   progress: Callable[[int, int], None] | None = None) -> Path:
    """Write ``plan`` as a dataset folder at ``out``; returns the folder.

    ``layout``: 'manifest' (files stay where they are), 'link' (hard links, falling back to copies
    across file systems) or 'copy'. An existing ``out`` is replaced only with ``force`` and only if
    it is a CXRDesk dataset or empty: a folder of the user's own files is never replaced.
    """
    if layout not in LAYOUTS:
        raise CurationError(f"layout must be one of {', '.join(LAYOUTS)} (got {layout!r})")
    out = Path(out).expanduser().resolve()
    root = plan.scan.root
    if out == root or root in out.parents:
        raise CurationError(f"the output folder {out} must not be inside the source folder {root}")
    if out in root.parents:
        raise CurationError(f"the output folder {out} contains the source folder {root}")
    if out.exists():
        if not force:
            raise CurationError(f"{out} already exists: choose another folder, or pass --force to replace it")
        if not out.is_dir() or (any(out.iterdir()) and not (out / DESCRIPTION).is_file()):
            raise CurationError(f"{out} exists and is not a CXRDesk dataset: refusing to replace it")
    with building_folder(out) as tmp:
        rows, fallbacks = _write_files(plan, tmp, layout, progress)
        manifest_bytes = _manifest_bytes(rows)
        (tmp / MANIFEST).write_bytes(manifest_bytes)
        description = _describe(plan, layout, hashlib.sha256(manifest_bytes).hexdigest(), fallbacks)
        (tmp / DESCRIPTION).write_text(json.dumps(description, indent=2), encoding="utf-8")
    return out


def _write_files(plan: CurationPlan, tmp: Path, layout: str, progress) -> tuple[list[dict], int]:
    scan = plan.scan
    rows, used, fallbacks = [], set(), 0
    total = len(scan.records)
    lung_means = scan.lung_means if scan.lung_means is not None else np.full(total, np.nan)
    for i, (record, split, reason) in enumerate(zip(scan.records, plan.split, plan.reason)):
        file = ""
        if split and layout != "manifest":
            name = record.path.split("/", 1)[-1].replace("/", "__")
            rel = f"{split}/{record.label}/{name}"
            if rel in used:  # two source folders merged into one class may share a file name
                rel = f"{split}/{record.label}/{record.sha256[:8]}__{name}"
            used.add(rel)
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            fallbacks += _place(scan.root / record.path, target, layout)
            file = rel
        rows.append({"path": record.path, "class": record.label, "source": record.source, "split": split or "",
                     "mean_intensity": f"{record.mean:.4f}",
                     "lung_mean_intensity": "" if np.isnan(lung_means[i]) else f"{lung_means[i]:.4f}", "reason": reason,
                     "sha256": record.sha256, "group": record.group, "width": record.width,
                     "height": record.height, "file": file})
        if progress and (i % 64 == 0 or i == total - 1):
            progress(i + 1, total)
    for bad in scan.unreadable:
        rows.append({"path": bad.path, "class": "", "source": "", "split": "", "mean_intensity": "", "lung_mean_intensity": "",
                     "reason": f"unreadable: {bad.reason}", "sha256": "", "group": "", "width": "",
                     "height": "", "file": ""})
    return rows, fallbacks


def _place(source: Path, target: Path, layout: str) -> int:
    """Link or copy one file; returns 1 when a link had to fall back to a copy."""
    if layout == "link":
        try:
            os.link(source, target)
            return 0
        except OSError:  # another file system, or links not supported
            pass
    shutil.copy2(source, target)
    return 1 if layout == "link" else 0


def _manifest_bytes(rows: list[dict]) -> bytes:
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _describe(plan: CurationPlan, layout: str, manifest_sha: str, fallbacks: int) -> dict:
    scan = plan.scan
    shortcut = shortcut_check([r for r, _ in plan.kept()])
    return {
        "format": "cxrdesk-dataset/1",
        "cxrdesk_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "source_root": str(scan.root),
        "classes": list(plan.classes),
        "class_folders": scan.class_folders,
        "ignored_folders": scan.ignored_folders,
        "patient_groups": scan.group_source,
        "source_origin": scan.source_origin,
        "sources": scan.class_source_counts(),
        "split_sources": plan.split_sources(),
        "lung_means": {"lung_model": scan.lung_model} if scan.lung_means is not None else None,
        "settings": plan.settings.to_dict(),
        "layout": layout,
        "link_fallback_copies": fallbacks,
        "counts": plan.counts(),
        "scanned": len(scan.records),
        "unreadable": len(scan.unreadable),
        "notes": [note.to_dict() for note in plan.notes],
        "shortcut_check": shortcut.to_dict() if shortcut else None,
        "manifest_sha256": manifest_sha,
        "credits": source_credits(scan.root),
    }


def source_credits(root: Path) -> list[dict]:
    """Distinct (source, licence) pairs from a CSV beside the class folders, to credit the data."""
    found: dict[tuple[str, str], int] = {}
    for csv_path in sorted(Path(root).glob("*.csv")):
        try:
            with csv_path.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                names = {n.strip().lower(): n for n in reader.fieldnames or []}
                licence = names.get("license") or names.get("licence")
                source = names.get("source_repo") or names.get("source") or names.get("source_key")
                if not licence:
                    continue
                for row in reader:
                    key = ((row.get(source) or "").strip() if source else "", (row.get(licence) or "").strip()[:200])
                    found[key] = found.get(key, 0) + 1
        except (OSError, UnicodeDecodeError, csv.Error):
            continue
    return [{"source": s, "licence": lic, "images": n} for (s, lic), n in sorted(found.items())]


def load_dataset(folder: str | Path) -> CuratedDataset:
    """Read a dataset folder written by :func:`export_dataset`; checks the manifest's hash."""
    folder = Path(folder).expanduser().resolve()
    desc_path, manifest_path = folder / DESCRIPTION, folder / MANIFEST
    if not desc_path.is_file() or not manifest_path.is_file():
        raise CurationError(f"{folder} is not a curated dataset (no {DESCRIPTION} and {MANIFEST}): "
                            "make one with 'cxrdesk curate'")
    try:
        description = json.loads(desc_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CurationError(f"{desc_path} cannot be read: {exc}") from None
    data = manifest_path.read_bytes()
    if hashlib.sha256(data).hexdigest() != description.get("manifest_sha256"):
        raise CurationError(f"{manifest_path} was changed after curation (its hash does not match "
                            f"{DESCRIPTION}): curate again")
    root = Path(description["source_root"])
    classes = classes_of(description)
    items = []
    for row in csv.DictReader(data.decode("utf-8").splitlines()):
        if row["split"] not in SPLITS:
            continue
        if row["class"] not in classes:
            raise CurationError(f"{manifest_path} lists class {row['class']!r}, which {DESCRIPTION} does not "
                                f"({', '.join(classes)}): curate again")
        file = folder / row["file"] if row["file"] else root / row["path"]
        items.append(DatasetItem(file, row["class"], row["split"], float(row["mean_intensity"]),
                                 row.get("source") or "unknown", row.get("sha256") or "", row.get("group") or ""))
    return CuratedDataset(folder, description, items)


def derive_dataset(dataset: CuratedDataset, out: str | Path, new_split: Callable[[DatasetItem], str | None], *,
                   why: str, settings: dict | None = None) -> Path:
    """A dataset made from ``dataset`` with each image's split replaced by ``new_split(item)`` (None or
    '': left out, with ``why`` as the reason), written atomically at ``out`` (replaced if it is a dataset).

    The same images, read from where the original reads them (absolute paths), so that training on one
    part of a curated dataset and testing on another - a hospital held out - goes through the one
    training path, and the derived dataset says where it came from."""
    out = Path(out).expanduser().resolve()
    if out.exists() and not (out / DESCRIPTION).is_file():
        raise CurationError(f"{out} exists and is not a CXRDesk dataset: refusing to replace it")
    by_file = {str(item.file): item for item in dataset.items}
    root = Path(dataset.description["source_root"])
    rows = []
    with (dataset.folder / MANIFEST).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["split"] not in SPLITS:
                continue  # dropped at curation: stays out
            file = dataset.folder / row["file"] if row["file"] else root / row["path"]
            split = new_split(by_file[str(file)]) or ""
            rows.append({**row, "split": split, "reason": "" if split else why,
                         "file": str(file) if row["file"] else ""})
    manifest = _manifest_bytes(rows)
    description = {**dataset.description, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                   "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
                   "derived_from": {"folder": str(dataset.folder), "manifest_sha256": dataset.manifest_sha256,
                                    "what": why},
                   "settings": {**(dataset.description.get("settings") or {}), **(settings or {})},
                   "counts": {s: {c: sum(1 for r in rows if r["split"] == s and r["class"] == c)
                                  for c in dataset.classes} for s in SPLITS}}
    with building_folder(out) as tmp:
        (tmp / MANIFEST).write_bytes(manifest)
        (tmp / DESCRIPTION).write_text(json.dumps(description, indent=2), encoding="utf-8")
    return out
