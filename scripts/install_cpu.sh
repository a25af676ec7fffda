#!/usr/bin/env bash
# Install the project with PyTorch's CPU build, from PyTorch's CPU wheel index (the Dockerfile's way).
#   bash scripts/install_cpu.sh                       # into the active Python environment
#   TORCH_CPU_INDEX=URL bash scripts/install_cpu.sh   # a mirror of that index
# The index is checked first: where it cannot be reached, pip would quietly fall back to PyPI's
# CUDA build (about 6 GB), so this stops within seconds and says what to do instead.
set -euo pipefail
cd "$(dirname "$0")/.."
INDEX="${TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}"
if ! python - "$INDEX" <<'PY'
import sys, urllib.request
urllib.request.urlopen(sys.argv[1].rstrip("/") + "/torch/", timeout=10)
PY
then
  {
    echo "error: PyTorch's CPU wheel index ($INDEX) cannot be reached from here, so nothing was installed."
    echo "  - with a network that reaches it, run this again;"
    echo "  - or name a mirror of it: TORCH_CPU_INDEX=URL bash scripts/install_cpu.sh;"
    echo "  - or take the default build, which carries CUDA (about 6 GB): pip install -r requirements.txt"
  } >&2
  exit 1
fi
# With both indexes, pip takes torch==X+cpu over PyPI's X: a local version sorts above its release.
pip install --extra-index-url "$INDEX" -r requirements.txt
