"""Train the side check shipped in models/side-cnn on every film of ../shared/data/cxr3 (see cxrdesk.side).

    python tools/train_side_model.py [--out models/side-cnn] [--seed 1] [--epochs 8]

Each source of cxr3 is held out in turn to choose the threshold (what it found is printed and kept on the card),
then the network learns from all 1,489 films, each as given and mirrored. About 10 minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "cxr3"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "side-cnn")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    from cxrdesk.devices import cpu_name, use_cpu_in_process
    from cxrdesk.side import read_side_card, train_side_bundle

    use_cpu_in_process()
    with (DATA / "labels.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    started = time.perf_counter()
    print(f"CPU: {cpu_name()}; float32; {len(rows)} films of cxr3", flush=True)
    train_side_bundle([DATA / r["filename"] for r in rows], [r["source_key"] for r in rows], args.out, seed=args.seed,
                      epochs=args.epochs, data=f"../shared/data/cxr3 ({len(rows)} films, 5 sources), each as given "
                                              "and mirrored left to right",
                      say=lambda line: print(line, flush=True))
    found = read_side_card(args.out)["out_of_source"]
    print(f"threshold {read_side_card(args.out).threshold:.3f}; out of source: mirrored caught "
          f"{found['mirrored_caught']:.1%}, films as given flagged {found['as_given_flagged']:.1%}; "
          + ", ".join(f"{s} {v['mirrored_caught']:.0%}/{v['as_given_flagged']:.0%}" for s, v in found["per_source"].items())
          + f"; {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
