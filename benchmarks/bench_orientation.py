"""How often the diagnosis guard refuses a film turned each way, and an upright one wrongly: every film of
../shared/data/cxr3 (or --limit N of them) upright, upside down, turned 180 degrees, rotated 90 degrees
either way and mirrored, through the same checks a diagnosis makes (the lung model's plausible pair of
lungs, then LungSegmenter.turned). Prints the share refused per turn and per source, the CPU and time.

    python benchmarks/bench_orientation.py [--limit N]
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cxrdesk.devices import cpu_name, use_cpu_in_process  # noqa: E402
from cxrdesk.imaging import read_grayscale  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "cxr3"
TURNED = {"upright": lambda a: a, "upside down": np.flipud, "turned 180": lambda a: np.rot90(a, 2),
          "rotated 90": np.rot90, "rotated 270": lambda a: np.rot90(a, 3), "mirrored": np.fliplr}


def refused(segmenter, pixels: np.ndarray) -> bool:
    """What Diagnoser.diagnose refuses for the lungs' sake: no plausible pair of lungs, or a turned film."""
    from cxrdesk.lungs import check_darker, probability_to_field

    height, width = pixels.shape
    lung_map = segmenter.probability(pixels)
    lungs = check_darker(pixels, probability_to_field(lung_map, width, height))
    if not lungs.plausible:
        return "lungs"
    return "turned" if segmenter.turned(pixels, given=lung_map) else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="this many films, drawn at random (seed 0)")
    args = parser.parse_args()
    use_cpu_in_process()
    from cxrdesk.lungs import load_lung_model

    segmenter = load_lung_model(onnx=True)  # as a diagnosis runs it (the same network as model.keras)
    files = sorted(DATA.glob("*/*.png"))
    if args.limit:
        random.Random(0).shuffle(files)
        files = files[: args.limit]
    counts, by_source, total = collections.Counter(), collections.defaultdict(collections.Counter), collections.Counter()
    by_turn_check = collections.Counter()  # refused by the turn check (the lungs themselves plausible)
    start = time.perf_counter()
    for path in files:
        pixels = read_grayscale(path).pixels
        source = path.name.split("__")[0]
        total[source] += 1
        for name, turn in TURNED.items():
            why = refused(segmenter, np.ascontiguousarray(turn(pixels)))
            if why:
                counts[name] += 1
                by_turn_check[name] += why == "turned"
                by_source[name][source] += 1
    seconds = time.perf_counter() - start
    print(f"CPU: {cpu_name()}; {segmenter.runtime}, float32; {len(files)} films of {DATA}; {seconds:.0f} s")
    print("refused by the diagnosis guard (no plausible lungs, or turned):")
    for name in TURNED:
        per = ", ".join(f"{s} {by_source[name][s]}/{n}" for s, n in sorted(total.items()))
        print(f"  {name:12s} {counts[name] / len(files):6.1%}   (turn check {by_turn_check[name] / len(files):.1%}; {per})")


if __name__ == "__main__":
    main()
