"""Peak memory of reading a 400-megapixel film (allowed with --max-pixels), reduced as read against whole.

Run: python benchmarks/bench_huge_image.py [--side 20000]
Writes a side x side 8-bit film as PNG and as JPEG (a smooth gradient with texture, in a temporary
folder), then reads each with cxrdesk.imaging.read_grayscale in a fresh process, twice: as CXRDesk reads
it (reduced to at most READ_SIDE a side while or right after decoding) and with the reduction switched
off (READ_SIDE set above the film's size: every conversion copies it whole). Prints each process's peak
resident memory (VmHWM) and time, and the ratio.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

READER = """
import json, sys, time
import cxrdesk.imaging as imaging
def peak_kb():  # this process's own peak (getrusage's carries the parent's over exec)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
if sys.argv[2] == "whole":
    imaging.READ_SIDE = 10 ** 9
started = time.perf_counter()
pixels = imaging.read_grayscale(sys.argv[1]).pixels
print(json.dumps({"seconds": time.perf_counter() - started, "shape": list(pixels.shape),
                  "peak_mb": peak_kb() / 1024}))
"""


def write_film(folder: Path, side: int) -> list[Path]:
    import numpy as np
    from PIL import Image

    rows = np.linspace(0, 200, side, dtype=np.float32)[:, None]
    texture = np.random.default_rng(0).integers(0, 40, (1, side), dtype=np.uint8)
    film = Image.fromarray((rows + texture).astype(np.uint8))
    paths = [folder / "film.png", folder / "film.jpg"]
    film.save(paths[0], compress_level=1)
    film.save(paths[1], quality=90)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=20000)
    args = parser.parse_args()
    from cxrdesk.devices import cpu_name

    env = {"CXRDESK_MAX_PIXELS": str(args.side * args.side), "PATH": "/usr/bin:/bin"}
    print(f"CPU: {cpu_name()}; a {args.side}x{args.side} film ({args.side ** 2 / 1e6:.0f} megapixels, 8-bit)")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        films = write_film(Path(tmp), args.side)
        print(f"written in {time.perf_counter() - started:.0f} s: "
              + ", ".join(f"{p.name} {p.stat().st_size / 1e6:.0f} MB" for p in films))
        print(f"{'file':<10}{'read':<9}{'peak MB':>9}{'seconds':>9}  shape")
        for film in films:
            peaks = {}
            for how in ("reduced", "whole"):
                out = subprocess.run([sys.executable, "-c", READER, str(film), how], capture_output=True, text=True,
                                     cwd=ROOT, env=env, check=True)
                r = json.loads(out.stdout.strip().splitlines()[-1])
                peaks[how] = r["peak_mb"]
                print(f"{film.name:<10}{how:<9}{r['peak_mb']:>9.0f}{r['seconds']:>9.1f}  {r['shape']}", flush=True)
            print(f"{film.name:<10}{'ratio':<9}{peaks['reduced'] / peaks['whole']:>9.2f}")


if __name__ == "__main__":
    main()
