"""Where a live shoe's time goes, on the network's side and on the page's.

    python -m research.live_canvas_costs network [--weights weights/edges2shoes]
    python -m research.live_canvas_costs page [--weights-dir weights]

(from the checkout: the page study drives the app with scripts/app_process.py and scripts/browser.py)

network: ONNX Runtime's per-operator and per-convolution profile of the generator at one and two
threads, as built and as exported (model.onnx_layers); rewrites of its transposed convolutions that
give the same outputs, timed interleaved against both (the exported phase form with its phases
interleaved by a one-hot grouped transposed convolution instead of a fold; the export without its
column form, the 2-4 px layers kept as transposed convolutions, and with the column form up to
8 px; the phase form in every layer, not only from 16 px up; four 2x2 convolutions, one per output
phase; one 3x3 convolution to four times the channels, then a pixel shuffle); one session of one
thread called from two threads at once against one call at a time on two threads; the memory a
second session of a graph costs; where the openvino package is installed, OpenVINO on the same
graph (its precision, its difference from eager, its time); and the same network with
upsample="resize" on both runtimes.

page: headless Chromium. What a 512-px canvas's hint layer costs to draw with and without its
shadow; then the app (on one thread, as the browser test runs it), drawn on with strokes of 40
moves: the pen's move rate when each move is followed by a fixed 16 ms wait (the harness before)
and when moves come due every 16 ms (scripts/browser.stroke), the shoes per second in each case,
and the server's share of a request (request sent to first byte of the answer).
Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import collections
import copy
import dataclasses
import json
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from model import load_generator
from model.networks import inference_network
from model.onnx_layers import TAPS, PhaseUpsample, for_onnx_runtime
from model.onnx_runtime import OPSET, open_session

ROOT = Path(__file__).resolve().parents[1]
# Output parity -> the 4x4 kernel's rows (or columns) for input offsets -1/0 (even) or 0/+1 (odd).
PARITY_TAPS = {parity: TAPS[1 - parity] for parity in (0, 1)}


class PhaseConvs(nn.Module):
    """ConvTranspose2d(4, stride 2, padding 1) as four 2x2 convolutions, one per output phase."""

    def __init__(self, t: nn.ConvTranspose2d):
        super().__init__()
        w = t.weight.detach()
        self.cout = w.shape[1]
        self.weights = [w[:, :, PARITY_TAPS[a]][:, :, :, PARITY_TAPS[b]].permute(1, 0, 2, 3).contiguous()
                        for a in (0, 1) for b in (0, 1)]  # fmt: skip
        self.bias = None if t.bias is None else t.bias.detach()

    def forward(self, x):
        n, _, h, w = x.shape
        outs = [F.conv2d(F.pad(x, (1 - b, b, 1 - a, a)), self.weights[2 * a + b], self.bias) for a in (0, 1) for b in (0, 1)]
        y = torch.stack(outs, 1).view(n, 2, 2, self.cout, h, w)
        return y.permute(0, 3, 4, 1, 5, 2).reshape(n, self.cout, 2 * h, 2 * w)


class SubPixel(nn.Module):
    """ConvTranspose2d(4, stride 2, padding 1) as a 3x3 convolution to 4x the channels, then a pixel shuffle."""

    def __init__(self, t: nn.ConvTranspose2d):
        super().__init__()
        w = t.weight.detach()
        cin, cout = w.shape[:2]
        kernel = torch.zeros(cout, 2, 2, cin, 3, 3)
        offsets = {0: (0, 1), 1: (1, 2)}  # parity -> the 3x3 kernel's rows (or columns) the taps go to
        for a in (0, 1):
            for b in (0, 1):
                for dy, ky in zip(offsets[a], PARITY_TAPS[a]):
                    for dx, kx in zip(offsets[b], PARITY_TAPS[b]):
                        kernel[:, a, b, :, dy, dx] = w[:, :, ky, kx].t()
        self.conv = nn.Conv2d(cin, 4 * cout, 3, 1, 1, bias=t.bias is not None)
        self.conv.weight.data = kernel.reshape(4 * cout, cin, 3, 3)
        if t.bias is not None:
            self.conv.bias.data = t.bias.detach().repeat_interleave(4)

    def forward(self, x):
        return F.pixel_shuffle(self.conv(x), 2)


class OneHotInterleave(PhaseUpsample):
    """The export's phase form, its phases interleaved by a one-hot 2x2 transposed convolution per
    channel (no overlapping taps) rather than by a fold (ONNX's Col2Im)."""

    def forward(self, x):
        return F.conv_transpose2d(self.phases(x), self.one_hot, stride=2, padding=1, groups=self.out_channels)


def interleaved_by_one_hot(net: nn.Module) -> nn.Module:
    net = copy.deepcopy(net)
    for module in net.modules():
        if type(module) is PhaseUpsample:
            module.__class__ = OneHotInterleave
            cout = module.out_channels
            module.register_buffer("one_hot", torch.eye(4).repeat(cout, 1).view(4 * cout, 1, 2, 2))
    return net


def rewritten(net: nn.Module, kind) -> nn.Module:
    net = copy.deepcopy(net)
    for module in list(net.modules()):
        for name, child in module.named_children():
            if isinstance(child, nn.ConvTranspose2d):
                setattr(module, name, kind(child))
    return net


def median_ms(run, repeats=20, blocks=3) -> float:
    times = []
    for _ in range(blocks):
        time.sleep(0.3)
        run()
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def interleaved_medians(runs: dict, blocks: int = 3) -> dict[str, float]:
    """Each run's median ms, over blocks of 10 runs taken in turn, so that all share the machine's moods."""
    times = {name: [] for name in runs}
    for _ in range(blocks):
        for name, run in runs.items():
            times[name].append(median_ms(run, repeats=10, blocks=1))
    return {name: statistics.median(t) for name, t in times.items()}


def operator_profile(path: Path, x: np.ndarray, threads: int, every_op: bool = False) -> None:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.enable_profiling = threads, True
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    runs = 40
    for _ in range(runs):
        session.run(None, {"image": x})
    profile = Path(session.end_profiling())
    events = json.loads(profile.read_text())
    profile.unlink()
    by_op, by_node = collections.Counter(), collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            by_op[e["args"]["op_name"]] += e["dur"] / 1000 / runs
            by_node[e["name"].removesuffix("_kernel_time")] += e["dur"] / 1000 / runs
    shown = by_op.most_common(None if every_op else 4)  # every op: which of them a second thread speeds up
    print(f"  {threads} thread(s): network {sum(by_op.values()):.1f} ms; "
          + ", ".join(f"{op} {ms:.2f}" for op, ms in shown))
    if threads > 1:
        for name, (macs, weights_mb) in convolution_sizes(path).items():
            # ONNX Runtime renames the nodes it fuses: a node is found by its name's start
            ms = next((t for node, t in by_node.items() if node.startswith(name)), None)
            if ms:
                print(f"    {name}: {ms:.2f} ms, {macs / 1e6:.0f}M multiply-adds "
                      f"({macs / ms / 1e6:.0f} billion a second), {weights_mb:.1f} MB of weights"
                      + folded_layer_ms(by_node, name))


def folded_layer_ms(by_node: dict[str, float], name: str) -> str:
    """For the convolution of a phase or column layer (model.onnx_layers), the whole layer's time: its
    nodes are named under the layer's module (the convolution, its reshapes, the fold, the bias),
    all but the layout conversions ONNX Runtime adds, which are not."""
    layer, _, form = name.rpartition("/")[0].rpartition("/")
    if form not in ("phases", "columns"):
        return ""
    return f"; with its fold, {sum(t for node, t in by_node.items() if node.startswith(layer + '/')):.2f} ms"


def convolution_sizes(path: Path) -> dict[str, tuple[int, float]]:
    """Each convolution of the graph, by its output's name: (multiply-adds, MB of fp32 weights)."""
    import onnx

    graph = onnx.shape_inference.infer_shapes(onnx.load(str(path))).graph
    values = [*graph.value_info, *graph.input, *graph.output]
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in values}
    weights = {w.name: list(w.dims) for w in graph.initializer}
    sizes = {}
    for node in graph.node:
        if node.op_type in ("Conv", "ConvTranspose") and node.input[1] in weights:  # not a weight made in the graph
            w, n_in, n_out = weights[node.input[1]], shapes[node.input[0]], shapes[node.output[0]]
            per_position = w[1] * w[2] * w[3]  # a transposed convolution's kernel is scattered from each input position
            positions = n_out[1] * n_out[2] * n_out[3] if node.op_type == "Conv" else n_in[1] * n_in[2] * n_in[3]
            sizes[node.output[0].removesuffix("_output_0")] = (positions * per_position, np.prod(w) * 4 / 1e6)
    return sizes


