"""The orientation check measured as it is trained, over seeds: leave one source out.

Run: python benchmarks/bench_orientation_probe.py [--size 128] [--epochs 6] [--seeds 1,2,3]

Every film of ../shared/data/cxr3 shown six ways (as taken, mirrored, upside down, rotated 180 degrees, turned
a quarter either way: labels that cost nothing) at ``size`` px; for each source held out in turn the network of
:mod:`cxrdesk.orientation` learns on the other sources and scores the held-out one shown every way. Per seed, at
the thresholds the shipped card's rules choose on those out-of-source scores (films as taken refused at most
0.5 %, turn threshold at least 0.5; mirrored flagged on 1 % of the films as taken), printed: the films as taken
refused and flagged, each turned way refused, mirrored films flagged, the AUC of mirrored against as taken, per
source; then mean and spread over the seeds. Prints the CPU and the precision (mixed bfloat16 where the CPU has
it, as tools/train_orientation_model.py trains).
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
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seeds", default="1,2,3")
    args = parser.parse_args()
    from sklearn.metrics import roc_auc_score

    from cxrdesk.devices import cpu_has_bfloat16, cpu_name, use_cpu_in_process
    from cxrdesk.orientation import found, out_of_source, thresholds, thumbnails

    use_cpu_in_process()
    rows = films()
    sources = np.array([r["source"] for r in rows])
    started, mixed = time.perf_counter(), cpu_has_bfloat16()
    x = thumbnails([r["file"] for r in rows], args.size)
    print(f"CPU: {cpu_name()}; {'mixed bfloat16' if mixed else 'float32'}; {len(rows)} films of cxr3 at {args.size} "
          f"px ({time.perf_counter() - started:.0f} s to read)", flush=True)
    summary = []
    for seed in (int(s) for s in args.seeds.split(",")):
        started = time.perf_counter()
        scores = out_of_source(x, sources, seed, args.epochs, mixed, say=lambda line: print(line, flush=True))
        turn, mirror = thresholds(scores)
        every = found(scores, turn, mirror)
        auc = float(roc_auc_score(np.r_[np.zeros(len(x)), np.ones(len(x))], np.r_[scores[0, :, 1], scores[1, :, 1]]))
        summary.append({"as taken refused": every["as_taken_refused"], "as taken flagged": every["as_taken_flagged"],
                        "mirrored flagged": every["mirrored_flagged"], "mirrored AUC": auc,
                        **{f"{way} refused": share for way, share in every["turned_refused"].items()}})
        print(f"seed {seed}: thresholds turned {turn:.3f}, mirrored {mirror:.3f}; "
              + ", ".join(f"{k} {v:.3f}" for k, v in summary[-1].items())
              + f"; {time.perf_counter() - started:.0f} s", flush=True)
        for source in sorted(set(sources)):
            v = found(scores[:, sources == source], turn, mirror)
            print(f"  {source}: as taken refused {v['as_taken_refused']:.1%} flagged {v['as_taken_flagged']:.1%}, "
                  f"mirrored flagged {v['mirrored_flagged']:.0%}, turned refused "
                  + "/".join(f"{share:.1%}" for share in v["turned_refused"].values()), flush=True)
    for key in summary[0]:
        values = [s[key] for s in summary]
        print(f"{key}: {statistics.mean(values):.4f} ± {statistics.stdev(values) if len(values) > 1 else 0:.4f}")


if __name__ == "__main__":
    main()
