"""Inference: load a trained generator and translate images.

    from model import load_translator
    shoe = load_translator("weights/edges2shoes")(Image.open("examples/edges2shoes/drawing_sneaker.png"))
    red = translator(edges, hints=rgba)  # opaque pixels of an RGBA image: colour hints (models with hints)

CLI:  python -m model.translate INPUT OUTPUT --weights DIR [--hints RGBA.png]   (INPUT may be a folder)
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import warnings
from pathlib import Path

import torch
import torch.nn as nn
from PIL import Image

from .hints import has_alpha, hints_to_tensor
from .images import to_pil, to_rgb, to_tensor
from .files import IMAGE_SUFFIXES, open_image
from .networks import UNetGenerator, inference_network
from .stopping import Stop
from .weights import load_generator

def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


RUNTIMES = ("auto", "onnx", "torch")
# Seeded variations switch dropout on and seed torch's one random generator: one at a time, whatever
# runs beside them, or two seeds at once would mix their noise.
SEEDED = threading.Lock()


def choose_runtime(runtime: str, device: torch.device) -> str:
    """auto: torch on a GPU; on the CPU, ONNX Runtime where it is installed, else eager torch."""
    from .onnx_runtime import onnxruntime_available

    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}, got {runtime!r}")
    if runtime == "onnx":
        if device.type != "cpu":
            raise ValueError("the onnx runtime runs on the CPU; use runtime='torch' on a GPU")
        if not onnxruntime_available():
            raise ValueError("runtime 'onnx' needs the onnx and onnxruntime packages: pip install onnx onnxruntime")
        return "onnx"
    if runtime == "auto" and device.type == "cpu" and onnxruntime_available():
        return "onnx"
    return "torch"


class Translator:
    """Callable: PIL image of any size and mode -> translated PIL image of the same size.

    runtime: "onnx" runs the network through ONNX Runtime (CPU), "torch" eagerly, "auto" picks
    (see choose_runtime). Seeded dropout variations always run on torch.
    """

    def __init__(self, generator: UNetGenerator, meta: dict | None = None, device: str | torch.device | None = None,
                 runtime: str = "auto"):  # fmt: skip
        self.meta = meta or {}
        self.config = generator.config
        self.device = torch.device(device) if device else default_device()
        self.runtime = choose_runtime(runtime, self.device)
        self.generator = inference_network(generator).to(self.device).to(memory_format=torch.channels_last)
        self.dropouts = [m for m in self.generator.modules() if isinstance(m, nn.Dropout)]
        self.onnx = None
        if self.runtime == "onnx":
            self.onnx = self.onnx_network(generator, required=runtime == "onnx")
            self.runtime = "onnx" if self.onnx is not None else "torch"

    @staticmethod
    def onnx_network(generator: UNetGenerator, required: bool):
        """The generator on ONNX Runtime; where it cannot be exported or loaded, None (eager torch
        takes over, with a warning) unless the onnx runtime was asked for by name."""
        from .onnx_runtime import OnnxNetwork

        try:
            return OnnxNetwork(generator)
        except Exception as e:  # an exporter or runtime this install cannot run: torch still can
            if required:
                raise
            warnings.warn(f"ONNX Runtime could not take this model ({type(e).__name__}: {e}); running it on eager torch")
            return None

    @property
    def size(self) -> int:
        return self.config.image_size

    def preprocess(self, image: Image.Image) -> torch.Tensor:
        image = to_rgb(image, self.config.in_channels)
        return to_tensor(image.resize((self.size, self.size), Image.Resampling.BICUBIC))

    @property
    def takes_hints(self) -> bool:
        return self.config.hints

    def preprocess_hints(self, hints: Image.Image, image_size: tuple[int, int]) -> torch.Tensor:
        if not self.takes_hints:
            raise ValueError("this model takes no colour hints; translate without them, or use a model trained with --hints.")
        if not has_alpha(hints):
            raise ValueError("the hints image has no transparency: give an RGBA image, transparent where there are no hints.")
        if hints.size != image_size:
            raise ValueError(f"the hints image is {hints.size[0]}x{hints.size[1]} but the input is "
                             f"{image_size[0]}x{image_size[1]}; give hints the size of the input.")  # fmt: skip
        return hints_to_tensor(hints, self.size)

    @torch.inference_mode()
    def translate_tensor(self, batch: torch.Tensor, seed: int | None = None, hints: torch.Tensor | None = None,
                         threads: int | None = None, stop: Stop | None = None) -> torch.Tensor:  # fmt: skip
        """(N, C, size, size) in [-1, 1] -> (N, C_out, size, size). seed switches dropout noise on.

        hints: (N, 4, size, size) colours and mask (model.hints), for models with hint channels.
        threads: at most this many CPU threads, for a translation that shares the CPU with another;
        ONNX Runtime only (torch's threads are the whole process's).
        stop: a model.Stop; its request() ends the translation early with Stopped (model.stopping).
        """
        if seed is None and self.onnx is not None:
            return self.onnx(batch, hints, threads, stop)
        if stop is not None:
            stop.check()
        batch = batch.to(self.device).contiguous(memory_format=torch.channels_last)
        hints = None if hints is None else hints.to(self.device).contiguous(memory_format=torch.channels_last)
        if seed is None:
            return self.generator(batch, hints).float().cpu()
        # Section 3.1: dropout at test time is the generator's only source of variation.
        devices = [self.device] if self.device.type == "cuda" else []
        with SEEDED, torch.random.fork_rng(devices=devices):
            if stop is not None:  # it may have come while this waited for the lock
                stop.check()
            torch.manual_seed(seed)
            for m in self.dropouts:
                m.train()
            try:
                return self.generator(batch, hints).float().cpu()
            finally:
                for m in self.dropouts:
                    m.eval()

    def __call__(self, image: Image.Image, seed: int | None = None, hints: Image.Image | None = None,
                 threads: int | None = None, stop: Stop | None = None) -> Image.Image:  # fmt: skip
        """hints: an RGBA image the size of image; its opaque pixels ask for their colour there.
        threads, stop: see translate_tensor."""
        hint_tensor = None if hints is None else self.preprocess_hints(hints, image.size)[None]
        out = to_pil(self.translate_tensor(self.preprocess(image)[None], seed, hint_tensor, threads, stop)[0])
        return out if out.size == image.size else out.resize(image.size, Image.Resampling.BICUBIC)


def load_translator(path_or_repo: str | os.PathLike, device: str | torch.device | None = None,
                    revision: str | None = None, runtime: str = "auto") -> Translator:  # fmt: skip
    """A Translator from a weights folder or a Hugging Face Hub repo id; runtime: see Translator."""
    generator, meta = load_generator(path_or_repo, revision)
    return Translator(generator, meta, device, runtime)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m model.translate", description=__doc__.split("\n")[0])
    p.add_argument("input", type=Path, help="an image, or a folder of images")
    p.add_argument("output", type=Path, help="an image path, or a folder when INPUT is a folder")
    p.add_argument("--weights", required=True, help="weights folder or Hub repo id")
    p.add_argument("--seed", type=int, default=None, help="turn dropout noise on, with this seed")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    p.add_argument("--runtime", choices=RUNTIMES, default="auto",
                   help="onnx: ONNX Runtime on the CPU; torch: eager; auto: torch on a GPU, else onnx where installed")  # fmt: skip
    p.add_argument("--hints", type=Path, default=None,
                   help="an RGBA image the size of INPUT: its opaque pixels are colour hints (models trained with --hints)")  # fmt: skip
    args = p.parse_args(argv)

    from tqdm import tqdm

    try:
        translator = load_translator(args.weights, device=args.device, runtime=args.runtime)
    except ValueError as e:
        p.error(str(e))
    hints = None
    if args.hints is not None:
        if not translator.takes_hints:
            p.error(f"{args.weights} takes no colour hints; leave out --hints")
        try:
            hints = open_image(args.hints)
        except ValueError as e:
            p.error(str(e))
    if args.input.is_dir():
        pairs = [(f, args.output / (f.stem + ".png")) for f in sorted(args.input.iterdir())
                 if f.suffix.lower() in IMAGE_SUFFIXES]  # fmt: skip
        args.output.mkdir(parents=True, exist_ok=True)
    elif args.input.exists():
        pairs = [(args.input, args.output)]
        args.output.parent.mkdir(parents=True, exist_ok=True)
    else:
        p.error(f"{args.input} does not exist")
    failed = 0
    for src, dst in tqdm(pairs, desc="translating", unit="img", disable=len(pairs) < 2):
        try:
            translator(open_image(src), seed=args.seed, hints=hints).save(dst)
        except ValueError as e:
            failed += 1
            print(f"skipped {e}", file=sys.stderr)
    print(f"wrote {len(pairs) - failed} image(s) to {args.output}" + (f", {failed} failed" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
