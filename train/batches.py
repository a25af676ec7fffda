"""The batches a run trains on: its pairs preloaded, shuffled per epoch, augmented and given
colour hints, each step's from (seed, rank, step) alone, so that a resumed run repeats them exactly."""

from __future__ import annotations

from pathlib import Path

import torch

from .augment import BatchAugment
from .config import TrainConfig
from .data import DatasetError, PairedImageFolder, PreloadedPairs
from .hints import NO_HINT_SHARE, hue_jitter, random_counts, sample_hints


def split_folders(data: str) -> tuple[Path, Path | None]:
    root = Path(data)
    if (root / "train").is_dir():
        return root / "train", (root / "val") if (root / "val").is_dir() else None
    return root, None


def make_augment(cfg: TrainConfig) -> BatchAugment:
    """The augmentation cfg asks for; its load_size is the size the pairs are loaded at."""
    crop = cfg.crop and cfg.augment != "none"
    return BatchAugment(cfg.size, crop, cfg.augment == "drawing", mirror=cfg.augment != "none")


def epoch_indices(n: int, epoch: int, seed: int, batch: int, rank: int, world: int) -> list[int]:
    """This rank's share of a seeded shuffle, whole batches only."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100_003 + epoch)).tolist()
    per_rank = (n // (batch * world)) * batch
    return order[rank::world][:per_rank]


class Batches:
    """DATA's train pairs (and --extra-data) as batches of (input, target, hints or None) on device;
    its val pairs, where there are any, for validation and samples."""

    def __init__(self, cfg: TrainConfig, device: torch.device, rank: int = 0, world: int = 1):
        self.cfg, self.device, self.rank, self.world = cfg, device, rank, world
        self.train_dir, val_dir = split_folders(cfg.data)
        folders = [self.train_dir] + [Path(f) for f in cfg.extra_data.split(",") if f]
        self.augment = make_augment(cfg)
        self.pairs = PreloadedPairs(folders, cfg.direction, self.augment.load_size, cfg.skip_bad_files, self.augment.drawing)
        if device.type == "cuda":
            self.pairs.to(device)
        self.val = PairedImageFolder(val_dir, cfg.direction, cfg.size, cfg.skip_bad_files) if val_dir and cfg.val_count else None
        self.steps_per_epoch = len(self.pairs) // (cfg.batch_size * world)
        if self.steps_per_epoch == 0:
            raise DatasetError(f"{self.train_dir} has {len(self.pairs)} pairs, fewer than one batch of {cfg.batch_size} x {world} ranks.")
        self.memory_format = torch.channels_last if cfg.channels_last else torch.contiguous_format
        self._order = (None, None)  # (epoch, this rank's shuffled indices)

    def order(self, epoch: int) -> torch.Tensor:
        if self._order[0] != epoch:
            self._order = (epoch, torch.tensor(epoch_indices(len(self.pairs), epoch, self.cfg.seed, self.cfg.batch_size,
                                                            self.rank, self.world)))  # fmt: skip
        return self._order[1]

    @torch.no_grad()
    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Step's batch: (input, target, hints or None)."""
        cfg = self.cfg
        epoch, b = divmod(step, self.steps_per_epoch)
        g = torch.Generator(self.device).manual_seed(cfg.seed * 1_000_003 + self.rank * 7919 + step)
        x, y, strokes = self.pairs.batch(self.order(epoch)[b * cfg.batch_size : (b + 1) * cfg.batch_size], self.device)
        x, y = self.augment(x, y, strokes, g)
        hints = None
        if cfg.hints:
            # The base model already serves images without hints, and the adapter skips them.
            counts = random_counts(len(y), g, no_hint_share=0.0 if cfg.hint_adapter else NO_HINT_SHARE)
            if cfg.hint_hue_jitter:
                y = hue_jitter(y, counts, cfg.hint_hue_jitter, g, cfg.hint_chroma, cfg.hint_brighten, cfg.hint_tint)
            hints = sample_hints(y, counts, g)
        return x.contiguous(memory_format=self.memory_format), y.contiguous(memory_format=self.memory_format), hints

    def fixed_samples(self, count: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
        """The first count val pairs (train pairs without a val split): the sample grids' inputs and targets."""
        pairs = self.val or PairedImageFolder(self.train_dir, self.cfg.direction, self.cfg.size, self.cfg.skip_bad_files)
        return tuple(torch.stack(t) for t in zip(*(pairs[i] for i in range(min(count, len(pairs))))))
