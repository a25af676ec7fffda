#!/usr/bin/env bash
# Wheels of what the app needs beyond a lent GPU machine's image (gradio and its web stack), for
# Python 3.12 on x86-64, into .whl/ (ignored by git; carry it: see scripts/gpu_check.sh).
# The versions are those of this machine's venv, so the GPU machine runs what the tests ran.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .whl
packages=(gradio gradio-client hf-gradio fastapi starlette opentelemetry-api annotated-doc groovy orjson pydantic
          pydantic-core python-multipart pydub safehttpx semantic-version tomlkit uvicorn brotli annotated-types
          typing-inspection pytz)
for name in "${packages[@]}"; do
  version=$(pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')
  python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d .whl "$name${version:+==$version}"
done
du -sh .whl
