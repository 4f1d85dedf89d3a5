#!/usr/bin/env bash
# The demonstration model shipped in models/: the study's custom CNN at 64 px, trained with the recipe
# that measured best on hospitals never seen in benchmarks/bench_generalisation.py ('lungs': the study's
# augmentation on the lungs only; see the README), on ../shared/data/cxr3 with the Shenzhen hospital held
# out, so that its card carries a figure on a hospital it never saw beside the internal one. Run from the
# repository root; OUT=folder writes the bundle elsewhere than models/ (cxrdesk refuses to overwrite one).
set -euo pipefail
cxrdesk=${CXRDESK:-.venv/bin/cxrdesk}
work=$(mktemp -d)
out=${OUT:-models}
trap 'rm -rf "$work"' EXIT
"$cxrdesk" curate ../shared/data/cxr3 --out "$work/demo-dataset" --holdout-source shenzhen128
"$cxrdesk" train "$work/demo-dataset" --model custom --recipe lungs --image-size 64 --batch-size 32 \
  --epochs 40 --early-stopping 8 --seed 42 --out "$out" --name demo-custom-64 --demo
"$cxrdesk" evaluate "$work/demo-dataset" --model "$out/demo-custom-64"   # the held-out hospital, into the card
