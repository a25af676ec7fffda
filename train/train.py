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
import inspect
import json
import math
import os
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from tqdm import tqdm

from model import GeneratorConfig, UNetGenerator, load_generator, save_generator
from model.images import to_pil
from model.translate import inference_network
from model.weights import WeightsError, atomic_write, remove_stale_temporaries

from .augment import BatchAugment
from .checkpoint import CHECKPOINT_NAME, load_checkpoint, read_checkpoint, save_checkpoint
from .data import DatasetError, PairedImageFolder, PreloadedPairs
from .hints import HINT_DOTS, NO_HINT_SHARE, dots, hue_jitter, random_counts, sample_hints
from .metrics import ImageMetrics, to_unit
from .pix2pix import Pix2Pix
from .plots import save_loss_curve, save_sample_grid
from .push import HubAccessError


@dataclass
class TrainConfig:
    data: str = ""  # a folder of pairs, or one with train/ and val/ inside
    out: str = "runs/pix2pix"  # the run folder: checkpoint, logs, samples and the exported generator/
    direction: str = "AtoB"  # AtoB: left half -> right half of each pair; BtoA: the other way
    size: int = 256  # training resolution; the U-Net has log2(size) levels
    upsample: str = "transposed"  # the decoder's upsampling: the paper's transposed conv, or "resize" (nearest 2x + 3x3 conv)
    ngf: int = 64  # generator width (64: the paper's 54M parameters at 256 px, a 218 MB generator and 686 MB checkpoint; 32: a quarter)
    ndf: int = 64  # discriminator width; at 256 px the PatchGAN costs more than an ngf-32 generator
    norm: str = "batch"  # the paper's batch norm, or instance norm (the same at batch 1; lets D see real and fake in one pass)
    receptive_field: int = 70  # PatchGAN patch size: 1 (PixelGAN), 16, 70 (the paper's) or 286
    batch_size: int = 1  # the paper trains with 1
    lr: float = 2e-4  # Adam learning rate of both networks
    beta1: float = 0.5  # Adam's first momentum coefficient
    beta2: float = 0.999  # Adam's second momentum coefficient
    l1_weight: float = 100.0  # lambda, the weight of the L1 term
    gan_weight: float = 1.0  # 0: L1 alone, no discriminator (the paper's "L1" ablation, Table 1)
    ema: float = 0.0  # if > 0, validate and export an exponential moving average of G's weights with this decay
    epochs: int = 100  # at the constant learning rate
    epochs_decay: int = 100  # then linearly down to zero
    augment: str = "jitter"  # "jitter" (the paper's: crop and mirror), "drawing" (also sketch-like edge maps) or "none"
    crop: bool = True  # random crop after resizing to 286/256 of the size; off: whole images, mirrored only
    extra_data: str = ""  # more training pairs: folders, comma-separated, added to DATA's train split
    seed: int = 0  # seeds initialisation, data order, augmentation and dropout
    checkpoint_every: int = 500  # steps between checkpoints (one is also written when the run stops)
    sample_every: int = 500  # steps between sample grids in OUT/samples (one is also written at each export)
    log_every: int = 1  # steps between rows of losses.csv
    val_count: int = 100  # validation images scored at each export (0: none)
    bf16: bool = False  # bfloat16 autocast: pays on GPUs, not on CPUs without AMX
    channels_last: bool = False  # NHWC memory layout: slower on these CPUs at batch 1 and 8 (scripts/benchmark.py --train); for GPUs
    skip_bad_files: bool = False  # warn about unreadable images and go on, instead of stopping
    dataset_name: str = ""  # for the model card; defaults to the data folder's name
    push_to_hub: str = ""  # a repo id to upload generator/ to when training ends
    budget_minutes: float = 0.0  # fit the schedule (EPOCHS and EPOCHS_DECAY, in their ratio) to this many minutes, timed over the first steps
    export_every: int = 1  # epochs between validations and exports (there is always one at the end)
    presentation: str = ""  # a JSON file saying how the app presents the model (see train.describe), written into generator/config.json
    init_generator: str = ""  # start G from these weights (a weights folder or Hub repo id of the same architecture); D starts afresh
    segmenter: str = ""  # a segmenter folder (python -m train.segment): each validation also reports the FCN-score
    hints: bool = False  # colour hints: G gets 4 more inputs, sampled from the targets (dots and strokes, see train/hints.py)
    hint_hue_jitter: float = 0.0  # with --hints: share of the hinted images whose target's hue is rotated at random
    hint_chroma: float = 1.0  # with --hint-hue-jitter: those targets' chroma is also scaled by a random factor up to this
    hint_brighten: float = 1.0  # with --hint-hue-jitter: those targets are also brightened, by a random gamma down to 1 / this
    hint_tint: float = 0.0  # with --hint-hue-jitter: share of those targets recoloured instead, their shading in one random saturated colour
    hint_adapter: int = 0  # with --hints: the width of a side encoder for them (model.networks.HintAdapter); only it trains, so --init-generator's output without hints stays exactly as it is
    init_hint_adapter: str = ""  # with --hint-adapter: start the adapter from this model's (a weights folder or Hub repo id), e.g. to move it onto a retrained --init-generator
    max_steps: int = 0  # pause (checkpoint and export) at this step in all; --resume without it goes on to the end
    outer_ngf: int = 0  # width of a thin outermost U-Net level (0: ngf); with --init-generator of half the size, that model grows into it (train/grow.py)
    feature_gan_weight: float = 0.0  # weight of a second GAN term, from a discriminator on frozen ImageNet features (train/feature_gan.py); 0: none
    feature_backbone: str = "lite1"  # that discriminator's backbone: EfficientNet-Lite1 or -Lite2 (Lite0 measures realism and is never trained against)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


