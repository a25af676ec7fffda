"""Conversions between PIL images of any mode and the networks' [-1, 1] tensors."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image


def to_rgb(image: Image.Image, channels: int = 3, background="white") -> Image.Image:
    """Any PIL image as 8-bit RGB (or L for channels=1); transparency is composited over background."""
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
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, background), rgba)
    return image.convert("L" if channels == 1 else "RGB")


def to_array(image: Image.Image) -> np.ndarray:
    """8-bit RGB or L image -> float32 array (C, H, W) in [-1, 1]."""
    a = np.asarray(image, dtype=np.uint8)
    a = a[..., None] if a.ndim == 2 else a
    return np.ascontiguousarray(a.transpose(2, 0, 1)).astype(np.float32) / np.float32(127.5) - np.float32(1.0)


def array_to_pil(a: np.ndarray) -> Image.Image:
    """Float array (C, H, W) in [-1, 1] -> 8-bit RGB or L image."""
    # In place, and the channels joined by PIL rather than a numpy transpose: a third of the time,
    # and every live shoe pays it.
    scaled = np.clip(a, -1, 1, dtype=np.float32)
    scaled += np.float32(1)
    scaled *= np.float32(127.5)
    bands = [Image.fromarray(band, "L") for band in np.rint(scaled, out=scaled).astype(np.uint8)]
    return bands[0] if len(bands) == 1 else Image.merge("RGB", bands)


# The tensor forms go through numpy: no torch thread pool wakes for them, which would spin on
# the cores that ONNX Runtime's own threads need next (model/onnx_runtime.py).
def to_tensor(image: Image.Image) -> torch.Tensor:
    """8-bit RGB or L image -> float tensor (C, H, W) in [-1, 1]."""
    return torch.from_numpy(to_array(image))


def to_pil(tensor: torch.Tensor) -> Image.Image:
    """Float tensor (C, H, W) in [-1, 1] -> 8-bit RGB or L image."""
    return array_to_pil(tensor.detach().float().cpu().numpy())


def lines_image(lines: np.ndarray) -> Image.Image:
    """A boolean (H, W) mask of lines -> an RGB edge map: black lines on white."""
    return Image.fromarray(np.where(lines, 0, 255).astype(np.uint8), "L").convert("RGB")
