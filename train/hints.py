"""Colour hints sampled from the target photos, on whole batches, on the training device.

Each hint is a small dot or a short stroke in one colour: the photo's mean colour around
the hint's start, the way a person dabs a colour they see. Hints fall on the shoe (not the
white background) and a share of the images get none, so that the model stays good without them.
"""

from __future__ import annotations

import colorsys
import math

import torch
import torch.nn.functional as F

from .shoes import shoe_pixels

MAX_HINTS = 24
NO_HINT_SHARE = 0.3  # images trained with no hints at all
STROKE_SHARE = 0.5  # hints that are short strokes rather than dots
HINT_DOTS = 10  # the evaluation's hints: this many seeded dots of the target's own colours


def random_counts(n: int, g: torch.Generator, max_hints: int = MAX_HINTS, no_hint_share: float = NO_HINT_SHARE) -> torch.Tensor:
    """Hints per image: none for a share of them, else log-uniform in 1..max_hints (few dots are common)."""
    u = torch.rand(n, generator=g, device=g.device)
    counts = torch.exp(torch.rand(n, generator=g, device=g.device) * math.log(max_hints + 1)).floor().clamp(1, max_hints)
    return torch.where(u < no_hint_share, torch.zeros_like(counts), counts).long()


def rotate_hue(photos: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) in [-1, 1], each rotated about the grey axis by its angle (radians): hue changes;
    lightness and chroma stay, and white, black and greys stay as they are."""
    k = torch.full((3,), 3**-0.5, device=photos.device)
    cross = torch.tensor([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], dtype=photos.dtype, device=photos.device) * 3**-0.5
    cos, sin = angles.cos()[:, None, None], angles.sin()[:, None, None]
    rotation = cos * torch.eye(3, device=photos.device) + sin * cross + (1 - cos) * torch.outer(k, k)
    return torch.einsum("nij,njhw->nihw", rotation, photos).clamp(-1, 1)


def scale_chroma(photos: torch.Tensor, factors: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) in [-1, 1], each pixel's distance from the grey axis scaled by its image's factor."""
    grey = photos.mean(dim=1, keepdim=True)
    return (grey + factors[:, None, None, None] * (photos - grey)).clamp(-1, 1)


def brighten(photos: torch.Tensor, gammas: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) in [-1, 1], each raised to its image's gamma in [0, 1] units: below 1 the midtones
    brighten, while white and black stay as they are."""
    return ((photos + 1) / 2).clamp(0, 1).pow(gammas[:, None, None, None].to(photos)) * 2 - 1


def tint(photos: torch.Tensor, colours: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) in [-1, 1]: each photo's shading in one colour ((N, 3) RGB in [0, 1]), at the
    photo's own lightness; white (the background) stays white."""
    unit = (photos + 1) / 2
    lightness = unit.mean(dim=1, keepdim=True)
    scale = lightness / colours.mean(dim=1).clamp_min(1e-3)[:, None, None, None]
    tinted = (scale * colours[:, :, None, None].to(photos)).clamp(0, 1) * 2 - 1
    return torch.where(shoe_pixels(photos)[:, None], tinted, photos)


def saturated_colours(n: int, g: torch.Generator) -> torch.Tensor:
    """(n, 3) RGB in [0, 1]: random hues at saturation and value 0.6-1."""
    h, s, v = torch.rand(3, n, generator=g, device=g.device).cpu()
    s, v = 0.6 + 0.4 * s, 0.6 + 0.4 * v
    return torch.tensor([colorsys.hsv_to_rgb(*c) for c in zip(h.tolist(), s.tolist(), v.tolist())])


def hue_jitter(photos: torch.Tensor, counts: torch.Tensor, share: float, g: torch.Generator,
               max_chroma: float = 1.0, max_brighten: float = 1.0, tint_share: float = 0.0) -> torch.Tensor:  # fmt: skip
    """Rotate the hue of `share` of the photos that get hints at random, scale their chroma by up
    to max_chroma and brighten them by a gamma down to 1 / max_brighten: bright, saturated colours
    are rare in shoe photos, and a hint must win over what the edges suggest. Photos without hints
    keep their colours. tint_share of the chosen photos are recoloured instead: their shading in one
    random saturated colour (tint), the colours a person dabs."""
    n = photos.shape[0]

    def rand():
        return torch.rand(n, generator=g, device=g.device).to(photos.device)

    chosen = (counts.to(photos.device) > 0) & (rand() < share)
    angles = rand() * 2 * math.pi * chosen
    factors = torch.where(chosen, 1 + rand() * (max_chroma - 1), torch.ones(n, device=photos.device))
    jittered = scale_chroma(rotate_hue(photos, angles), factors)
    if tint_share > 0:  # no draws from g without it: earlier runs resume as they were
        jittered = recolour(photos, jittered, chosen, tint_share, g)
    if max_brighten <= 1:  # no draw from g: runs without it stay as they were
        return jittered
    gammas = torch.where(chosen, torch.exp(-rand() * math.log(max_brighten)), torch.ones(n, device=photos.device))
    return brighten(jittered, gammas)


