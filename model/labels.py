"""Label maps: each pixel's class is the palette colour nearest to it, so JPEG noise and
anti-aliased brush edges become clean labels.

The palette's first class is the background: a new label canvas is filled with it, the eraser
paints it, and transparent pixels of an image are read as it.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .images import to_rgb

NEAR = 60  # a pixel within this RGB distance of a palette colour is that colour, shifted (JPEG, brush edges)
MOSTLY_FAR = 0.5  # an image with more of its pixels far from every palette colour is not a label map of it


def background(palette: dict[str, tuple[int, int, int]]) -> tuple[int, int, int]:
    """The background class's colour: the palette's first."""
    return tuple(next(iter(palette.values())))


def nearest(image: Image.Image, colours) -> tuple[np.ndarray, np.ndarray]:
    """(H, W) index, into colours (a list of RGB triples), of the colour nearest to each pixel, and
    (H, W) its squared RGB distance. Computed once per distinct colour: a painted map has few."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.int32)
    packed = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
    distinct = np.unique(packed)
    where = np.searchsorted(distinct, packed)  # many times faster than unique's own return_inverse
    rgb = np.stack([distinct >> 16, (distinct >> 8) & 255, distinct & 255], axis=-1)
    squared = ((rgb[:, None, :] - np.asarray(colours, dtype=np.int32)[None]) ** 2).sum(-1)  # (distinct, K)
    index, distance = squared.argmin(-1), squared.min(-1)
    return index[where], distance[where]


def nearest_colour(image: Image.Image, colours) -> np.ndarray:
    """(H, W) index, into colours (a list of RGB triples), of the colour nearest to each pixel."""
    return nearest(image, colours)[0]


def snap_to_palette(image: Image.Image, palette: dict[str, tuple[int, int, int]]) -> Image.Image:
    """Each pixel -> the nearest colour of palette (class name -> RGB)."""
    colours = np.array(list(palette.values()), dtype=np.uint8)
    return Image.fromarray(colours[nearest_colour(image, colours)], "RGB")


class NotALabelMap(ValueError):
    """An image mostly far from a model's palette; the message says why, for a person."""


def prepare_label_map(image: Image.Image, palette: dict[str, tuple[int, int, int]], size: int = 256) -> Image.Image:
    """What a label-map model sees: the image (any mode; transparency counts as the background class) at
    size x size, in the palette's colours. Nearest-neighbour scaling: no blended colours at class borders.
    Raises NotALabelMap for an image mostly far from every palette colour."""
    rgb = to_rgb(image, background=background(palette)).resize((size, size), Image.Resampling.NEAREST)
    colours = np.array(list(palette.values()), dtype=np.uint8)
    index, distance = nearest(rgb, colours)
    reason = mismatch(rgb, distance)
    if reason:
        raise NotALabelMap(reason)
    return Image.fromarray(colours[index], "RGB")


def mismatch(image: Image.Image, distance: np.ndarray) -> str | None:
    """Why an RGB image, whose pixels lie at squared distance from their nearest palette colours, is not
    a label map in that palette (for a person); None when it is one."""
    far = (distance > NEAR**2).mean()
    if far <= MOSTLY_FAR:
        return None
    rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
    grey = (np.abs(rgb - rgb.mean(-1, keepdims=True)) < 8).all()
    what = "it is greyscale" if grey else f"{far:.0%} of its pixels are far from every class colour"
    return f"This is not a label map in this model's palette: {what}. Paint with the palette's colours, or snap your map to them."
