"""A tiny paired dataset without the real one: synthetic A|B images, for the GPU check's training
steps (scripts/gpu_check.py pairs DIR) and for the tests (tests/conftest.py imports these)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def synthetic_pair(size: int, seed: int) -> tuple[Image.Image, Image.Image]:
    """A: the black outline of a rectangle on white. B: the rectangle filled with a colour."""
    rng = np.random.default_rng(seed)
    x0, y0 = rng.integers(2, size // 3, 2)
    x1, y1 = rng.integers(size // 2, size - 2, 2)
    a = np.full((size, size, 3), 255, np.uint8)
    a[y0:y1, x0] = a[y0:y1, x1 - 1] = a[y0, x0:x1] = a[y1 - 1, x0:x1] = 0
    b = np.full((size, size, 3), 255, np.uint8)
    b[y0:y1, x0:x1] = rng.integers(0, 200, 3)
    return Image.fromarray(a), Image.fromarray(b)


def write_ab_folder(folder: Path, n: int, size: int = 32, suffix: str = ".png", start: int = 0) -> Path:
    """n side-by-side A|B pairs (synthetic_pair seeds start .. start + n - 1) as folder/{i}{suffix}; returns folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        side_by_side(*synthetic_pair(size, i)).save(folder / f"{i}{suffix}")
    return folder


def side_by_side(a: Image.Image, b: Image.Image) -> Image.Image:
    """One A|B image, in the pix2pix datasets' layout."""
    ab = Image.new("RGB", (a.width + b.width, a.height))
    ab.paste(a, (0, 0))
    ab.paste(b, (a.width, 0))
    return ab