CHOICES = {"direction": ["AtoB", "BtoA"], "norm": ["batch", "instance"], "augment": ["jitter", "drawing", "none"],
           "upsample": ["transposed", "resize"], "feature_backbone": ["lite1", "lite2"],
           "receptive_field": [1, 16, 70, 286]}  # fmt: skip


def field_help() -> dict[str, str]:
    """Each TrainConfig field's comment, read from this file's source: one text for the code and --help."""
    source = inspect.getsource(TrainConfig)
    return dict(re.findall(r"^\s+(\w+): [^=]+= .*?  # (.*)$", source, flags=re.MULTILINE))


# The fields that shape the networks: a resumed run cannot change them.
NETWORK_FIELDS = ("size", "ngf", "ndf", "norm", "upsample", "receptive_field", "outer_ngf", "hints", "hint_adapter",
                  "feature_backbone")  # fmt: skip


def parse_args(argv=None) -> tuple[TrainConfig, bool]:
    p = argparse.ArgumentParser(prog="python -m train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    helps = field_help()
    for f in dataclasses.fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        default = f"{f.default}" if f.default != "" else "none"
        text = f"{helps.get(f.name, '')} (default: {default})".replace("%", "%%")
        if f.type in (bool, "bool"):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=text)
        else:
            p.add_argument(flag, type=type(f.default), default=None, choices=CHOICES.get(f.name),
                           metavar=f.name.upper() if f.name not in CHOICES else None, help=text)  # fmt: skip
    p.add_argument("--resume", action="store_true",
                   help="continue OUT's run from its checkpoint, to the end of its schedule or to --max-steps")  # fmt: skip
    p.add_argument("--overwrite", action="store_true", help="start OUT afresh even where it holds a run (its checkpoint is replaced)")
    args = vars(p.parse_args(argv))
    resume, overwrite = args.pop("resume"), args.pop("overwrite")
    given = {k: v for k, v in args.items() if v is not None}
    out = Path(given.get("out", TrainConfig.out))
    if resume:
        # The checkpoint's config wins, except for what is given again on the command line.
        # --max-steps is a pause, not part of the schedule: it is never carried over.
        try:
            _, meta = read_checkpoint(out / CHECKPOINT_NAME)
        except WeightsError as e:
            p.error(f"cannot resume: {e}")
        saved = {**json.loads(meta["train_config"]), "max_steps": 0}
        reshaped = [k for k in NETWORK_FIELDS if k in given and given[k] != saved.get(k, getattr(TrainConfig, k))]
        if reshaped:
            changes = ", ".join(f"--{k.replace('_', '-')} {given[k]} (the run's: {saved.get(k)})" for k in reshaped)
            p.error(f"cannot resume with other networks: {changes}. Resume without them, or start a new run "
                    f"from this one's export: --init-generator {out / 'generator'}")  # fmt: skip
        return TrainConfig.from_dict({**saved, **given}), True
    if not given.get("data"):
        p.error("--data is required")
    if not overwrite and ((out / CHECKPOINT_NAME).exists() or (out / "losses.csv").exists()):
        p.error(f"{out} already holds a training run: add --resume to continue it, --overwrite to start it "
                "again (its checkpoint and losses are replaced), or choose another --out")  # fmt: skip
    cfg = TrainConfig(**given)
    if cfg.hint_hue_jitter and not cfg.hints or not 0 <= cfg.hint_hue_jitter <= 1:
        p.error("--hint-hue-jitter is a share in [0, 1], and needs --hints")
    if cfg.hint_adapter and not (cfg.hints and cfg.init_generator):
        p.error("--hint-adapter trains a side encoder beside a trained model: it needs --hints and --init-generator")
    if cfg.init_hint_adapter and not cfg.hint_adapter:
        p.error("--init-hint-adapter starts a hint adapter from a trained one: it needs --hint-adapter")
    return cfg, False


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


