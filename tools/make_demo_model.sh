#!/usr/bin/env bash
# The demonstration model shipped in models/: the study's custom CNN at 64 px with the default recipe
# ('lungs': the study's augmentation on the lungs only), trained on every source of ../shared/data/cxr3.
# Its headline is what a hospital it never saw can expect: `cxrdesk crossval` trains one model per source
# held out, calibrates on their out-of-source predictions and chooses the "uncertain" threshold there, then
# trains this model on every source with the same settings (see cxrdesk/crossval.py). Then two figures
# beside it: the random test split of its own hospitals, and the one hospital here it never saw at all
# (the 93 healthy JSRT films of ../shared/data/lungs). Run from the repository root; OUT=folder writes the
# bundle elsewhere than models/ (cxrdesk refuses to overwrite one). About 1-2 hours on a 2-core CPU.
set -euo pipefail
cxrdesk=${CXRDESK:-.venv/bin/cxrdesk}
work=$(mktemp -d)
out=${OUT:-models}
trap 'rm -rf "$work"' EXIT
if [ -e "$out/demo-custom-64" ]; then echo "$out/demo-custom-64 exists: move it away first" >&2; exit 1; fi
"$cxrdesk" curate ../shared/data/cxr3 --out "$work/demo-dataset"
"$cxrdesk" crossval "$work/demo-dataset" --model custom --recipe lungs --image-size 64 --batch-size 32 \
  --epochs 40 --early-stopping 8 --seed 42 --out "$work/models" --name demo-custom-64 --demo
"$cxrdesk" evaluate "$work/demo-dataset" --model "$work/models/demo-custom-64" --record   # the random test split, into the card
mkdir -p "$work/jsrt/Normal"
awk -F, '$1 == "jsrt" && $4 == "no_nodule" {print $2}' ../shared/data/lungs/pairs.csv | while read -r image; do
  ln -s "$PWD/../shared/data/lungs/$image" "$work/jsrt/Normal/jsrt__$(basename "$image")"
done
"$cxrdesk" evaluate "$work/jsrt" --model "$work/models/demo-custom-64" --record   # a hospital it never saw: healthy films only
.venv/bin/python tools/portable_card.py "$work/models/demo-custom-64"   # no temporary or machine path in it
# the shipped demo model is never changed once in models/ (evaluate --record refuses it): made whole, then moved
mkdir -p "$out" && mv "$work/models/demo-custom-64" "$out/demo-custom-64"
