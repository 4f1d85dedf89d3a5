"""From a scan to a curated dataset: thresholds, balancing, a patient-aware split, a shortcut check.

Everything here works on the statistics a scan already measured, so it is fast enough to follow a
slider; only :func:`cxrdesk.export.export_dataset` touches files again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from .classes import MIN_CLASSES, order_classes
from .errors import CurationError
from .scanning import MEASURES, UNKNOWN_SOURCE, ImageRecord, ScanResult

#: Named threshold bands. The study found 120-140 gave its best images; it is offered, never implied.
PRESETS: dict[str, tuple[float, float]] = {
    "all": (0.0, 255.0),
    "study": (120.0, 140.0),
}

SPLITS = ("train", "val", "test")
#: Fewer images of a class than this in a split make its figures noise (one image is 10 points).
MIN_PER_SPLIT = 10
#: Notes that are warnings: the dataset may mislead.
WARNING_NOTES = ("confounded", "few_images", "duplicates")


@dataclass(frozen=True)
class Note:
    """Something curation did or found that the user should know, as data: ``kind`` says what it
    is (programs test that, never the wording), ``text`` says it to a person, ``data`` the figures."""

    kind: str  # 'balanced' | 'band_keeps_few'
    text: str
    data: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text

    def to_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text, **self.data}


@dataclass(frozen=True)
class CurationSettings:
    """How to go from a scan to a dataset. Defaults keep every image and use the study's 80/20 split
    of what is left after holding out a test set."""

    low: float = 0.0
    high: float = 255.0
    balance: bool = True
    val: float = 0.2  # share of the non-test images used for validation (the study: 20 %)
    test: float = 0.1  # share of all kept images held out for the final test
    seed: int = 42
    measure: str = "image"  # what the band applies to: 'image' (the study's) or 'lungs' (scanning.MEASURES)
    #: Whole sources (hospitals) put in the test split, never seen in training or validation: the
    #: held-out-hospital evaluation. Empty: a random, stratified, patient-grouped test split.
    holdout_sources: tuple[str, ...] = ()
    #: Keep pictures found in two classes (normally refused: one of the labels is wrong, or the test
    #: would grade the network on a picture it learnt under another name).
    allow_cross_class_duplicates: bool = False

    def __post_init__(self):
        if not 0.0 <= self.low <= self.high <= 255.0:
            raise CurationError(f"thresholds must satisfy 0 <= low <= high <= 255 (got low={self.low}, "
                                f"high={self.high})")

        if self.measure not in MEASURES:
            raise CurationError(f"measure must be one of {', '.join(MEASURES)} (got {self.measure!r})")
        if not 0.0 <= self.test < 1.0 or not 0.0 <= self.val < 1.0:
            raise CurationError(f"val and test must be fractions in [0, 1) (got val={self.val}, "
                                f"test={self.test})")

    def to_dict(self) -> dict:
        return {**asdict(self), "holdout_sources": list(self.holdout_sources)}


@dataclass
class CurationPlan:
    """Which split each image goes to, or why it was dropped."""

    scan: ScanResult
    settings: CurationSettings
    split: list[str | None]  # per scan record: 'train' | 'val' | 'test' | None (dropped)
    reason: list[str]  # per scan record: why it was dropped ('' when kept)
    notes: list[Note] = field(default_factory=list)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.scan.classes

    def counts(self) -> dict[str, dict[str, int]]:
        """{split: {class: n}} for the kept images."""
        table = {s: {c: 0 for c in self.classes} for s in SPLITS}
        for record, split in zip(self.scan.records, self.split):
            if split:
                table[split][record.label] += 1
        return table

    def split_sources(self) -> dict[str, dict[str, int]]:
        """{split: {source: n}} for the kept images: which hospitals each split holds."""
        table: dict[str, dict[str, int]] = {s: {} for s in SPLITS}
        for record, split in zip(self.scan.records, self.split):
            if split:
                table[split][record.source] = table[split].get(record.source, 0) + 1
        return table

    def kept(self) -> list[tuple[ImageRecord, str]]:
        return [(r, s) for r, s in zip(self.scan.records, self.split) if s]


def in_band(means: np.ndarray, low: float, high: float) -> np.ndarray:
    """The keep rule of the intensity band, the one definition the live counts and the plan share:
    an image is kept when its mean intensity lies in [low, high], both ends included (an image
    without a measure - no lungs found - is not)."""
    return (means >= low) & (means <= high)


def threshold_counts(scan: ScanResult, low: float, high: float, measure: str = "image"
                     ) -> dict[str, tuple[int, int]]:
    """{class: (kept, dropped)} for images whose mean lies in [low, high]; vectorised, no I/O."""
    keep = in_band(scan.measure(measure), low, high)
    n = len(scan.classes)
    kept = np.bincount(scan.label_index[keep], minlength=n)
    total = np.bincount(scan.label_index, minlength=n)
    return {c: (int(k), int(t - k)) for c, k, t in zip(scan.classes, kept, total)}


def histograms(scan: ScanResult, bins: int = 64, value_range: tuple[float, float] = (0.0, 255.0),
               measure: str = "image") -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Bin edges and the count of image means (or means inside the lungs) per bin, per class and
    under 'All'."""
    if bins < 1:
        raise CurationError(f"bins must be at least 1 (got {bins})")
    edges = np.linspace(value_range[0], value_range[1], bins + 1)
    values = scan.measure(measure)
    result = {}
    for i, name in enumerate(scan.classes):
        result[name] = np.histogram(values[scan.label_index == i], bins=edges)[0]
    result["All"] = np.histogram(values[~np.isnan(values)], bins=edges)[0]
    return edges, result