def throughput(run, callers: int, seconds: float = 3.0) -> float:
    done, stop = [0] * callers, time.perf_counter() + seconds

    def loop(k):
        while time.perf_counter() < stop:
            run()
            done[k] += 1

    workers = [threading.Thread(target=loop, args=(k,)) for k in range(callers)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(done) / seconds


def network(args) -> None:
    generator, _ = load_generator(args.weights)
    net = inference_network(generator).float().eval()
    x = torch.rand(1, generator.config.in_channels, generator.config.image_size, generator.config.image_size) * 2 - 1
    paths = exported_variants(net, x)
    exported, xn = paths["exported (model.onnx_layers)"], x.numpy()
    session_costs(exported, xn)
    shuffles = ("four 2x2 convolutions", "3x3 convolution + pixel shuffle")  # one thread shows where their shuffles go
    for name, path in paths.items():
        print(f"ONNX Runtime's profile of the graph {name}, milliseconds a run:")
        for threads in (1,) if name in shuffles else (1, 2):
            operator_profile(path, xn, threads, every_op=path == exported)
    for threads in (1, 2):
        sessions = {name: open_session(path, threads) for name, path in paths.items()}
        runs = {name: (lambda s=s: s.run(None, {"image": xn})) for name, s in sessions.items()}
        ms = interleaved_medians(runs, blocks=9)
        print(f"median ms of a run, {threads} thread(s), interleaved: "
              + "; ".join(f"{name} {t:.1f}" for name, t in ms.items()))
    openvino_against_onnxruntime(net, x, exported)
    upsampling_by_resize(generator, x)


def exported_variants(net: nn.Module, x: torch.Tensor) -> dict[str, Path]:
    """The network as built, as model.onnx_runtime exports it, and six rewrites, each an ONNX file."""
    folder, paths = Path(tempfile.mkdtemp()), {}
    exported = for_onnx_runtime(net, x)
    for name, model in {"as built": net, "exported (model.onnx_layers)": exported,
                        "exported, one-hot interleave": interleaved_by_one_hot(exported),
                        "exported, 2-4 px transposed convolutions kept": for_onnx_runtime(net, x, max_column_input=0),
                        "exported, column form up to 8 px": for_onnx_runtime(net, x, max_column_input=8),
                        "phase form in every transposed convolution": for_onnx_runtime(net, x, min_phase_input=2),
                        "four 2x2 convolutions": rewritten(net, PhaseConvs),
                        "3x3 convolution + pixel shuffle": rewritten(net, SubPixel)}.items():  # fmt: skip
        with torch.no_grad():
            difference = (model(x) - net(x)).abs().max().item()
        paths[name] = folder / f"{len(paths)}.onnx"
        torch.onnx.export(model, (x,), paths[name], opset_version=OPSET, dynamo=False, input_names=["image"])
        print(f"{name}: max abs difference from eager {difference:.1e}")
    return paths


def session_costs(path: Path, xn) -> None:
    """What a second session of the graph costs in memory, and what one session gives two callers."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:  # a fresh heap: freed memory would hide the cost
        print(f"a second session of the graph: +{pool.apply(second_session_mb, (path, xn)):.0f} MB resident")
    one, two = open_session(path, 1), open_session(path, 2)
    print(f"translations a second: one at a time on two threads {throughput(lambda: two.run(None, {'image': xn}), 1):.0f}; "
          f"a one-thread session called from two threads at once {throughput(lambda: one.run(None, {'image': xn}), 2):.0f}")  # fmt: skip


def upsampling_by_resize(generator, x: torch.Tensor) -> None:
    """The same network with upsample="resize" (nearest 2x, then a 3x3 convolution; random weights)
    beside the shipped one: eager torch and ONNX Runtime, two threads, interleaved."""
    from model import UNetGenerator
    from model.translate import Translator

    resize = UNetGenerator(dataclasses.replace(generator.config, upsample="resize")).eval()
    os.environ["PIX2PIX_CACHE"] = tempfile.mkdtemp()  # their graphs are not kept
    runs = {}
    for name, g in (("transposed", generator), ("resize", resize)):
        for runtime in ("torch", "onnx"):
            translator = Translator(g, device="cpu", runtime=runtime)
            runs[f"{name}, {runtime}"] = lambda t=translator: t.translate_tensor(x)
    ms = interleaved_medians(runs)
    pairs = {kind: (ms[f"{kind}, torch"], ms[f"{kind}, onnx"]) for kind in ("transposed", "resize")}
    print("upsampling, median ms on eager torch / ONNX Runtime (ratio): "
          + "; ".join(f"{kind} {e:.1f} / {o:.1f} ({e / o:.2f}x)" for kind, (e, o) in pairs.items()))


def openvino_against_onnxruntime(net: nn.Module, x: torch.Tensor, path: Path) -> None:
    """OpenVINO on the same graph: its default precision on this CPU, and at fp32, its difference from
    eager and its time against ONNX Runtime's and eager torch's (two threads, interleaved)."""
    try:
        import openvino as ov
    except ImportError:
        print("OpenVINO: not installed (pip install openvino), so not compared")
        return
    core, xn = ov.Core(), x.numpy()
    with torch.no_grad():
        eager = net(x).numpy()
    print(f"OpenVINO {ov.__version__}: default precision on this CPU {core.get_property('CPU', 'INFERENCE_PRECISION_HINT')}")
    runs = {}
    for precision in ("bf16", "f32"):
        request = core.compile_model(str(path), "CPU", {"INFERENCE_PRECISION_HINT": precision, "INFERENCE_NUM_THREADS": 2,
                                                        "PERFORMANCE_HINT": "LATENCY"}).create_infer_request()  # fmt: skip
        print(f"  {precision}: max abs difference from eager {np.abs(request.infer({0: xn})[0] - eager).max():.1e}")
        runs[f"OpenVINO {precision}"] = lambda r=request: r.infer({0: xn})
    session = open_session(path, 2)
    runs["ONNX Runtime"] = lambda: session.run(None, {"image": xn})
    runs["eager torch"] = lambda: net(x)
    with torch.no_grad():
        ms = interleaved_medians(runs)
    print("  median ms, two threads: " + ", ".join(f"{name} {t:.1f}" for name, t in ms.items()))


def second_session_mb(path: Path, xn: np.ndarray) -> float:
    """Resident memory that opening and running a second one-thread session of the graph adds."""
    sessions = [open_session(path, 1)]
    sessions[0].run(None, {"image": xn})
    before = resident_mb()
    sessions.append(open_session(path, 1))
    sessions[1].run(None, {"image": xn})
    return resident_mb() - before


def resident_mb() -> float:
    """This process's resident memory (Linux)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 1e6


def page(args) -> None:
    from playwright.sync_api import sync_playwright

    from scripts.app_process import start_app, stop_app
    from scripts.browser import CHROMIUM, LAUNCH_ARGS, SHOE, open_canvas, settle, stroke

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        blank = browser.new_page()
        print("a 512-px hint layer drawn onto the canvas, ms: " + json.dumps(blank.evaluate(SHADOW_COST)))
        proc, url = start_app(Path(args.weights_dir))
        try:
            drawing = open_canvas(browser, url)
            for label, draw in (("a fixed 16 ms wait after each move", fixed_wait_stroke), ("moves due every 16 ms", stroke)):
                print(f"{label}: " + pen_and_shoes(drawing, draw, SHOE, settle))
        finally:
            stop_app(proc)
        browser.close()


SHADOW_COST = """() => {
  const canvas = document.createElement('canvas'); canvas.width = canvas.height = 512;
  const ctx = canvas.getContext('2d');
  const hints = document.createElement('canvas'); hints.width = hints.height = 512;
  const time = (draw) => { const s = performance.now(); for (let i = 0; i < 50; i++) { draw(); ctx.getImageData(0, 0, 1, 1); } return (performance.now() - s) / 50; };
  const plain = time(() => ctx.drawImage(hints, 0, 0));
  const shadow = time(() => { ctx.save(); ctx.shadowColor = 'rgba(0,0,0,0.45)'; ctx.shadowBlur = 3; ctx.drawImage(hints, 0, 0); ctx.restore(); });
  return {plain: +plain.toFixed(2), with_shadow: +shadow.toFixed(2)};
}"""


def fixed_wait_stroke(page, points, moves=40, move_ms=16):
    """The harness before: a stroke through points, each move followed by a wait of move_ms."""
    box = page.locator("#sketch canvas").bounding_box()
    at = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for k in range(1, moves + 1):
        t = k / moves * (len(at) - 1)
        i = min(int(t), len(at) - 2)
        (x0, y0), (x1, y1) = at[i], at[i + 1]
        page.mouse.move(x0 + (t - i) * (x1 - x0), y0 + (t - i) * (y1 - y0))
        page.wait_for_timeout(move_ms)
    page.mouse.up()


def pen_and_shoes(page, draw, shoe, settle, strokes=6) -> str:
    page.evaluate("performance.setResourceTimingBufferSize(10000); performance.clearResourceTimings()")
    moves, shoes = [], []
    for k in range(strokes):
        draw(page, [(x, y + 0.02 * k) for x, y in shoe])
        t = settle(page)
        down, up = t["downs"][-1], t["ups"][-1]
        moves.append(len([m for m in t["moves"] if down < m <= up]) * 1000 / (up - down))
        shoes.append(len([r for r in t["results"] if down < r <= up]) * 1000 / (up - down))
    server = page.evaluate("performance.getEntriesByType('resource').filter(e => e.name.includes('component_server'))"
                           ".map(e => e.responseStart - e.requestStart)")  # fmt: skip
    return (f"the pen moved {statistics.median(moves):.0f} times a second, {statistics.median(shoes):.1f} shoes a second; "
            f"request sent to first byte of the answer {statistics.median(server):.1f} ms median")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("what", choices=["network", "page"])
    p.add_argument("--weights", default=str(ROOT / "weights" / "edges2shoes"))
    p.add_argument("--weights-dir", default=str(ROOT / "weights"))
    args = p.parse_args()
    torch.set_num_threads(2)
    network(args) if args.what == "network" else page(args)


if __name__ == "__main__":
    main()
