"""A person's drawing -> what a sketch model sees: an edge map in the look of the training data,
and the colour hints drawn over it, moved and scaled with it.

    from model.sketch import prepare_drawing
    sketch = prepare_drawing(drawing, hints)   # None for a drawing without strokes
    shoe = translator(sketch.edges, hints=sketch.hints)

The strokes are thinned to one pixel, the line width of the edges2shoes data, and the drawing is
scaled so that its longer side spans `fill` of the image and centred, as the shoes sit in the
training photos. Hints go through the same placement, so a dab stays where it was drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from skimage import morphology

from .hints import has_hints, opaque_only, paint_hints
from .images import lines_image, to_rgb

INK = 200  # a pixel darker than this (0-255 grey) is a pen stroke or an edge line
# Scaling a stroke with bilinear resampling greys its rim; the darker core is kept as ink.
SCALED_INK = 160
FILL = 0.9  # the drawing's longer side spans this share of the image


def ink(drawing: Image.Image, threshold: int = INK) -> np.ndarray:
    """The pen strokes (or an edge map's lines): pixels darker than threshold; transparency counts as white."""
    return np.asarray(to_rgb(drawing, 1)) < threshold


@dataclass(frozen=True)
class Placement:
    """Where a drawing goes: its inked box, scaled to `scaled` and centred in size x size."""

    source: tuple[int, int]  # the drawing's width and height
    box: tuple[int, int, int, int]  # left, top, right, bottom, in the drawing's pixels
    scaled: tuple[int, int]
    size: int

    def apply(self, image: Image.Image, resample: Image.Resampling, background) -> Image.Image:
        """Move and scale an image the size of the drawing (its strokes, or hints drawn over it) the same way."""
        if image.size != self.source:
            raise ValueError(f"the image is {image.size[0]}x{image.size[1]} but the drawing it belongs to is "
                             f"{self.source[0]}x{self.source[1]}; give it the drawing's size.")  # fmt: skip
        w, h = self.scaled
        placed = Image.new(image.mode, (self.size, self.size), background)
        placed.paste(image.crop(self.box).resize((w, h), resample), ((self.size - w) // 2, (self.size - h) // 2))
        return placed


def placement_of(strokes: np.ndarray, size: int, fill: float = FILL) -> Placement | None:
    """Scale the strokes so that their longer side spans `fill` of the image, centred. None when there are none."""
    if not strokes.any():
        return None
    ys, xs = np.nonzero(strokes)
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    scale = fill * size / max(bottom - top, right - left)
    scaled = max(1, round((right - left) * scale)), max(1, round((bottom - top) * scale))
    return Placement(strokes.shape[::-1], (int(left), int(top), int(right), int(bottom)), scaled, size)


def place_hints(hints: Image.Image, placement: Placement) -> Image.Image:
    """Colour hints drawn over a drawing (RGBA, its size), moved and scaled as its strokes are.

    Colours are averaged over their own pixels (premultiplied), and a hint is kept wherever it
    covers any of an output pixel, so a thin stroke survives scaling down.
    """
    placed = placement.apply(opaque_only(hints).convert("RGBa"), Image.Resampling.BOX, (0, 0, 0, 0)).convert("RGBA")
    placed.putalpha(placed.getchannel("A").point(lambda a: 255 if a > 0 else 0))
    return placed


@dataclass(frozen=True)
class PreparedDrawing:
    """What a sketch model is given for one drawing."""

    edges: Image.Image  # size x size, black 1-pixel lines on white
    hints: Image.Image | None  # size x size RGBA colour hints, placed with the strokes; None without any
    placement: Placement

    @property
    def seen(self) -> Image.Image:
        """What the model sees: the edge map with the hints painted over it."""
        return self.edges if self.hints is None else paint_hints(self.edges, self.hints)


def prepare_drawing(drawing: Image.Image, hints: Image.Image | None = None, size: int = 256,
                    fill: float = FILL) -> PreparedDrawing | None:  # fmt: skip
    """Pen strokes (dark on light, any size and mode) and, optionally, colour hints drawn over them
    (RGBA, the drawing's size) -> the edge map and the placed hints. None for a drawing without strokes.

    Raises ValueError when hints are not the drawing's size.
    """
    strokes = ink(drawing)
    placement = placement_of(strokes, size, fill)
    if placement is None:
        return None
    scaled = placement.apply(Image.fromarray(np.where(strokes, 0, 255).astype(np.uint8), "L"), Image.Resampling.BILINEAR, 255)
    edges = lines_image(morphology.skeletonize(np.asarray(scaled) < SCALED_INK))
    return PreparedDrawing(edges, place_hints(hints, placement) if has_hints(hints) else None, placement)
