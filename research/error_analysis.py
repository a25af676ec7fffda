"""Where a model's pixel error comes from, and what the metrics would give for simple changes.

    python research/error_analysis.py --weights weights/edges2shoes --data ../shared/data/edges2shoes/val

For each val pair, at the target's 256x256, in [0, 1]: L1, PSNR and SSIM of

- model:            the output as shipped (what python -m train.evaluate scores);
- oracle colour:    the output with its mean colour over the object replaced by the target's
                    (object = target pixels that are not near-white): what knowing the colour,
                    which an edge map does not say, would be worth;
- blur s:           the output under a Gaussian blur of radius s px: what the metric pays for
                    texture that is plausible but not the target's;
- 128-px ceiling:   the target itself, down to the model's size and back up: the most a
                    model running at that size can score.

and SSIM split into the near-white background and the object. Prints one JSON line per row.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter
from skimage.metrics import structural_similarity
from tqdm import tqdm

from model import load_translator
from train.data import PairedImageFolder


def scores(output: np.ndarray, target: np.ndarray) -> tuple[float, float, float, np.ndarray]:
    mse = max(float(((output - target) ** 2).mean()), 1e-10)
    ssim, ssim_map = structural_similarity(output, target, channel_axis=2, data_range=1.0, full=True)
    return float(np.abs(output - target).mean()), 10 * np.log10(1 / mse), float(ssim), ssim_map.mean(2)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights", required=True)
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--limit", type=int, default=0, help="only the first N pairs")
    args = p.parse_args()
    translator = load_translator(args.weights)
    data = PairedImageFolder(args.data, translator.meta.get("direction", "AtoB"))
    n = min(args.limit or len(data), len(data))
    rows: dict[str, list] = {}
    split: list = []
    for i in tqdm(range(n), desc="analysing", unit="img"):
        x, y = data.load_pair(i)
        out = translator(x).resize(y.size, Image.Resampling.BICUBIC)
        target = np.asarray(y, np.float32) / 255
        small = translator.size
        ceiling = y.resize((small, small), Image.Resampling.BICUBIC).resize(y.size, Image.Resampling.BICUBIC)
        candidates = {"model": out, f"{small}-px ceiling": ceiling}
        candidates.update({f"blur {s}": out.filter(ImageFilter.GaussianBlur(s)) for s in (1, 2, 3)})
        arrays = {k: np.asarray(v, np.float32) / 255 for k, v in candidates.items()}
        obj = target.min(2) < 0.95
        if obj.any():
            shifted = arrays["model"].copy()
            shifted[obj] += target[obj].mean(0) - shifted[obj].mean(0)
            arrays["oracle colour"] = shifted.clip(0, 1)
        for name, a in arrays.items():
            l1, psnr, ssim, ssim_map = scores(a, target)
            rows.setdefault(name, []).append((l1, psnr, ssim))
            if name == "model":
                split.append((ssim_map[~obj].mean() if (~obj).any() else np.nan,
                              ssim_map[obj].mean() if obj.any() else np.nan, (~obj).mean()))  # fmt: skip
    for name, values in rows.items():
        l1, psnr, ssim = np.mean(values, 0)
        row = {"row": name, "l1": round(l1, 4), "psnr": round(psnr, 2), "ssim": round(ssim, 4), "count": len(values)}
        print(json.dumps(row))
    bg, fg, frac = np.nanmean(split, 0)
    print(json.dumps({"row": "model SSIM split", "background": round(bg, 4), "object": round(fg, 4),
                      "background_fraction": round(frac, 3)}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
