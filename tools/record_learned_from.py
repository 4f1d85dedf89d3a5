"""Add to an older model's card what it learnt from (sources and a short hash of each training and
validation image file), read from the curated dataset it was trained on - only if that dataset's manifest
is the very one the card names (same SHA-256). Evaluations then tell whether a folder is really from a
hospital, and of images, the model never saw. The card is re-signed; the model file is untouched.

    python tools/record_learned_from.py MODEL_BUNDLE CURATED_DATASET
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(bundle: str, dataset_folder: str) -> int:
    from cxrdesk.atomic import write_text
    from cxrdesk.bundle import learned_from, read_card, signed_card_json
    from cxrdesk.dataset import load_dataset

    card = read_card(bundle)  # refuses a card edited by hand
    dataset = load_dataset(dataset_folder)
    if dataset.manifest_sha256 != card.dataset.get("manifest_sha256"):
        print(f"{dataset_folder} is not the dataset {bundle} was trained on (manifest "
              f"{dataset.manifest_sha256[:12]}, card {str(card.dataset.get('manifest_sha256'))[:12]})", file=sys.stderr)
        return 1
    content = {k: v for k, v in card.items() if k != "card_sha256"}
    content["dataset"] = {**content["dataset"], **learned_from(dataset.split("train") + dataset.split("val"))}
    write_text(Path(bundle) / "card.json", signed_card_json(content))
    print(f"{bundle}: learnt from {content['dataset']['learned_sources']} "
          f"({len(content['dataset']['learned_sha256'])} distinct image files)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
