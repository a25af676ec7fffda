"""A training config small enough for a test: 32 px, ngf and ndf 8, 4 epochs of a few pairs."""

from dataclasses import replace
from pathlib import Path

from train.config import TrainConfig


def tiny_config(data: Path, out: Path, **kw) -> TrainConfig:
    base = TrainConfig(data=str(data), out=str(out), size=32, ngf=8, ndf=8, batch_size=2,
                       epochs=2, epochs_decay=2, checkpoint_every=3, sample_every=4, val_count=4)  # fmt: skip
    return replace(base, **kw)
