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
    from cxrdesk.atomic import write_text
    from cxrdesk.bundle import read_card, signed_card_json
    from cxrdesk.errors import CxrdeskError
    from cxrdesk.evaluation import dataset_learned_from

    try:
        card = read_card(bundle)  # refuses a card edited by hand
        learned = dataset_learned_from(card, dataset_folder)
    except CxrdeskError as exc:
        print(exc, file=sys.stderr)
        return 1
    content = {k: v for k, v in card.items() if k != "card_sha256"}
    content["dataset"] = {**content["dataset"], **learned}
    write_text(Path(bundle) / "card.json", signed_card_json(content))
    print(f"{bundle}: learnt from {learned['learned_sources']} ({len(learned['learned_sha256'])} distinct image files)")
    return 0

if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
