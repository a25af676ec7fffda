"""The drawings grid of the edges2shoes model card: drawings | what the model sees | the shoe.

    python scripts/drawings_grid.py --weights weights/edges2shoes --out weights/edges2shoes/drawings.png

Inputs are the drawings of examples/edges2shoes (made by scripts/make_examples.py), each also
mirrored (toe left) and drawn small in a corner of the canvas, as people draw. They go
through the app's own canvas preprocessing.

It also prints how clean the background stays: the share of the pixels outside the drawn
outlines (train.realism.off_shoe_grey) that are not near-white (a channel below 0.85).
One drawing is a noisy sample of that, so --redraw N also measures N more drawings of each
shape, drawn with other pen wobbles (scripts/make_examples.py, seeds 1..N), in the same three
variants.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from model import load_translator
from model.sketch import prepare_drawing
from model.images import to_tensor
from train.plots import save_sample_grid
from train.realism import off_shoe_grey

ROOT = Path(__file__).resolve().parents[1]


def variants(drawing: Image.Image):
    yield drawing
    yield ImageOps.mirror(drawing)
    small = Image.new("RGB", drawing.size, "white")
    small.paste(drawing.resize((drawing.width // 2, drawing.height // 2)), (drawing.width // 2 - 20, 10))
    yield small


def redrawn_grey(translate, count: int) -> dict[str, np.ndarray]:
    """Off-shoe grey of each shape of make_examples.DRAWINGS, redrawn with seeds 1..count, per variant."""
    from make_examples import DRAWINGS, draw_shoe  # beside this script; it imports the app, so only when needed

    grey = {}
    for name, strokes in DRAWINGS.items():
        drawings = [v for seed in range(1, count + 1) for v in variants(draw_shoe(strokes, seed=seed))]
        grey[name] = np.array([off_shoe_grey(*shoe_of(translate, d)) for d in drawings])
    return grey


def shoe_of(translate, drawing: Image.Image) -> tuple[Image.Image, Image.Image]:
    """(shoe, the edge map the model saw), the drawing prepared as the app prepares it."""
    edges = prepare_drawing(drawing).edges
    return translate(edges), edges


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights", default=str(ROOT / "weights" / "edges2shoes"))
    p.add_argument("--out", type=Path, default=ROOT / "weights" / "edges2shoes" / "drawings.png")
    p.add_argument("--redraw", type=int, default=0, metavar="N", help="also measure N redrawings of each shape")
    args = p.parse_args()
    if args.redraw < 0:
        p.error("--redraw takes a count of 0 or more")
    translate = load_translator(args.weights, device="cpu")
    rows, grey = ([], [], []), []
    for path in sorted((ROOT / "examples" / "edges2shoes").glob("drawing_*.png")):
        for drawing in variants(Image.open(path).convert("RGB")):
            shoe, edges = shoe_of(translate, drawing)
            grey.append(off_shoe_grey(shoe, edges))
            for keep, image in zip(rows, (drawing.resize((256, 256)), edges, shoe)):
                keep.append(to_tensor(image))
    save_sample_grid(args.out, *(torch.stack(r) for r in rows))
    print(f"wrote {args.out} ({len(rows[0])} drawings)")
    print(f"off-shoe grey: {100 * np.mean(grey):.2f}% of the background (worst drawing {100 * np.max(grey):.2f}%)")
    if args.redraw:
        redrawn = redrawn_grey(translate, args.redraw)
        every = np.concatenate(list(redrawn.values()))
        shapes = ", ".join(f"{name} {100 * g.mean():.2f}%" for name, g in redrawn.items())
        print(f"over {len(every)} redrawings: off-shoe grey {100 * every.mean():.2f}%, "
              f"{100 * np.mean(every > 0.02):.1f}% of the drawings above 2%; by shape: {shapes}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
