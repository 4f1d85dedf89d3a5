"""Scan a folder of class sub-folders: which images there are, of which class, and their statistics.

The statistics (mean and spread of intensity, percentiles, size) are all the later curation
steps need, so a scan reads each image once, in parallel, and caches the result: moving a
threshold slider or re-running a curation never decodes an image again.
"""

from __future__ import annotations

import csv
import hashlib
import multiprocessing
import os
import re
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from .cache import StatsCache
from .classes import MIN_CLASSES, canonical_class, order_classes
from .errors import CurationError, ImageReadError
from .imaging import is_image_file, open_grayscale
from .reasons import Reason

Progress = Callable[[int, int], None]

#: The source of an image whose hospital or collection could not be found.
UNKNOWN_SOURCE = "unknown"

#: What curation's intensity band can apply to.
MEASURES = {"image": "mean intensity of the whole image (the study's)",
            "lungs": "mean intensity inside the lungs (the lung model's mask)"}

#: Below this many images to measure, a process pool costs more than it saves.
_POOL_THRESHOLD = 48
_CHUNK = 24


@dataclass(frozen=True)
class ImageRecord:
    """One readable image of the source folder and its statistics."""

    path: str  # relative to the scan root, with '/' separators
    label: str  # canonical class
    mean: float  # mean 8-bit grayscale intensity, 0..255
    std: float
    p5: float
    p95: float
    width: int
    height: int
    sha256: str  # of the file's bytes
    group: str  # patient (or other split group) id; the image's own path when none is known
    source: str = UNKNOWN_SOURCE  # the hospital or collection the image comes from
    dhash: str = ""  # perceptual hash of the picture (see difference_hash)


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str  # a Reason (its code and figures) for a file the reader refused


@dataclass
class ScanResult:
    """Everything a scan found; the input of thresholds, balancing, splitting and export."""

    root: Path
    records: list[ImageRecord]
    class_folders: dict[str, str]  # folder name -> canonical class
    ignored_folders: dict[str, str]  # folder name -> why it was ignored
    unreadable: list[Skipped]  # image files that could not be decoded, and why
    skipped: list[Skipped]  # files that are not of an image type
    group_source: str  # where patient ids came from
    from_cache: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    #: Mean intensity inside the lungs per record (NaN where no lungs were found), once
    #: :func:`measure_lungs` has run; None before. ``lung_model`` names the lung model that measured.
    lung_means: np.ndarray | None = None
    lung_model: str | None = None
    source_origin: str = "none found: every image's source is 'unknown'"  # where sources came from

    @cached_property
    def sources(self) -> tuple[str, ...]:
        """The sources (hospitals, collections) of the readable images, sorted."""
        return tuple(sorted({r.source for r in self.records}))

    def class_source_counts(self) -> dict[str, dict[str, int]]:
        """{class: {source: images}}: which hospital each class's images come from."""
        table = {c: {s: 0 for s in self.sources} for c in self.classes}
        for record in self.records:
            table[record.label][record.source] += 1
        return table

    @cached_property
    def means(self) -> np.ndarray:
        return np.array([r.mean for r in self.records], dtype=np.float64)

    def measure(self, name: str = "image") -> np.ndarray:
        """The per-record intensity that curation thresholds: 'image' (the whole image's mean, the
        study's) or 'lungs' (the mean inside the lungs; NaN where none were found)."""
        if name == "image":
            return self.means
        if name == "lungs":
            if self.lung_means is None:
                raise CurationError("the mean intensity inside the lungs has not been measured for this scan "
                                    "(--lung-means, or the Curation tab's lung option)")
            return self.lung_means
        raise CurationError(f"intensity measure must be one of {', '.join(MEASURES)} (got {name!r})")

    @cached_property
    def classes(self) -> tuple[str, ...]:
        """The classes of the source's class folders, in model-output order."""
        return order_classes(self.class_folders.values())

    @cached_property
    def label_index(self) -> np.ndarray:
        """Index into :attr:`classes` for each record, for vectorised counting."""
        index = {c: i for i, c in enumerate(self.classes)}
        return np.array([index[r.label] for r in self.records], dtype=np.int64)

    def counts(self) -> dict[str, int]:
        found = np.bincount(self.label_index, minlength=len(self.classes))
        return {c: int(n) for c, n in zip(self.classes, found)}


