"""Score a generator on paired data: L1, PSNR, SSIM, KID and colour variety, as one JSON line.

    python -m train.evaluate --weights weights/edges2shoes --data ../shared/data/edges2shoes/val
    python -m train.evaluate --weights weights/edges2shoes --data ../shared/data/edges2shoes/val --hint-dots 10
    python -m train.evaluate --weights weights/cityscapes --data ../shared/data/cityscapes/val --direction BtoA --fcn-score
    python -m train.evaluate --baseline mean --train-data ../shared/data/facades/train --data ../shared/data/facades/val --direction BtoA

Outputs are scored at the size of the targets (256 for the pix2pix datasets), whatever size
the generator runs at, so that models trained at different sizes compare fairly. A grid of
input | output | target rows is written as a PNG. --hint-dots N gives a model with colour hints
N dots of each target's own colours (seeded by the pair's index), painted over the inputs in the grid.
--fcn-score segments the outputs and the real photos with a segmenter trained on real photos
(train.segment) and scores how well each recovers the input label map (the paper's FCN-score).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from model import WeightsError, load_translator
from model.hints import paint_hints
from model.images import to_tensor

from .data import DatasetError, PairedImageFolder
from .hints import dots
from .metrics import ImageMetrics, to_unit
from .plots import save_sample_grid
from .realism import MissingExtras, check_extras


def mean_image(folder: Path, direction: str) -> Image.Image:
    """The per-pixel mean of the target images of a folder (the 'mean training image' baseline)."""
    data = PairedImageFolder(folder, direction)
    total = None
    for i in tqdm(range(len(data)), desc="mean image", unit="img"):
        target = np.asarray(data.load_pair(i)[1], dtype=np.float64)
        total = target if total is None else total + target
    return Image.fromarray(np.round(total / len(data)).astype(np.uint8))


def dot_hints(target: Image.Image, count: int, seed: int) -> Image.Image:
    """An RGBA image of count dots in the target's own colours (train.hints.dots), transparent elsewhere."""
    hints = dots(to_tensor(target.convert("RGB"))[None], count, seed)[0]
    rgba = torch.cat([(hints[:3] + 1) / 2, hints[3:]]).permute(1, 2, 0).numpy()
    return Image.fromarray(np.round(rgba * 255).astype(np.uint8), "RGBA")