def recolour(photos: torch.Tensor, jittered: torch.Tensor, chosen: torch.Tensor, tint_share: float, g: torch.Generator) -> torch.Tensor:
    """jittered, with tint_share of the chosen photos tinted in a saturated colour instead."""
    n = photos.shape[0]
    tinted = chosen & (torch.rand(n, generator=g, device=g.device).to(photos.device) < tint_share)
    colours = saturated_colours(n, g)
    return torch.where(tinted[:, None, None, None], tint(photos, colours), jittered)


def sample_hints(target: torch.Tensor, counts: torch.Tensor, g: torch.Generator, radius: tuple[float, float] = (1, 3),
                 stroke_share: float = STROKE_SHARE) -> torch.Tensor:  # fmt: skip
    """(N, 3, H, W) photos in [-1, 1] -> (N, 4, H, W) hints: colours in [-1, 1] and mask.

    counts: hints per image. radius: the range of dot radii, in pixels at 128 px (scaled with H).
    """
    n, _, h, w = target.shape
    k = max(1, int(counts.max()))
    dev, scale = target.device, h / 128

    def rand(*shape):
        return torch.rand(*shape, generator=g, device=g.device).to(dev)

    # Centres on the shoe, not the white background (a tiny weight keeps blank targets valid).
    on_shoe = shoe_pixels(target).flatten(1).float() + 1e-4
    centre = torch.multinomial(on_shoe, k, replacement=True, generator=g)
    start = torch.stack([centre // w, centre % w], dim=-1).float()  # (N, K, 2) as (row, col)
    angle, length = rand(n, k) * 2 * math.pi, (3 + rand(n, k) * 9) * scale * (rand(n, k) < stroke_share)
    end = start + length[..., None] * torch.stack([torch.sin(angle), torch.cos(angle)], dim=-1)
    r = (radius[0] + rand(n, k) * (radius[1] - radius[0])) * scale

    # The photo's local colour: its 5x5 mean at each hint's start.
    local = F.avg_pool2d(target, 5, stride=1, padding=2, count_include_pad=False).flatten(2)  # (N, 3, H*W)
    colour = local.gather(2, centre[:, None, :].expand(-1, 3, -1)).transpose(1, 2)  # (N, K, 3)

    valid = torch.arange(k, device=dev) < counts.to(dev)[:, None]
    last = last_hint_per_pixel(start, end, r, valid, h, w)  # 0: none, i: hint i-1 (later ones paint over earlier)
    mask = (last > 0).float().view(n, 1, h, w)
    painted = colour.gather(1, (last - 1).clamp_min(0)[..., None].expand(-1, -1, 3)).transpose(1, 2).reshape(n, 3, h, w)
    return torch.cat([painted * mask, mask], dim=1)


def last_hint_per_pixel(start, end, radius, valid, h: int, w: int) -> torch.Tensor:
    """(N, H*W) long: 1 + the index of the last hint covering each pixel, 0 where none does.

    Each hint is a capsule (the pixels within radius of its segment), computed in a window
    around its start only, so the cost does not grow with the image.
    """
    n, k, _ = start.shape
    half = int(math.ceil(float(((end - start).norm(dim=-1) + radius).max()))) + 1
    offsets = torch.arange(-half, half + 1, device=start.device, dtype=torch.float32)
    base = start.round()
    rows = (base[..., 0, None, None] + offsets[:, None]).expand(n, k, len(offsets), len(offsets))
    cols = (base[..., 1, None, None] + offsets[None, :]).expand(n, k, len(offsets), len(offsets))
    p = torch.stack([rows, cols], dim=-1)  # (N, K, P, P, 2)
    a, d = start[:, :, None, None], (end - start)[:, :, None, None]
    t = (((p - a) * d).sum(-1) / (d * d).sum(-1).clamp_min(1e-6)).clamp(0, 1)
    inside = (p - a - t[..., None] * d).norm(dim=-1) <= radius[..., None, None]
    inside &= valid[..., None, None] & (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    order = torch.arange(1, k + 1, device=start.device)[None, :, None, None]
    index = (rows.clamp(0, h - 1) * w + cols.clamp(0, w - 1)).long().flatten(1)
    last = torch.zeros(n, h * w, dtype=torch.long, device=start.device)
    return last.scatter_reduce(1, index, (inside * order).flatten(1), "amax")


def dots(target: torch.Tensor, count: int, seed: int, radius: float = 1.5) -> torch.Tensor:
    """count seeded dots per image, of one radius (at 128 px): the evaluation's hints."""
    g = torch.Generator().manual_seed(seed)
    counts = torch.full((target.shape[0],), count, dtype=torch.long)
    return sample_hints(target.cpu(), counts, g, radius=(radius, radius), stroke_share=0.0).to(target.device)
