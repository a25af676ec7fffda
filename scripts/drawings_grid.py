"""The drawings grid of the edges2shoes model card: drawings | what the model sees | the shoe.

    python scripts/drawings_grid.py --weights weights/edges2shoes --out weights/edges2shoes/drawings.png

Inputs are the drawings of examples/edges2shoes (made by scripts/make_examples.py), each also
mirrored (toe left) and drawn small in a corner of the canvas, as people draw. They go
through the app's own canvas preprocessing.

It also prints how clean the background stays: the share of the pixels outside the drawn
outlines (train.realism.off_shoe_grey) that are not near-white (a channel below 0.85).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model import load_translator  # noqa: E402
from model.edges import drawing_to_edges  # noqa: E402
from model.images import to_tensor  # noqa: E402
from train.plots import save_sample_grid  # noqa: E402
from train.realism import off_shoe_grey  # noqa: E402


def variants(drawing: Image.Image):
    yield drawing
    yield ImageOps.mirror(drawing)
    small = Image.new("RGB", drawing.size, "white")
    small.paste(drawing.resize((drawing.width // 2, drawing.height // 2)), (drawing.width // 2 - 20, 10))
    yield small


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights", default=str(ROOT / "weights" / "edges2shoes"))
    p.add_argument("--out", type=Path, default=ROOT / "weights" / "edges2shoes" / "drawings.png")
    args = p.parse_args()
    translate = load_translator(args.weights, device="cpu")
    rows, grey = ([], [], []), []
    for path in sorted((ROOT / "examples" / "edges2shoes").glob("drawing_*.png")):
        for drawing in variants(Image.open(path).convert("RGB")):
            edges = drawing_to_edges(drawing, size=256)  # what the app does with a drawing
            shoe = translate(edges)
            grey.append(off_shoe_grey(shoe, edges))
            for keep, image in zip(rows, (drawing.resize((256, 256)), edges, shoe)):
                keep.append(to_tensor(image))
    save_sample_grid(args.out, *(torch.stack(r) for r in rows))
    print(f"wrote {args.out} ({len(rows[0])} drawings)")
    print(f"off-shoe grey: {100 * np.mean(grey):.2f}% of the background (worst drawing {100 * np.max(grey):.2f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
