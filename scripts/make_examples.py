"""Write the example inputs in examples/ (run once; the output is committed).

    python scripts/make_examples.py --data ../shared/data

- edges2shoes: a few edge maps of the val split, and shoe drawings made here from pen-like
  polylines (with a little wobble), the kind of input a person gives the canvas; in hints/,
  colour hints for the sneaker drawing (the same dabs in red, blue and white), RGBA.
- facades: a few label maps of the val split, snapped to the palette.
- cityscapes: label maps drawn here with the Cityscapes colours. No Cityscapes image is
  copied: its terms forbid redistribution.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageColor, ImageDraw

from model.hints import HINT_COLOURS
from model.images import lines_image
from model.labels import snap_to_palette
from model.sketch import ink

ROOT = Path(__file__).resolve().parents[1]

PALETTES = {name: {k: tuple(v) for k, v in json.loads((ROOT / "train" / "presentations" / f"{name}.json").read_text())["palette"].items()}
            for name in ("facades", "cityscapes")}  # fmt: skip

# Val-split pictures, by number, and what each is: the file's name, which the app shows as its tooltip.
VAL_SHOES = {"13": "flat_with_a_bow", "57": "tall_boot", "101": "strappy_heel", "160": "slipper_with_a_bow"}
VAL_HANDBAGS = {"207": "backpack", "212": "handbag", "216": "tote", "218": "patterned_bag"}
VAL_FACADES = {"5": "central_door", "27": "shops_and_balconies", "64": "rows_of_windows"}
STREETS = ["one_car", "cars_and_a_person"]  # street_scene's variants

# Shoe drawings as polylines in [0, 1] coordinates, toe to the right.
DRAWINGS = {
    "sneaker": [
        [(0.08, 0.62), (0.1, 0.45), (0.22, 0.38), (0.36, 0.42), (0.5, 0.5), (0.68, 0.55), (0.85, 0.6),
         (0.93, 0.66), (0.92, 0.73), (0.1, 0.73), (0.08, 0.62)],
        [(0.1, 0.68), (0.92, 0.68)],
        [(0.36, 0.43), (0.45, 0.55)], [(0.42, 0.46), (0.5, 0.56)], [(0.48, 0.5), (0.55, 0.58)],
    ],
    "boot": [
        [(0.2, 0.1), (0.45, 0.1), (0.47, 0.5), (0.7, 0.6), (0.88, 0.68), (0.9, 0.8), (0.15, 0.8),
         (0.17, 0.5), (0.2, 0.1)],
        [(0.15, 0.74), (0.9, 0.74)],
    ],
    "heel": [
        [(0.1, 0.45), (0.2, 0.4), (0.35, 0.55), (0.6, 0.66), (0.85, 0.7), (0.92, 0.75), (0.85, 0.8),
         (0.55, 0.78), (0.3, 0.62), (0.2, 0.6), (0.17, 0.85), (0.13, 0.85), (0.1, 0.45)],
    ],
    "loafer": [
        [(0.1, 0.55), (0.15, 0.45), (0.4, 0.47), (0.62, 0.45), (0.82, 0.52), (0.92, 0.62), (0.9, 0.7),
         (0.12, 0.7), (0.1, 0.55)],
        [(0.45, 0.47), (0.5, 0.55), (0.7, 0.55), (0.72, 0.48)],
    ],
}  # fmt: skip


# Colour dabs on the sneaker drawing's upper and toe, as (x, y) in [0, 1], radius 8 px at 512.
HINT_DOTS = [(0.2, 0.52), (0.3, 0.5), (0.5, 0.6), (0.62, 0.62), (0.78, 0.65), (0.4, 0.63)]
HINTED = ("red", "blue", "white")  # the sneaker is dabbed in each of these preset colours


def hint_dots(colour, size=512, radius=8) -> Image.Image:
    """Transparent, with opaque dots of one colour: colour hints as the canvas's colour pen makes them."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for x, y in HINT_DOTS:
        draw.ellipse((x * size - radius, y * size - radius, x * size + radius, y * size + radius), fill=(*colour, 255))
    return image


