#!/usr/bin/env bash
# Install fiscalhub with its test extra into .venv and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# The dashboard's browser tests drive the system Chromium (Debian's package; Playwright is
# never allowed to download a browser of its own).
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
exec .venv/bin/python -m pytest "$@"