def plan_curation(scan: ScanResult, settings: CurationSettings) -> CurationPlan:
    """Apply thresholds, balance the classes and split, all reproducibly from ``settings.seed``."""
    classes = scan.classes
    if len(classes) < MIN_CLASSES:
        raise CurationError(f"the source has one class only ({', '.join(classes)}): a model needs at least "
                            f"{MIN_CLASSES} class folders")
    totals = scan.counts()
    unreadable = [c for c in classes if totals[c] == 0]
    if unreadable:
        raise CurationError(f"class {', '.join(unreadable)} has no readable images: fix or remove its folder")
    rng = np.random.default_rng(settings.seed)
    n = len(scan.records)
    reason = [""] * n
    means = scan.measure(settings.measure)
    what = "mean intensity" if settings.measure == "image" else "mean intensity inside the lungs"
    kept = in_band(means, settings.low, settings.high)
    for i in np.flatnonzero(~kept):
        if np.isnan(means[i]):
            reason[i] = "no lungs found to measure the intensity inside them"
            continue
        side = "below the low" if means[i] < settings.low else "above the high"
        bound = settings.low if means[i] < settings.low else settings.high
        reason[i] = f"{what} {means[i]:.1f} {side} threshold {bound:g}"
    groups, duplicate_notes = _duplicate_groups(scan, settings)
    held = _held_out(scan, settings.holdout_sources, groups) & kept
    per_class = {c: np.flatnonzero(kept & ~held & (scan.label_index == k)) for k, c in enumerate(classes)}
    empty = [c for c, idx in per_class.items() if idx.size == 0]
    if empty:
        where = " outside the held-out sources" if settings.holdout_sources else ""
        raise CurationError(
            f"the band [{settings.low:g}, {settings.high:g}] keeps no {', '.join(empty)} image{where}: "
            "widen it, or hold out fewer sources")
    notes = []
    if settings.balance:
        smallest = min(idx.size for idx in per_class.values())
        for name, idx in per_class.items():
            if idx.size > smallest:
                out = rng.choice(idx, size=idx.size - smallest, replace=False)
                for i in out:
                    reason[i] = f"balancing: {name} reduced to {smallest} images"
                kept[out] = False
        notes.append(Note("balanced", f"balanced to {smallest} images per class", {"per_class": int(smallest)}))
    for name, idx in per_class.items():
        if idx.size < 0.5 * totals[name]:
            notes.append(Note("band_keeps_few", f"the band keeps only {idx.size} of {totals[name]} {name} images",
                              {"class": name, "kept": int(idx.size), "total": totals[name]}))
    split = [None] * n
    chosen = np.flatnonzero(kept & ~held)
    assigned = split_groups(scan.label_index[chosen], [groups[i] for i in chosen],
                            val=settings.val, test=0.0 if settings.holdout_sources else settings.test,
                            seed=settings.seed, n_classes=len(classes))
    for i, s in zip(chosen, assigned):
        split[i] = s
    for i in np.flatnonzero(held):
        split[i] = "test"
    if settings.holdout_sources:
        counts = {c: int((held & (scan.label_index == k)).sum()) for k, c in enumerate(classes)}
        notes.append(Note("held_out_sources", f"held out {', '.join(settings.holdout_sources)}: "
                          f"{int(held.sum())} test images ("
                          + ", ".join(f"{c} {v}" for c, v in counts.items()) + "), never seen in training",
                          {"sources": list(settings.holdout_sources), "per_class": counts}))
    notes.extend(confounded_classes(scan))
    notes.extend(duplicate_notes)
    plan = CurationPlan(scan, settings, split, reason, notes)
    wanted = {"train": True, "val": settings.val > 0, "test": settings.test > 0 or bool(settings.holdout_sources)}
    for split_name, counts in plan.counts().items():
        few = {c: n for c, n in counts.items() if n < MIN_PER_SPLIT and wanted[split_name]
               and not (split_name == "test" and settings.holdout_sources and n == 0)}
        if few:
            notes.append(Note("few_images", f"the {split_name} split has fewer than {MIN_PER_SPLIT} images of "
                              + ", ".join(f"{c} ({n})" for c, n in few.items())
                              + ": its figures would be noise" + (" and training needs validation images"
                                                                  if split_name == "val" else ""),
                              {"split": split_name, "classes": few}))
    return plan