def draw_shoe(strokes, size=512, width=4, wobble=0.006, seed=0) -> Image.Image:
    """Pen strokes as a person draws them: slightly wobbly, of even width, black on white."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        points = []
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
            for t in np.linspace(0, 1, 12, endpoint=False):
                points.append((x0 + t * (x1 - x0), y0 + t * (y1 - y0)))
        points.append(stroke[-1])
        jitter = rng.normal(0, wobble, (len(points), 2)).cumsum(0) * 0.3
        draw.line([((x + dx) * size, (y + dy) * size) for (x, y), (dx, dy) in zip(points, jitter)],
                  fill="black", width=width, joint="curve")  # fmt: skip
    return image


def street_scene(variant: int) -> Image.Image:
    c = PALETTES["cityscapes"]
    im = Image.new("RGB", (256, 256), c["sky"])
    d = ImageDraw.Draw(im)
    horizon = 120 if variant == 0 else 105
    d.polygon([(0, 40), (70, 20), (90, horizon), (0, 200)], fill=c["building"])
    d.polygon([(256, 30), (170, 50), (160, horizon), (256, 200)], fill=c["building"])
    d.rectangle((90, 70, 160, horizon), fill=c["building"] if variant == 0 else c["vegetation"])
    d.polygon([(0, 256), (0, 200), (90, horizon), (160, horizon), (256, 200), (256, 256)], fill=c["road"])
    d.polygon([(0, 256), (0, 205), (70, 140), (40, 256)], fill=c["sidewalk"])
    d.polygon([(256, 256), (256, 205), (185, 140), (215, 256)], fill=c["sidewalk"])
    d.rectangle((60, 30, 64, 160), fill=c["pole"])
    d.ellipse((170, 60, 250, 150), fill=c["vegetation"])
    d.rectangle((105, 140, 150, 170), fill=c["car"])
    if variant == 1:
        d.rectangle((30, 160, 100, 215), fill=c["car"])
        d.rectangle((200, 120, 208, 170), fill=c["person"])
    d.rectangle((0, 236, 256, 256), fill=c["void"])  # the ego car's bonnet, as in the data
    return im


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = p.parse_args()
    out = ROOT / "examples"
    for name in ("edges2shoes", "edges2handbags", "facades", "cityscapes"):
        (out / name).mkdir(parents=True, exist_ok=True)
    for i, (name, strokes) in enumerate(DRAWINGS.items()):
        draw_shoe(strokes, seed=i).save(out / "edges2shoes" / f"drawing_{name}.png")
    (out / "edges2shoes" / "hints").mkdir(exist_ok=True)
    for name in HINTED:
        hint_dots(ImageColor.getrgb(HINT_COLOURS[name])).save(out / "edges2shoes" / "hints" / f"sneaker_{name}.png")
    for name, stems in (("edges2shoes", VAL_SHOES), ("edges2handbags", VAL_HANDBAGS)):
        for stem, what in stems.items():
            ab = Image.open(args.data / name / "val" / f"{stem}_AB.jpg").convert("L")
            lines_image(ink(ab.crop((0, 0, 256, 256)))).convert("L").save(out / name / f"edges_{what}.png")
    for stem, what in VAL_FACADES.items():
        ab = Image.open(args.data / "facades" / "val" / f"{stem}.jpg").convert("RGB")
        snap_to_palette(ab.crop((256, 0, 512, 256)), PALETTES["facades"]).save(out / "facades" / f"facade_{what}.png")
    for variant, what in enumerate(STREETS):
        street_scene(variant).save(out / "cityscapes" / f"street_{what}.png")
    print(f"wrote examples to {out}")


if __name__ == "__main__":
    main()
