"""Paired image data: side-by-side AB images, or A/ and B/ folders with matching names.

PairedImageFolder reads pairs one at a time (for validation, evaluation and export).
PreloadedPairs holds a whole training set in memory as 8-bit tensors at the load size
(286/256 of the training size, for the paper's random crop), with each edge map's strokes
labelled, so that train.augment can augment whole batches on the training device.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from scipy import ndimage
from tqdm import tqdm

from model.files import IMAGE_SUFFIXES, open_image
from model.images import to_rgb, to_tensor
from model.sketch import INK


class DatasetError(ValueError):
    """A data folder or file that cannot be used; the message names it and says what to do."""


def list_images(folder: Path) -> list[Path]:
    return sorted((p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=natural_key)


def split_ab(ab: Image.Image) -> tuple[Image.Image, Image.Image]:
    """An AB pair image -> its left (A) and right (B) halves."""
    w, h = ab.size
    return ab.crop((0, 0, w // 2, h)), ab.crop((w // 2, 0, w, h))


def natural_key(path: Path):
    return (len(path.stem), path.stem) if path.stem.isdigit() else (float("inf"), path.stem)


def load_image(path: Path) -> Image.Image:
    try:
        return to_rgb(open_image(path))
    except ValueError as e:
        raise DatasetError(f"{e} Replace or delete it, or pass --skip-bad-files.") from None


class PairedImageFolder(torch.utils.data.Dataset):
    """Items are (input, target) float tensors in [-1, 1], each (3, size, size), resized without augmentation."""

    def __init__(self, root: str | Path, direction: str = "AtoB", size: int = 256, skip_bad_files: bool = False):
        self.root = Path(root)
        if direction not in ("AtoB", "BtoA"):
            raise ValueError(f"direction must be AtoB or BtoA, got {direction!r}")
        if not self.root.is_dir():
            raise DatasetError(f"{self.root} is not a folder. Point --data at a folder of AB images, or one with A/ and B/.")
        self.direction, self.size, self.skip_bad_files = direction, size, skip_bad_files
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
        """Check each file's size from its header (cheap), before any image is decoded."""
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
        except (UnidentifiedImageError, OSError, DatasetError, Image.DecompressionBombError) as e:
            msg = str(e) if isinstance(e, DatasetError) else f"{a_path}: cannot be read as an image ({e})."
            if isinstance(e, Image.DecompressionBombError):  # a pair of that size would be shrunk to 256 px anyway
                msg = f"{a_path}: is too large to decode safely ({e}). Shrink it first."
            if not self.skip_bad_files:
                raise DatasetError(msg + " Fix or delete it, or pass --skip-bad-files.") from None
            warnings.warn("skipping " + msg)
            return False
        return True

    def __len__(self) -> int:
        return len(self.items)

    def load_pair(self, index: int) -> tuple[Image.Image, Image.Image]:
        """(input, target) PIL images after the direction is applied, before any resizing."""
        a_path, b_path = self.items[index]
        if b_path is None:
            a, b = split_ab(load_image(a_path))
        else:
            a, b = load_image(a_path), load_image(b_path)
        return (a, b) if self.direction == "AtoB" else (b, a)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = self.load_pair(index)
        return tuple(to_tensor(im.resize((self.size, self.size), Image.Resampling.BICUBIC)) for im in (x, y))


def stroke_labels(edges: np.ndarray) -> np.ndarray:
    """Label the strokes of an edge map (H, W) uint8 grey, for dropping them by component.

    0: no ink; 1: the three largest strokes, which are kept; 2-255: the others (ids wrap).
    """
    labels, n = ndimage.label(edges < INK, structure=np.ones((3, 3)))
    if n == 0:
        return labels.astype(np.uint8)
    sizes = ndimage.sum_labels(np.ones_like(labels), labels, index=np.arange(1, n + 1))
    ids = np.zeros(n + 1, np.uint8)
    ids[1:] = 2 + np.arange(n) % 254
    ids[1 + np.argsort(sizes)[-3:]] = 1
    return ids[labels]


class PreloadedPairs:
    """Training pairs of one or more folders, in memory as uint8 tensors at load_size x load_size.

    inputs (N, C, L, L), targets (N, 3, L, L), and strokes (N, 1, L, L): the stroke labels of
    each input, when it is an edge map.
    """

    def __init__(self, folders: list[Path], direction: str, load_size: int, skip_bad_files: bool = False,
                 label_strokes: bool = False):  # fmt: skip
        sets = [PairedImageFolder(f, direction, load_size, skip_bad_files) for f in folders]
        n = sum(len(s) for s in sets)
        # Filled as numpy arrays: a torch copy per pair would start an OpenMP team each time, and
        # those teams, spinning beside the loading threads, once slowed loading twenty-fold.
        inputs = np.empty((n, load_size, load_size, 3), np.uint8)
        targets = np.empty_like(inputs)
        strokes = np.zeros((n, load_size, load_size), np.uint8) if label_strokes else None
        jobs = [(data, j, label_strokes) for data in sets for j in range(len(data))]
        i = 0
        # Decoding and resizing release the GIL: threads load in parallel.
        with ThreadPoolExecutor(min(16, os.cpu_count() or 1)) as pool:
            for pair in tqdm(pool.map(self._load, jobs), total=n, desc="loading pairs", unit="pair"):
                if pair is not None:
                    inputs[i], targets[i] = pair[:2]
                    if strokes is not None:
                        strokes[i] = pair[2]
                    i += 1
        self.inputs, self.targets = (torch.from_numpy(a[:i]).permute(0, 3, 1, 2) for a in (inputs, targets))
        self.strokes = torch.from_numpy(strokes[:i])[:, None] if label_strokes else None

    @staticmethod
    def _load(job: tuple[PairedImageFolder, int, bool]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
        data, j, label_strokes = job
        try:
            x, y = data.load_pair(j)
        except DatasetError as e:
            if not data.skip_bad_files:
                raise
            warnings.warn(f"skipping {e}")
            return None
        x, y = (np.asarray(im.resize((data.size, data.size), Image.Resampling.BICUBIC)) for im in (x, y))
        return x, y, stroke_labels(x.min(2)) if label_strokes else None

    def __len__(self) -> int:
        return len(self.inputs)

    def to(self, device) -> "PreloadedPairs":
        for name in ("inputs", "targets", "strokes"):
            if getattr(self, name) is not None:
                setattr(self, name, getattr(self, name).to(device))
        return self

    def batch(self, indices: torch.Tensor, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Float inputs and targets in [-1, 1] on device, and the stroke labels."""
        indices = indices.to(self.inputs.device)
        x, y = (t[indices].to(device, non_blocking=True).float().div(127.5).sub(1) for t in (self.inputs, self.targets))
        strokes = self.strokes[indices].to(device, non_blocking=True) if self.strokes is not None else None
        return x, y, strokes
