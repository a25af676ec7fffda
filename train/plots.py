"""Loss curves and sample grids, written as PNG images."""

from __future__ import annotations

import csv
from pathlib import Path

import torch
from torchvision.utils import save_image

from model.files import atomic_write


def save_sample_grid(path: Path, inputs: torch.Tensor, outputs: torch.Tensor, targets: torch.Tensor) -> None:
    """One row per example: input | output | target. Tensors in [-1, 1], (N, C, H, W)."""
    save_image_grid(path, [t for triple in zip(inputs, outputs, targets) for t in triple], per_row=3)


def save_image_grid(path: Path, cells: list[torch.Tensor], per_row: int, padding: int = 2) -> None:
    """(C, H, W) tensors in [-1, 1], per_row to a row, on white, as one PNG."""
    grid = torch.stack([c.expand(3, -1, -1) for c in cells]).float().add(1).div(2).clamp(0, 1)
    atomic_write(path, lambda p: save_image(grid, p, nrow=per_row, padding=padding, pad_value=1.0, format="png"))


def save_loss_curve(csv_path: Path, png_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return
    step = [int(r["step"]) for r in rows]
    panels = [("loss_D", "D (halved BCE)"), ("loss_G_gan", "G: GAN term"), ("loss_G_l1", "G: L1 term")]
    if any(float(r.get("loss_F") or 0) for r in rows):  # a discriminator on frozen features (train/feature_gan.py)
        panels += [("loss_F", "feature D (halved BCE)"), ("loss_G_feature", "G: feature GAN term")]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.3 * len(panels), 3.4))
    for ax, (key, title) in zip(axes, panels):
        values = [float(r[key] or 0) for r in rows]
        ax.plot(step, values, lw=0.5, alpha=0.35, color="C0")
        k = max(1, len(values) // 50)  # a running mean, so the trend shows through GAN noise
        smooth = torch.tensor(values).unfold(0, k, 1).mean(1).tolist() if len(values) >= k else values
        ax.plot(step[k - 1 :], smooth, lw=1.5, color="C1")
        ax.set_title(title)
        ax.set_xlabel("step")
    fig.tight_layout()
    atomic_write(png_path, lambda p: fig.savefig(p, dpi=90, format="png"))
    plt.close(fig)
