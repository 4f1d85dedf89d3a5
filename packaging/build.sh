#!/usr/bin/env bash
# Build the self-contained Linux application folder dist/cxrdesk/ with PyInstaller, then smoke-test it.
# Usage: bash packaging/build.sh      (uses .venv, made by the README's first command)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
"$PY" -m pip install --quiet "pyinstaller>=6.10"
rm -rf build/pyinstaller dist/cxrdesk
start=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
    packaging/cxrdesk.spec
cp packaging/cxrdesk.desktop resources/icons/cxrdesk.png dist/cxrdesk/
echo "build: $(( $(date +%s) - start )) s, size: $(du -sh dist/cxrdesk | cut -f1)"
bash packaging/smoke_test.sh dist/cxrdesk
