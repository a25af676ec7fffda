"""Training speed, for `python scripts/benchmark.py --train`: images/s, GFLOP/s, share of the fp32
peak, and where a step's time goes (data and augmentation, D update, G update).

Settings: the paper's (U-Net 256, ngf 64, 70x70 PatchGAN with ndf 64, batch norm, batch 1) and the
headline model's recipe (128 px, ngf 32, ndf 32, instance norm, batch 8), each with and without
its augmentation, then variants of the headline recipe with its augmentation, one change each.
The fp32 peak is a 2048x2048 matrix product timed in the same run. FLOPs are counted by
torch.utils.flop_counter on one step; `--compile` adds torch.compile (a minute of compiling).

`--official DIR` times the official implementation beside ours, in the same rounds: the
Pix2PixModel.optimize_parameters() of a checkout of junyanz/pytorch-CycleGAN-and-pix2pix (its
models/ and util/ are enough; the checkout is not part of this project), at the paper's setting,
on the same preloaded pairs without augmentation. Without it, the ratio is taken against the
0.45 s per image an earlier session measured for it (issue 16) on another day.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw
from torch.utils.flop_counter import FlopCounterMode

from train.data import PreloadedPairs
from train.pix2pix import Pix2Pix
from train.batches import make_augment
from train.config import TrainConfig

OFFICIAL_SECONDS_PER_IMAGE = 0.45  # the official pix2pix code at the paper's setting, 2 threads (issue 16)
PAPER = TrainConfig(size=256, ngf=64, ndf=64, norm="batch", batch_size=1)
HEADLINE = TrainConfig(size=128, ngf=32, ndf=32, norm="instance", batch_size=8)


def synthetic_pairs(folder: Path, n: int = 32, size: int = 256) -> Path:
    """Edge-map-like inputs (a few black strokes on white) and blob targets, as AB PNGs."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        ab = Image.new("RGB", (2 * size, size), "white")
        draw = ImageDraw.Draw(ab)
        for _ in range(12):
            draw.line([tuple(rng.integers(20, size - 20, 2)) for _ in range(3)], fill="black", width=1)
        draw.ellipse((size + 30, 60, 2 * size - 30, size - 40), fill=tuple(int(c) for c in rng.integers(0, 255, 3)))
        ab.save(folder / f"{i}.png")
    return folder


def fp32_peak_gflops(n: int = 2048, repeats: int = 5) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * n**3 / min(times) / 1e9


class Setting:
    """One training setting, ready to step: networks, optimizers, data and augmentation."""

    def __init__(self, cfg: TrainConfig, loaded: dict, device, one_pass=None, fused=False, compiled=False):
        torch.manual_seed(0)
        self.cfg, self.device = cfg, device
        self.model = model = Pix2Pix(cfg, device)
        # torch.compile of both networks (inductor's defaults: no freezing, which the notes found wrong on this U-Net)
        if compiled:
            model.G_run, model.D_run = torch.compile(model.G), torch.compile(model.D)
        if fused:
            model.opt_g, model.opt_d = (torch.optim.Adam(n.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), fused=True)
                                        for n in (model.G, model.D))  # fmt: skip
        if one_pass is not None:
            model.one_d_pass = one_pass
        self.augment = make_augment(cfg)
        self.data = loaded[self.augment.load_size]
        self.memory_format = torch.channels_last if cfg.channels_last else torch.contiguous_format
        self.g = torch.Generator(device).manual_seed(0)
        self.parts: list[tuple[float, float, float]] = []

    def step(self, record: bool = True) -> None:
        cfg = self.cfg
        t0 = time.perf_counter()
        idx = torch.randint(0, len(self.data), (cfg.batch_size,), generator=torch.Generator().manual_seed(len(self.parts)))
        with torch.no_grad():
            x, y, strokes = self.data.batch(idx, self.device)
            x, y = self.augment(x, y, strokes, self.g)
        x, y = x.contiguous(memory_format=self.memory_format), y.contiguous(memory_format=self.memory_format)
        t1 = time.perf_counter()
        fake = self.model.forward(x)
        t2 = time.perf_counter()
        self.model.update_discriminator(x, y, fake)
        t3 = time.perf_counter()
        self.model.update_generator(x, y, fake)
        t4 = time.perf_counter()
        if record:
            self.parts.append((t1 - t0, t3 - t2, (t2 - t1) + (t4 - t3)))

    def flops_per_step(self) -> float:
        with FlopCounterMode(display=False) as counter:
            self.step(record=False)
        return counter.get_total_flops()

    def summary(self, flops: float) -> dict:
        seconds = statistics.median(sum(p) for p in self.parts)
        share = [statistics.median(p[k] for p in self.parts) / seconds for k in range(3)]
        return {"images_s": self.cfg.batch_size / seconds, "gflop_image": flops / self.cfg.batch_size / 1e9,
                "gflops": flops / seconds / 1e9, "data": share[0], "d": share[1], "g": share[2]}  # fmt: skip