def _held_out(scan: ScanResult, sources: tuple[str, ...], groups: list[str]) -> np.ndarray:
    """The records of the held-out sources, and of any patient (or duplicate) who also has an image there
    (a patient never straddles the split)."""
    if not sources:
        return np.zeros(len(scan.records), bool)
    unknown = [s for s in sources if s not in scan.sources]
    if unknown:
        raise CurationError(f"no source named {', '.join(unknown)}: the sources are {', '.join(scan.sources)}")
    held = np.array([r.source in sources for r in scan.records])
    touched = {g for g, h in zip(groups, held) if h}
    return held | np.array([g in touched for g in groups])


#: Perceptual hashes this close (of 256 bits) are the same picture re-encoded, resized or cropped.
DUPLICATE_DISTANCE = 10


def find_duplicates(records: list[ImageRecord], max_distance: int = DUPLICATE_DISTANCE) -> list[list[int]]:
    """Groups (record indices) of the same picture: identical files, or perceptual hashes within
    ``max_distance`` bits. Compares all pairs on packed hashes, a block of rows at a time."""
    n = len(records)
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i, j):
        parent[find(i)] = find(j)

    by_sha: dict[str, int] = {}
    for i, record in enumerate(records):
        if record.sha256 in by_sha:
            union(i, by_sha[record.sha256])
        by_sha.setdefault(record.sha256, i)
    hashed = [i for i, r in enumerate(records) if r.dhash]
    if len(hashed) > 1:
        packed = np.array([np.frombuffer(bytes.fromhex(records[i].dhash), np.uint8) for i in hashed])
        popcount = np.array([bin(b).count("1") for b in range(256)], np.uint8)
        for start in range(0, len(hashed), 256):
            block = packed[start:start + 256]
            distance = popcount[block[:, None, :] ^ packed[None, :, :]].sum(axis=2, dtype=np.int32)
            rows, cols = np.nonzero(distance <= max_distance)
            for r, c in zip(rows + start, cols):
                if r < c:
                    union(hashed[r], hashed[c])
    members: dict[int, list[int]] = {}
    for i in range(n):
        members.setdefault(find(i), []).append(i)
    return [m for m in members.values() if len(m) > 1]


