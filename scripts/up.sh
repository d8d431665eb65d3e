#!/usr/bin/env bash
# Install fiscalhub into .venv and start the whole product on its embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
exec .venv/bin/fiscalhub up "$@"
