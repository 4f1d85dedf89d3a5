"""Where the lung model and the hand-drawn masks disagree, by group and by source: is it the model, or the
masks' geometry?

Run: python benchmarks/lung_mask_agreement.py [--model models/lungs-unet] [--all]

For the shipped model's test patients (``--all``: every pair; the model trained on the others), per
group - and per source inside the COVID-19 group, whose masks come from one annotation project over two
collections - it prints: Dice as the card measures it; the width and height of the hand-drawn mask's
bounding box over the model's (1.00: same extent); and Dice after the best stretch of the *hand-drawn*
mask alone (width x0.85-1.40, height x0.80-1.20 about its centre). A mask whose Dice jumps under a plain
stretch was drawn to another geometry (registered to another version of the image, or to another
protocol); a model error would not be undone by stretching the truth. A stretch always gains a little
(two free parameters): compare a source's gain with the others'.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "lungs"
WIDTHS = np.arange(0.85, 1.401, 0.05)
HEIGHTS = np.arange(0.80, 1.201, 0.05)


def stretched(mask: np.ndarray, sx: float, sy: float) -> np.ndarray:
    """The mask stretched by ``sx`` across and ``sy`` down about its own centre of mass."""
    from scipy import ndimage

    rows, cols = np.nonzero(mask)
    cy, cx = rows.mean(), cols.mean()
    out = ndimage.affine_transform(mask.astype(np.float32), [1.0 / sy, 1.0 / sx],
                                   offset=[cy - cy / sy, cx - cx / sx], order=1)
    return out > 0.5


def extent(mask: np.ndarray) -> tuple[int, int]:
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    return cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="lung model bundle (default: the shipped one)")
    parser.add_argument("--all", action="store_true", help="every pair, not only the test patients")
    args = parser.parse_args()
    if not (DATA / "pairs.csv").is_file():
        raise SystemExit(f"{DATA} not found: this script reads ../shared/data/lungs")

    from PIL import Image

    from cxrdesk.devices import cpu_name, use_cpu_in_process
    from cxrdesk.imaging import read_grayscale
    from cxrdesk.lungs import load_lung_model
    from cxrdesk.lungs.training import dice, load_pairs, split_test

    use_cpu_in_process()
    segmenter = load_lung_model(args.model)
    pairs = load_pairs(DATA)
    share = float((segmenter.card.get("training") or {}).get("test_share", 0.15))
    tested = pairs if args.all else split_test(pairs, share)[1]
    print(f"CPU: {cpu_name()}; model {segmenter.card.get('name')} (float32); "
          f"{'every pair' if args.all else f'its test patients ({share:.0%} of each group)'}: {len(tested)} images\n")
    rows: dict[str, list[tuple[float, float, float, float]]] = {}
    for pair in tested:
        pixels = read_grayscale(pair.image).pixels
        truth = np.asarray(Image.open(pair.mask).convert("L")) > 127
        found = segmenter.segment(pixels).mask > 0
        if not truth.any() or not found.any():
            continue
        (tw, th), (fw, fh) = extent(truth), extent(found)
        best = max(dice(found, stretched(truth, sx, sy)) for sx in WIDTHS for sy in HEIGHTS)
        key = pair.group if pair.group != "covid" else f"covid: {pair.image.name.split('__')[0]}"
        for name in {pair.group, key}:
            rows.setdefault(name, []).append((dice(found, truth), tw / fw, th / fh, best))
    header = (f"{'group / source':<20}{'images':>7}{'Dice':>7}{'median':>8}{'width ratio':>18}{'height ratio':>18}"
              f"{'stretched':>11}")
    print(header)
    print("-" * len(header))
    for name in sorted(rows):
        values = np.array(rows[name])
        ratios = [f"{np.median(values[:, k]):.2f} (p10 {np.percentile(values[:, k], 10):.2f})" for k in (1, 2)]
        print(f"{name:<20}{len(values):>7}{values[:, 0].mean():>7.3f}{np.median(values[:, 0]):>8.3f}"
              f"{ratios[0]:>18}{ratios[1]:>18}{values[:, 3].mean():>11.3f}")
    print("\nwidth/height ratio: the hand-drawn mask's bounding box over the model's (median, 10th percentile);"
          "\nstretched: mean Dice after the best stretch of the hand-drawn mask alone")

if __name__ == "__main__":
    main()
