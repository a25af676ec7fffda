"""Shared fixtures: small synthetic image pairs, and the real data folder when it is present."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


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
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        a, b = synthetic_pair(size, i)
        ab = Image.new("RGB", (2 * size, size))
        ab.paste(a, (0, 0))
        ab.paste(b, (size, 0))
        ab.save(folder / f"{i}{suffix}")
    return folder


@pytest.fixture
def ab_folder(tmp_path) -> Path:
    """8 side-by-side 64x32 PNG pairs in tmp/pairs."""
    return write_ab_folder(tmp_path / "pairs", 8)


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, or PIX2PIX_DATA; tests that need it skip where it is absent."""
    path = Path(os.environ.get("PIX2PIX_DATA", ROOT.parent / "shared" / "data"))
    if not (path / "edges2shoes").is_dir():
        pytest.skip(f"real data not found at {path} (set PIX2PIX_DATA to a folder holding edges2shoes/)")
    return path
