"""Conversions between PIL images of any mode and the networks' [-1, 1] tensors."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image


def to_rgb(image: Image.Image, channels: int = 3) -> Image.Image:
    """Any PIL image as 8-bit RGB (or L for channels=1); transparency is composited over white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit, 32-bit and float greyscale: bring the range down to 8 bits.
        a = np.asarray(image, dtype=np.float64)
        if image.mode == "F" and a.max() <= 1.0:
            a = a * 255.0
        elif image.mode.startswith("I;16") or a.max() > 255:
            a = a / 257.0
        image = Image.fromarray(np.clip(a + 0.5, 0, 255).astype(np.uint8), "L")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    return image.convert("L" if channels == 1 else "RGB")


def to_tensor(image: Image.Image) -> torch.Tensor:
    """8-bit RGB or L image -> float tensor (C, H, W) in [-1, 1]."""
    a = torch.from_numpy(np.array(image, dtype=np.uint8, copy=True))
    a = a[..., None] if a.ndim == 2 else a
    return a.permute(2, 0, 1).float().div(127.5).sub(1.0)


def to_pil(tensor: torch.Tensor) -> Image.Image:
    """Float tensor (C, H, W) in [-1, 1] -> 8-bit RGB or L image."""
    a = tensor.detach().float().clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8).cpu()
    a = a.permute(1, 2, 0).numpy()
    return Image.fromarray(a[..., 0], "L") if a.shape[2] == 1 else Image.fromarray(a, "RGB")