def evaluate(predict, data: PairedImageFolder, limit: int | None = None, grid_rows: int = 8, realism: bool = False,
             hint_dots: int = 0, segmenter=None):  # fmt: skip
    """predict(PIL input) -> PIL output, or predict(input, hints=RGBA image) with hint_dots.
    Returns (metrics dict, grid tensors).

    realism: also KID against the targets and the colour variety of the outputs (train.realism).
    segmenter: also the FCN-score of the outputs and of the targets (train.segment).
    """
    meter = ImageMetrics()
    grid = ([], [], [])
    inputs, outputs, targets = [], [], []
    n = len(data) if not limit else min(limit, len(data))
    for i in tqdm(range(n), desc="evaluating", unit="img"):
        x, y = data.load_pair(i)
        hints = dot_hints(y.resize(x.size), hint_dots, seed=i) if hint_dots else None
        out = predict(x, hints=hints) if hints else predict(x)
        if out.size != y.size:
            out = out.resize(y.size, Image.Resampling.BICUBIC)
        seen = paint_hints(x, hints) if hints else x  # the grid shows what the model saw
        tx, ty, to = (to_tensor(im.convert("RGB")) for im in (seen.resize(y.size), y, out))
        meter.update(to_unit(to)[None], to_unit(ty)[None])
        if realism or segmenter:
            inputs.append(x)
            outputs.append(out)
            targets.append(y)
        if i < grid_rows:
            for keep, t in zip(grid, (tx, to, ty)):
                keep.append(t)
    metrics = meter.compute()
    if realism:
        from .realism import colour_variety, kid

        metrics.update(kid=kid(outputs, targets), colour=colour_variety(outputs, targets))
    if segmenter:
        from .segment import fcn_scores

        metrics.update(fcn_scores(segmenter, inputs, outputs, targets))
    return metrics, [torch.stack(g) for g in grid]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m train.evaluate", description=__doc__.split("\n")[0])
    p.add_argument("--weights", help="weights folder or Hub repo id")
    p.add_argument("--data", required=True, type=Path, help="folder of pairs (e.g. .../val)")
    p.add_argument("--direction", choices=["AtoB", "BtoA"], help="default: the one the weights were trained for")
    p.add_argument("--baseline", choices=["white", "mean"], help="score a trivial output instead of a model")
    p.add_argument("--train-data", type=Path, help="training folder, for --baseline mean")
    p.add_argument("--limit", type=int, default=None, help="score only the first N pairs")
    p.add_argument("--grid", type=Path, default=None, help="where to write the grid PNG (default: eval_grid.png in the weights folder; "
                   "outputs/eval_NAME.png for a Hub model or a baseline)")
    p.add_argument("--device", default=None)
    p.add_argument("--fcn-score", action="store_true",
                   help="segment outputs and real photos with --segmenter and score them against the input labels")  # fmt: skip
    p.add_argument("--segmenter", type=Path, default=Path(__file__).resolve().parents[1] / "weights" / "cityscapes-segmenter",
                   help="the segmenter for --fcn-score (default: weights/cityscapes-segmenter)")  # fmt: skip
    p.add_argument("--hint-dots", type=int, default=0, metavar="N",
                   help="give a model with colour hints N dots of each target's colours (seeded; default: no hints)")  # fmt: skip
    p.add_argument("--realism", action=argparse.BooleanOptionalAction, default=True,
                   help="KID against the targets and colour variety (needs requirements-eval.txt)")  # fmt: skip
    args = p.parse_args(argv)
    if bool(args.weights) == bool(args.baseline):
        p.error("give either --weights or --baseline")
    if args.hint_dots < 0 or (args.hint_dots and not args.weights):
        p.error("--hint-dots takes a number >= 0, and a model (--weights)")
    name = Path(args.weights).name if args.weights else f"baseline_{args.baseline}"
    if args.grid is None:  # beside what it evaluates, where that is a folder here
        local = args.weights and Path(args.weights).is_dir()
        args.grid = Path(args.weights) / "eval_grid.png" if local else Path("outputs") / f"eval_{name}.png"
    try:
        if args.realism:
            check_extras()  # before the minutes of scoring, not after
        if args.weights:
            translator = load_translator(args.weights, device=args.device)
            if args.hint_dots and not translator.takes_hints:
                p.error(f"{args.weights} takes no colour hints; leave out --hint-dots")
            direction = args.direction or translator.meta.get("direction", "AtoB")
            predict, name = translator, str(args.weights)
        else:
            direction = args.direction or "AtoB"
            if args.baseline == "white":
                predict = lambda x: Image.new("RGB", x.size, "white")  # noqa: E731
            else:
                if not args.train_data:
                    p.error("--baseline mean needs --train-data")
                mean = mean_image(args.train_data, direction)
                predict = lambda x: mean.resize(x.size, Image.Resampling.BICUBIC)  # noqa: E731
            name = f"baseline:{args.baseline}"
        data = PairedImageFolder(args.data, direction)
        segmenter = None
        if args.fcn_score:
            from .segment import load_segmenter

            segmenter = load_segmenter(args.segmenter, device=args.device or "cpu")
        metrics, grid = evaluate(predict, data, args.limit, realism=args.realism, hint_dots=args.hint_dots, segmenter=segmenter)
    except MissingExtras as e:
        print(f"error: {e}, or pass --no-realism for the pixel metrics alone", file=sys.stderr)
        return 2
    except (WeightsError, DatasetError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    save_sample_grid(args.grid, *grid)
    print(json.dumps({"weights": name, "data": str(args.data), "direction": direction, "hint_dots": args.hint_dots, **metrics,
                      "grid": str(args.grid)}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
