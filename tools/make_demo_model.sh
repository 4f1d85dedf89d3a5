#!/usr/bin/env bash
# The demonstration model shipped in models/: the study's custom CNN at 64 px trained with the robust
# recipe (lung field, intensity augmentation, class x source balance, early stopping) on
# ../shared/data/cxr3 with the Shenzhen hospital held out, so that its card carries a figure on a
# hospital it never saw beside the internal one. Run from the repository root with the project's venv.
set -euo pipefail
cxrdesk=${CXRDESK:-.venv/bin/cxrdesk}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cxrdesk" curate ../shared/data/cxr3 --out "$work/demo-dataset" --holdout-source shenzhen128
"$cxrdesk" train "$work/demo-dataset" --model custom --recipe robust --image-size 64 --batch-size 32 \
  --epochs 60 --seed 42 --out models --name demo-robust-64 --demo
"$cxrdesk" evaluate "$work/demo-dataset" --model models/demo-robust-64   # the held-out hospital, into the card
