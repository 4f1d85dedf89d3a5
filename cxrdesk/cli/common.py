"""What every command shares: the argument parser, plain text tables, progress bars, durations and the
handling of Ctrl-C while a run goes on."""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from tqdm import tqdm


class Parser(argparse.ArgumentParser):
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


def duration(seconds: float) -> str:
    """'1 h 05 min' or '3 min 07 s'."""
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


class Interrupted:
    """Counts SIGINT (Ctrl-C) and SIGTERM instead of raising where they land: the training loop looks
    at the count between events, so a signal never cuts a message or a bundle in half. Remembers the
    exit code (130 for SIGINT, 143 for SIGTERM)."""

    def __init__(self):
        self.count = 0
        self.exit_code = 130

    def __call__(self, signum, frame):
        self.count += 1
        self.exit_code = 128 + signum
