"""Train the orientation check shipped in models/orientation-cnn on every film of ../shared/data/cxr3 (see
cxrdesk.orientation).

    python tools/train_orientation_model.py [--out models/orientation-cnn] [--seed 1] [--epochs 6]

Each source of cxr3 is held out in turn to choose the thresholds (what it found is printed and kept on the card),
then the network learns from all 1,489 films, each shown six ways. Mixed bfloat16 where the CPU has it (about
13 minutes on 2 cores), else float32 (about twice that).
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
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "orientation-cnn")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args()
    from cxrdesk.devices import cpu_has_bfloat16, cpu_name, use_cpu_in_process
    from cxrdesk.orientation import read_orientation_card, train_orientation_bundle

    use_cpu_in_process()
    with (DATA / "labels.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    started, mixed = time.perf_counter(), cpu_has_bfloat16()
    print(f"CPU: {cpu_name()}; {'mixed bfloat16' if mixed else 'float32'}; {len(rows)} films of cxr3", flush=True)
    train_orientation_bundle([DATA / r["filename"] for r in rows], [r["source_key"] for r in rows], args.out,
                             seed=args.seed, epochs=args.epochs, mixed=mixed,
                             data=f"../shared/data/cxr3 ({len(rows)} films, 5 sources), each shown six ways",
                             say=lambda line: print(line, flush=True))
    card = read_orientation_card(args.out)
    found = card["out_of_source"]
    print(f"thresholds: turned {card.turn_threshold:.3f}, mirrored {card.mirror_threshold:.3f}; out of source: "
          f"as taken refused {found['as_taken_refused']:.2%}, flagged {found['as_taken_flagged']:.2%}; mirrored "
          f"flagged {found['mirrored_flagged']:.1%}; turned refused "
          + ", ".join(f"{k} {v:.1%}" for k, v in found["turned_refused"].items())
          + f"; {time.perf_counter() - started:.0f} s")
    for source, v in found["per_source"].items():
        print(f"  {source}: as taken refused {v['as_taken_refused']:.1%} flagged {v['as_taken_flagged']:.1%}, "
              f"mirrored flagged {v['mirrored_flagged']:.0%}, turned refused "
              + "/".join(f"{x:.1%}" for x in v["turned_refused"].values()))


if __name__ == "__main__":
    main()
