"""The fixed grid for judging edges2shoes models by eye, at the size people see them.

    python scripts/shoe_grid.py --weights weights/edges2shoes runs/new/generator --out docs/shoe_grid

Rows: 16 val edge maps (every 12th of the sorted val split, so the same ones each time), then
the 12 drawings of the card's drawings grid (scripts/drawings_grid.py: each example drawing
plain, mirrored and small, prepared as the app prepares it). Columns: the model's input, each
model's shoe at 256 px, and (for the val rows) the real photo. Written as pages of four rows,
OUT_val_1.png ... OUT_drawings_3.png, each cell 256 px.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from PIL import Image

from model import load_translator
from model.images import to_tensor
from train.data import natural_key, split_ab
from train.plots import save_image_grid

from drawings_grid import shoe_of, variants

ROOT = Path(__file__).resolve().parents[1]

VAL_EVERY, VAL_COUNT, PAGE = 12, 16, 4


def val_items(val: Path) -> list[tuple[Image.Image, Image.Image]]:
    """(edge map, photo) of the fixed val pairs, at 256 px."""
    files = sorted((p for p in val.iterdir() if p.suffix.lower() in {".jpg", ".png"}), key=natural_key)[::VAL_EVERY][:VAL_COUNT]
    return [tuple(im.resize((256, 256), Image.Resampling.BICUBIC) for im in split_ab(Image.open(f).convert("RGB"))) for f in files]


def drawing_items() -> list[Image.Image]:
    """The drawings grid's 12 drawings, as the model sees them (the edge maps the app makes)."""
    drawings = [v for p in sorted((ROOT / "examples" / "edges2shoes").glob("drawing_*.png"))
                for v in variants(Image.open(p).convert("RGB"))]  # fmt: skip
    return [shoe_of(lambda e: e, d)[1] for d in drawings]


def save_pages(out: Path, name: str, columns: list[list[Image.Image]]) -> None:
    """Pages of PAGE rows; each row is one item across the columns."""
    rows = list(zip(*columns))
    for page, start in enumerate(range(0, len(rows), PAGE), 1):
        cells = [to_tensor(image) for row in rows[start : start + PAGE] for image in row]
        path = out.parent / f"{out.name}_{name}_{page}.png"
        save_image_grid(path, cells, len(columns), padding=4)
        print(f"wrote {path}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights", nargs="+", default=[str(ROOT / "weights" / "edges2shoes")])
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "edges2shoes" / "val")
    p.add_argument("--out", type=Path, default=Path("outputs") / "shoe_grid", help="prefix of the page files")
    args = p.parse_args()
    translators = [load_translator(w, device="cpu") for w in args.weights]
    with torch.no_grad():
        val = val_items(args.data)
        edges = [e for e, _ in val]
        save_pages(args.out, "val", [edges] + [[t(e) for e in edges] for t in translators] + [[ph for _, ph in val]])
        drawn = drawing_items()
        save_pages(args.out, "drawings", [drawn] + [[t(e) for e in drawn] for t in translators])
    return 0


if __name__ == "__main__":
    sys.exit(main())
