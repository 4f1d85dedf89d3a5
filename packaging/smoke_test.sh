#!/usr/bin/env bash
# Smoke test of a built application folder: it starts headless, reports its version, diagnoses a
# sample radiograph with the bundled demo model, and exits 0.
set -euo pipefail
app=${1:-dist/cxrdesk}
here=$(cd "$(dirname "$0")/.." && pwd)
samples=("$here"/../shared/data/cxr3/tuberculosis/*.png)
sample=${SAMPLE:-${samples[0]}}
if [ ! -f "$sample" ]; then
  echo "smoke test: no sample radiograph (set SAMPLE=path/to/radiograph.png)" >&2
  exit 2
fi
export QT_QPA_PLATFORM=offscreen
cd "$(mktemp -d)"   # no ./models here: the demo model must be found inside the application
"$here/$app/cxrdesk" --version
start=$(date +%s)
"$here/$app/cxrdesk" diagnose "$sample"
echo "smoke test passed: diagnosed $(basename "$sample") in $(( $(date +%s) - start )) s"
