"""Which pixels are the shoe: in a catalogue photo on white, and inside a drawn outline.

One definition for the hints sampled in training, the colour figures of evaluation, and the
tests and scripts that measure a shoe's colour.
"""

from __future__ import annotations

import colorsys

import numpy as np
import torch
from PIL import Image
from scipy import ndimage

from model.sketch import ink

WHITE = 0.92  # in [0, 1]: a pixel lighter than this in every channel is the photo's white background


def shoe_pixels(images: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) photos in [-1, 1] -> (N, H, W) bool: the pixels that are not white background."""
    return images.amin(dim=1) < 2 * WHITE - 1


def shoe_mask(photo: np.ndarray) -> np.ndarray:
    """The shoe's silhouette in a photo, (H, W, 3) in [0, 1]: its shoe pixels, holes filled (the
    whole image where it has next to none)."""
    pixels = shoe_pixels(torch.from_numpy(np.ascontiguousarray(photo.transpose(2, 0, 1)))[None] * 2 - 1)[0].numpy()
    mask = ndimage.binary_fill_holes(pixels)
    return mask if mask.mean() > 0.01 else np.ones(mask.shape, bool)


def drawn_region(edges: Image.Image) -> np.ndarray:
    """Boolean mask of a drawn shoe: in each column, the pixels between its highest and lowest line.

    Outlines need not be closed. Used to measure a shoe's colour inside what was drawn.
    """
    lines = ink(edges)
    rows = np.arange(lines.shape[0])[:, None]
    top = np.where(lines.any(0), lines.argmax(0), lines.shape[0])
    bottom = np.where(lines.any(0), lines.shape[0] - 1 - lines[::-1].argmax(0), -1)
    return (rows >= top) & (rows <= bottom)


def shoe_hsv(shoe: Image.Image, edges: Image.Image) -> tuple[float, float, float]:
    """Mean colour of a shoe inside its drawn outline (drawn_region), as HSV in [0, 1]."""
    pixels = np.asarray(shoe.convert("RGB"), dtype=np.float64) / 255
    return tuple(float(v) for v in colorsys.rgb_to_hsv(*pixels[drawn_region(edges)].mean(axis=0)))
