"""What KID asks of a shoe: the KID x1000 of real photos made worse in known ways, beside a model's.

    python research/realism_analysis.py --weights weights/edges2shoes --data ../shared/data/edges2shoes

Every row is scored against the val photos by train.realism.kid (EfficientNet-Lite0 features,
the measure of python -m train.evaluate). The real-photo rows use the first N train photos,
other shoes than the val ones, as a model's outputs are:

- train photos:            the floor, real against real;
- train photos, 128 px:    down to the model's size and back up: the best a 128-px model can do;
- train photos, blur s:    under a Gaussian blur of radius s px: how much softness costs;
- train photos, brown:     each shoe's colour replaced by the mean shoe colour of the train
                           photos, its shading kept: how much guessing one colour costs;
- model:                   the model's outputs for the val edge maps;
- model, oracle colour:    those outputs with each shoe's mean colour set to its target's.

Prints one JSON line per row.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter
from tqdm import tqdm

from model import load_translator
from train.data import PairedImageFolder
from train.realism import kid, shoe_mask


def pairs(folder: Path, n: int) -> tuple[list[Image.Image], list[Image.Image]]:
    """The inputs and the photos of the first n pairs of an AtoB folder."""
    data = PairedImageFolder(folder, "AtoB")
    loaded = [data.load_pair(i) for i in tqdm(range(min(n, len(data))), desc=f"loading {folder.name}", unit="img")]
    return [x for x, _ in loaded], [y for _, y in loaded]


def with_colour(image: Image.Image, mask: np.ndarray, colour: np.ndarray) -> Image.Image:
    """The image with its mean colour inside mask moved to colour, its shading kept."""
    a = np.asarray(image, np.float32) / 255
    a[mask] += colour - a[mask].mean(0)
    return Image.fromarray((a.clip(0, 1) * 255).round().astype(np.uint8))


def mask_of(photo: Image.Image) -> np.ndarray:
    """The shoe's silhouette (the whole image if none is found)."""
    return shoe_mask(np.asarray(photo, np.float32) / 255)


def degraded_rows(train: list[Image.Image], size: int) -> dict[str, list[Image.Image]]:
    masks = [mask_of(p) for p in train]
    mean_colour = np.mean([np.asarray(p, np.float32)[m].mean(0) / 255 for p, m in zip(train, masks)], 0)
    return {
        "train photos": train,
        f"train photos, {size} px": [p.resize((size, size), Image.Resampling.BICUBIC).resize(p.size, Image.Resampling.BICUBIC) for p in train],
        **{f"train photos, blur {s}": [p.filter(ImageFilter.GaussianBlur(s)) for p in train] for s in (1, 2)},
        "train photos, brown": [with_colour(p, m, mean_colour) for p, m in zip(train, masks)],
    }  # fmt: skip


def model_rows(translator, inputs: list[Image.Image], targets: list[Image.Image]) -> dict[str, list[Image.Image]]:
    outputs = [translator(x).resize(y.size, Image.Resampling.BICUBIC) for x, y in tqdm(list(zip(inputs, targets)), desc="translating", unit="img")]
    oracle = []
    for out, y in zip(outputs, targets):
        m = mask_of(y)
        oracle.append(with_colour(out, m, np.asarray(y, np.float32)[m].mean(0) / 255))
    return {"model": outputs, "model, oracle colour": oracle}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights", default="weights/edges2shoes")
    p.add_argument("--data", required=True, type=Path, help="a folder with train/ and val/ pairs")
    p.add_argument("--count", type=int, default=200, help="photos per row")
    args = p.parse_args()
    translator = load_translator(args.weights)
    val_inputs, val_photos = pairs(args.data / "val", args.count)
    _, train_photos = pairs(args.data / "train", args.count)
    rows = degraded_rows(train_photos, translator.size)
    rows.update(model_rows(translator, val_inputs, val_photos))
    for name, images in rows.items():
        print(json.dumps({"row": name, **kid(images, val_photos)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
