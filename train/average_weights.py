"""Average the weights of models fine-tuned from one start: a model soup (Wortsman et al. 2022).

    python -m train.average_weights RUN_A/generator RUN_B/generator --out runs/soup
    python -m train.average_weights A B --mix 0.7 0.3 --out OUT

Models that share a starting point sit in one basin, so their average is a model too, often
better than either: it evens out the swings of GAN training from one checkpoint to the next.
Every input must be the same network (same generator config). The output folder gets the
averaged model.safetensors and a config.json that rebuilds the network and names the inputs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

from model.weights import WeightsError, atomic_write, read_safetensors

# What describes one checkpoint and not the average: left out of the average's config.json.
PER_CHECKPOINT = ("step", "val_metrics", "baselines", "train_config")


def read_config(folder: Path) -> dict:
    if not (folder / "config.json").is_file() or not (folder / "model.safetensors").is_file():
        raise SystemExit(f"error: {folder} is not a weights folder (config.json and model.safetensors).")
    config = json.loads((folder / "config.json").read_text())
    if "generator" not in config:
        raise SystemExit(f"error: {folder}/config.json has no generator config; is it a pix2pix weights folder?")
    return config


def average(folders: list[Path], mix: list[float]) -> dict[str, torch.Tensor]:
    try:
        states = [read_safetensors(f / "model.safetensors") for f in folders]
    except WeightsError as e:
        raise SystemExit(f"error: {e}") from None
    if any(s.keys() != states[0].keys() for s in states):
        raise SystemExit("error: the models hold different tensors; average only models of one network.")
    out = {}
    for name, first in states[0].items():
        if not first.is_floating_point():
            out[name] = first  # counters such as batch norm's step count
            continue
        out[name] = sum(w * s[name].float() for w, s in zip(mix, states)).to(first.dtype)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("folders", type=Path, nargs="+", help="weights folders (config.json + model.safetensors)")
    p.add_argument("--mix", type=float, nargs="+", help="one weight per folder (default: equal), scaled to sum to 1")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    mix = args.mix or [1.0] * len(args.folders)
    if len(mix) != len(args.folders) or min(mix) < 0 or sum(mix) <= 0:
        raise SystemExit("error: give --mix one non-negative weight per folder.")
    if any(args.out.resolve() == f.resolve() for f in args.folders):
        raise SystemExit("error: --out is one of the inputs; write the average to a new folder.")
    mix = [w / sum(mix) for w in mix]
    configs = [read_config(f) for f in args.folders]
    if any(c["generator"] != configs[0]["generator"] for c in configs):
        raise SystemExit("error: the models' generator configs differ; average only models of one network.")
    state = average(args.folders, mix)
    config = {k: v for k, v in configs[0].items() if k not in PER_CHECKPOINT}
    config["averaged_from"] = {str(f): w for f, w in zip(args.folders, mix)}
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write(args.out / "model.safetensors", lambda tmp: save_file(state, tmp))
    atomic_write(args.out / "config.json", lambda tmp: Path(tmp).write_text(json.dumps(config, indent=2) + "\n"))
    print(f"wrote the average of {len(args.folders)} models to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
