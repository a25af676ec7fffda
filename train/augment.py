"""Augmentation of whole batches on the training device: the paper's jitter, and drawing-like edges.

The paper's jitter (resize to 286/256 of the size, random crop, mirror) and the drawing
placement (the pair scaled and moved on white) are one affine warp per image, so a batch
takes one grid_sample. The drawing augmentation makes HED edge maps look like what people
draw: a person leaves out interior lines, breaks and wobbles strokes, uses another pen
width, and draws the shoe smaller or larger anywhere on the canvas. Strokes are dropped by
their connected component, labelled once when the data is loaded (train.data.stroke_labels).

Everything runs in torch on the batch, with a torch.Generator seeded by (seed, step), so a
resumed run sees the same batches as an uninterrupted one and the CPU's data worker has no
work left: it costs a few percent of a training step instead of a quarter.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

KEEP_ALWAYS = 1  # stroke label of the three longest strokes (mostly the outline), see train.data.stroke_labels


def uniform(n: int, low: float, high: float, g: torch.Generator, device) -> torch.Tensor:
    return torch.rand(n, generator=g, device=device) * (high - low) + low


def bernoulli(n: int, p: float, g: torch.Generator, device) -> torch.Tensor:
    return torch.rand(n, generator=g, device=device) < p


class BatchAugment:
    """(inputs, targets, stroke labels) at the load size -> augmented (inputs, targets) at the training size.

    crop: the paper's random crop (the data is loaded at load_size, 286/256 of the size); off, whole images.
    mirror: the paper's random mirroring.
    drawing: place the pair (p_place) and sketchify the edge map (p_sketch).
    """

    def __init__(self, size: int, crop: bool = True, drawing: bool = False, p_sketch: float = 0.6,
                 p_place: float = 0.5, scale=(0.6, 1.05), mirror: bool = True):  # fmt: skip
        self.size, self.crop, self.drawing, self.mirror = size, crop, drawing, mirror
        self.p_sketch, self.p_place, self.scale = p_sketch, p_place, scale
        self.load_size = round(size * 286 / 256) if crop else size  # the paper's jitter: 286 for 256

    def __call__(self, x: torch.Tensor, y: torch.Tensor, strokes: torch.Tensor | None, g: torch.Generator):
        n, dev = x.shape[0], x.device
        sketch = bernoulli(n, self.p_sketch, g, dev) if self.drawing else torch.zeros(n, dtype=torch.bool, device=dev)
        if sketch.any():
            x = torch.where(sketch[:, None, None, None], self.break_strokes(self.drop_strokes(x, strokes, g), g), x)
        theta = self.affine(n, x.shape[-1], g, dev)
        grid = F.affine_grid(theta, [n, 1, self.size, self.size], align_corners=False)
        wobble = self.wobble(n, g, dev) * sketch[:, None, None, None]
        x, y = warp_on_white(x, grid + wobble), warp_on_white(y, grid)
        if sketch.any():
            x = torch.where(sketch[:, None, None, None], self.pen_width(x, g), x)
        return x, y

    def affine(self, n: int, load_size: int, g: torch.Generator, dev) -> torch.Tensor:
        """Per image: crop (a window of size/load_size), mirror, and for 'place' a scale s and offset on white."""
        a = self.size / load_size if self.crop else 1.0
        t = (1 - a) * (2 * torch.rand(n, 2, generator=g, device=dev) - 1)
        flip = torch.where(bernoulli(n, 0.5 if self.mirror else 0.0, g, dev), -1.0, 1.0)
        s = torch.ones(n, device=dev)
        o = torch.zeros(n, 2, device=dev)
        if self.drawing:
            place = bernoulli(n, self.p_place, g, dev)
            s = torch.where(place, uniform(n, *self.scale, g, dev), s)
            o = (1 - s)[:, None].abs() * (2 * torch.rand(n, 2, generator=g, device=dev) - 1)
        theta = torch.zeros(n, 2, 3, device=dev)
        theta[:, 0, 0] = a * flip / s
        theta[:, 1, 1] = a / s
        theta[:, :, 2] = (t - o) / s[:, None]
        return theta

    def drop_strokes(self, x: torch.Tensor, strokes: torch.Tensor | None, g: torch.Generator) -> torch.Tensor:
        """Erase a random share (0-50%, per image) of the strokes, never the three longest."""
        if strokes is None:
            return x
        n = x.shape[0]
        keep = torch.rand(n, 256, generator=g, device=x.device) >= uniform(n, 0.0, 0.5, g, x.device)[:, None]
        keep[:, : KEEP_ALWAYS + 1] = True
        kept = keep.gather(1, strokes.flatten(1).long()).view_as(strokes)
        return torch.where(kept, x, torch.ones_like(x))

    def break_strokes(self, x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        """Erase 0-4 small discs (radius 2-6 px at 256) centred on line pixels."""
        n, _, h, w = x.shape
        ink = (x.mean(1).flatten(1) < 0).float() + 1e-6
        centres = torch.multinomial(ink, 4, replacement=True, generator=g)
        cy, cx = (centres // w).float(), (centres % w).float()
        count = torch.randint(0, 5, (n, 1), generator=g, device=x.device)
        radius = uniform(n * 4, 2.0, 6.0, g, x.device).view(n, 4) * (h / 256)
        radius = torch.where(torch.arange(4, device=x.device) < count, radius, torch.zeros_like(radius))
        yy = torch.arange(h, device=x.device).view(1, 1, h, 1).float()
        xx = torch.arange(w, device=x.device).view(1, 1, 1, w).float()
        d2 = (yy - cy[..., None, None]) ** 2 + (xx - cx[..., None, None]) ** 2
        erased = (d2 < radius[..., None, None] ** 2).any(1, keepdim=True)
        return torch.where(erased, torch.ones_like(x), x)

    def wobble(self, n: int, g: torch.Generator, dev) -> torch.Tensor:
        """A smooth random displacement of up to 4 px at 256 (in grid units), as an (n, size, size, 2) field."""
        noise = torch.randn(n, 2, 10, 10, generator=g, device=dev)
        field = F.interpolate(noise, size=(self.size, self.size), mode="bicubic", align_corners=False)
        field = field / field.flatten(1).abs().amax(1).clamp_min(1e-8)[:, None, None, None]
        alpha = uniform(n, 0.0, 4.0, g, dev)
        alpha = torch.where(alpha > 0.5, alpha, torch.zeros_like(alpha)) * 2 / 256
        return (field * alpha[:, None, None, None]).permute(0, 2, 3, 1)

    def pen_width(self, x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        """Thicken the lines by 0, 0, 1, 1 or 2 pixels at 256 (a min-filter on the white-is-+1 image)."""
        n = x.shape[0]
        width = torch.tensor([0, 0, 1, 1, 2], device=x.device)[torch.randint(0, 5, (n,), generator=g, device=x.device)]
        out = x
        for w in (1, 2):
            k = 1 + round(2 * w * self.size / 256)
            pad = ((k - 1) // 2, k - 1 - (k - 1) // 2) * 2
            thick = -F.max_pool2d(F.pad(-x, pad, value=-1.0), k, stride=1)
            out = torch.where((width == w)[:, None, None, None], thick, out)
        return out


def warp_on_white(images: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """grid_sample with white (+1) outside the image."""
    return F.grid_sample(images - 1, grid.to(images.dtype), mode="bilinear", padding_mode="zeros", align_corners=False) + 1