class OfficialSetting:
    """The official implementation's training step at the paper's setting, from a checkout of it."""

    def __init__(self, checkout: Path, loaded: dict, device):
        sys.path.insert(0, str(checkout))
        from models.pix2pix_model import Pix2PixModel  # the official code, not this project's `model`

        opt = argparse.Namespace(gpu_ids=[], isTrain=True, checkpoints_dir=tempfile.mkdtemp(), name="bench",
                                 preprocess="resize_and_crop", input_nc=3, output_nc=3, ngf=64, ndf=64, netG="unet_256",
                                 netD="basic", n_layers_D=3, norm="batch", no_dropout=False, init_type="normal",
                                 init_gain=0.02, gan_mode="vanilla", pool_size=0, lr=2e-4, beta1=0.5, lambda_L1=100.0,
                                 direction="AtoB")  # fmt: skip
        torch.manual_seed(0)
        self.model, self.cfg, self.device = Pix2PixModel(opt), PAPER, device
        self.data = loaded[256]
        self.parts: list[tuple[float, float, float]] = []

    def step(self, record: bool = True) -> None:
        t0 = time.perf_counter()
        idx = torch.randint(0, len(self.data), (1,), generator=torch.Generator().manual_seed(len(self.parts)))
        x, y, _ = self.data.batch(idx, self.device)
        t1 = time.perf_counter()
        self.model.set_input({"A": x, "B": y, "A_paths": [""], "B_paths": [""]})
        self.model.optimize_parameters()
        if record:  # its D and G updates are one call: both count under G
            self.parts.append((t1 - t0, 0.0, time.perf_counter() - t1))

    flops_per_step = Setting.flops_per_step
    summary = Setting.summary


def time_settings(settings: list[Setting], steps: int) -> list[dict]:
    """Steps taken in turns, one per setting per round, so that the machine's noise falls on all alike."""
    for s in settings:
        s.step(record=False)  # warm-up
    flops = [s.flops_per_step() for s in settings]
    for _ in range(steps):
        for s in settings:
            s.step()
    return [s.summary(f) for s, f in zip(settings, flops)]


def train_benchmark(threads: int, steps: int, device: str = "cpu", compiled: bool = False, official: Path | None = None) -> int:
    device = torch.device(device)
    peak = fp32_peak_gflops()
    with tempfile.TemporaryDirectory() as tmp:
        folder = synthetic_pairs(Path(tmp) / "pairs")
        loaded = {size: PreloadedPairs([folder], "AtoB", size, label_strokes=True) for size in (128, 143, 256, 286)}
        rows = [
            ("paper, jitter", PAPER, {}),
            ("paper, no augmentation", dataclasses.replace(PAPER, augment="none"), {}),
            ("headline, drawing augmentation", dataclasses.replace(HEADLINE, augment="drawing"), {}),
            ("headline, no augmentation", dataclasses.replace(HEADLINE, augment="none"), {}),
            ("  variant: D sees real and fake apart", dataclasses.replace(HEADLINE, augment="drawing"), {"one_pass": False}),
            ("  variant: channels_last", dataclasses.replace(HEADLINE, augment="drawing", channels_last=True), {}),
            ("paper, jitter, channels_last", dataclasses.replace(PAPER, channels_last=True), {}),
            ("  variant: fused Adam", dataclasses.replace(HEADLINE, augment="drawing"), {"fused": True}),
        ] + ([("  variant: torch.compile of G and D", dataclasses.replace(HEADLINE, augment="drawing"), {"compiled": True})]
             if compiled else [])  # fmt: skip
        settings = [Setting(cfg, loaded, device, **kw) for _, cfg, kw in rows]
        if official and device.type != "cpu":
            raise SystemExit("--official times the official code on the CPU only; leave out --device cuda")
        if official:
            rows.append(("official code, paper, no augmentation (D+G)", PAPER, {}))
            settings.append(OfficialSetting(official, loaded, device))
        results = [(name, cfg, r) for (name, cfg, _), r in zip(rows, time_settings(settings, steps))]
    print(f"torch {torch.__version__}, {device}, {threads} thread(s); fp32 matmul peak here: {peak:.0f} GFLOP/s; "
          f"median of {steps} steps, taken in turns across the settings")  # fmt: skip
    print(f"{'setting':42s} {'img/s':>7s} {'GFLOP/img':>9s} {'GFLOP/s':>8s} {'of peak':>7s} {'data':>5s} {'D':>5s} {'G':>5s}")
    for name, cfg, r in results:
        print(f"{name:42s} {r['images_s']:7.2f} {r['gflop_image']:9.1f} {r['gflops']:8.0f} {r['gflops'] / peak:7.0%} "
              f"{r['data']:5.0%} {r['d']:5.0%} {r['g']:5.0%}")  # fmt: skip
    by_name = {name: r for name, _, r in results}
    paper = by_name["paper, jitter"]["images_s"]
    if official:
        plain, theirs = by_name["paper, no augmentation"]["images_s"], by_name["official code, paper, no augmentation (D+G)"]["images_s"]
        print(f"paper setting: {1 / paper:.2f} s/image with jitter, {1 / plain:.2f} without; the official code {1 / theirs:.2f}: "
              f"{plain / theirs:.2f}x its speed (same run, same pairs, no augmentation)")  # fmt: skip
    else:
        print(f"paper setting: {1 / paper:.2f} s/image, {paper * OFFICIAL_SECONDS_PER_IMAGE:.2f}x the official implementation's "
              "speed as measured on another day (give --official DIR to time it here)")  # fmt: skip
    with_aug, without = by_name["headline, drawing augmentation"]["images_s"], by_name["headline, no augmentation"]["images_s"]
    print(f"headline recipe: the drawing augmentation costs {1 - with_aug / without:.1%} of the throughput")
    return 0
