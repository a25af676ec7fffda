"""Augmentation that makes HED edge maps look like what people draw.

A person drawing a shoe leaves out interior lines, breaks and wobbles strokes, uses a
different pen width, and draws the shoe smaller or larger anywhere on the canvas. The
edges2shoes edge maps have none of that, so a model trained on them alone smears colour
around real drawings. DrawingAugment imitates it on the edge map (the input) and moves
the photo with it where geometry changes, so input and target stay aligned.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from scipy import ndimage


class DrawingAugment:
    def __init__(self, p_sketch: float = 0.6, p_place: float = 0.5, scale=(0.6, 1.05), background=255):
        self.p_sketch, self.p_place, self.scale, self.background = p_sketch, p_place, scale, background

    def __call__(self, edges: Image.Image, photo: Image.Image, g: torch.Generator):
        rng = np.random.default_rng(int(torch.randint(0, 2**62, (1,), generator=g)))
        if rng.random() < self.p_place:
            edges, photo = self.place(edges, photo, rng)
        if rng.random() < self.p_sketch:
            edges = self.sketchify(edges, rng)
        return edges, photo

    def place(self, edges: Image.Image, photo: Image.Image, rng: np.random.Generator):
        """Scale both images by the same factor and paste them at the same random offset on white."""
        w, h = edges.size
        s = rng.uniform(*self.scale)
        nw, nh = max(8, round(w * s)), max(8, round(h * s))
        dx, dy = int(rng.integers(min(0, w - nw), max(0, w - nw) + 1)), int(rng.integers(min(0, h - nh), max(0, h - nh) + 1))
        out = []
        for im, resample in ((edges, Image.Resampling.BILINEAR), (photo, Image.Resampling.BICUBIC)):
            canvas = Image.new("RGB", (w, h), (self.background,) * 3)
            canvas.paste(im.resize((nw, nh), resample), (dx, dy))
            out.append(canvas)
        return tuple(out)

    def sketchify(self, edges: Image.Image, rng: np.random.Generator) -> Image.Image:
        lines = np.asarray(edges.convert("L")) < 128
        labels, n = ndimage.label(lines, structure=np.ones((3, 3)))
        if n > 1:
            # Keep the three longest strokes (mostly the outline); drop a random share of the rest.
            sizes = ndimage.sum(lines, labels, index=np.arange(1, n + 1))
            keep = rng.random(n) >= rng.uniform(0.0, 0.5)
            keep[np.argsort(sizes)[-3:]] = True
            lines = keep[labels - 1] & lines
        # Break strokes: erase a few small discs centred on line pixels.
        ys, xs = np.nonzero(lines)
        if len(ys):
            yy, xx = np.mgrid[: lines.shape[0], : lines.shape[1]]
            for i in rng.integers(0, len(ys), size=rng.integers(0, 5)):
                r = rng.uniform(2, 6)
                lines &= (yy - ys[i]) ** 2 + (xx - xs[i]) ** 2 > r * r
        # Wobble: a smooth random displacement field of a few pixels.
        alpha, sigma = rng.uniform(0, 4), rng.uniform(8, 16)
        if alpha > 0.5:
            dy, dx = (ndimage.gaussian_filter(rng.standard_normal(lines.shape), sigma) for _ in range(2))
            dy, dx = (d / (np.abs(d).max() + 1e-8) * alpha for d in (dy, dx))
            yy, xx = np.mgrid[: lines.shape[0], : lines.shape[1]]
            lines = ndimage.map_coordinates(lines.astype(np.float32), [yy + dy, xx + dx], order=1) > 0.3
        # Pen width: 1 to 3 pixels.
        width = int(rng.choice([0, 0, 1, 1, 2]))
        if width:
            lines = ndimage.binary_dilation(lines, iterations=width)
        return Image.fromarray(np.where(lines, 0, 255).astype(np.uint8), "L").convert("RGB")