def measure(path: str) -> tuple:
    """(mean, std, p5, p95, width, height, sha256, error, dhash) for one file; never raises.

    Runs in worker processes. The file is read once: its bytes are hashed and then decoded.
    """
    try:
        data = Path(path).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        image, _ = open_grayscale(path, data)
    except ImageReadError as exc:
        return (None, None, None, None, None, None, None, exc.reason, None)  # the report shows the path
    except Exception as exc:  # anything else is still one bad file, not a failed scan
        return (None, None, None, None, None, None, None, f"cannot be read ({type(exc).__name__}: {exc})", None)
    mean, std, p5, p95 = intensity_stats(image)
    return (mean, std, p5, p95, image.size[0], image.size[1], digest, None, difference_hash(image))


def difference_hash(image: Image.Image) -> str:
    """A 256-bit perceptual hash (dHash: is each of 16 x 16 cells brighter than its right neighbour),
    as 64 hex digits. The same picture re-encoded, resized or slightly cropped differs by a few bits;
    the closest two distinct radiographs of ../shared/data/cxr3 differ by 19."""
    cells = np.asarray(image.resize((17, 16), Image.Resampling.BOX), dtype=np.int16)
    bits = (cells[:, 1:] > cells[:, :-1]).ravel()
    return np.packbits(bits).tobytes().hex()


def intensity_stats(image: Image.Image | np.ndarray) -> tuple[float, float, float, float]:
    """Mean, standard deviation and 5th/95th percentiles of an 8-bit image, from its histogram.

    Pillow's C histogram is ~3x faster than np.bincount, much cheaper than sorting the pixels for
    percentiles, and gives the mean exactly.
    """
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image.astype(np.uint8, copy=False))
    hist = np.asarray(image.histogram(), dtype=np.float64)
    n = hist.sum()
    levels = np.arange(256, dtype=np.float64)
    mean = float(hist @ levels / n)
    std = float(np.sqrt(max(hist @ (levels - mean) ** 2 / n, 0.0)))
    cdf = np.cumsum(hist) / n
    p5 = float(np.searchsorted(cdf, 0.05))
    p95 = float(np.searchsorted(cdf, 0.95))
    return mean, std, p5, p95


def _measure_many(paths: list[str]) -> list[tuple]:
    return [measure(p) for p in paths]


def _pool_context():
    """'fork' is fastest to start, but unsafe once threads exist (the GUI runs scans on one)."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


NO_IMAGES = "no image files (PNG, JPEG, BMP, TIFF or DICOM)"


def find_class_folders(root: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Map sub-folders of ``root`` to classes: (folder -> class, ignored folder -> reason).

    Every sub-folder holding image files is a class: a known spelling of the study's classes maps to
    its name (``Sano`` -> ``Healthy``), any other folder is a class of its own (``Pneumonia``).
    A sub-folder without image files is ignored, and said so.
    """
    if not root.exists():
        raise CurationError(f"folder not found: {root}")
    if not root.is_dir():
        raise CurationError(f"not a folder: {root}")
    mapped, ignored = {}, {}
    for entry in sorted(root.iterdir()):
        if not entry.is_dir() or entry.name.startswith("."):
            continue
        if not any(is_image_file(Path(p)) for p in _walk(entry)):
            ignored[entry.name] = NO_IMAGES
        else:
            mapped[entry.name] = canonical_class(entry.name)
    if not mapped:
        seen = ", ".join(sorted(ignored)) or "none"
        raise CurationError(
            f"no class folders in {root}: expected one sub-folder of radiographs per class, named like "
            f"COVID, Tuberculosis, Normal or Pneumonia (sub-folders found: {seen})")
    return mapped, ignored


