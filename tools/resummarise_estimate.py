"""Make a model's estimate for a new hospital again from the out-of-source predictions it ships with
(``MODEL/crossval/predictions.csv``), after the way they are summarised or calibrated has changed: its card's
``expected_at_new_hospital`` and calibration, and ``crossval/summary.json``, are written by the current
code, exactly as a new ``cxrdesk crossval`` would write them from the same predictions. No training.

    python tools/resummarise_estimate.py MODEL_BUNDLE
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(bundle: str) -> int:
    from cxrdesk.errors import CxrdeskError
    from cxrdesk.estimate import resummarise

    try:
        summary = resummarise(bundle)
    except (CxrdeskError, OSError) as exc:
        print(exc, file=sys.stderr)
        return 1
    e = summary["expected_at_new_hospital"]
    print(f"{bundle}: expected at a hospital it never saw {e['accuracy']:.1%} (calibration error {e['ece']:.3f}, "
          f"{e['calibration_form']}); answered {e['coverage']:.0%}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