def final_step(cfg: TrainConfig, steps_per_epoch: int) -> int:
    """The step where this run stops: the end of its schedule, or the --max-steps pause before it."""
    total_steps = (cfg.epochs + cfg.epochs_decay) * steps_per_epoch
    return min(total_steps, cfg.max_steps) if cfg.max_steps else total_steps


BUDGET_WARMUP = 20  # steps skipped before timing, to fit a schedule to --budget-minutes


def budget_timed_enough(cfg: TrainConfig, steps: int, seconds: float) -> bool:
    """At least 60 steps and a tenth of the budget (at most 30 s): runs sharing a machine start at different times."""
    return steps >= 60 and seconds >= min(30.0, 0.1 * cfg.budget_minutes * 60)


def fit_to_budget(cfg: TrainConfig, step: int, steps_per_epoch: int, timed_steps: int, timed_s: float,
                  elapsed_s: float) -> TrainConfig:  # fmt: skip
    """Set epochs and epochs_decay, in their given ratio, so that the run ends within cfg.budget_minutes.

    A tenth of the budget is kept for validation and export.
    """
    seconds_per_step = timed_s / timed_steps
    steps = step + max(0.0, 0.9 * cfg.budget_minutes * 60 - elapsed_s) / seconds_per_step
    epochs = max(1, int(steps // steps_per_epoch))
    share = cfg.epochs / max(1, cfg.epochs + cfg.epochs_decay)
    constant = max(1, round(epochs * share)) if cfg.epochs else 0
    return dataclasses.replace(cfg, epochs=constant, epochs_decay=max(0, epochs - constant))


def epoch_indices(n: int, epoch: int, seed: int, batch: int, rank: int, world: int) -> list[int]:
    """This rank's share of a seeded shuffle, whole batches only."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100_003 + epoch)).tolist()
    per_rank = (n // (batch * world)) * batch
    return order[rank::world][:per_rank]


def train(cfg: TrainConfig, resume: bool = False, on_step=None) -> dict:
    """Run (or resume) training; on_step(step, G, D), if given, is called after every step."""
    if cfg.push_to_hub:  # no token or no Hub: say so now, not after hours of training
        from .push import check_hub_access

        check_hub_access()
    distributed = "RANK" in os.environ  # started by torchrun, even with one process
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    if distributed and rank == 0:
        print(f"distributed: {dist.get_backend()} backend, {world} process(es)", flush=True)
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu")
    main_process = rank == 0
    out = Path(cfg.out)
    torch.manual_seed(cfg.seed + rank)  # dropout noise differs between ranks, as with more data

    train_dir, val_dir = split_folders(cfg.data)
    train_folders = [train_dir] + [Path(f) for f in cfg.extra_data.split(",") if f]
    augment = make_augment(cfg)
    train_set = PreloadedPairs(train_folders, cfg.direction, augment.load_size, cfg.skip_bad_files, augment.drawing)
    if device.type == "cuda":
        train_set.to(device)
    val_set = PairedImageFolder(val_dir, cfg.direction, cfg.size, cfg.skip_bad_files) if val_dir and cfg.val_count else None
    segmenter = None
    if cfg.segmenter and main_process:
        from .segment import load_segmenter  # needs the evaluation extras (requirements-eval.txt)

        segmenter = load_segmenter(cfg.segmenter, device)
    steps_per_epoch = len(train_set) // (cfg.batch_size * world)
    if steps_per_epoch == 0:
        raise DatasetError(f"{train_dir} has {len(train_set)} pairs, fewer than one batch of {cfg.batch_size} x {world} ranks.")
    if cfg.feature_gan_weight and distributed:
        raise ValueError("--feature-gan-weight runs in one process: its discriminator is not shared between torchrun's ranks.")
    if cfg.budget_minutes and distributed:
        raise ValueError("--budget-minutes times one process; give --epochs and --epochs-decay with torchrun.")
    last_step = final_step(cfg, steps_per_epoch)

    model = Pix2Pix(cfg, device, distributed, initialise=None if resume else lambda G: load_initial_weights(G, cfg))
    memory_format = torch.channels_last if cfg.channels_last else torch.contiguous_format
    step, elapsed_before = 0, 0.0
    if resume:
        meta = load_checkpoint(out / CHECKPOINT_NAME, **model.checkpoint_parts())
        step, elapsed_before = int(meta["step"]), float(meta.get("elapsed_s", 0))
        if distributed:  # each rank continues its own dropout stream
            torch.manual_seed(cfg.seed + rank + 7919 * step)

    fixed_val = None
    if main_process:
        out.mkdir(parents=True, exist_ok=True)
        for stale in remove_stale_temporaries(out) + remove_stale_temporaries(out / "generator"):
            print(f"removed {stale}, left by a write that was cut off", file=sys.stderr)
        (out / "train_config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=2) + "\n")
        sample_set = val_set or PairedImageFolder(train_dir, cfg.direction, cfg.size, cfg.skip_bad_files)
        fixed_val = [torch.stack(t) for t in zip(*(sample_set[i] for i in range(min(6, len(sample_set)))))]
    log_path = out / "losses.csv"
    fields = ["step", "epoch", "lr", "loss_D", "loss_G_gan", "loss_G_l1", "images_per_s", "loss_F", "loss_G_feature"]
    if main_process and (not resume or not log_path.exists()):
        with open(log_path, "w", newline="") as f:
            csv.writer(f).writerow(fields)
    if main_process and resume:  # drop log rows past the checkpoint, so the CSV matches the weights
        with open(log_path, newline="") as f:
            rows = [r for r in csv.reader(f)]
        kept = [rows[0]] + [r for r in rows[1:] if int(r[0]) <= step]
        atomic_write(log_path, lambda p: write_rows(p, kept))

    started = time.perf_counter()

    def elapsed() -> float:
        """Wall-clock seconds of training so far, over all sessions of this run."""
        return elapsed_before + time.perf_counter() - started

    def checkpoint():
        model.refuse_non_finite(step, out)
        save_checkpoint(out / CHECKPOINT_NAME, **model.checkpoint_parts(), step=step, train_config=dataclasses.asdict(cfg),
                        elapsed_s=elapsed())  # fmt: skip
        save_loss_curve(log_path, out / "loss_curve.png")

    def samples(name: str):
        x, hints = fixed_val[0], None
        if cfg.hints:  # show what the hints do: HINT_DOTS dots of each target's colours, painted over the inputs
            hints = dots(fixed_val[1], HINT_DOTS, seed=0)
            x = torch.where(hints[:, 3:] > 0, hints[:, :3], x)
        with torch.no_grad():
            fake = inference_network(model.generator)(fixed_val[0].to(device), None if hints is None else hints.to(device)).cpu()
        save_sample_grid(out / "samples" / name, x, fake, fixed_val[1])

    def validate_and_export(epoch: int) -> dict:
        metrics = validate(model.generator, val_set, cfg, device, segmenter) if val_set else {}
        with open(out / "metrics.jsonl", "a") as f:
            f.write(json.dumps({"epoch": epoch, "step": step, "elapsed_s": round(elapsed()), **metrics}) + "\n")
        if metrics:
            fcn = f"  FCN class IoU {metrics['fcn']['class_iou']:.3f}" if "fcn" in metrics else ""
            bar.write(f"step {step} (epoch {epoch}): val L1 {metrics['l1']:.4f}  PSNR {metrics['psnr']:.2f}  SSIM {metrics['ssim']:.4f}{fcn}")
        checkpoint()  # the loss curve and checkpoint of this very step go with the export
        samples(f"step_{step:07d}.png")
        export(model.generator, cfg, out, step, metrics)
        return metrics

    metrics = {}
    bar = tqdm(total=last_step, initial=min(step, last_step), disable=not main_process, unit="step", dynamic_ncols=True)
    timing = {"fitted": resume or not cfg.budget_minutes, "from_step": step + BUDGET_WARMUP, "from_time": None}
    stop_requested = threading.Event()
    restore_signals = stop_on_signals(stop_requested, bar) if main_process and not distributed else lambda: None
    try:
        epoch = step // steps_per_epoch
        while step < last_step:
            epoch = step // steps_per_epoch
            indices = torch.tensor(epoch_indices(len(train_set), epoch, cfg.seed, cfg.batch_size, rank, world))
            tick = time.perf_counter()
            with open(log_path, "a", newline="") if main_process else open(os.devnull, "w") as log_file:
                log = csv.writer(log_file)
                for b in range(step - epoch * steps_per_epoch, steps_per_epoch):
                    # Each step's augmentation comes from (seed, rank, step) alone, so resuming repeats it exactly.
                    g = torch.Generator(device).manual_seed(cfg.seed * 1_000_003 + rank * 7919 + step)
                    with torch.no_grad():
                        x, y, strokes = train_set.batch(indices[b * cfg.batch_size : (b + 1) * cfg.batch_size], device)
                        x, y = augment(x, y, strokes, g)
                        hints = None
                        if cfg.hints:
                            # The base model already serves images without hints, and the adapter skips them.
                            counts = random_counts(len(y), g, no_hint_share=0.0 if cfg.hint_adapter else NO_HINT_SHARE)
                            if cfg.hint_hue_jitter:
                                y = hue_jitter(y, counts, cfg.hint_hue_jitter, g, cfg.hint_chroma, cfg.hint_brighten, cfg.hint_tint)
                            hints = sample_hints(y, counts, g)
                    x, y = x.contiguous(memory_format=memory_format), y.contiguous(memory_format=memory_format)
                    lr = learning_rate(cfg, step, steps_per_epoch)
                    model.set_learning_rate(lr)
                    losses = model.optimize_parameters(x, y, hints).values()
                    step += 1
                    if not timing["fitted"] and step >= timing["from_step"]:
                        if timing["from_time"] is None:
                            if device.type == "cuda":
                                torch.cuda.synchronize()
                            timing["from_time"] = time.perf_counter()
                        elif budget_timed_enough(cfg, step - timing["from_step"], time.perf_counter() - timing["from_time"]):
                            timed = (step - timing["from_step"], time.perf_counter() - timing["from_time"])
                            cfg = fit_to_budget(cfg, step, steps_per_epoch, *timed, elapsed())
                            timing["fitted"], last_step = True, final_step(cfg, steps_per_epoch)
                            bar.total = last_step
                            bar.write(f"fitted to {cfg.budget_minutes} min: {cfg.epochs} + {cfg.epochs_decay} epochs, {last_step} steps")

                    if not all(math.isfinite(v) for v in losses):
                        raise ValueError(f"training diverged at step {step}: a loss is NaN or inf. Nothing was saved over "
                                         f"{out}'s last checkpoint and export; resume from them with a lower --lr.")  # fmt: skip
                    now = time.perf_counter()
                    ips = cfg.batch_size * world / (now - tick)
                    tick = now
                    if main_process and (step % cfg.log_every == 0 or step == last_step):
                        loss_d, gan, l1, loss_f, gan_f = losses
                        log.writerow([step, epoch, f"{lr:.3g}", f"{loss_d:.4f}", f"{gan:.4f}", f"{l1:.4f}", f"{ips:.2f}",
                                      f"{loss_f:.4f}", f"{gan_f:.4f}"])  # fmt: skip
                        bar.set_postfix(epoch=epoch, D=f"{loss_d:.3f}", G_gan=f"{gan:.3f}", L1=f"{l1:.3f}", img_s=f"{ips:.1f}",
                                        refresh=False)  # fmt: skip
                    bar.update()
                    if on_step is not None:
                        on_step(step, model.G, model.D)
                    if main_process and step % cfg.sample_every == 0:
                        samples(f"step_{step:07d}.png")
                    if main_process and step % cfg.checkpoint_every == 0:
                        log_file.flush()
                        checkpoint()
                    if stop_requested.is_set():
                        last_step = step
                    if step >= last_step:
                        break
            # Validate and export at the end of each epoch, and at the step where the run pauses or ends.
            epoch_end = step % steps_per_epoch == 0 and (step // steps_per_epoch) % cfg.export_every == 0
            if main_process and (epoch_end or step == last_step):
                metrics = validate_and_export(epoch)
    finally:
        restore_signals()
        bar.close()
        if main_process and step > 0:
            checkpoint()
            samples("latest.png")
        if distributed:
            dist.destroy_process_group()
    if main_process and cfg.push_to_hub:
        push_when_done(out, cfg.push_to_hub)
    return {"step": step, **metrics}


def write_rows(path, rows: list) -> None:
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(rows)


def push_when_done(out: Path, repo: str) -> None:
    """Upload generator/; if that fails, say in one line that the run is safe and how to push it later."""
    from .push import push_to_hub

    try:
        print(f"uploaded: {push_to_hub(out / 'generator', repo)}")
    except Exception as e:  # huggingface_hub's errors never include the token
        print(f"the push to {repo} failed ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}). The run is saved; "
              f"push it with: python -m train.push --weights {out / 'generator'} --repo {repo}", file=sys.stderr)  # fmt: skip


def make_augment(cfg: TrainConfig) -> BatchAugment:
    """The augmentation cfg asks for; its load_size is the size the pairs are loaded at."""
    crop = cfg.crop and cfg.augment != "none"
    return BatchAugment(cfg.size, crop, cfg.augment == "drawing", mirror=cfg.augment != "none")


def load_initial_weights(G: UNetGenerator, cfg: TrainConfig) -> None:
    """G's starting weights, from --init-generator and --init-hint-adapter (nothing without them)."""
    if cfg.init_generator:
        load_initial_generator(G, cfg.init_generator)
        if cfg.init_hint_adapter:
            load_initial_hint_adapter(G, cfg.init_hint_adapter)


def load_initial_generator(G: UNetGenerator, source: str) -> None:
    """G's weights from source (--init-generator). Hint channels that source lacks, and a hint
    adapter, start at zero, so that G starts as exactly the source model (without hints)."""
    init, _ = load_generator(source)
    if init.hint_adapter is not None and G.hint_adapter is None and not G.config.hints:
        init = without_hint_adapter(init)  # a base-model run starts from a model's base alone
    if init.config.image_size * 2 == G.config.image_size and G.config.outer_ngf:
        from .grow import grown_state_dict

        init = init.float()
        if G.hint_adapter is not None and init.hint_adapter is None:
            init = with_fresh_hint_adapter(init)
        G.load_state_dict(grown_state_dict(init, G))
        return
    if G.hint_adapter is not None and init.config.hints and not init.config.hint_adapter:
        raise ValueError(f"--init-generator {source} takes hints as inputs; a hint adapter sits beside a model without them.")
    # From a model with an adapter of its own, an adapter run takes its base model only: the adapter starts afresh.
    state = {k: v for k, v in init.state_dict().items() if not (G.hint_adapter is not None and k.startswith("hint_adapter."))}
    first = "down.0.weight"
    if G.config.input_channels > init.config.input_channels:
        w = state[first]
        state[first] = torch.cat([w, w.new_zeros(w.shape[0], GeneratorConfig.HINT_CHANNELS, *w.shape[2:])], dim=1)
    if G.hint_adapter is not None:
        state.update({f"hint_adapter.{k}": v for k, v in G.hint_adapter.state_dict().items()})
    try:
        G.load_state_dict(state)
    except RuntimeError as e:
        raise ValueError(f"--init-generator {source}: its network is not the one this run builds "
                         f"({init.config} against {G.config}); give the same --size, --ngf, --norm and --upsample.\n{e}") from None


def without_hint_adapter(G: UNetGenerator) -> UNetGenerator:
    base = UNetGenerator(dataclasses.replace(G.config, hints=False, hint_adapter=0))
    base.load_state_dict({k: v for k, v in G.state_dict().items() if not k.startswith("hint_adapter.")})
    return base


def with_fresh_hint_adapter(G: UNetGenerator, width: int = 16) -> UNetGenerator:
    full = UNetGenerator(dataclasses.replace(G.config, hints=True, hint_adapter=width))
    full.load_state_dict({**full.state_dict(), **G.state_dict()})
    return full


def load_initial_hint_adapter(G: UNetGenerator, source: str) -> None:
    """G's hint adapter from source's (--init-hint-adapter): a trained adapter is a far better
    start than zeros for the same task beside a retrained base model."""
    init, _ = load_generator(source)
    if init.hint_adapter is None:
        raise ValueError(f"--init-hint-adapter {source}: that model has no hint adapter to start from.")
    if init.config.image_size * 2 == G.config.image_size and G.config.outer_ngf:  # grown, beside a grown base
        from .grow import grown_state_dict

        grown = grown_state_dict(init.float(), UNetGenerator(G.config))
        G.hint_adapter.load_state_dict({k[len("hint_adapter.") :]: v for k, v in grown.items() if k.startswith("hint_adapter.")})
        return
    try:
        G.hint_adapter.load_state_dict(init.hint_adapter.state_dict())
    except RuntimeError as e:
        raise ValueError(f"--init-hint-adapter {source}: its adapter is not the one this run builds "
                         f"({init.config} against {G.config}); give the same --hint-adapter, --size, --ngf and --norm.\n{e}") from None


def stop_on_signals(stop: threading.Event, bar):
    """Ctrl-C or SIGTERM: finish the step, then checkpoint and export it; a second one stops at once.

    Returns a function that puts the previous handlers back.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum, frame):
        bar.write(f"{signal.Signals(signum).name}: stopping after this step, with a checkpoint and an export "
                  "(again to stop at once)")  # fmt: skip
        stop.set()
        for sig in previous:
            signal.signal(sig, signal.default_int_handler)

    for sig in previous:
        signal.signal(sig, handler)
    return lambda: [signal.signal(sig, h) for sig, h in previous.items()]


@torch.no_grad()
def validate(G, val_set, cfg: TrainConfig, device, segmenter=None) -> dict:
    """L1, PSNR and SSIM of the first val_count val pairs; with hints, again with dots; with a segmenter, the FCN-score."""
    G = inference_network(G)
    meter = ImageMetrics()
    n = min(cfg.val_count, len(val_set))
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


def export(G, cfg: TrainConfig, out: Path, step: int, metrics: dict) -> None:
    """generator/: weights, config, model card, loss curve and samples, ready for the Hub."""
    from .card import write_model_card
    from .describe import read_presentation

    folder = out / "generator"
    meta = {"direction": cfg.direction, "dataset": cfg.dataset_name or Path(cfg.data).name,
            "step": step, "train_config": dataclasses.asdict(cfg), "val_metrics": metrics}  # fmt: skip
    if cfg.presentation:
        meta["app"] = read_presentation(Path(cfg.presentation))
    save_generator(folder, G, meta)
    write_model_card(folder, out)


def main(argv=None) -> int:
    cfg, resume = parse_args(argv)
    try:
        result = train(cfg, resume)
    except (ValueError, WeightsError, FileNotFoundError, HubAccessError) as e:  # DatasetError is a ValueError
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0
