"""The colour-hints grid of the edges2shoes model card: each drawing with no hints, then with dabs of red, blue and white.

    python scripts/hints_grid.py --weights weights/edges2shoes --out weights/edges2shoes/hints.png

Each row is one drawing of examples/edges2shoes, through the app's canvas preprocessing:
what the model sees and the shoe, with no hints and then with six dabs of each colour
placed inside the drawn outline. It also prints each shoe's mean colour (HSV).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageColor, ImageDraw
from scipy import ndimage
from torchvision.utils import save_image

from model import UNetGenerator, load_generator, load_translator
from model.translate import Translator
from train.init_weights import load_initial_generator, load_initial_hint_adapter
from model.sketch import ink, prepare_drawing
from model.hints import HINT_COLOURS, paint_hints
from model.images import to_tensor
from train.shoes import drawn_region, shoe_hsv

ROOT = Path(__file__).resolve().parents[1]

DABBED = ("red", "blue", "white")  # preset colours of the colour pen (model.hints.HINT_COLOURS)


def dabs_inside(edges: Image.Image, colour, count: int = 6, radius: int = 4) -> Image.Image:
    """RGBA hints: count dots of colour spread along the inside of the drawn outline."""
    lines = ink(edges)
    inside = drawn_region(edges) & ~ndimage.binary_dilation(lines, iterations=6)
    hints = Image.new("RGBA", edges.size, (0, 0, 0, 0))
    ys, xs = np.nonzero(inside)
    if len(xs) == 0:
        return hints
    draw = ImageDraw.Draw(hints)
    for q in np.linspace(0.1, 0.9, count):
        x = int(np.quantile(xs, q))
        y = int(np.median(ys[np.abs(xs - x) <= 2]))
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(*colour, 255))
    return hints


def moved_adapter(base: str, adapter_from: str) -> Translator:
    """base's network with adapter_from's hint adapter beside it, untrained together: what
    python -m train --init-hint-adapter starts from."""
    width = load_generator(adapter_from)[0].config.hint_adapter
    config = dataclasses.replace(load_generator(base)[0].config, hints=True, hint_adapter=width)
    generator = UNetGenerator(config)
    load_initial_generator(generator, base)
    load_initial_hint_adapter(generator, adapter_from)
    return Translator(generator, device="cpu")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights", default=str(ROOT / "weights" / "edges2shoes"))
    p.add_argument("--out", type=Path, default=ROOT / "weights" / "edges2shoes" / "hints.png")
    p.add_argument("--adapter-from",
                   help="another model's hint adapter beside --weights (a model without one), as it is")  # fmt: skip
    args = p.parse_args()
    if args.adapter_from:
        translate = moved_adapter(args.weights, args.adapter_from)
    else:
        translate = load_translator(args.weights, device="cpu")
    if not translate.takes_hints:
        p.error(f"{args.weights} takes no colour hints")
    tiles = []
    for path in sorted((ROOT / "examples" / "edges2shoes").glob("drawing_*.png")):
        edges = prepare_drawing(Image.open(path)).edges  # what the app does with a drawing
        row = [edges, translate(edges)]
        report = [f"none {tuple(round(float(v), 2) for v in shoe_hsv(row[1], edges))}"]
        for name in DABBED:
            hints = dabs_inside(edges, ImageColor.getrgb(HINT_COLOURS[name]))
            shoe = translate(edges, hints=hints)
            row += [paint_hints(edges, hints), shoe]
            report.append(f"{name} {tuple(round(float(v), 2) for v in shoe_hsv(shoe, edges))}")
        print(f"{path.stem}: mean shoe colour (h, s, v): " + ", ".join(report))
        tiles += [to_tensor(im) for im in row]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_image(torch.stack(tiles) * 0.5 + 0.5, args.out, nrow=8, padding=2, pad_value=1.0)
    print(f"wrote {args.out}: per row, what the model sees and the shoe, with no hints, then red, blue and white dabs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