def scan_folder(root: str | Path, *, workers: int | None = None, use_cache: bool = True,
                patient_pattern: str | None = None, source_pattern: str | None = None,
                progress: Progress | None = None, cancel: threading.Event | None = None) -> ScanResult:
    """Find, classify and measure every image under ``root``'s class folders.

    ``patient_pattern`` is a regular expression whose first group, applied to a file name, gives the
    patient id (e.g. ``^(\\d+)_`` for NIH names); otherwise a CSV beside the class folders with a
    file-name column and a patient/split-group column is used when there is one.

    Each image's source (hospital, collection) comes from ``source_pattern`` (a regular expression whose
    first group in the file name is the source), else a ``source`` column of that CSV, else a file-name
    prefix ``<source>__``, else it is 'unknown'.
    """
    started = time.perf_counter()
    root = Path(root).expanduser()
    mapped, ignored = find_class_folders(root)
    root = root.resolve()

    files: list[tuple[str, str]] = []  # (absolute path, class)
    skipped: list[Skipped] = []
    cut = len(str(root)) + 1
    for folder, label in mapped.items():
        for path in _walk(root / folder):
            rel = path[cut:].replace(os.sep, "/")
            if is_image_file(Path(path)):
                files.append((path, label))
            else:
                suffix = os.path.splitext(path)[1] or "no extension"
                skipped.append(Skipped(rel, f"not an image type ({suffix})"))

    stat = {p: _stat(p) for p, _ in files}
    cache = StatsCache() if use_cache else None
    known = cache.lookup(root, stat) if cache else {}
    todo = [p for p, _ in files if p not in known]
    measured = _measure_all(todo, workers, progress, cancel, done_before=len(known), total=len(files))
    if cache:
        cache.store([(p, *stat[p], *measured[p]) for p in todo])
        cache.close()
    known.update(measured)

    groups, group_source = _patient_groups(root, [p for p, _ in files], patient_pattern)
    sources, source_origin = _sources(root, [p for p, _ in files], source_pattern)
    records, unreadable = [], []
    for path, label in files:
        mean, std, p5, p95, width, height, digest, error, dhash = known[path]
        rel = path[cut:].replace(os.sep, "/")
        if error:
            unreadable.append(Skipped(rel, error))
            continue
        records.append(ImageRecord(rel, label, mean, std, p5, p95, width, height, digest,
                                   groups.get(rel, rel), sources.get(rel, UNKNOWN_SOURCE), dhash or ""))

    result = ScanResult(root, records, mapped, ignored, unreadable, skipped, group_source,
                        from_cache=len(files) - len(todo), seconds=time.perf_counter() - started,
                        source_origin=source_origin)
    counts = result.counts()
    for label in result.classes:  # reported here; curation refuses a class without images
        if counts[label] == 0:
            folders = [f for f, c in mapped.items() if c == label]
            bad = sum(1 for u in unreadable if u.path.split("/", 1)[0] in folders)
            result.warnings.append(Reason(f"class {label} (folder {', '.join(folders)}) has no readable image "
                                          f"({bad} unreadable)", "class_unreadable", label=label, folders=folders,
                                          unreadable=bad))
    if len(result.classes) < MIN_CLASSES:
        result.warnings.append(Reason(f"only one class ({result.classes[0]}): a model needs at least "
                                      f"{MIN_CLASSES} class folders", "one_class", label=result.classes[0],
                                      needed=MIN_CLASSES))
    return result


