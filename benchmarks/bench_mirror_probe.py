"""Can a small network tell a mirrored chest film (heart on the other side) from one as taken? Leave one source out.

Run: python benchmarks/bench_mirror_probe.py [--size 128] [--epochs 8] [--seeds 1,2,3]

Issue 21 asks for mirrored films to be detected; the lung map's cues of the heart's side (the lungs' medial
edges, brightness between them, lower-lung areas) each followed the source, not the side (RESULTS.md). Here
the side check of :mod:`cxrdesk.side` is measured as it is trained: every film of ../shared/data/cxr3 as given
(label 0) and mirrored left-right (label 1) - labels that cost nothing - at ``size`` px; for each source held
out in turn the network learns on the other sources and scores the held-out one, films as given and mirrored.
A mirrored film is rare in practice, so what matters is the share of mirrored films caught when almost no film
as given is flagged: printed per seed, the held-out AUC, and at the threshold that flags 1 % of the
out-of-source films as given (the shipped card's rule), the mirrored films caught and the films as given
flagged, per source. Prints the CPU and the precision.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_transfer_probe import films  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seeds", default="1,2,3")
    args = parser.parse_args()
    from sklearn.metrics import roc_auc_score

    from cxrdesk.devices import cpu_name, use_cpu_in_process
    from cxrdesk.side import FLAG_SHARE, out_of_source, thumbnails

    use_cpu_in_process()
    rows = films()
    sources = np.array([r["source"] for r in rows])
    started = time.perf_counter()
    x = thumbnails([r["file"] for r in rows], args.size)
    print(f"CPU: {cpu_name()}; float32; {len(rows)} films of cxr3 at {args.size} px "
          f"({time.perf_counter() - started:.0f} s to read)", flush=True)
    summary = []
    for seed in (int(s) for s in args.seeds.split(",")):
        started = time.perf_counter()
        given, flipped = out_of_source(x, sources, seed, args.epochs, say=lambda line: print(line, flush=True))
        threshold = float(np.quantile(given, 1 - FLAG_SHARE))
        auc = float(roc_auc_score(np.r_[np.zeros(len(given)), np.ones(len(flipped))], np.r_[given, flipped]))
        caught = {s: float((flipped[sources == s] > threshold).mean()) for s in sorted(set(sources))}
        flagged = {s: float((given[sources == s] > threshold).mean()) for s in sorted(set(sources))}
        summary.append((auc, statistics.mean(caught.values()), statistics.mean(flagged.values())))
        print(f"seed {seed}: AUC {auc:.3f}; threshold {threshold:.3f}: mirrored caught {summary[-1][1]:.1%}, films as "
              f"given flagged {summary[-1][2]:.1%} (means over the held-out sources); per source caught / flagged: "
              + ", ".join(f"{s} {caught[s]:.0%}/{flagged[s]:.0%}" for s in caught)
              + f"; {time.perf_counter() - started:.0f} s", flush=True)
    for name, k in (("AUC", 0), ("caught", 1), ("flagged", 2)):
        values = [s[k] for s in summary]
        print(f"{name}: {statistics.mean(values):.3f} ± {statistics.stdev(values) if len(values) > 1 else 0:.3f}")


if __name__ == "__main__":
    main()
