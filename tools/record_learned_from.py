"""Add to an older model's card what it learnt from (sources and a short hash of each training and
validation image file), read from the curated dataset it was trained on - only if that dataset's manifest
is the very one the card names (same SHA-256). Evaluations then tell whether a folder is really from a
hospital, and of images, the model never saw. The card is re-signed; the model file is untouched.

    python tools/record_learned_from.py MODEL_BUNDLE CURATED_DATASET
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(bundle: str, dataset_folder: str) -> int:
    from cxrdesk.bundle import amend_card, read_card
    from cxrdesk.errors import CxrdeskError
    from cxrdesk.evaluation import dataset_learned_from

    try:
        learned = dataset_learned_from(read_card(bundle), dataset_folder)  # read_card refuses a card edited by hand
        amend_card(bundle, lambda card: card.update(dataset={**card["dataset"], **learned}))
    except CxrdeskError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{bundle}: learnt from {learned['learned_sources']} ({len(learned['learned_sha256'])} distinct image files)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
