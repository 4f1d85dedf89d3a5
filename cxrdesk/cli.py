"""The command line: one thin sub-command per stage, over the same core functions as the GUI."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Callable, Sequence

from . import RESEARCH_NOTICE, __version__
from .classes import CLASSES
from .errors import CxrdeskError


class _Parser(argparse.ArgumentParser):
    """argparse, but a wrong argument is one line (plus a hint), not a usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned text table: first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        parts = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def progress_bar(description: str, enabled: bool = True) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A tqdm bar on stderr driven by (done, total) callbacks; returns (update, close)."""
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if not enabled:
            return
        if bar is None:
            bar = tqdm(total=total, desc=description, unit="img", file=sys.stderr, leave=False,
                       disable=None)  # disable=None: no bar when stderr is not a terminal
        bar.n = done
        bar.refresh()

    def close() -> None:
        if bar is not None:
            bar.close()

    return update, close


# ---------------------------------------------------------------------------------------- scan


def _add_scan_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("src", help="folder with one sub-folder per class (COVID, Tuberculosis, Normal...)")
    p.add_argument("--low", type=float, help="lowest mean intensity kept (0-255)")
    p.add_argument("--high", type=float, help="highest mean intensity kept (0-255)")
    p.add_argument("--preset", choices=["all", "study"],
                   help="named band: 'study' is the paper's 120-140, 'all' keeps every image")
    p.add_argument("--patient-pattern", metavar="REGEX",
                   help="regular expression whose first group in a file name is the patient id")
    p.add_argument("--workers", type=int, help="processes used to measure images (default: all cores)")
    p.add_argument("--no-cache", action="store_true", help="measure every image again")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")


def _band(args) -> tuple[float, float]:
    from .curation import PRESETS

    low, high = PRESETS[args.preset] if args.preset else PRESETS["all"]
    return (args.low if args.low is not None else low), (args.high if args.high is not None else high)


def _scan(args):
    from .scanning import scan_folder

    update, close = progress_bar("scanning", enabled=not args.json)
    try:
        return scan_folder(args.src, workers=args.workers, use_cache=not args.no_cache,
                           patient_pattern=args.patient_pattern, progress=update)
    finally:
        close()


def cmd_scan(args) -> int:
    from .curation import histograms, shortcut_check, threshold_counts

    scan = _scan(args)
    low, high = _band(args)
    counts = threshold_counts(scan, low, high)
    shortcut = shortcut_check(scan.records)
    stats = {}
    for name in CLASSES:
        means = scan.means[scan.label_index == CLASSES.index(name)]
        stats[name] = {"images": int(means.size),
                       "mean_intensity": round(float(means.mean()), 2) if means.size else None,
                       "sd_intensity": round(float(means.std()), 2) if means.size else None,
                       "kept": counts[name][0], "dropped": counts[name][1]}
    if args.json:
        edges, hist = histograms(scan, bins=32)
        print(json.dumps({
            "source": str(scan.root), "class_folders": scan.class_folders,
            "ignored_folders": scan.ignored_folders, "patient_groups": scan.group_source,
            "classes": stats, "band": [low, high],
            "unreadable": [vars(u) for u in scan.unreadable], "skipped": [vars(s) for s in scan.skipped],
            "histogram": {"edges": edges.tolist(), "counts": {k: v.tolist() for k, v in hist.items()}},
            "shortcut_check": shortcut.to_dict() if shortcut else None, "warnings": scan.warnings,
            "seconds": round(scan.seconds, 3), "from_cache": scan.from_cache}, indent=2))
        return 0
    print(f"Source: {scan.root}")
    print(f"Scanned {len(scan.records) + len(scan.unreadable)} images in {scan.seconds:.1f} s "
          f"({scan.from_cache} from cache)")
    print("Class folders: " + ", ".join(f"{f} -> {c}" for f, c in scan.class_folders.items()))
    for folder, why in scan.ignored_folders.items():
        print(f"Ignored folder: {folder} ({why})")
    print(f"Patient ids: {scan.group_source}")
    print()
    print(table(["class", "images", "mean intensity", "sd of means", f"kept [{low:g}-{high:g}]", "dropped"],
                [[c, s["images"], s["mean_intensity"], s["sd_intensity"], s["kept"], s["dropped"]]
                 for c, s in stats.items()]))
    _print_problems(scan)
    if shortcut:
        print()
        print(shortcut.verdict())
    return 0


def _print_problems(scan) -> None:
    for label, items in (("Unreadable", scan.unreadable), ("Skipped (not an image)", scan.skipped)):
        if items:
            print(f"\n{label}: {len(items)}")
            for item in items[:10]:
                print(f"  {item.path}: {item.reason}")
            if len(items) > 10:
                print(f"  ... and {len(items) - 10} more (all are listed with --json)")
    for warning in scan.warnings:
        print(f"\nWarning: {warning}")


# -------------------------------------------------------------------------------------- curate


def cmd_curate(args) -> int:
    from .curation import CurationSettings, plan_curation
    from .dataset import export_dataset

    low, high = _band(args)
    settings = CurationSettings(low=low, high=high, balance=not args.no_balance, val=args.val,
                                test=args.test, seed=args.seed)
    scan = _scan(args)
    plan = plan_curation(scan, settings)
    layout = "link" if args.link else "copy" if args.copy else "manifest"
    update, close = progress_bar("writing", enabled=not args.json)
    try:
        out = export_dataset(plan, args.out, layout=layout, force=args.force, progress=update)
    finally:
        close()
    from .dataset import load_dataset

    description = load_dataset(out).description
    if args.json:
        print(json.dumps({"dataset": str(out), **description}, indent=2))
        return 0
    counts = description["counts"]
    print(f"Curated dataset written to {out} ({layout})")
    print(f"Band [{low:g}, {high:g}], seed {settings.seed}, balance {'on' if settings.balance else 'off'}, "
          f"validation {settings.val:.0%} of non-test, test {settings.test:.0%}")
    print()
    print(table(["class", *[s for s in counts], "total"],
                [[c, *[counts[s][c] for s in counts], sum(counts[s][c] for s in counts)] for c in CLASSES]))
    for note in plan.notes:
        print(f"Note: {note}")
    _print_problems(scan)
    if description.get("shortcut_check"):
        print()
        print(description["shortcut_check"]["verdict"])
    return 0


# ---------------------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cxrdesk", description="Chest radiograph research tool: curate, train, diagnose. "
                     + RESEARCH_NOTICE)
    parser.add_argument("--version", action="version", version=f"cxrdesk {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    p = sub.add_parser("scan", help="classify and measure a folder of radiographs; report problems")
    _add_scan_options(p)
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("curate", help="threshold, balance and split a folder into a curated dataset")
    _add_scan_options(p)
    p.add_argument("--out", required=True, help="folder to write the curated dataset to (must not exist)")
    p.add_argument("--seed", type=int, default=42, help="seed for balancing and splitting (default 42)")
    p.add_argument("--val", type=float, default=0.2, help="validation share of non-test images (default 0.2)")
    p.add_argument("--test", type=float, default=0.1, help="test share of all kept images (default 0.1)")
    p.add_argument("--no-balance", action="store_true", help="keep every class's images (no balancing)")
    p.add_argument("--balance", dest="no_balance", action="store_false",
                   help="reduce every class to the smallest one (default)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--link", action="store_true", help="also lay out a folder tree of hard links")
    mode.add_argument("--copy", action="store_true", help="also lay out a folder tree of copies")
    p.add_argument("--force", action="store_true", help="replace an existing curated dataset at --out")
    p.set_defaults(func=cmd_curate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except CxrdeskError as exc:
        print(f"cxrdesk: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cxrdesk: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
