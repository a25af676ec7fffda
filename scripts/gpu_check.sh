#!/usr/bin/env bash
# The CUDA path, checked on a machine with one GPU, in under 5 minutes:
#   CUDA against CPU parity of the models in weights/; a few training steps with bf16 autocast;
#   torchrun with nccl on one GPU; the app's /translate on CUDA; latency on CUDA.
# Keep its output in docs/gpu_check.md:   bash scripts/gpu_check.sh 2>&1 | tee gpu_check.log
# The app's web stack is not on a lent GPU machine: bash scripts/gpu_wheels.sh here, carry .whl,
# and start the command there with
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
set -uo pipefail
cd "$(dirname "$0")/.."
# The checkout's packages (model, train) for python scripts/*.py: a lent machine has no `pip install -e .`.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1 GRADIO_ANALYTICS_ENABLED=False
work=$(mktemp -d)
failed=0
step() { echo; echo "== $1"; }
check() { if "$@"; then echo "PASS: $*"; else echo "FAIL: $*"; failed=$((failed + 1)); fi; }

step "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
python -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0))"

step "CUDA against CPU parity"
check python scripts/gpu_check.py parity

step "training steps with bf16 autocast on CUDA"
python scripts/gpu_check.py pairs "$work/data"
check python -m train --data "$work/data" --out "$work/bf16" --size 64 --ngf 16 --ndf 16 --norm instance \
  --batch-size 8 --bf16 --epochs 2 --epochs-decay 0 --max-steps 8 --val-count 8

step "torchrun, nccl, one GPU"
torchrun=(torchrun); command -v torchrun >/dev/null || torchrun=(python -m torch.distributed.run)
check "${torchrun[@]}" --standalone --nproc_per_node=1 -m train --data "$work/data" --out "$work/ddp" --size 64 --ngf 16 \
  --ndf 16 --norm instance --batch-size 8 --epochs 1 --epochs-decay 0 --max-steps 4 --val-count 8

step "the app's /translate on CUDA"
check python scripts/gpu_check.py app

step "latency on CUDA"
check python scripts/benchmark.py --device cuda --repeats 100

rm -rf "$work"
echo
echo "gpu_check: $failed check(s) failed"
exit $((failed > 0))
