"""Edge maps in the look of the edges2shoes data: thin black lines on white.

The dataset's edges came from HED (a learned edge detector), post-processed by the pix2pix
authors' PostprocessHED: non-maximum suppression, a threshold, thinning to one pixel, and
dropping fragments under 5 pixels. photo_to_edges does the same with this project's own
learned detector (weights/shoe-edges, trained on the dataset's own (photo, edge map) pairs)
when those weights are there, and falls back on Canny otherwise.

A person's drawing is brought to that look by model.sketch.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage import feature, morphology

from .images import lines_image, to_rgb
from .translate import load_translator

EDGE_DETECTOR = Path(__file__).resolve().parents[1] / "weights" / "shoe-edges"


@functools.lru_cache(maxsize=2)
def edge_detector(folder: str | Path = EDGE_DETECTOR):
    """The learned detector as a Translator (photo -> soft edge image), or None where its weights are absent."""
    if not (Path(folder) / "model.safetensors").is_file():
        return None
    return load_translator(folder, device="cpu")


def edge_probability(photo: Image.Image, size: int = 256, detector=None, threads: int | None = None) -> np.ndarray:
    """The detector's per-pixel edge probability, (size, size) in [0, 1]; threads: see Translator."""
    detector = detector or edge_detector()
    out = detector(to_rgb(photo).resize((size, size), Image.Resampling.BICUBIC), threads=threads)
    return 1.0 - np.asarray(out.convert("L"), dtype=np.float64) / 255.0


def edge_orientation(prob: np.ndarray) -> np.ndarray:
    """Orientation of the edge normal in [0, pi), from second derivatives of the smoothed map (edgesNms's O)."""
    smooth = ndimage.uniform_filter(prob, 5)
    oy, ox = np.gradient(smooth)
    oxy, oxx = np.gradient(ox)
    oyy, _ = np.gradient(oy)
    return np.mod(np.arctan(oyy * np.sign(-oxy) / (oxx + 1e-5)), np.pi)


def non_max_suppression(prob: np.ndarray, radius: float = 1.0, margin: float = 1.01, border: int = 5) -> np.ndarray:
    """Keep a pixel only where it beats its neighbours along the edge normal (Dollar's edgesNms, r=1, m=1.01)."""
    o = edge_orientation(prob)
    yy, xx = np.mgrid[: prob.shape[0], : prob.shape[1]].astype(np.float64)
    keep = np.ones(prob.shape, bool)
    for sign in (1, -1):
        dx, dy = sign * radius * np.cos(o), sign * radius * np.sin(o)
        neighbour = ndimage.map_coordinates(prob, [yy + dy, xx + dx], order=1, mode="nearest")
        keep &= prob * margin >= neighbour
    out = np.where(keep, prob, 0.0)
    # Fade the response near the border, where the detector sees padding (edgesNms's s=5).
    ramp = np.minimum.reduce([yy, xx, prob.shape[0] - 1 - yy, prob.shape[1] - 1 - xx]) / border
    return out * np.clip(ramp, 0, 1)


def postprocess_edges(prob: np.ndarray, threshold: float = 0.5, min_size: int = 5, suppressed: bool = False) -> np.ndarray:
    """PostprocessHED: NMS, threshold, thinning to 1-pixel lines, dropping components under min_size pixels.

    suppressed: prob has been through non_max_suppression already.
    """
    lines = (prob if suppressed else non_max_suppression(prob)) >= threshold
    lines = morphology.thin(lines)
    return morphology.remove_small_objects(lines, max_size=min_size - 1, connectivity=2)


def canny_edges(photo: Image.Image, size: int = 256, sigma: float = 2.0, min_length: int = 10) -> Image.Image:
    """The fallback: Canny, thinned, short fragments dropped."""
    grey = np.asarray(to_rgb(photo, 1).resize((size, size), Image.Resampling.BICUBIC), dtype=np.float64) / 255.0
    lines = feature.canny(grey, sigma=sigma, low_threshold=0.05, high_threshold=0.15)
    lines = morphology.skeletonize(lines)
    lines = morphology.remove_small_objects(lines, max_size=min_length, connectivity=2)
    return lines_image(lines)


def photo_to_edges(photo: Image.Image, size: int = 256, detector=None, threads: int | None = None) -> Image.Image:
    """A photo -> a size x size edge map (black 1-pixel lines on white): the learned detector, else Canny."""
    detector = detector or edge_detector()
    if detector is None:
        return canny_edges(photo, size)
    threshold = float(detector.meta.get("threshold", 0.5))
    return lines_image(postprocess_edges(edge_probability(photo, size, detector, threads), threshold))
