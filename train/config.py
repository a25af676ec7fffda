"""The training configuration: one dataclass, saved in every checkpoint and export, and the
command line built from it (each field's comment is its --help)."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import re
from dataclasses import dataclass
from pathlib import Path

from model.weights import WeightsError

from .checkpoint import CHECKPOINT_NAME, read_checkpoint

USAGE = """Train pix2pix: cGAN + lambda * L1 (Isola et al. 2017, eq. 4 with section 3.3's changes).

    python -m train --data ../shared/data/edges2shoes --direction AtoB --size 256 --out runs/shoes
    torchrun --nproc_per_node=2 -m train ...      # DistributedDataParallel (gloo on CPU, nccl on GPU)

The run folder gets: checkpoint.safetensors (everything needed to --resume), losses.csv,
loss_curve.png, samples/*.png, metrics.jsonl, and generator/, a Hub-ready weights folder.
"""


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
    p = argparse.ArgumentParser(prog="python -m train", description=USAGE,
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