def _duplicate_groups(scan: ScanResult, settings: CurationSettings) -> tuple[list[str], list[Note]]:
    """Split groups with each duplicate set merged into one (so it lands on one side of the split), and
    what was found. Pictures in two classes are refused unless the settings allow them."""
    groups = [r.group for r in scan.records]
    notes = []
    duplicates = find_duplicates(scan.records)
    across = [d for d in duplicates if len({scan.records[i].label for i in d}) > 1]
    if across and not settings.allow_cross_class_duplicates:
        shown = "; ".join(" = ".join(f"{scan.records[i].path} ({scan.records[i].label})" for i in d) for d in across[:3])
        raise CurationError(f"{len(across)} picture(s) appear in two classes: {shown}"
                            + (f" and {len(across) - 3} more" if len(across) > 3 else "")
                            + ". Fix their labels, or pass --allow-cross-class-duplicates to keep them")
    for members in duplicates:
        merged = "dup:" + min(groups[i] for i in members)
        touched = {groups[i] for i in members}
        for i, group in enumerate(groups):  # the whole of each patient involved follows the duplicate
            if group in touched:
                groups[i] = merged
    if duplicates:
        pairs = [[scan.records[i].path for i in d] for d in duplicates]
        notes.append(Note("duplicates", f"{len(duplicates)} set(s) of the same picture (identical or near-identical) "
                          f"kept together on one side of the split, e.g. {' = '.join(pairs[0])}"
                          + (f"; {len(across)} across classes, kept as allowed" if across else ""),
                          {"sets": pairs, "across_classes": len(across)}))
    return groups, notes


def confounded_classes(scan: ScanResult) -> list[Note]:
    """Classes whose images come only from sources no other class has: for them the class and the
    hospital cannot be told apart, and a network may learn the hospital."""
    table = scan.class_source_counts()
    notes = []
    for name, row in table.items():
        mine = {s for s, n in row.items() if n and s != UNKNOWN_SOURCE}
        if not mine:
            continue
        shared = {s for other, r in table.items() if other != name for s, n in r.items() if n}
        if not mine & shared:
            notes.append(Note("confounded", f"CONFOUNDED: every {name} image comes from {', '.join(sorted(mine))}, "
                              "a source no other class has: the class cannot be told from the hospital",
                              {"class": name, "sources": sorted(mine)}))
    return notes


def in_hashed_share(key: str, share: float) -> bool:
    """Whether ``key`` (a patient id, with whatever salt the caller adds) falls in a stable ``share`` of
    all keys: its SHA-256 read as a number in [0, 1) is below ``share``, whatever the order of the files
    and whatever other keys exist - a held-out part that does not move when data are added."""
    import hashlib

    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def split_groups(labels: np.ndarray, groups: list[str], *, val: float, test: float, seed: int,
                 n_classes: int | None = None) -> list[str]:
    """Stratified split that keeps each group (patient) on one side.

    Groups are shuffled with ``seed`` and dealt, per class of their majority label, first to the
    test set, then to validation, until each reaches its share; the rest is training. With one image
    per group this gives the exact stratified counts; scikit-learn has no splitter that does both
    stratification and groups with arbitrary ratios (StratifiedGroupKFold only gives 1/k folds).
    """
    labels = np.asarray(labels)
    members: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
    names = sorted(members)
    order = np.random.default_rng(seed).permutation(len(names))
    k = max(n_classes or 0, int(labels.max()) + 1 if labels.size else 0)
    n_class = np.bincount(labels, minlength=k)
    want_test = np.rint(n_class * test).astype(int)
    want_val = np.rint((n_class - want_test) * val).astype(int)
    have_test = np.zeros(k, int)
    have_val = np.zeros(k, int)
    result = ["train"] * len(labels)
    for j in order:
        idx = members[names[j]]
        klass = int(np.bincount(labels[idx], minlength=k).argmax())
        size = len(idx)
        if have_test[klass] + size <= want_test[klass]:
            have_test[klass] += size
            side = "test"
        elif have_val[klass] + size <= want_val[klass]:
            have_val[klass] += size
            side = "val"
        else:
            continue
        for i in idx:
            result[i] = side
    return result


