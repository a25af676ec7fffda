"""Train pix2pix: cGAN + lambda * L1 (Isola et al. 2017, eq. 4 with section 3.3's changes).

    python -m train --data ../shared/data/edges2shoes --direction AtoB --size 256 --out runs/shoes
    torchrun --nproc_per_node=2 -m train ...      # DistributedDataParallel (gloo on CPU, nccl on GPU)

train() is the loop; around it: the config and command line (config.py), the batches (batches.py),
the GAN step (pix2pix.py), the schedule (schedule.py) and the run folder (run_folder.py).
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
import time
from pathlib import Path

import torch
import torch.distributed as dist
from tqdm import tqdm

from model.weights import WeightsError

from .batches import Batches
from .config import TrainConfig, parse_args
from .init_weights import load_initial_weights
from .pix2pix import Pix2Pix
from .push import HubAccessError
from .run_folder import RunFolder, stop_on_signals, validate
from .schedule import Schedule


def train(cfg: TrainConfig, resume: bool = False, on_step=None) -> dict:
    """Run (or resume) training; on_step(step, G, D), if given, is called after every step."""
    distributed = "RANK" in os.environ  # started by torchrun, even with one process
    check_before_start(cfg, distributed)
    rank, world, device = start_distributed() if distributed else (0, 1, default_device())
    main_process = rank == 0
    torch.manual_seed(cfg.seed + rank)  # dropout noise differs between ranks, as with more data

    # -------------------------------------------------------------- data, model, run folder
    batches = Batches(cfg, device, rank, world)
    segmenter = load_fcn_judge(cfg, device) if main_process else None
    model = Pix2Pix(cfg, device, distributed, initialise=None if resume else lambda G: load_initial_weights(G, cfg))
    run = RunFolder(cfg.out, writes=main_process)
    step, elapsed_before = run.resume(model) if resume else (0, 0.0)
    if resume and distributed:  # each rank continues its own dropout stream
        torch.manual_seed(cfg.seed + rank + 7919 * step)
    run.start(cfg, step)
    fixed = batches.fixed_samples() if main_process else None
    schedule = Schedule(cfg, batches.steps_per_epoch, step, resume)
    started = time.perf_counter()

    def elapsed() -> float:  # seconds of training, over all sessions of this run
        return elapsed_before + time.perf_counter() - started

    def validate_and_export() -> dict:
        metrics = validate(model.generator, batches.val, cfg.val_count, device, segmenter) if batches.val else {}
        run.record_validation(schedule.epoch(step - 1), step, elapsed(), metrics)
        show_metrics(bar, step, schedule.epoch(step - 1), metrics)
        run.checkpoint(model, step, schedule.cfg, elapsed())  # the checkpoint of this very step goes with the export
        run.samples(model, fixed, f"step_{step:07d}.png")
        run.export_generator(model, schedule.cfg, step, metrics)
        return metrics

    # -------------------------------------------------------------- the loop
    metrics, stop = {}, threading.Event()
    bar = tqdm(total=schedule.last_step, initial=min(step, schedule.last_step), disable=not main_process, unit="step",
               dynamic_ncols=True)  # fmt: skip
    restore_signals = stop_on_signals(stop, bar.write) if main_process and not distributed else lambda: None
    tick = time.perf_counter()
    try:
        while step < schedule.last_step:
            x, y, hints = batches.batch(step)
            lr = schedule.learning_rate(step)
            model.set_learning_rate(lr)
            losses = model.optimize_parameters(x, y, hints).values()
            step += 1
            if not all(math.isfinite(v) for v in losses):
                raise ValueError(f"training diverged at step {step}: a loss is NaN or inf. Nothing was saved over "
                                 f"{cfg.out}'s last checkpoint and export; resume from them with a lower --lr.")  # fmt: skip
            if (fitted := schedule.fit(step, elapsed())) is not None:
                bar.total = schedule.last_step
                bar.write(fitted)

            # logs, samples, checkpoints and exports
            now = time.perf_counter()
            images_per_s, tick = cfg.batch_size * world / (now - tick), now
            if step % cfg.log_every == 0 or step == schedule.last_step:
                run.log(step, schedule.epoch(step - 1), lr, losses, images_per_s)
                show_losses(bar, schedule.epoch(step - 1), losses, images_per_s)
            bar.update()
            if on_step is not None:
                on_step(step, model.G, model.D)
            if step % cfg.sample_every == 0:
                run.samples(model, fixed, f"step_{step:07d}.png")
            if step % cfg.checkpoint_every == 0:
                run.checkpoint(model, step, schedule.cfg, elapsed())
            if stop.is_set():
                schedule.last_step = step
            if main_process and (schedule.ends_epoch(step) or step == schedule.last_step):
                metrics = validate_and_export()
    finally:
        restore_signals()
        bar.close()
        if step > 0:
            run.checkpoint(model, step, schedule.cfg, elapsed())
            run.samples(model, fixed, "latest.png")
        run.close()
        if distributed:
            dist.destroy_process_group()
    if main_process and cfg.push_to_hub:
        push_when_done(Path(cfg.out), cfg.push_to_hub)
    return {"step": step, **metrics}


# ------------------------------------------------------------------ around the loop


def check_before_start(cfg: TrainConfig, distributed: bool) -> None:
    """What would fail later, said now: no Hub access for --push-to-hub (not after hours of training), and
    options that run in one process only."""
    if cfg.push_to_hub:
        from .push import check_hub_access

        check_hub_access()
    if cfg.feature_gan_weight and distributed:
        raise ValueError("--feature-gan-weight runs in one process: its discriminator is not shared between torchrun's ranks.")
    if cfg.budget_minutes and distributed:
        raise ValueError("--budget-minutes times one process; give --epochs and --epochs-decay with torchrun.")


def default_device() -> torch.device:
    return torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu")


def start_distributed() -> tuple[int, int, torch.device]:
    """Join torchrun's process group (nccl on GPUs, gloo on CPUs): (rank, world size, this rank's device)."""
    dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    if rank == 0:
        print(f"distributed: {dist.get_backend()} backend, {world} process(es)", flush=True)
    return rank, world, default_device()


def load_fcn_judge(cfg: TrainConfig, device: torch.device):
    """The segmenter of --segmenter, which scores each validation's outputs (the FCN-score), or None."""
    if not cfg.segmenter:
        return None
    from .segment import load_segmenter  # needs the evaluation extras (requirements-eval.txt)

    return load_segmenter(cfg.segmenter, device)


