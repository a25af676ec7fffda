"""Edge maps in the look of the edges2shoes data: thin black lines on white.

The dataset's edges came from HED, thinned to one pixel and cleaned of short fragments.
HED itself needs a trained network and a download, so photo_to_edges uses Canny (the best a
CPU-only tool can do), then the same thinning and cleaning. drawing_to_edges brings a
person's pen strokes to that look: same line width, and the drawing scaled and centred the
way the shoes sit in the training photos.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from skimage import feature, morphology

from .images import to_rgb


def _render(lines: np.ndarray) -> Image.Image:
    return Image.fromarray(np.where(lines, 0, 255).astype(np.uint8), "L").convert("RGB")


def photo_to_edges(photo: Image.Image, size: int = 256, sigma: float = 2.0, min_length: int = 10) -> Image.Image:
    """A photo -> a size x size edge map (black 1-pixel lines on white)."""
    grey = np.asarray(to_rgb(photo, 1).resize((size, size), Image.Resampling.BICUBIC), dtype=np.float64) / 255.0
    lines = feature.canny(grey, sigma=sigma, low_threshold=0.05, high_threshold=0.15)
    lines = morphology.skeletonize(lines)
    lines = morphology.remove_small_objects(lines, max_size=min_length, connectivity=2)
    return _render(lines)


def drawing_to_edges(drawing: Image.Image, size: int = 256, fill: float = 0.9, threshold: int = 200) -> Image.Image | None:
    """Pen strokes (dark on light, any size; transparency counts as white) -> a size x size edge map.

    The strokes are thinned to one pixel, and the drawing is scaled so that its longer side
    spans `fill` of the image and centred, as the shoes are in the training photos.
    Returns None for an empty drawing.
    """
    grey = np.asarray(to_rgb(drawing, 1))
    ink = grey < threshold
    if not ink.any():
        return None
    ys, xs = np.nonzero(ink)
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    side = max(bottom - top, right - left)
    scale = fill * size / side
    crop = Image.fromarray(np.where(ink[top:bottom, left:right], 0, 255).astype(np.uint8), "L")
    w, h = max(1, round((right - left) * scale)), max(1, round((bottom - top) * scale))
    crop = crop.resize((w, h), Image.Resampling.BILINEAR)
    canvas = Image.new("L", (size, size), 255)
    canvas.paste(crop, ((size - w) // 2, (size - h) // 2))
    lines = morphology.skeletonize(np.asarray(canvas) < 160)
    return _render(lines)
