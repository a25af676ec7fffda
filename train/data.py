"""Paired image data: side-by-side AB images, or A/ and B/ folders with matching names.

Random jitter and mirroring follow the paper (resize to 286, random crop to 256, flip),
scaled to other sizes. The randomness of item i in epoch e comes from (seed, e, i) alone,
so a resumed run sees exactly the images an uninterrupted one would.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Callable

import torch
import torchvision.transforms.v2.functional as TF
from PIL import Image, UnidentifiedImageError

from model.images import to_rgb, to_tensor
from model.translate import IMAGE_SUFFIXES, open_image

# (a, b, generator) -> (a, b): an extra augmentation on the two PIL halves before the jitter.
PairTransform = Callable[[Image.Image, Image.Image, torch.Generator], tuple[Image.Image, Image.Image]]


class DatasetError(ValueError):
    """A data folder or file that cannot be used; the message names it and says what to do."""


def list_images(folder: Path) -> list[Path]:
    return sorted((p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=natural_key)


def natural_key(path: Path):
    return (len(path.stem), path.stem) if path.stem.isdigit() else (float("inf"), path.stem)


def load_image(path: Path) -> Image.Image:
    try:
        return to_rgb(open_image(path))
    except ValueError as e:
        raise DatasetError(f"{e} Replace or delete it, or pass --skip-bad-files.") from None


class PairedImageFolder(torch.utils.data.Dataset):
    """Items are (input, target) float tensors in [-1, 1], each (3, size, size)."""

    def __init__(
        self,
        root: str | Path,
        direction: str = "AtoB",
        size: int = 256,
        train: bool = True,
        seed: int = 0,
        skip_bad_files: bool = False,
        pair_transform: PairTransform | None = None,
    ):
        self.root = Path(root)
        if direction not in ("AtoB", "BtoA"):
            raise ValueError(f"direction must be AtoB or BtoA, got {direction!r}")
        if not self.root.is_dir():
            raise DatasetError(f"{self.root} is not a folder. Point --data at a folder of AB images, or one with A/ and B/.")
        self.direction, self.size, self.train, self.seed = direction, size, train, seed
        self.load_size = round(size * 286 / 256)  # the paper's jitter: 286 for 256
        self.skip_bad_files, self.pair_transform = skip_bad_files, pair_transform
        self.epoch = 0
        if (self.root / "A").is_dir() and (self.root / "B").is_dir():
            a_files = {p.stem: p for p in list_images(self.root / "A")}
            b_files = {p.stem: p for p in list_images(self.root / "B")}
            unmatched = sorted(set(a_files) ^ set(b_files))
            if unmatched:
                warnings.warn(f"{len(unmatched)} file(s) in {self.root}/A and B have no partner, e.g. {unmatched[:3]}; ignoring them.")
            self.items = [(a_files[k], b_files[k]) for k in sorted(set(a_files) & set(b_files), key=lambda s: natural_key(Path(s)))]
        else:
            self.items = [(p, None) for p in list_images(self.root)]
        self.items = [item for item in self.items if self._check_header(item)]
        if not self.items:
            raise DatasetError(f"{self.root} holds no usable images (expected side-by-side AB images, or A/ and B/ folders).")

    def _check_header(self, item) -> bool:
        """Check each file's size from its header (cheap), before any worker starts."""
        a_path, b_path = item
        try:
            sizes = []
            for p in (a_path, b_path) if b_path else (a_path,):
                with Image.open(p) as im:
                    sizes.append(im.size)
            if b_path is None and sizes[0][0] != 2 * sizes[0][1]:
                raise DatasetError(f"{a_path}: is {sizes[0][0]}x{sizes[0][1]}; an AB pair must be twice as wide as high (A left, B right).")
            if b_path is not None and sizes[0] != sizes[1]:
                raise DatasetError(f"{a_path} is {sizes[0]} but {b_path} is {sizes[1]}; A and B must have the same size.")
        except (UnidentifiedImageError, OSError, DatasetError) as e:
            msg = str(e) if isinstance(e, DatasetError) else f"{a_path}: cannot be read as an image ({e})."
            if not self.skip_bad_files:
                raise DatasetError(msg + " Fix or delete it, or pass --skip-bad-files.") from None
            warnings.warn("skipping " + msg)
            return False
        return True

    def __len__(self) -> int:
        return len(self.items)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def load_pair(self, index: int) -> tuple[Image.Image, Image.Image]:
        """(input, target) PIL images after the direction is applied, before any augmentation."""
        a_path, b_path = self.items[index]
        if b_path is None:
            ab = load_image(a_path)
            w, h = ab.size
            a, b = ab.crop((0, 0, w // 2, h)), ab.crop((w // 2, 0, w, h))
        else:
            a, b = load_image(a_path), load_image(b_path)
        return (a, b) if self.direction == "AtoB" else (b, a)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        try:
            x, y = self.load_pair(index)
        except DatasetError as e:
            if not self.skip_bad_files:
                raise
            warnings.warn(f"skipping {e}")
            return self[(index + 1) % len(self)]
        if not self.train:
            return tuple(to_tensor(im.resize((self.size, self.size), Image.Resampling.BICUBIC)) for im in (x, y))
        g = torch.Generator().manual_seed(hash((self.seed, self.epoch, index)) & 0x7FFF_FFFF_FFFF)
        if self.pair_transform is not None:
            x, y = self.pair_transform(x, y, g)
        # Same jitter and flip for both halves, so they stay aligned.
        top, left = (int(torch.randint(0, self.load_size - self.size + 1, (1,), generator=g)) for _ in range(2))
        flip = bool(torch.rand((), generator=g) < 0.5)
        out = []
        for im in (x, y):
            im = im.resize((self.load_size, self.load_size), Image.Resampling.BICUBIC)
            im = im.crop((left, top, left + self.size, top + self.size))
            out.append(to_tensor(TF.horizontal_flip(im) if flip else im))
        return tuple(out)
