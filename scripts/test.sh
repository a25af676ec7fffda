#!/usr/bin/env bash
# The test command of README.md: dev extras, a browser for the browser test, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
pip install -q -r requirements-dev.txt
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser test"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "could not install chromium: the browser test will be skipped"
  else
    echo "chromium not found and not root: the browser test will be skipped"
  fi
fi
exec python -m pytest "$@"
