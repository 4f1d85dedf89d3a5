"""Scan throughput on the real radiographs: CXRDesk's scan (cold and cached) beside a naive loop.

Run: python benchmarks/bench_scan.py [FOLDER]   (default ../shared/data/cxr3)
Prints images/s for each and the ratios the issue asks for; figures vary between runs on shared
machines, so only the ratios within one run mean much.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cxrdesk.classes import STUDY_CLASSES  # noqa: E402
from cxrdesk.curation import threshold_counts  # noqa: E402
from cxrdesk.imaging import is_image_file  # noqa: E402
from cxrdesk.scanning import scan_folder  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "cxr3"


def naive(folder: Path) -> tuple[int, float]:
    """What the study did by hand: open, convert('L'), mean, one image at a time."""
    paths = [p for p in sorted(folder.rglob("*")) if is_image_file(p)]
    started = time.perf_counter()
    for path in paths:
        np.asarray(Image.open(path).convert("L")).mean()
    return len(paths), time.perf_counter() - started


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not folder.is_dir():
        sys.exit(f"no data at {folder}: pass a folder of class sub-folders")
    os.environ["CXRDESK_CACHE_DIR"] = tempfile.mkdtemp(prefix="cxrdesk-bench-")
    print(f"data: {folder}  cores: {os.cpu_count()}")
    naive(folder)  # warm the OS file cache so neither side pays for the disk
    n, t_naive = naive(folder)

    started = time.perf_counter()
    scan = scan_folder(folder)  # cold: empty cache
    t_cold = time.perf_counter() - started
    started = time.perf_counter()
    scan_folder(folder)
    t_cached = time.perf_counter() - started
    n2, t_naive2 = naive(folder)  # again, so a noisy neighbour shows up as a spread
    t_naive = (t_naive + t_naive2) / 2

    # Threshold counts for 10,000 images (the records repeated), as a slider drags.
    reps = -(-10_000 // len(scan.records))
    big = type(scan)(scan.root, scan.records * reps, scan.class_folders, {}, [], [], "")
    big.means, big.label_index  # noqa: B018  (build the arrays once, as the GUI does after a scan)
    lows = np.linspace(60, 140, 200)
    started = time.perf_counter()
    for low in lows:
        threshold_counts(big, low, low + 40)
    t_threshold = (time.perf_counter() - started) / len(lows)

    print(f"naive single-thread Pillow loop : {n / t_naive:8.0f} images/s  ({t_naive:.2f} s, {n} images)")
    print(f"cxrdesk scan, cold (all cores)  : {n / t_cold:8.0f} images/s  ({t_cold:.2f} s)"
          f"   ratio {t_naive / t_cold:.2f}x naive  (target >= {0.9 * (os.cpu_count() or 1):.1f}x)")
    print(f"cxrdesk scan, cached rescan     : {n / t_cached:8.0f} images/s  ({t_cached:.3f} s)"
          f"   ratio {t_cold / t_cached:.0f}x cold  (target >= 50x)")
    print(f"threshold counts, {len(big.records)} images : {t_threshold * 1000:.3f} ms per slider move"
          f"  (target < 10 ms)")
    print("classes:", {c: int(v) for c, v in scan.counts().items() if c in STUDY_CLASSES})


if __name__ == "__main__":
    main()
