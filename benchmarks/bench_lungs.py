"""Lung model latency on the CPU, warm, per image: the network alone at its input size, and the whole
`segment` a user gets (resize inside the model, upsampling to the image's size, two largest regions,
plausibility) on real radiographs of their own sizes.

Run: python benchmarks/bench_lungs.py [--model models/lungs-unet]
Target: the network alone <= 30 ms per image at its input size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"


def median_ms(fn, runs: int) -> float:
    fn()  # warm-up (tracing)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="lung model bundle (default: the shipped one)")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    from cxrdesk.devices import cpu_has_bfloat16, cpu_name, use_cpu_in_process

    tf = use_cpu_in_process()
    import numpy as np

    from cxrdesk.imaging import read_grayscale
    from cxrdesk.lungs import load_lung_model

    segmenter = load_lung_model(args.model)
    size = segmenter.card["input_size"]
    print(f"CPU: {cpu_name()} (native bfloat16: {cpu_has_bfloat16()}); precision: float32 (bundles are float32); "
          f"TensorFlow {tf.__version__}; {tf.config.threading.get_intra_op_parallelism_threads() or 'all'} threads")
    print(f"lung model {segmenter.folder.name}: input {size} px, "
          f"{segmenter.model.count_params():,} parameters")
    square = np.asarray(read_grayscale(sorted((DATA / "lungs" / "jsrt" / "images").glob("*.png"))[0]).pixels)
    from PIL import Image

    at_input = np.asarray(Image.fromarray(square).resize((size, size)))
    print(f"network alone, {size} x {size} image:        {median_ms(lambda: segmenter.probability(at_input), args.runs):7.1f} ms")
    images = [read_grayscale(p).pixels for p in sorted((DATA / "cxr3" / "normal").glob("*.png"))[::50][:8]]
    images += [read_grayscale(p).pixels for p in sorted((DATA / "dicom").glob("*.dcm"))]
    for pixels in images[-4:]:
        ms = median_ms(lambda: segmenter.segment(pixels), max(args.runs // 3, 5))
        print(f"segment(), {pixels.shape[1]:>4} x {pixels.shape[0]:<4} image:       {ms:7.1f} ms")


if __name__ == "__main__":
    main()
