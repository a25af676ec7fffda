"""Latency of the shipped models on eager torch and on ONNX Runtime, and training speed, each in one run.

    python scripts/benchmark.py                      # every shipped generator, 2 threads
    python scripts/benchmark.py --weights weights/edges2shoes runs/new/generator --repeats 100
    python scripts/benchmark.py --train              # training speed: see train_benchmark below

For each model, for one 256x256 image (batch 1): the network alone and the whole translation a
user waits for (PIL in, PIL out: preprocessing, network, resize to 256), on eager torch and on
ONNX Runtime (model.onnx_runtime), timed in rounds: a block of runs on each, back to back. The
machine's speed changes within seconds, so a ratio is taken within each round and the median
round's is printed: a ratio of the two overall medians can pair one runtime's fast spell with the
other's slow one. With colour hints too, for a model that takes them. Also the app's sketch
preprocessing (canvas -> edge map, hint layer -> tensor), the network's output made an image,
and the paper's U-Net 256 (64 filters, 54.4M parameters) on both runtimes. Milliseconds are
medians (and 90th percentiles) over --repeats runs after warm-up. Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
from PIL import Image, ImageDraw

from model import GeneratorConfig, Translator, UNetGenerator, load_translator
from model.hints import hints_to_tensor
from model.images import to_pil
from model.sketch import prepare_drawing

ROOT = Path(__file__).resolve().parents[1]


def timeit(fns: dict, repeats: int, block: int = 5) -> dict[str, list[list[float]]]:
    """Milliseconds of each function's runs, in rounds: each round times a block of `block` runs of
    each function, back to back, so that they share the machine's moods; returns each function's
    blocks in round order. Each block starts after a pause and one untimed run: torch's OpenMP
    threads spin for a while after their last op, on the cores another runtime needs."""
    blocks = {name: [] for name in fns}
    while len(blocks[next(iter(fns))]) * block < repeats:
        for name, fn in fns.items():
            time.sleep(0.3)
            fn()
            times = []
            for _ in range(block):
                start = time.perf_counter()
                fn()
                times.append((time.perf_counter() - start) * 1000)
            blocks[name].append(times)
    return blocks


def median_p90(blocks: list[list[float]]) -> tuple[float, float]:
    times = sorted(t for b in blocks for t in b)
    return statistics.median(times), times[int(0.9 * (len(times) - 1))]


def ratio(numerator: list[list[float]], denominator: list[list[float]]) -> float:
    """The median over rounds of median(numerator's block) / median(denominator's block): each
    round's blocks ran back to back (see the module's docstring)."""
    return statistics.median(statistics.median(a) / statistics.median(b) for a, b in zip(numerator, denominator))


def eager_against_onnx(eager_run, onnx_run, repeats: int) -> tuple[float, float, float, float]:
    """(eager median, ONNX Runtime median, ONNX Runtime p90, ratio), in ms."""
    timed = timeit({"torch": eager_run, "onnx": onnx_run}, repeats)
    (eager_ms, _), (onnx_ms, onnx_p90) = median_p90(timed["torch"]), median_p90(timed["onnx"])
    return eager_ms, onnx_ms, onnx_p90, ratio(timed["torch"], timed["onnx"])


def row(name: str, case: str, eager_ms: float, onnx_ms: float, onnx_p90: float, eager_onnx: float) -> str:
    return f"{name:16s} {case:34s} {eager_ms:9.1f} {onnx_ms:8.1f} {onnx_p90:9.1f} {eager_onnx:10.2f}x"


def median_ms(fn, repeats: int) -> float:
    return median_p90(timeit({"fn": fn}, repeats)["fn"])[0]


def shipped_generators() -> list[str]:
    return [str(p.parent) for p in sorted((ROOT / "weights").glob("*/config.json"))
            if "generator" in json.loads(p.read_text())]  # fmt: skip


def red_dabs(size: tuple[int, int]) -> Image.Image:
    """Six red dabs inside the benchmark's outline, as scripts/hints_grid.py places them."""
    hints = Image.new("RGBA", size, (0, 0, 0, 0))
    for x in range(40, 220, 30):
        ImageDraw.Draw(hints).ellipse((x, 170, x + 8, 178), fill=(214, 40, 40, 255))
    return hints


def model_rows(weights: str, edges: Image.Image, repeats: int, device: str) -> list[tuple]:
    """(what is timed, eager median, ONNX Runtime median, ONNX Runtime p90, ratio) for one model."""
    eager = load_translator(weights, device=device, runtime="torch")
    fast = load_translator(weights, device=device, runtime="onnx")
    image = edges
    x = eager.preprocess(image)[None]
    cases = {"network": (lambda t: t.translate_tensor(x)), "whole translation": (lambda t: t(image))}
    if eager.takes_hints:
        hints = red_dabs(image.size)
        cases["whole translation, colour hints"] = lambda t: t(image, hints=hints)
    return [(case, *eager_against_onnx(lambda: run(eager), lambda: run(fast), repeats)) for case, run in cases.items()]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights", nargs="*", default=None, help="weights folders (default: every shipped generator)")
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

    from model.onnx_runtime import onnxruntime_available

    if args.device != "cpu" or not onnxruntime_available():
        print("ONNX Runtime times need the CPU and the onnxruntime package (pip install onnxruntime)")
        return 1
    drawing = Image.new("RGBA", (384, 384), (0, 0, 0, 0))
    ImageDraw.Draw(drawing).line([(40, 250), (60, 150), (200, 140), (340, 230), (340, 280), (40, 285), (40, 250)],
                                 fill=(0, 0, 0, 255), width=4)  # fmt: skip
    edges = prepare_drawing(drawing).edges
    print(f"torch {torch.__version__}, onnxruntime {__import__('onnxruntime').__version__}, {args.device}, "
          f"{args.threads} thread(s), batch 1, 256x256 in and out")  # fmt: skip
    print(f"{'model':16s} {'':34s} {'torch ms':>9s} {'onnx ms':>8s} {'onnx p90':>9s} {'torch/onnx':>11s}")
    for weights in args.weights or shipped_generators():
        g = load_translator(weights, device="cpu", runtime="torch").config
        name = f"{Path(weights).name}"
        for case, *times in model_rows(weights, edges, args.repeats, args.device):
            print(row(name, case, *times))
            name = ""
        print(f"{'':16s} (U-Net {g.image_size}, ngf {g.ngf}" + (f", outer {g.outer_ngf}" if g.outer_ngf else "") + ")")
    shoe, dabs = torch.rand(3, 256, 256) * 2 - 1, red_dabs(edges.size)
    app_steps = {"canvas -> edge map": lambda: prepare_drawing(drawing),
                 "network output -> image": lambda: to_pil(shoe),
                 "colour hints -> tensor": lambda: hints_to_tensor(dabs, 256)}
    for name, (case, step) in zip(["app", "", ""], app_steps.items()):
        print(f"{name:16s} {case:34s} {median_ms(step, args.repeats):9.2f}")
    paper = UNetGenerator(GeneratorConfig(256, ngf=64)).eval()
    eager, fast = Translator(paper, device="cpu", runtime="torch"), Translator(paper, device="cpu", runtime="onnx")
    x = eager.preprocess(edges)[None]
    paper_times = eager_against_onnx(lambda: eager.translate_tensor(x), lambda: fast.translate_tensor(x),
                                     max(25, args.repeats // 2))  # at least five rounds: 0.1-0.2 s a run
    print(row("paper U-Net 256", "network (ngf 64, 54.4M parameters)", *paper_times))
    return 0


if __name__ == "__main__":
    sys.exit(main())
