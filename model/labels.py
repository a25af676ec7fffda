"""Label maps: each pixel's class is the palette colour nearest to it, so JPEG noise and
anti-aliased brush edges become clean labels."""

from __future__ import annotations

import numpy as np
from PIL import Image

from .images import to_rgb


def nearest_colour(image: Image.Image, colours) -> np.ndarray:
    """(H, W) index, into colours (a list of RGB triples), of the colour nearest to each pixel."""
    palette = np.asarray(colours, dtype=np.int32)
    pixels = np.asarray(image.convert("RGB"), dtype=np.int32)
    return ((pixels[:, :, None, :] - palette[None, None]) ** 2).sum(-1).argmin(-1)


def snap_to_palette(image: Image.Image, palette: dict[str, tuple[int, int, int]]) -> Image.Image:
    """Each pixel -> the nearest colour of palette (class name -> RGB)."""
    colours = np.array(list(palette.values()), dtype=np.uint8)
    return Image.fromarray(colours[nearest_colour(image, colours)], "RGB")


def prepare_label_map(image: Image.Image, palette: dict[str, tuple[int, int, int]], size: int = 256) -> Image.Image:
    """What a label-map model sees: the image (any mode; transparency counts as white) at size x size,
    in the palette's colours. Nearest-neighbour scaling: no blended colours at class borders."""
    return snap_to_palette(to_rgb(image).resize((size, size), Image.Resampling.NEAREST), palette)
