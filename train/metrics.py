"""L1, PSNR and SSIM between images in [0, 1], averaged over images."""

from __future__ import annotations

import numpy as np
import torch
from skimage.metrics import structural_similarity


def to_unit(t: torch.Tensor) -> torch.Tensor:
    """[-1, 1] -> [0, 1]."""
    return t.detach().float().add(1).div(2).clamp(0, 1)


class ImageMetrics:
    """Accumulates per-image L1, PSNR and SSIM over batches of (N, C, H, W) tensors in [0, 1]."""

    def __init__(self):
        self.l1, self.psnr, self.ssim = [], [], []

    def update(self, output: torch.Tensor, target: torch.Tensor) -> None:
        output, target = output.detach().float().cpu(), target.detach().float().cpu()
        err = (output - target).flatten(1)
        self.l1 += err.abs().mean(1).tolist()
        mse = err.pow(2).mean(1).clamp_min(1e-10)
        self.psnr += (10 * torch.log10(1.0 / mse)).tolist()
        for o, t in zip(output.permute(0, 2, 3, 1).numpy(), target.permute(0, 2, 3, 1).numpy()):
            self.ssim.append(float(structural_similarity(o, t, channel_axis=2, data_range=1.0)))

    def compute(self) -> dict:
        if not self.l1:
            return {"count": 0}
        return {"l1": float(np.mean(self.l1)), "psnr": float(np.mean(self.psnr)),
                "ssim": float(np.mean(self.ssim)), "count": len(self.l1)}  # fmt: skip
