"""Can a hint adapter paint a saturated blue shoe beside its frozen base model at all?

    python research/hint_adapter_capacity.py --weights weights/edges2shoes

Trains the adapter alone (from its shipped weights), with Adam, on one val pair whose target is
recoloured blue (the photo's lightness times a saturated blue; white stays white), given 10 dots
of that target, and prints the mean colour (HSV) of the output's shoe every 100 steps. If it gets
there, the frozen base model is not what keeps the shipped shoes from a saturated blue.
Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import colorsys
import sys
from pathlib import Path

import torch

from model import load_generator
from model.networks import inference_network
from train.data import PairedImageFolder
from train.hints import dots, tint
from train.shoes import shoe_pixels

ROOT = Path(__file__).resolve().parents[1]

BLUE = (0.25, 0.45, 1.0)


def mean_hsv(image: torch.Tensor, shoe: torch.Tensor) -> tuple[float, float, float]:
    rgb = ((image[0] + 1) / 2).permute(1, 2, 0)[shoe].mean(0).tolist()
    return tuple(round(v, 2) for v in colorsys.rgb_to_hsv(*rgb))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights", default=str(ROOT / "weights" / "edges2shoes"))
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "edges2shoes" / "val"))
    p.add_argument("--index", type=int, default=0, help="the val pair (0: the sneaker)")
    p.add_argument("--steps", type=int, default=300)
    args = p.parse_args()
    torch.manual_seed(0)
    G, _ = load_generator(args.weights)
    G = G.float()
    if G.hint_adapter is None:
        p.error(f"{args.weights} has no hint adapter")
    x, y = (t[None] for t in PairedImageFolder(args.data, "AtoB", G.config.image_size)[args.index])
    target = tint(y, torch.tensor([BLUE]))
    shoe = shoe_pixels(target)[0]
    hints = dots(target, 10, seed=0)
    G.requires_grad_(False)
    G.hint_adapter.requires_grad_(True)
    opt = torch.optim.Adam(G.hint_adapter.parameters(), 1e-3)
    print(f"target {mean_hsv(target, shoe)}")
    for step in range(args.steps + 1):
        loss = (G(x, hints) - target).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0:
            with torch.no_grad():
                print(f"step {step}: L1 {loss.item():.4f}, output {mean_hsv(inference_network(G)(x, hints), shoe)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
