"""A run's folder (--out): what training leaves behind, and how a run is stopped and resumed.

    checkpoint.safetensors   everything --resume needs (train/checkpoint.py)
    train_config.json        the config, readable
    losses.csv, loss_curve.png
    metrics.jsonl            one line per validation
    samples/*.png            input | output | target of fixed val pairs
    generator/               the exported model: weights, config, card (ready for the Hub)

Only the main process of a distributed run writes here.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import signal
import sys
import threading
from pathlib import Path

import torch

from model import save_generator
from model.files import atomic_write, remove_stale_temporaries
from model.images import to_pil
from model.networks import inference_network

from .checkpoint import CHECKPOINT_NAME, load_checkpoint, save_checkpoint
from .config import TrainConfig
from .hints import HINT_DOTS, dots
from .metrics import ImageMetrics, to_unit
from .pix2pix import Pix2Pix
from .plots import save_loss_curve, save_sample_grid

LOSS_FIELDS = ["step", "epoch", "lr", "loss_D", "loss_G_gan", "loss_G_l1", "images_per_s", "loss_F", "loss_G_feature"]


class RunFolder:
    def __init__(self, out: str | Path, writes: bool = True):
        self.out, self.writes = Path(out), writes
        self.log_path = self.out / "losses.csv"
        self._log = None

    # ------------------------------------------------------------------ start and resume

    def resume(self, model: Pix2Pix) -> tuple[int, float]:
        """Load the checkpoint into model; (its step, its seconds of training so far)."""
        meta = load_checkpoint(self.out / CHECKPOINT_NAME, model)
        return int(meta["step"]), float(meta.get("elapsed_s", 0))

    def start(self, cfg: TrainConfig, step: int) -> None:
        """Tidy what a killed run left, write the config, and open losses.csv: a new one at step 0;
        on resume, its rows past the checkpoint dropped, so that the log matches the weights."""
        if not self.writes:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        for stale in remove_stale_temporaries(self.out) + remove_stale_temporaries(self.out / "generator"):
            print(f"removed {stale}, left by a write that was cut off", file=sys.stderr)
        (self.out / "train_config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=2) + "\n")
        if step == 0 or not self.log_path.exists():
            write_rows(self.log_path, [LOSS_FIELDS])
        else:
            with open(self.log_path, newline="") as f:
                rows = list(csv.reader(f))
            kept = [rows[0]] + [r for r in rows[1:] if int(r[0]) <= step]
            atomic_write(self.log_path, lambda p: write_rows(p, kept))
        self._log = open(self.log_path, "a", newline="")

    # ------------------------------------------------------------------ during the run

    def log(self, step: int, epoch: int, lr: float, losses: list[float], images_per_s: float) -> None:
        if self._log is None:
            return
        loss_d, gan, l1, loss_f, gan_f = losses
        csv.writer(self._log).writerow([step, epoch, f"{lr:.3g}", f"{loss_d:.4f}", f"{gan:.4f}", f"{l1:.4f}",
                                        f"{images_per_s:.2f}", f"{loss_f:.4f}", f"{gan_f:.4f}"])  # fmt: skip

    def checkpoint(self, model: Pix2Pix, step: int, cfg: TrainConfig, elapsed_s: float) -> None:
        """Everything --resume needs, and the loss curve so far; refused where a network holds NaN or inf."""
        if not self.writes:
            return
        model.refuse_non_finite(step, self.out)
        self._log.flush()
        save_checkpoint(self.out / CHECKPOINT_NAME, model, step=step, train_config=dataclasses.asdict(cfg), elapsed_s=elapsed_s)
        save_loss_curve(self.log_path, self.out / "loss_curve.png")

    def samples(self, model: Pix2Pix, fixed: tuple[torch.Tensor, torch.Tensor], name: str) -> None:
        """samples/NAME: input | output | target of the fixed pairs; with hints, HINT_DOTS dots of each
        target's colours painted over its input."""
        if not self.writes:
            return
        (x, y), hints = fixed, None
        if model.cfg.hints:
            hints = dots(y, HINT_DOTS, seed=0)
            x = torch.where(hints[:, 3:] > 0, hints[:, :3], x)
        with torch.no_grad():
            fake = inference_network(model.generator)(fixed[0].to(model.device), None if hints is None else hints.to(model.device))
        save_sample_grid(self.out / "samples" / name, x, fake.cpu(), y)

    def record_validation(self, epoch: int, step: int, elapsed_s: float, metrics: dict) -> None:
        if self.writes:
            with open(self.out / "metrics.jsonl", "a") as f:
                f.write(json.dumps({"epoch": epoch, "step": step, "elapsed_s": round(elapsed_s), **metrics}) + "\n")

    def export_generator(self, model: Pix2Pix, cfg: TrainConfig, step: int, metrics: dict) -> None:
        """generator/: weights, config, model card, loss curve and samples, ready for the Hub."""
        from .card import write_model_card
        from .describe import read_presentation

        folder = self.out / "generator"
        meta = {"direction": cfg.direction, "dataset": cfg.dataset_name or Path(cfg.data).name,
                "step": step, "train_config": dataclasses.asdict(cfg), "val_metrics": metrics}  # fmt: skip
        if cfg.presentation:
            meta["app"] = read_presentation(Path(cfg.presentation))
        save_generator(folder, model.generator, meta)
        write_model_card(folder, self.out)

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def write_rows(path, rows: list) -> None:
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(rows)


@torch.no_grad()
def validate(G, val_set, count: int, device, segmenter=None) -> dict:
    """L1, PSNR and SSIM of the first count val pairs; with hints, again with dots; with a segmenter, the FCN-score."""
    G = inference_network(G)
    meter = ImageMetrics()
    n = min(count, len(val_set))
    label_maps, outputs, photos = [], [], []
    for start in range(0, n, 8):
        x, y = (torch.stack(t) for t in zip(*(val_set[i] for i in range(start, min(n, start + 8)))))
        fake = G(x.to(device)).cpu()
        meter.update(to_unit(fake), to_unit(y))
        if segmenter is not None:
            for images, keep in ((x, label_maps), (fake, outputs), (y, photos)):
                keep.extend(to_pil(t) for t in images)
    metrics = meter.compute()
    if segmenter is not None:
        from .segment import fcn_scores

        metrics.update(fcn_scores(segmenter, label_maps, outputs, photos))
    if G.config.hints:  # the same images again, with HINT_DOTS seeded dots of their own colours
        meter = ImageMetrics()
        for start in range(0, n, 8):
            x, y = (torch.stack(t) for t in zip(*(val_set[i] for i in range(start, min(n, start + 8)))))
            meter.update(to_unit(G(x.to(device), dots(y, HINT_DOTS, seed=start).to(device)).cpu()), to_unit(y))
        metrics.update({f"{k}_{HINT_DOTS}_dots": v for k, v in meter.compute().items()})
    return metrics


def stop_on_signals(stop: threading.Event, say):
    """Ctrl-C or SIGTERM: finish the step, then checkpoint and export it; a second one stops at once.

    say(text) tells the person. Returns a function that puts the previous handlers back.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum, frame):
        say(f"{signal.Signals(signum).name}: stopping after this step, with a checkpoint and an export (again to stop at once)")
        stop.set()
        for sig in previous:
            signal.signal(sig, signal.default_int_handler)

    for sig in previous:
        signal.signal(sig, handler)
    return lambda: [signal.signal(sig, h) for sig, h in previous.items()]
