"""How often the diagnosis guard refuses a film turned each way, and an upright one wrongly: every film of
../shared/data/cxr3 (or --limit N of them) upright, upside down, turned 180 degrees, rotated 90 degrees
either way and mirrored, through the same checks a diagnosis makes: the orientation check (cxrdesk.orientation,
shipped in models/orientation-cnn), then the lung model's plausible pair of lungs; with ``--check lungs``, as a
diagnosis does where there is no orientation check: the plausible pair of lungs, then LungSegmenter.turned.
Prints the share refused per turn and per source (and, with the orientation check, the share said mirrored),
the CPU and time. The shipped orientation check learnt from these very films: its figures on sources it never
saw are on its card (and printed here from it).

    python benchmarks/bench_orientation.py [--limit N] [--check orientation|lungs]
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


def refused(segmenter, orientation, pixels: np.ndarray) -> str:
    """What Diagnoser.diagnose refuses for the film's way round and its lungs: 'turned', 'lungs', or '' (or
    'mirrored': not refused, said)."""
    from cxrdesk.lungs import check_darker, probability_to_field

    seen = orientation.look(pixels) if orientation is not None else None
    if seen is not None and seen.turned:
        return "turned"
    height, width = pixels.shape
    lung_map = segmenter.probability(pixels)
    lungs = check_darker(pixels, probability_to_field(lung_map, width, height))
    if not lungs.plausible:
        return "lungs"
    if orientation is None:
        return "turned" if segmenter.turned(pixels, given=lung_map) else ""
    return "mirrored" if seen.mirrored is not None else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="this many films, drawn at random (seed 0)")
    parser.add_argument("--check", choices=("orientation", "lungs"), default="orientation",
                        help="the turn checked by the orientation network (as shipped) or by the lung model")
    args = parser.parse_args()
    use_cpu_in_process()
    from cxrdesk.lungs import load_lung_model
    from cxrdesk.orientation import ORIENTATION_BUNDLE, OrientationCheck

    segmenter = load_lung_model(onnx=True)  # as a diagnosis runs it (the same network as model.keras)
    orientation = OrientationCheck(ORIENTATION_BUNDLE) if args.check == "orientation" else None
    files = sorted(DATA.glob("*/*.png"))
    if args.limit:
        random.Random(0).shuffle(files)
        files = files[: args.limit]
    counts, by_source, total = collections.Counter(), collections.defaultdict(collections.Counter), collections.Counter()
    by_turn_check, said = collections.Counter(), collections.Counter()  # refused as turned (not for the lungs); said
    start = time.perf_counter()
    for path in files:
        pixels = read_grayscale(path).pixels
        source = path.name.split("__")[0]
        total[source] += 1
        for name, turn in TURNED.items():
            why = refused(segmenter, orientation, np.ascontiguousarray(turn(pixels)))
            said[name] += why == "mirrored"
            if why in ("turned", "lungs"):
                counts[name] += 1
                by_turn_check[name] += why == "turned"
                by_source[name][source] += 1
    seconds = time.perf_counter() - start
    print(f"CPU: {cpu_name()}; {segmenter.runtime}, float32; {len(files)} films of {DATA}; turn checked by the "
          f"{args.check} {'network' if orientation else 'model'}; {seconds:.0f} s")
    print("refused by the diagnosis guard (turned, or no plausible lungs):")
    for name in TURNED:
        per = ", ".join(f"{s} {by_source[name][s]}/{n}" for s, n in sorted(total.items()))
        mirrored = f"; said mirrored {said[name] / len(files):.1%}" if orientation else ""
        print(f"  {name:12s} {counts[name] / len(files):6.1%}   (as turned {by_turn_check[name] / len(files):.1%}"
              f"{mirrored}; {per})")
    if orientation:
        found = orientation.card["out_of_source"]
        print("the orientation check on sources it never saw (its card): films as taken refused "
              f"{found['as_taken_refused']:.2%}, said mirrored {found['as_taken_flagged']:.2%}; mirrored said "
              f"{found['mirrored_flagged']:.1%}; refused " + ", ".join(f"{k} {v:.1%}"
                                                                      for k, v in found["turned_refused"].items()))


if __name__ == "__main__":
    main()
