"""Train pix2pix: cGAN + lambda * L1 (Isola et al. 2017, eq. 4 with section 3.3's changes).

    python -m train --data ../shared/data/edges2shoes --direction AtoB --size 256 --out runs/shoes
    torchrun --nproc_per_node=2 -m train ...      # DistributedDataParallel (gloo on CPU, nccl on GPU)

The run folder gets: checkpoint.safetensors (everything needed to --resume), losses.csv,
loss_curve.png, samples/*.png, metrics.jsonl, and generator/, a Hub-ready weights folder.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel
from tqdm import tqdm

from model import DiscriminatorConfig, GeneratorConfig, PatchDiscriminator, UNetGenerator, save_generator
from model.translate import inference_network
from model.weights import WeightsError

from .augment import DrawingAugment
from .checkpoint import CHECKPOINT_NAME, load_checkpoint, read_checkpoint, save_checkpoint
from .data import DatasetError, PairedImageFolder
from .losses import discriminator_loss, generator_loss
from .metrics import ImageMetrics, to_unit
from .plots import save_loss_curve, save_sample_grid


@dataclass
class TrainConfig:
    data: str = ""  # a folder of pairs, or one with train/ and val/ inside
    out: str = "runs/pix2pix"
    direction: str = "AtoB"
    size: int = 256  # training resolution; the U-Net has log2(size) levels
    ngf: int = 64
    ndf: int = 64
    norm: str = "batch"
    receptive_field: int = 70
    batch_size: int = 1
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    l1_weight: float = 100.0
    gan_weight: float = 1.0  # 0: L1 alone, no discriminator (the paper's "L1" ablation, Table 1)
    ema: float = 0.0  # if > 0, validate and export an exponential moving average of G's weights with this decay
    epochs: int = 100  # at the constant learning rate
    epochs_decay: int = 100  # then linearly down to zero
    augment: str = "jitter"  # "jitter" (the paper's) or "drawing" (jitter + DrawingAugment, for edges)
    seed: int = 0
    workers: int = 2
    checkpoint_every: int = 500  # steps
    sample_every: int = 500  # steps
    val_count: int = 100  # validation images scored after each epoch (0: none)
    bf16: bool = False
    channels_last: bool = True
    skip_bad_files: bool = False
    dataset_name: str = ""  # for the model card; defaults to the data folder's name
    push_to_hub: str = ""  # a repo id to upload generator/ to when training ends
    max_steps: int = 0  # stop (with a checkpoint) after this many steps in all; 0: train to the end


CHOICES = {"direction": ["AtoB", "BtoA"], "norm": ["batch", "instance"], "augment": ["jitter", "drawing"],
           "receptive_field": [1, 16, 70, 286]}  # fmt: skip


def parse_args(argv=None) -> tuple[TrainConfig, bool]:
    p = argparse.ArgumentParser(prog="python -m train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    for f in dataclasses.fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        default = f"{f.default}" if f.default != "" else "none"
        if f.type in (bool, "bool"):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=f"(default: {default})")
        else:
            p.add_argument(flag, type=type(f.default), default=None, choices=CHOICES.get(f.name),
                           metavar=f.name.upper() if f.name not in CHOICES else None, help=f"(default: {default})")  # fmt: skip
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.safetensors")
    args = vars(p.parse_args(argv))
    resume = args.pop("resume")
    given = {k: v for k, v in args.items() if v is not None}
    if resume:
        # The checkpoint's config wins, except for what is given again on the command line.
        out = Path(given.get("out", TrainConfig.out))
        try:
            _, meta = read_checkpoint(out / CHECKPOINT_NAME)
        except WeightsError as e:
            p.error(f"cannot resume: {e}")
        return TrainConfig(**{**json.loads(meta["train_config"]), **given}), True
    if not given.get("data"):
        p.error("--data is required")
    return TrainConfig(**{**dataclasses.asdict(TrainConfig()), **given}), False


def split_folders(data: str) -> tuple[Path, Path | None]:
    root = Path(data)
    if (root / "train").is_dir():
        return root / "train", (root / "val") if (root / "val").is_dir() else None
    return root, None


def learning_rate(cfg: TrainConfig, step: int, steps_per_epoch: int) -> float:
    """Constant for cfg.epochs, then linear decay to zero over cfg.epochs_decay."""
    decay_start = cfg.epochs * steps_per_epoch
    decay_steps = cfg.epochs_decay * steps_per_epoch
    if step < decay_start or decay_steps == 0:
        return cfg.lr
    return cfg.lr * max(0.0, 1.0 - (step - decay_start) / decay_steps)


def ema_with_warmup(decay: float):
    """AveragedModel's update: decay, but at most (1 + n) / (10 + n) after n updates.

    The warm-up (as in TensorFlow's ExponentialMovingAverage) keeps the first, near-random
    weights from lingering in the average of a run of a few thousand steps.
    """

    def update(average: torch.Tensor, current: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
        if not average.is_floating_point():  # batch norm's step counter
            return current
        d = min(decay, (1 + float(n)) / (10 + float(n)))
        return average.lerp(current, 1 - d)

    return update


def epoch_indices(n: int, epoch: int, seed: int, batch: int, rank: int, world: int) -> list[int]:
    """This rank's share of a seeded shuffle, whole batches only."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100_003 + epoch)).tolist()
    per_rank = (n // (batch * world)) * batch
    return order[rank::world][:per_rank]


def train(cfg: TrainConfig, resume: bool = False, on_step=None) -> dict:
    """Run (or resume) training; on_step(step, G, D), if given, is called after every step."""
    distributed = "RANK" in os.environ and int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu")
    main_process = rank == 0
    out = Path(cfg.out)
    torch.manual_seed(cfg.seed + rank)  # dropout noise differs between ranks, as with more data

    train_dir, val_dir = split_folders(cfg.data)
    augment = DrawingAugment() if cfg.augment == "drawing" else None
    train_set = PairedImageFolder(train_dir, cfg.direction, cfg.size, True, cfg.seed, cfg.skip_bad_files, augment)
    val_set = PairedImageFolder(val_dir, cfg.direction, cfg.size, False) if val_dir and cfg.val_count else None
    steps_per_epoch = len(train_set) // (cfg.batch_size * world)
    if steps_per_epoch == 0:
        raise DatasetError(f"{train_dir} has {len(train_set)} pairs, fewer than one batch of {cfg.batch_size} x {world} ranks.")
    total_steps = (cfg.epochs + cfg.epochs_decay) * steps_per_epoch

    d_config = DiscriminatorConfig(6, cfg.ndf, cfg.receptive_field, cfg.norm)
    if cfg.size < d_config.min_image_size:
        raise ValueError(f"--size {cfg.size} is too small for a {cfg.receptive_field}x{cfg.receptive_field} PatchGAN, "
                         f"which needs images of at least {d_config.min_image_size} px; use a smaller --receptive-field.")  # fmt: skip
    G = UNetGenerator(GeneratorConfig(cfg.size, 3, 3, cfg.ngf, cfg.norm)).to(device)
    D = PatchDiscriminator(d_config).to(device)
    memory_format = torch.channels_last if cfg.channels_last else torch.contiguous_format
    G, D = G.to(memory_format=memory_format), D.to(memory_format=memory_format)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))
    # The average of G's recent weights: it smooths out the step-to-step wobble of GAN training.
    G_ema = AveragedModel(G, avg_fn=ema_with_warmup(cfg.ema), use_buffers=True) if cfg.ema else None
    step, elapsed_before = 0, 0.0
    if resume:
        meta = load_checkpoint(out / CHECKPOINT_NAME, generator=G, discriminator=D, opt_g=opt_g, opt_d=opt_d,
                               generator_ema=G_ema)  # fmt: skip
        step, elapsed_before = int(meta["step"]), float(meta.get("elapsed_s", 0))
        if distributed:  # each rank continues its own dropout stream
            torch.manual_seed(cfg.seed + rank + 7919 * step)
    G_train = DistributedDataParallel(G) if distributed else G
    D_train = DistributedDataParallel(D) if distributed else D

    fixed_val = None
    if main_process:
        out.mkdir(parents=True, exist_ok=True)
        (out / "train_config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=2) + "\n")
        sample_set = val_set or PairedImageFolder(train_dir, cfg.direction, cfg.size, False)
        fixed_val = [torch.stack(t) for t in zip(*(sample_set[i] for i in range(min(6, len(sample_set)))))]
    log_path = out / "losses.csv"
    fields = ["step", "epoch", "lr", "loss_D", "loss_G_gan", "loss_G_l1", "images_per_s"]
    if main_process and (not resume or not log_path.exists()):
        with open(log_path, "w", newline="") as f:
            csv.writer(f).writerow(fields)
    if main_process and resume:  # drop log rows past the checkpoint, so the CSV matches the weights
        with open(log_path, newline="") as f:
            rows = [r for r in csv.reader(f)]
        with open(log_path, "w", newline="") as f:
            csv.writer(f).writerows([rows[0]] + [r for r in rows[1:] if int(r[0]) <= step])

    started = time.perf_counter()

    def elapsed() -> float:
        """Wall-clock seconds of training so far, over all sessions of this run."""
        return elapsed_before + time.perf_counter() - started

    def checkpoint():
        save_checkpoint(out / CHECKPOINT_NAME, generator=G, discriminator=D, opt_g=opt_g, opt_d=opt_d, step=step,
                        train_config=dataclasses.asdict(cfg), elapsed_s=elapsed(), generator_ema=G_ema)  # fmt: skip
        save_loss_curve(log_path, out / "loss_curve.png")

    def G_eval():
        """The generator that gets sampled, validated and exported."""
        return G_ema.module if G_ema is not None else G

    def samples(name: str):
        with torch.no_grad():
            fake = inference_network(G_eval())(fixed_val[0].to(device)).cpu()
        save_sample_grid(out / "samples" / name, fixed_val[0], fake, fixed_val[1])

    metrics = {}
    bar = tqdm(total=total_steps, initial=step, disable=not main_process, unit="step", dynamic_ncols=True)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.bf16)
    try:
        for epoch in range(step // steps_per_epoch, cfg.epochs + cfg.epochs_decay):
            train_set.set_epoch(epoch)
            indices = epoch_indices(len(train_set), epoch, cfg.seed, cfg.batch_size, rank, world)
            done = step - epoch * steps_per_epoch  # batches of this epoch already trained on
            loader = torch.utils.data.DataLoader(
                train_set, cfg.batch_size, sampler=indices[done * cfg.batch_size :], num_workers=cfg.workers,
                drop_last=True, pin_memory=device.type == "cuda",
                generator=torch.Generator())  # its own generator: the global RNG drives dropout alone  # fmt: skip
            tick = time.perf_counter()
            with open(log_path, "a", newline="") if main_process else open(os.devnull, "w") as log_file:
                log = csv.writer(log_file)
                for x, y in loader:
                    x = x.to(device, non_blocking=True).contiguous(memory_format=memory_format)
                    y = y.to(device, non_blocking=True).contiguous(memory_format=memory_format)
                    lr = learning_rate(cfg, step, steps_per_epoch)
                    for opt in (opt_g, opt_d):
                        for group in opt.param_groups:
                            group["lr"] = lr
                    with autocast:
                        fake = G_train(x)
                    # D step: real pairs -> 1, fake pairs -> 0.
                    fake_logits, loss_d = None, torch.zeros(())
                    if cfg.gan_weight > 0:
                        D.requires_grad_(True)
                        opt_d.zero_grad(set_to_none=True)
                        with autocast:
                            loss_d = discriminator_loss(D_train(x, y).float(), D_train(x, fake.detach()).float())
                        loss_d.backward()
                        opt_d.step()
                    # G step: fool D and stay close to the target in L1. D is frozen and used unwrapped.
                    D.requires_grad_(False)
                    opt_g.zero_grad(set_to_none=True)
                    if cfg.gan_weight > 0:
                        with autocast:
                            fake_logits = D(x, fake).float()
                    loss_g, gan, l1 = generator_loss(fake_logits, fake.float(), y, cfg.l1_weight, cfg.gan_weight)
                    loss_g.backward()
                    opt_g.step()
                    if G_ema is not None:
                        G_ema.update_parameters(G)
                    step += 1

                    now = time.perf_counter()
                    ips = cfg.batch_size * world / (now - tick)
                    tick = now
                    if main_process:
                        log.writerow([step, epoch, f"{lr:.3g}", f"{loss_d.item():.4f}", f"{gan.item():.4f}", f"{l1.item():.4f}", f"{ips:.2f}"])
                        bar.set_postfix(epoch=epoch, D=f"{loss_d.item():.3f}", G_gan=f"{gan.item():.3f}",
                                        L1=f"{l1.item():.3f}", img_s=f"{ips:.1f}", refresh=False)  # fmt: skip
                    bar.update()
                    if on_step is not None:
                        on_step(step, G, D)
                    if main_process and step % cfg.sample_every == 0:
                        samples(f"step_{step:07d}.png")
                    if main_process and step % cfg.checkpoint_every == 0:
                        log_file.flush()
                        checkpoint()
                    if cfg.max_steps and step >= cfg.max_steps:
                        break
            stopping = bool(cfg.max_steps) and step >= cfg.max_steps
            if stopping and step % steps_per_epoch:
                break  # stopped mid-epoch: no validation or export of half an epoch
            if main_process:
                metrics = validate(G_eval(), val_set, cfg, device) if val_set else {}
                with open(out / "metrics.jsonl", "a") as f:
                    f.write(json.dumps({"epoch": epoch, "step": step, "elapsed_s": round(elapsed()), **metrics}) + "\n")
                if metrics:
                    bar.write(f"epoch {epoch}: val L1 {metrics['l1']:.4f}  PSNR {metrics['psnr']:.2f}  SSIM {metrics['ssim']:.4f}")
                export(G_eval(), cfg, out, step, metrics)
            if stopping:
                break
    finally:
        bar.close()
        if main_process and step > 0:
            checkpoint()
            samples("latest.png")
        if distributed:
            dist.destroy_process_group()
    if main_process and cfg.push_to_hub:
        from .push import push_to_hub

        push_to_hub(out / "generator", cfg.push_to_hub)
    return {"step": step, **metrics}


@torch.no_grad()
def validate(G, val_set, cfg: TrainConfig, device) -> dict:
    G = inference_network(G)
    meter = ImageMetrics()
    n = min(cfg.val_count, len(val_set))
    for start in range(0, n, 8):
        x, y = (torch.stack(t) for t in zip(*(val_set[i] for i in range(start, min(n, start + 8)))))
        meter.update(to_unit(G(x.to(device)).cpu()), to_unit(y))
    return meter.compute()


def export(G, cfg: TrainConfig, out: Path, step: int, metrics: dict) -> None:
    """generator/: weights, config, model card, loss curve and samples, ready for the Hub."""
    from .card import write_model_card

    folder = out / "generator"
    meta = {"direction": cfg.direction, "dataset": cfg.dataset_name or Path(cfg.data).name,
            "step": step, "train_config": dataclasses.asdict(cfg), "val_metrics": metrics}  # fmt: skip
    save_generator(folder, G, meta)
    write_model_card(folder, out)


def main(argv=None) -> int:
    cfg, resume = parse_args(argv)
    try:
        result = train(cfg, resume)
    except (ValueError, WeightsError) as e:  # DatasetError is a ValueError
        print(f"error: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        if "DataLoader worker" in str(e) and "DatasetError" in str(e):
            print(f"error: {str(e).splitlines()[-1]}", file=sys.stderr)
            return 2
        raise
    print(json.dumps(result))
    return 0