def show_losses(bar: tqdm, epoch: int, losses: list[float], images_per_s: float) -> None:
    loss_d, gan, l1, _, _ = losses
    bar.set_postfix(epoch=epoch, D=f"{loss_d:.3f}", G_gan=f"{gan:.3f}", L1=f"{l1:.3f}", img_s=f"{images_per_s:.1f}", refresh=False)


def show_metrics(bar: tqdm, step: int, epoch: int, metrics: dict) -> None:
    if metrics:
        fcn = f"  FCN class IoU {metrics['fcn']['class_iou']:.3f}" if "fcn" in metrics else ""
        bar.write(f"step {step} (epoch {epoch}): val L1 {metrics['l1']:.4f}  PSNR {metrics['psnr']:.2f}  SSIM {metrics['ssim']:.4f}{fcn}")


def push_when_done(out: Path, repo: str) -> None:
    """Upload generator/; if that fails, say in one line that the run is safe and how to push it later."""
    from .push import push_to_hub

    try:
        print(f"uploaded: {push_to_hub(out / 'generator', repo)}")
    except Exception as e:  # huggingface_hub's errors never include the token
        print(f"the push to {repo} failed ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}). The run is saved; "
              f"push it with: python -m train.push --weights {out / 'generator'} --repo {repo}", file=sys.stderr)  # fmt: skip


def main(argv=None) -> int:
    cfg, resume = parse_args(argv)
    try:
        result = train(cfg, resume)
    except (ValueError, WeightsError, FileNotFoundError, HubAccessError) as e:  # DatasetError is a ValueError
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0