def _measure_all(paths: list[str], workers: int | None, progress: Progress | None,
                 cancel: threading.Event | None, done_before: int, total: int) -> dict[str, tuple]:
    results: dict[str, tuple] = {}
    if progress:
        progress(done_before, total)
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(paths) < _POOL_THRESHOLD:
        for i, path in enumerate(paths):
            _check_cancel(cancel)
            results[path] = measure(path)
            if progress and (i % _CHUNK == 0 or i == len(paths) - 1):
                progress(done_before + i + 1, total)
        return results
    chunks = [paths[i:i + _CHUNK] for i in range(0, len(paths), _CHUNK)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
        futures = {pool.submit(_measure_many, chunk): chunk for chunk in chunks}
        try:
            for future in as_completed(futures):
                _check_cancel(cancel)
                results.update(zip(futures[future], future.result()))
                if progress:
                    progress(done_before + len(results), total)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return results


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise CurationError("scan cancelled")


def _walk(folder: Path) -> list[str]:
    """Every non-hidden file under ``folder``, sorted; os.walk is several times faster than rglob."""
    found = []
    for top, dirs, names in os.walk(folder, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(os.path.join(top, n) for n in sorted(names) if not n.startswith("."))
    return found


def _stat(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


_FILE_COLUMNS = ("filename", "file", "path", "image", "image_path", "image index", "image_id")
_GROUP_COLUMNS = ("split_group", "patient_id", "patient id", "patientid", "patient", "subject_id")
_SOURCE_COLUMNS = ("source", "source_key", "hospital", "site", "institution", "centre", "center")
_PREFIX = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_-]*?)__")


def _relative(root: Path, paths: list[str]) -> list[str]:
    cut = len(str(root)) + 1
    return [p[cut:].replace(os.sep, "/") for p in paths]


def _from_pattern(rels: list[str], pattern: str, what: str) -> dict[str, str]:
    """The first group (or the whole match) of ``pattern`` in each file name that matches."""
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise CurationError(f"{what} pattern {pattern!r} is not a valid regular expression: {exc}") from None
    found = {}
    for rel in rels:
        match = regex.search(rel.rsplit("/", 1)[-1])
        if match:
            found[rel] = match.group(1) if regex.groups else match.group(0)
    return found


def _from_csv(root: Path, rels: list[str], columns: tuple[str, ...]) -> tuple[dict[str, str], str | None]:
    """Values of the first CSV beside the class folders that has a file column and one of ``columns``
    for some of the images, by relative path or file name; and that CSV's name."""
    for csv_path in sorted(root.glob("*.csv")):
        st = csv_path.stat()
        table = _read_label_csv(str(csv_path), st.st_size, st.st_mtime_ns, columns)
        if not table:
            continue
        by_rel, by_name = table
        found = {rel: by_rel.get(rel) or by_name.get(rel.rsplit("/", 1)[-1]) for rel in rels}
        found = {rel: value for rel, value in found.items() if value}
        if found:
            return found, csv_path.name
    return {}, None


def _sources(root: Path, paths: list[str], pattern: str | None) -> tuple[dict[str, str], str]:
    """Source per image (relative path -> source), and a sentence saying where sources came from."""
    rels = _relative(root, paths)
    if pattern:
        found = _from_pattern(rels, pattern, "source")
        return found, f"file name pattern {pattern!r} ({len(found)} of {len(paths)} images matched)"
    listed, csv_name = _from_csv(root, rels, _SOURCE_COLUMNS)
    # images a labels CSV does not list (added to the folder later) still have their file-name prefix
    prefixed = {}
    for rel in rels:
        match = _PREFIX.match(rel.rsplit("/", 1)[-1])
        if match and rel not in listed:
            prefixed[rel] = match.group(1)
    if listed:
        return {**prefixed, **listed}, (f"{csv_name} ({len(listed)} of {len(paths)} images have a source)"
                                        + (f"; file-name prefixes <source>__ for {len(prefixed)} more"
                                           if prefixed else ""))
    if prefixed:
        return prefixed, f"file-name prefixes <source>__ ({len(prefixed)} of {len(paths)} images)"
    return {}, f"none found: every image's source is '{UNKNOWN_SOURCE}'"


def _patient_groups(root: Path, paths: list[str], pattern: str | None) -> tuple[dict[str, str], str]:
    """Patient id per image (relative path -> id), and a sentence saying where ids came from."""
    rels = _relative(root, paths)
    if pattern:
        found = {rel: f"pattern:{value}" for rel, value in _from_pattern(rels, pattern, "patient").items()}
        return found, f"file name pattern {pattern!r} ({len(found)} of {len(paths)} images matched)"
    found, csv_name = _from_csv(root, rels, _GROUP_COLUMNS)
    if found:
        return found, f"{csv_name} ({len(found)} of {len(paths)} images have a patient id)"
    return {}, "none found: each image is treated as its own patient"


def patients_in_csv(csv_path: Path) -> dict[str, str]:
    """File name -> patient id of a labels CSV, read as scanning reads one ({} when it has none)."""
    try:
        st = Path(csv_path).stat()
    except OSError:
        return {}
    table = _read_label_csv(str(csv_path), st.st_size, st.st_mtime_ns, _GROUP_COLUMNS)
    return dict(table[1]) if table else {}


@lru_cache(maxsize=16)
def _read_label_csv(path: str, size: int, mtime_ns: int, columns: tuple[str, ...]
                    ) -> tuple[dict[str, str], dict[str, str]] | None:
    """(relative path -> value, file name -> value) of the first of ``columns`` a CSV has (a patient
    id, a source); memoised while the file is unchanged."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [name.strip().lower() for name in next(reader, [])]
            file_col = next((header.index(c) for c in _FILE_COLUMNS if c in header), None)
            group_col = next((header.index(c) for c in columns if c in header), None)
            if file_col is None or group_col is None:
                return None
            by_rel, by_name = {}, {}
            for row in reader:
                if len(row) <= max(file_col, group_col):
                    continue
                name, gid = row[file_col].strip().replace("\\", "/"), row[group_col].strip()
                if name and gid:
                    by_rel[name] = gid
                    by_name[name.rsplit("/", 1)[-1]] = gid
            return by_rel, by_name
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def measure_lungs(scan: ScanResult, segmenter, *, progress: Progress | None = None,
                  cancel: threading.Event | None = None, use_cache: bool = True) -> np.ndarray:
    """Measure each readable image's mean intensity inside its lungs (found by ``segmenter``, a
    :class:`cxrdesk.lungs.LungSegmenter`: the caller loads it, so that scanning, which the lung model's own
    training reads patients with, does not depend on it) into ``scan.lung_means``; cached per file and lung
    model. Needs TensorFlow: callers set it up (:func:`cxrdesk.devices.use_cpu_in_process`)."""
    model = str(segmenter.card.get("model_sha256") or segmenter.card.get("name") or "unnamed")
    paths = [str(scan.root / r.path) for r in scan.records]
    stat = {p: _stat(p) for p in paths}
    cache = StatsCache() if use_cache else None
    known = cache.lookup_lungs(model, stat) if cache else {}
    rows = []
    for i, path in enumerate(paths):
        if path not in known:
            _check_cancel(cancel)
            image, _ = open_grayscale(path)
            pixels = np.asarray(image, dtype=np.uint8)
            mask = segmenter.segment(pixels).mask > 0
            known[path] = float(pixels[mask].mean()) if mask.any() else None
            rows.append((path, *stat[path], known[path]))
        if progress and (i % _CHUNK == 0 or i == len(paths) - 1):
            progress(i + 1, len(paths))
    if cache:
        cache.store_lungs(model, rows)
        cache.close()
    scan.lung_means = np.array([np.nan if known[p] is None else known[p] for p in paths], dtype=np.float64)
    scan.lung_model = segmenter.card.get("name")
    return scan.lung_means