@dataclass(frozen=True)
class ShortcutReport:
    """How well trivial image statistics alone predict the class (cross-validated)."""

    accuracy: float
    chance: float
    folds: int
    n_images: int
    features: tuple[str, ...]
    class_means: dict[str, dict[str, float]]  # class -> feature -> mean value
    source_accuracy: float | None = None  # how well the same statistics predict the source
    source_chance: float | None = None
    n_sources: int = 0

    @property
    def has_shortcut(self) -> bool:
        return self.accuracy >= self.chance + 0.10

    def verdict(self) -> str:
        if self.has_shortcut:
            return (f"SHORTCUT WARNING: intensity and size statistics alone predict the class "
                    f"{self.accuracy:.0%} of the time ({self.folds}-fold cross-validation; chance "
                    f"{self.chance:.0%}). The classes probably come from different sources, and a "
                    "network may learn the source instead of the disease.")
        return (f"No strong shortcut found: simple statistics predict the class {self.accuracy:.0%} "
                f"of the time (chance {self.chance:.0%}).")

    def source_verdict(self) -> str:
        """How well the statistics tell the hospitals apart ('' with fewer than two known sources)."""
        if self.source_accuracy is None:
            return ""
        return (f"The same statistics tell the {self.n_sources} sources apart {self.source_accuracy:.0%} of the time "
                f"(chance {self.source_chance:.0%}): "
                + ("each hospital leaves its signature on its images." if self.has_source_signature
                   else "no strong hospital signature."))

    @property
    def has_source_signature(self) -> bool:
        """The statistics tell the hospitals apart clearly better than chance."""
        return self.source_accuracy is not None and self.source_accuracy >= self.source_chance + 0.10

    def to_dict(self) -> dict:
        return {**asdict(self), "has_shortcut": self.has_shortcut, "verdict": self.verdict(),
                "source_verdict": self.source_verdict()}


SHORTCUT_FEATURES = ("mean", "std", "p5", "p95", "width", "height", "aspect")


def shortcut_check(records: list[ImageRecord], folds: int = 5, seed: int = 0) -> ShortcutReport | None:
    """Fit a logistic regression on per-image statistics; None when there is too little data."""
    classes = order_classes(r.label for r in records)
    labels = np.array([classes.index(r.label) for r in records])
    counts = np.bincount(labels, minlength=len(classes))
    if (counts > 0).sum() < 2 or counts[counts > 0].min() < folds:
        return None
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.array([[r.mean, r.std, r.p5, r.p95, r.width, r.height, r.width / r.height]
                  for r in records], dtype=np.float64)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    accuracy = float(cross_val_score(model, x, labels, cv=cv).mean())
    class_means = {c: {f: round(float(v), 2) for f, v in zip(SHORTCUT_FEATURES, x[labels == k].mean(0))}
                   for k, c in enumerate(classes) if counts[k]}
    source_accuracy = source_chance = None
    known = np.array([r.source != UNKNOWN_SOURCE for r in records])
    sources = sorted({r.source for r in records if r.source != UNKNOWN_SOURCE})
    if len(sources) >= 2:
        y = np.array([sources.index(r.source) for r in records if r.source != UNKNOWN_SOURCE])
        per_source = np.bincount(y)
        if per_source.min() >= folds:
            source_accuracy = float(cross_val_score(model, x[known], y, cv=cv).mean())
            source_chance = float(per_source.max() / per_source.sum())
    return ShortcutReport(accuracy, float(counts.max() / counts.sum()), folds, len(records),
                          SHORTCUT_FEATURES, class_means, source_accuracy, source_chance, len(sources))
