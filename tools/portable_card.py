"""Make a bundle fit to ship: no temporary or machine path left in its card or its crossval summary.

Paths under a temporary folder (``/tmp/tmp.XXXX/demo-dataset``) become ``<temporary folder>/demo-dataset``;
paths beside the repository (``/work/shared/data/cxr3``) become relative to it (``../shared/data/cxr3``),
as the README writes them; any other absolute path keeps only its last two parts after ``<elsewhere>/``. The
card is re-signed through the one card writer; the model file is untouched. ``make_demo_model.sh`` runs
this last; the demo's test checks that no absolute path is left.

    python tools/portable_card.py MODEL_BUNDLE
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEMPORARY = re.compile(re.escape(tempfile.gettempdir().rstrip("/")) + r"/(?:(?:tmp|pytest-)[^/\s]*/)?")
BESIDE = re.compile(re.escape(str(ROOT.parent)) + r"/")
ELSEWHERE = re.compile(r"(?<![\w.<>])/(?:[^/\s'\"]+/)+(?=[^/\s'\"]+/[^/\s'\"]+)")


def portable(text: str) -> str:
    """``text`` with temporary and machine paths replaced (see the module's docstring)."""
    text = TEMPORARY.sub("<temporary folder>/", text)
    text = BESIDE.sub("../", text)
    return ELSEWHERE.sub("<elsewhere>/", text)


def _walk(value):
    if isinstance(value, str):
        return portable(value)
    if isinstance(value, list):
        return [_walk(v) for v in value]
    if isinstance(value, dict):
        return {k: _walk(v) for k, v in value.items()}
    return value


def main(bundle: str) -> int:
    from cxrdesk.atomic import write_text
    from cxrdesk.bundle import amend_card
    from cxrdesk.errors import CxrdeskError
    from cxrdesk.estimate import CROSSVAL_FOLDER, SUMMARY

    def change(card: dict) -> None:
        clean = _walk(card)
        card.clear()
        card.update(clean)

    try:
        amend_card(bundle, change)
    except (CxrdeskError, OSError) as exc:
        print(exc, file=sys.stderr)
        return 1
    summary = Path(bundle) / CROSSVAL_FOLDER / SUMMARY
    if summary.is_file():
        write_text(summary, json.dumps(_walk(json.loads(summary.read_text(encoding="utf-8"))), indent=2))
    print(f"{bundle}: no temporary or machine path left in its card" + (" or crossval summary" if summary.is_file() else ""))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
