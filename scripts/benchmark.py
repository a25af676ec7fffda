"""Latency of the shipped models against the paper's U-Net 256, and training speed, each in one run.

    python scripts/benchmark.py                      # weights/edges2shoes, 2 threads
    python scripts/benchmark.py --weights weights/facades --threads 1 --repeats 100
    python scripts/benchmark.py --train              # training speed: see train_benchmark below

Times, for one 256x256 image (batch 1): the whole translation a user waits for (PIL in,
PIL out: preprocessing, network, resize to 256), the network alone, and the sketch
preprocessing of the app (canvas -> edge map), and, for a model that takes colour hints,
the whole translation with six hint dots. The paper's network (U-Net 256, 64 filters,
54.4M parameters) is timed in the same run, so the printed ratios hold even on a noisy machine.
Medians over --repeats runs after warm-up. Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model import GeneratorConfig, Translator, UNetGenerator, load_translator  # noqa: E402
from model.edges import drawing_to_edges  # noqa: E402


def timeit(fn, repeats: int, warmup: int = 5) -> tuple[float, float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times) * 1000, times[int(0.9 * (len(times) - 1))] * 1000


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights", default=str(ROOT / "weights" / "edges2shoes"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=50)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--train", action="store_true", help="time training steps instead of inference")
    p.add_argument("--steps", type=int, default=12, help="with --train: timed steps per setting")
    p.add_argument("--compile", action="store_true", help="with --train: also time torch.compile of G and D")
    p.add_argument("--official", type=Path, default=None,
                   help="with --train: a checkout of junyanz/pytorch-CycleGAN-and-pix2pix, timed beside ours at the paper's setting")  # fmt: skip
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.train:
        from benchmark_train import train_benchmark

        return train_benchmark(args.threads, args.steps, args.device, args.compile, args.official)

    drawing = Image.new("RGBA", (384, 384), (0, 0, 0, 0))
    ImageDraw.Draw(drawing).line([(40, 250), (60, 150), (200, 140), (340, 230), (340, 280), (40, 285), (40, 250)],
                                 fill=(0, 0, 0, 255), width=4)  # fmt: skip
    edges = drawing_to_edges(drawing, 256)
    shipped = load_translator(args.weights, device=args.device)
    paper = Translator(UNetGenerator(GeneratorConfig(256, ngf=64)).eval(), device=args.device)
    x_shipped = shipped.preprocess(edges)[None]
    x_paper = paper.preprocess(edges)[None]

    rows = [
        ("shipped: whole translation 256 -> 256", timeit(lambda: shipped(edges), args.repeats)),
        ("shipped: network only", timeit(lambda: shipped.translate_tensor(x_shipped), args.repeats)),
        ("app: canvas -> edge map", timeit(lambda: drawing_to_edges(drawing, 256), args.repeats)),
        ("paper U-Net 256 ngf64: network only", timeit(lambda: paper.translate_tensor(x_paper), max(10, args.repeats // 3))),
    ]
    if shipped.takes_hints:  # six red dabs inside the outline, as scripts/hints_grid.py places them
        hints = Image.new("RGBA", edges.size, (0, 0, 0, 0))
        for x in range(40, 220, 30):
            ImageDraw.Draw(hints).ellipse((x, 170, x + 8, 178), fill=(214, 40, 40, 255))
        rows.append(("shipped: whole translation, colour hints", timeit(lambda: shipped(edges, hints=hints), args.repeats)))
    g = shipped.config
    print(f"torch {torch.__version__}, {args.device}, {args.threads} thread(s), batch 1; shipped: {args.weights} "
          f"(U-Net {g.image_size}, ngf {g.ngf}, {g.norm} norm)")  # fmt: skip
    print(f"{'':40s} {'median ms':>10s} {'p90 ms':>8s}")
    for name, (median, p90) in rows:
        print(f"{name:40s} {median:10.1f} {p90:8.1f}")
    paper_ms = rows[3][1][0]
    print(f"ratio paper network / shipped network: {paper_ms / rows[1][1][0]:.1f}x")
    print(f"ratio paper network / shipped whole translation: {paper_ms / rows[0][1][0]:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
