"""Colour hints: an RGBA image whose opaque pixels ask for a colour there.

A generator built with `GeneratorConfig(hints=True)` takes 4 more inputs: the hint colours
in [-1, 1] (zero where there is no hint) and a mask of where hints are (after Zhang et al. 2017,
"Real-Time User-Guided Image Colorization with Learned Deep Priors"). They join the U-Net's
input, or, with `hint_adapter`, go to a side encoder beside it (model.networks.HintAdapter).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

# The colour pen's presets, named: the app's swatches, the examples' hint files and the tests' colours.
HINT_COLOURS = {"red": "#d62828", "blue": "#1d4ed8", "white": "#ffffff", "black": "#111111", "brown": "#7b4a2a",
                "tan": "#d2b48c", "pink": "#ec4899", "green": "#15803d"}  # fmt: skip

OPAQUE = 0.5  # alpha above this is a hint; the canvas's anti-aliased fringe below it is not


def is_hint(alpha):
    """Whether 8-bit alpha (a number or an array) marks a hint pixel."""
    return alpha > OPAQUE * 255


def hints_to_tensor(hints: Image.Image, size: int) -> torch.Tensor:
    """RGBA image of any size -> (4, size, size): colours in [-1, 1] where the mask is 1, and the mask.

    Resizing averages each hint colour over its own pixels only, and keeps every hint that
    covers any part of an output pixel, so a thin stroke on a large canvas survives.
    """
    rgba = np.asarray(hints.convert("RGBA"))
    mask = is_hint(rgba[..., 3])
    out = np.zeros((4, size, size), np.float32)  # hint colours (0-255) summed over each output pixel, and their count
    height, width = mask.shape
    if height % size == 0 and width % size == 0:
        # Whole blocks (the canvas's own size, or a multiple): summed in numpy, one block offset at a
        # time, so that no torch op wakes torch's thread pool beside ONNX Runtime's (model/images.py).
        step_y, step_x = height // size, width // size
        for i in range(step_y):
            for j in range(step_x):
                block_mask = mask[i::step_y, j::step_x]
                out[:3] += rgba[i::step_y, j::step_x, :3].transpose(2, 0, 1) * block_mask
                out[3] += block_mask
    else:  # means rather than sums: the colour, their ratio, is the same
        masked = np.dstack([rgba[..., :3] * mask[..., None], mask]).transpose(2, 0, 1).astype(np.float32)
        out[:] = F.adaptive_avg_pool2d(torch.from_numpy(masked)[None], size)[0].numpy()
    present = out[3] > 0
    out[:3] /= np.float32(255) * np.maximum(out[3], np.float32(1e-6))
    out[:3] *= 2
    out[:3] -= 1
    out[:3] *= present
    out[3] = present
    return torch.from_numpy(out)


def has_hints(hints: Image.Image | None) -> bool:
    """True when the image has at least one opaque pixel."""
    if hints is None:
        return False
    alpha = np.asarray(hints.convert("RGBA"))[..., 3]
    return bool(is_hint(alpha).any())


def has_alpha(image: Image.Image) -> bool:
    """Whether an image can say where there is no hint: an alpha band or a transparent colour."""
    return "A" in image.getbands() or "transparency" in image.info


def opaque_only(hints: Image.Image) -> Image.Image:
    """RGBA with the faint pixels (anti-aliased fringes, eraser remnants) made fully transparent, the rest opaque."""
    rgba = hints.convert("RGBA")
    rgba.putalpha(rgba.getchannel("A").point(lambda a: 255 if is_hint(a) else 0))
    return rgba


def paint_hints(image: Image.Image, hints: Image.Image) -> Image.Image:
    """The image with the hints' opaque pixels painted over it: what a model with hints sees."""
    seen = image.convert("RGB")
    seen.paste(hints.convert("RGB"), mask=opaque_only(hints).getchannel("A"))
    return seen
