"""The command line: one module per command group, each declaring its own options, over the same core
functions as the GUI (``cxrdesk --help`` lists the commands)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from .. import RESEARCH_NOTICE, __version__
from ..errors import CxrdeskError
from . import app, crossval, data, diagnose, evaluate, export, train
from .common import Parser, progress_bar, table

__all__ = ["build_parser", "main", "progress_bar", "table"]


def build_parser() -> argparse.ArgumentParser:
    """The commands; every choice comes from a registry and every default from a config dataclass."""
    parser = Parser(prog="cxrdesk", description="Chest radiograph research tool: curate, train, diagnose. "
                    + RESEARCH_NOTICE)
    parser.add_argument("--version", action="version", version=f"cxrdesk {__version__}")
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's own log lines (hidden by default)")
    parser.add_argument("--max-pixels", type=int, metavar="N",
                        help="read images of up to N pixels (default 80 million; larger ones are refused as possible "
                             "decompression bombs)")
    sub = parser.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND")
    for register in (app.register, data.register, train.register, crossval.register, train.register_runs,
                     evaluate.register, app.register_lungs, diagnose.register, export.register):  # the order --help lists them in
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verbose:
        os.environ["CXRDESK_DEBUG"] = "1"
    if args.max_pixels:
        os.environ["CXRDESK_MAX_PIXELS"] = str(args.max_pixels)  # worker processes inherit it
    if not getattr(args, "func", None):
        args = parser.parse_args(["gui"])
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
