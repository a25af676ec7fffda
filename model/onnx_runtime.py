"""The inference network as ONNX, run by ONNX Runtime on the CPU: about twice as fast as eager torch.

    python -m model.onnx_runtime weights/edges2shoes [--out edges2shoes.onnx]

The exported graph is the network as the paper runs it at test time (model.translate.inference_network:
per-image normalisation, no dropout), in fp32, with its 4x4 stride-2 layers in the forms ONNX Runtime
runs fastest (model.onnx_layers: same outputs). A model that takes colour hints gets two graphs: one
without hints, the other with a `hints` input; drawings without hints take the first, so their
output is the base model's, as in torch.

load_translator exports on first use into a cache folder (PIX2PIX_CACHE, or ~/.cache/pix2pix),
named by a hash of the weights, the config and the torch version, and reads it from there after.
Nothing is shipped: the export takes a few seconds, and the weights stay the one source.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from .files import atomic_write
from .networks import GeneratorConfig, UNetGenerator, inference_network
from .onnx_layers import for_onnx_runtime
from .stopping import Stop

FORMAT = 4  # bump when the export changes, so that cached graphs are made again
OPSET = 18


def onnxruntime_available() -> bool:
    """Both packages: onnx for torch's exporter, onnxruntime to run the graph."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


class _Network(nn.Module):
    """The generator with its inputs named and fixed: (image) or (image, hints)."""

    def __init__(self, generator: UNetGenerator, with_hints: bool):
        super().__init__()
        self.generator, self.with_hints = generator, with_hints

    def forward(self, image, hints=None):
        return self.generator(image, hints if self.with_hints else None)


def export_onnx(generator: UNetGenerator, path: str | os.PathLike, with_hints: bool = False) -> Path:
    """Write the inference network of generator (fp32, CPU) to path as ONNX; returns path."""
    if with_hints and not generator.config.hints:
        raise ValueError("this generator takes no colour hints: export it without them")
    net = _Network(inference_network(generator).float().cpu(), with_hints).eval()
    size = generator.config.image_size
    image = torch.zeros(1, generator.config.in_channels, size, size)
    args, names = (image,), ["image"]
    if with_hints:
        hints = torch.zeros(1, GeneratorConfig.HINT_CHANNELS, size, size)
        hints[:, 3, : size // 4, : size // 4] = 1  # traced with hints present: the graph always adds the adapter's share
        args, names = (image, hints), ["image", "hints"]
    net = for_onnx_runtime(net, *args)
    path = Path(path)

    def write(tmp):
        with warnings.catch_warnings():  # the trace's notes on the hint check, which the graph does as arithmetic
            warnings.simplefilter("ignore")
            torch.onnx.export(net, args, tmp, opset_version=OPSET, dynamo=False, input_names=names, output_names=["output"],
                              dynamic_axes={n: {0: "batch"} for n in [*names, "output"]})  # fmt: skip

    atomic_write(path, write)
    return path


def weights_digest(generator: UNetGenerator) -> str:
    h = hashlib.sha256(json.dumps([FORMAT, torch.__version__, generator.config.to_dict()], sort_keys=True).encode())
    for name, tensor in sorted(generator.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:24]


def cache_folder() -> Path:
    return Path(os.environ.get("PIX2PIX_CACHE") or Path.home() / ".cache" / "pix2pix") / "onnx"


def open_session(path: Path, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxNetwork:
    """Runs a generator's ONNX graphs with ONNX Runtime on the CPU: (image[, hints]) arrays in, output out.

    A call may ask for fewer threads than the default (all of torch's), for when another translation
    runs beside it: such a session is made on first use, and sessions run calls from several threads at once."""

    def __init__(self, generator: UNetGenerator, threads: int | None = None, folder: Path | None = None):
        folder = folder or cache_folder()
        digest = weights_digest(generator)
        self.threads = threads or torch.get_num_threads()
        self.takes_hints = generator.config.hints
        self.paths = {False: folder / f"{digest}.onnx"}
        if self.takes_hints:
            self.paths[True] = folder / f"{digest}-hints.onnx"
        for with_hints, path in self.paths.items():
            if not path.is_file():
                export_onnx(generator, path, with_hints)
        self.sessions: dict[tuple[bool, int], object] = {}
        self.lock = threading.Lock()
        for with_hints in self.paths:
            self.session(with_hints, self.threads)

    def session(self, with_hints: bool, threads: int):
        """The session of one graph at a thread count, made on first use."""
        key = (with_hints, threads)
        if key not in self.sessions:  # checked again under the lock, which a session being made holds
            with self.lock:
                if key not in self.sessions:
                    self.sessions[key] = open_session(self.paths[with_hints], threads)
        return self.sessions[key]

    def __call__(self, image: torch.Tensor, hints: torch.Tensor | None = None, threads: int | None = None,
                 stop: Stop | None = None) -> torch.Tensor:  # fmt: skip
        """stop: a Stop whose request() ends the run between two operators, raising Stopped."""
        import onnxruntime as ort

        threads = min(threads or self.threads, self.threads)
        feeds = {"image": np.ascontiguousarray(image.float().cpu().numpy())}
        hint_array = None if hints is None or not self.takes_hints else np.ascontiguousarray(hints.float().cpu().numpy())
        with_hints = hint_array is not None and bool((hint_array[:, 3] > 0).any())  # numpy: see model.images
        if with_hints:
            feeds["hints"] = hint_array
        session, run_options = self.session(with_hints, threads), ort.RunOptions()
        stop = stop or Stop()
        with stop.watching(run_options):
            try:
                return torch.from_numpy(session.run(None, feeds, run_options)[0])
            except Exception:
                stop.check()  # a terminated run raises ONNX Runtime's generic Fail: told apart by the request
                raise


def main(argv=None) -> int:
    from .weights import load_generator

    p = argparse.ArgumentParser(prog="python -m model.onnx_runtime", description=__doc__.split("\n")[0])
    p.add_argument("weights", help="a weights folder or Hub repo id")
    p.add_argument("--out", type=Path, default=None, help="the ONNX file (default: outputs/NAME.onnx); a model with "
                                                          "hints also gets NAME-hints.onnx")  # fmt: skip
    args = p.parse_args(argv)
    generator, _ = load_generator(args.weights)
    out = args.out or Path("outputs") / f"{Path(args.weights).name}.onnx"
    written = [export_onnx(generator, out)]
    if generator.config.hints:
        written.append(export_onnx(generator, out.with_name(f"{out.stem}-hints.onnx"), with_hints=True))
    for path in written:
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
