#!/usr/bin/env bash
# Train edges2shoes candidates side by side on one lent GPU, from a data pack, within a time budget.
#
#   python scripts/gpu_data.py pack --train ../shared/data/edges2shoes/train --extra PAIRS \
#       --photos ../shared/data/shoe-photos --val ../shared/data/edges2shoes/val --out .gpu/pack.tar
#   bash scripts/gpu_train.sh .gpu/pack.tar MINUTES OUT_DIR      # on the GPU machine
#   bash scripts/gpu_train.sh .gpu/pack.tar MINUTES OUT_DIR INIT # session 8's run G4 alone: from a generator
#                                                                # packed by gpu_data.py pack-weights, fresh D
#
# Each run fits its schedule to MINUTES (--budget-minutes) and writes its exported generator
# in fp16, cut into parts of under 16 MiB (cat them to rebuild), with its logs and samples.
set -uo pipefail
cd "$(dirname "$0")/.."
# The checkout's packages (model, train) for python scripts/*.py: a lent machine has no `pip install -e .`.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
pack=$1 minutes=$2 out=$3 init=${4:-}
data=/tmp/pix2pix-data runs=/tmp/pix2pix-runs
# One CPU thread per process: the GPU does the work, and OpenMP teams spinning beside the
# loading threads of three processes slowed the loading of the data twenty-fold.
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
mkdir -p "$out" "$data/shoes" "$runs"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
python scripts/gpu_data.py unpack "$pack" --out "$data" 2>&1 | tail -n 3
ln -sfn "$data/train" "$data/shoes/train"
ln -sfn "$data/val" "$data/shoes/val"

common=(--data "$data/shoes" --extra-data "$data/extra" --dataset-name edges2shoes --direction AtoB --size 128
        --ngf 32 --norm instance --batch-size 32 --ema 0.999 --augment drawing --bf16 --channels-last --epochs 1 --epochs-decay 1
        --budget-minutes "$minutes" --export-every 8 --val-count 100 --checkpoint-every 1000000
        --sample-every 2000 --log-every 50)
# Session 8: the same generator (what fits 20 ms on 2 CPU cores), and changes on the training
# side, which cost nothing at inference: a wider PatchGAN, and a lighter L1 term.
declare -A recipes=(
  [G1-ndf32]="--ndf 32"
  [G2-ndf64]="--ndf 64"
  [G3-ndf64-L50]="--ndf 64 --l1-weight 50"
)
if [ -n "$init" ]; then
  # The rest of session 8's machine time: G2 went on alone (the GPU was time-shared by three runs).
  python scripts/gpu_data.py unpack-weights "$init" --out "$data/init" || exit 1
  unset recipes; declare -A recipes=([G4-G2-continued]="--ndf 64 --lr 1e-4 --init-generator $data/init")
fi
for name in "${!recipes[@]}"; do
  # shellcheck disable=SC2086
  # A run that overshoots its budget is stopped by SIGINT, which still checkpoints and exports it.
  # The margin covers loading the pairs, which the budget does not count (three processes at once).
  timeout -s INT "$(python -c "print(int($minutes * 60 + 90))")" \
    python -m train "${common[@]}" ${recipes[$name]} --out "$runs/$name" > "$runs/$name.log" 2>&1 &
done
wait

# What comes back is at most 8 files of under 16 MiB: two parts of each fp16 generator, and one archive.
mkdir -p "$runs/back"
for name in "${!recipes[@]}"; do
  python - "$runs/$name/generator" "$runs/back/$name" <<'EOF2'
import sys, torch
from model.weights import load_generator, save_generator
g, meta = load_generator(sys.argv[1])
save_generator(sys.argv[2], g, {k: v for k, v in meta.items() if k != "generator"}, dtype=torch.float16)
EOF2
  split -b 15M "$runs/back/$name/model.safetensors" "$out/$name.safetensors.part-" && rm "$runs/back/$name/model.safetensors"
  tr '\r' '\n' < "$runs/$name.log" | grep -v -E '^\s*[0-9]+%' | tail -n 30 > "$runs/back/$name/train.log"
  cp "$runs/$name/losses.csv" "$runs/$name/metrics.jsonl" "$runs/$name/loss_curve.png" "$runs/back/$name/" 2>/dev/null
  cp "$runs/$name/samples/latest.png" "$runs/back/$name/samples.png" 2>/dev/null
  echo "== $name"; tail -n 4 "$runs/back/$name/train.log"
done
tar -czf "$out/runs.tar.gz" -C "$runs/back" .
ls -la "$out"
