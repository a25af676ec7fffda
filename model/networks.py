"""The pix2pix networks, as in the appendix of Isola et al. 2017.

UNetGenerator: encoder C64-C128-C256-C512-C512-C512-C512-C512 and a mirrored decoder with
skip connections. PatchDiscriminator: a conditional PatchGAN that scores overlapping
patches of the (input, output) pair. Each network is rebuilt from a small config dataclass,
which is saved beside its weights.
"""

from __future__ import annotations

import copy
import math
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn as nn


@dataclass
class GeneratorConfig:
    image_size: int = 256  # the U-Net has log2(image_size) levels: 8 at 256, 7 at 128
    in_channels: int = 3
    out_channels: int = 3
    ngf: int = 64  # width of the first encoder layer
    norm: str = "batch"  # "batch" or "instance"
    dropout: float = 0.5
    upsample: str = "transposed"  # the paper's 4x4 transposed convolutions, or "resize": nearest 2x then a 3x3 conv (Odena et al. 2016, no checkerboard)
    hints: bool = False  # colour hints: 4 more inputs, the hint colours (RGB in [-1, 1]) and the mask of where they are
    hint_adapter: int = 0  # with hints: 0 puts them beside the input; N > 0 gives them a side encoder of width N (HintAdapter)
    outer_ngf: int = 0  # width of the outermost level (0: ngf, the paper's); > 0: a thin level around the net of half the size, whose outermost layers stay without norm (train/grow.py), so 256 px costs little more than 128

    HINT_CHANNELS = 4  # a class constant, not a field
    # What a config may ask for. A config can come from anyone on the Hub, so each field is checked
    # before anything is built: a width of 10^7 would take all memory before the weights are read.
    LIMITS = {"image_size": (32, 1024), "in_channels": (1, 16), "out_channels": (1, 16), "ngf": (1, 256),
              "hint_adapter": (0, 256), "outer_ngf": (0, 256)}  # fmt: skip
    CHOICES = {"norm": ("batch", "instance"), "upsample": ("transposed", "resize")}

    def __post_init__(self):
        for name, (low, high) in self.LIMITS.items():
            value = getattr(self, name)
            if type(value) is not int or not low <= value <= high:
                raise ValueError(f"generator config: {name} must be a whole number from {low} to {high}, got {value!r}")
        for name, allowed in self.CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"generator config: {name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")
        if type(self.hints) is not bool:
            raise ValueError(f"generator config: hints must be true or false, got {self.hints!r}")
        if type(self.dropout) not in (int, float) or not 0 <= self.dropout < 1:
            raise ValueError(f"generator config: dropout must be a number in [0, 1), got {self.dropout!r}")
        self.num_levels  # image_size: a power of two

    @property
    def input_channels(self) -> int:
        """The U-Net's own input channels: hints join them unless a side encoder takes the hints."""
        return self.in_channels + (self.HINT_CHANNELS if self.hints and not self.hint_adapter else 0)

    @property
    def widths(self) -> list[int]:
        """The encoder's widths, level by level: 64, 128, 256, 512, 512, ... at ngf 64."""
        return level_widths(self.ngf, self.num_levels, self.outer_ngf)

    @property
    def hint_adapter_widths(self) -> list[int]:
        """The hint adapter's widths: thin where the U-Net is, so that it keeps its shape one level up."""
        return level_widths(self.hint_adapter, self.num_levels, self.hint_adapter if self.outer_ngf else 0)

    @property
    def num_levels(self) -> int:
        levels = int(math.log2(self.image_size))
        if 2**levels != self.image_size or levels < 5:
            raise ValueError(f"image_size must be a power of two >= 32, got {self.image_size}")
        return levels

    @classmethod
    def from_dict(cls, d: dict) -> "GeneratorConfig":
        if not isinstance(d, dict):
            raise ValueError(f"generator config: expected an object of fields, got {type(d).__name__}")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    to_dict = asdict


@dataclass
class DiscriminatorConfig:
    in_channels: int = 6  # input and output images, concatenated
    ndf: int = 64
    receptive_field: int = 70  # 1 (PixelGAN), 16, 70 or 286, the paper's ablation
    norm: str = "batch"

    @property
    def min_image_size(self) -> int:
        """The smallest input that still gives one patch: after n stride-2 layers, two 4x4 convs take 2 more."""
        strided = PatchDiscriminator.STRIDED_LAYERS.get(self.receptive_field)
        return 1 if strided is None else 3 * 2**strided

    @classmethod
    def from_dict(cls, d: dict) -> "DiscriminatorConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    to_dict = asdict


def norm_layer(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    raise ValueError(f"norm must be 'batch' or 'instance', got {kind!r}")


def upsampling(kind: str, cin: int, cout: int, bias: bool) -> nn.Module:
    """A layer that doubles the resolution: the paper's transposed conv, or resize-convolution."""
    if kind == "transposed":
        return nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=bias)
    if kind == "resize":
        return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(cin, cout, 3, 1, 1, bias=bias))
    raise ValueError(f"upsample must be 'transposed' or 'resize', got {kind!r}")


def init_weights(net: nn.Module, std: float = 0.02) -> None:
    """The paper's initialisation: weights from N(0, 0.02), norm scales from N(1, 0.02)."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)


def level_widths(first: int, levels: int, outer: int = 0) -> list[int]:
    """Widths that double level by level up to 8x the first, as in the paper's encoder.

    outer > 0 puts one level of that width outside them: the net of one size smaller, one level up.
    """
    if outer:
        return [outer] + level_widths(first, levels - 1)
    return [first * min(2**i, 8) for i in range(levels)]


def encoder(in_channels: int, widths: list[int], norm: str, outer: bool = False) -> nn.ModuleList:
    """The U-Net's encoder, one module per level: C64-C128-...; no norm on the first layer, nor on the 1x1 bottleneck.

    outer: the first level is a thin level around a smaller net, whose own first layer (level 1) keeps no norm.
    """
    # A conv followed by BatchNorm needs no bias; InstanceNorm here has no affine, so it does.
    bias = norm == "instance"

    def down(cin, cout, normalise):
        layers = [nn.LeakyReLU(0.2), nn.Conv2d(cin, cout, 4, 2, 1, bias=bias)]
        return nn.Sequential(*layers, norm_layer(norm, cout)) if normalise else nn.Sequential(*layers)

    n = len(widths)
    levels = nn.ModuleList([nn.Conv2d(in_channels, widths[0], 4, 2, 1, bias=bias)])
    levels.extend(down(widths[i - 1], widths[i], normalise=i < n - 1 and not (outer and i == 1)) for i in range(1, n))
    return levels


class HintAdapter(nn.Module):
    """A side encoder for colour hints, after ControlNet (Zhang et al. 2023).

    It reads the input and the hints, and adds into each of the U-Net's skips through a 1x1
    convolution that starts at zero: a U-Net given one starts as exactly its base model. The
    generator skips it for images without hints, so at inference (where every norm is per image)
    their output stays the base model's, however long the adapter trains (train.py trains only it).
    """

    def __init__(self, config: GeneratorConfig):
        super().__init__()
        widths = config.hint_adapter_widths
        self.down = encoder(config.in_channels + GeneratorConfig.HINT_CHANNELS, widths, config.norm, config.outer_ngf > 0)
        self.to_skips = nn.ModuleList(nn.Conv2d(w, skip, 1) for w, skip in zip(widths, config.widths))
        init_weights(self)
        for conv in self.to_skips:
            nn.init.zeros_(conv.weight)
            nn.init.zeros_(conv.bias)

    def forward(self, x: torch.Tensor, hints: torch.Tensor) -> list[torch.Tensor]:
        """One addend per skip of the U-Net, outermost first; hints of x's dtype and device."""
        h, addends = torch.cat([x, hints], dim=1), []
        for level, to_skip in zip(self.down, self.to_skips):
            h = level(h)
            addends.append(to_skip(h))
        return addends


class UNetGenerator(nn.Module):
    def __init__(self, config: GeneratorConfig = GeneratorConfig()):
        super().__init__()
        self.config = c = config
        n = c.num_levels
        bias = c.norm == "instance"
        widths = c.widths

        def up(cin, cout, dropout, normalise=True):
            layers = [nn.ReLU(), upsampling(c.upsample, cin, cout, bias)] + ([norm_layer(c.norm, cout)] if normalise else [])
            return nn.Sequential(*layers, nn.Dropout(c.dropout)) if dropout else nn.Sequential(*layers)

        self.down = encoder(c.input_channels, widths, c.norm, c.outer_ngf > 0)
        # Decoder, innermost first; its input is the skip concatenated with the layer below,
        # except for the innermost. Dropout in the first three decoder blocks (appendix 6.1.1).
        self.up = nn.ModuleList()
        for i in range(n - 1, 0, -1):
            cin = widths[i] if i == n - 1 else 2 * widths[i]
            # Around a thin outer level, the smaller net's own output layer (i == 1) keeps no norm either.
            self.up.append(up(cin, widths[i - 1], dropout=(n - 1 - i) < 3 and c.dropout > 0, normalise=not (c.outer_ngf and i == 1)))
        self.out = nn.Sequential(nn.ReLU(), upsampling(c.upsample, 2 * widths[0], c.out_channels, True), nn.Tanh())
        init_weights(self)
        if c.hint_adapter < 0 or c.hint_adapter and not c.hints:
            raise ValueError(f"hint_adapter is the width of a side encoder for hints: 0, or > 0 with hints=True; got {c.hint_adapter}")
        self.hint_adapter = HintAdapter(c) if c.hint_adapter else None

    def forward(self, x: torch.Tensor, hints: torch.Tensor | None = None) -> torch.Tensor:
        """x: (N, in_channels, H, W); hints: (N, 4, H, W) colours and mask, or None for no hints."""
        if hints is not None and not self.config.hints:
            raise ValueError("this generator takes no colour hints (its config has hints=False)")
        if hints is not None and hints.shape[1] != GeneratorConfig.HINT_CHANNELS:
            raise ValueError(f"hints must have {GeneratorConfig.HINT_CHANNELS} channels (colours and mask), got {hints.shape[1]}")
        skips = self.encode(x, hints)
        x = skips.pop()
        for layer in self.up:
            x = torch.cat([skips.pop(), layer(x)], dim=1)
        return self.out(x)

    def encode(self, x: torch.Tensor, hints: torch.Tensor | None) -> list[torch.Tensor]:
        """The skips, outermost first, with the hints in them."""
        h = x
        if self.config.hints and self.hint_adapter is None:
            if hints is None:
                hints = x.new_zeros(x.shape[0], GeneratorConfig.HINT_CHANNELS, *x.shape[2:])
            h = torch.cat([x, hints.to(x)], dim=1)
        skips = []
        for level in self.down:
            h = level(h)
            skips.append(h)
        if self.hint_adapter is None or hints is None:
            return skips
        return self.add_hints(skips, x, hints.to(x))

    def add_hints(self, skips: list[torch.Tensor], x: torch.Tensor, hints: torch.Tensor) -> list[torch.Tensor]:
        """The hint adapter's addends, for the images that have hints: the others keep the base model's skips."""
        has_hints = (hints[:, 3:].flatten(1).amax(dim=1) > 0).to(x.dtype)[:, None, None, None]
        if not self.training and not has_hints.any():  # no work for a blank hint layer (a check that syncs a GPU: not in training)
            return skips
        return [s + a * has_hints for s, a in zip(skips, self.hint_adapter(x, hints))]


class PatchDiscriminator(nn.Module):
    """Conditional PatchGAN: one logit per receptive_field x receptive_field patch."""

    # Number of stride-2 layers for each receptive field of the paper's ablation (section 4.4).
    STRIDED_LAYERS = {16: 1, 70: 3, 286: 5}

    def __init__(self, config: DiscriminatorConfig = DiscriminatorConfig()):
        super().__init__()
        self.config = c = config
        bias = c.norm == "instance"
        if c.receptive_field == 1:  # PixelGAN: 1x1 convolutions only
            layers = [
                nn.Conv2d(c.in_channels, c.ndf, 1), nn.LeakyReLU(0.2),
                nn.Conv2d(c.ndf, 2 * c.ndf, 1, bias=bias), norm_layer(c.norm, 2 * c.ndf), nn.LeakyReLU(0.2),
                nn.Conv2d(2 * c.ndf, 1, 1, bias=bias),
            ]  # fmt: skip
        elif c.receptive_field in self.STRIDED_LAYERS:
            n = self.STRIDED_LAYERS[c.receptive_field]
            layers = [nn.Conv2d(c.in_channels, c.ndf, 4, 2, 1), nn.LeakyReLU(0.2)]
            width = c.ndf
            for i in range(1, n + 1):
                nxt = c.ndf * min(2**i, 8)
                stride = 2 if i < n else 1  # the last C-layer keeps the resolution
                layers += [nn.Conv2d(width, nxt, 4, stride, 1, bias=bias), norm_layer(c.norm, nxt), nn.LeakyReLU(0.2)]
                width = nxt
            layers.append(nn.Conv2d(width, 1, 4, 1, 1))
        else:
            raise ValueError(f"receptive_field must be 1, 16, 70 or 286, got {c.receptive_field}")
        self.net = nn.Sequential(*layers)
        init_weights(self)

    def forward(self, condition: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([condition, image], dim=1))


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def inference_network(generator: UNetGenerator) -> UNetGenerator:
    """A copy of the generator set up as the paper runs it at test time (section 3.3).

    pix2pix normalises with the statistics of the test batch, not the running averages of
    training; with one image that is instance normalisation with the BatchNorm's own scale
    and shift. Each BatchNorm2d becomes exactly that, so an image's output does not depend
    on what else is in its batch, and dropout is off until a seed asks for it.
    """
    generator = copy.deepcopy(generator).eval()
    for seq in generator.modules():
        for name, child in seq.named_children():
            if isinstance(child, nn.BatchNorm2d):
                norm = nn.InstanceNorm2d(child.num_features, eps=child.eps, affine=True)
                norm.load_state_dict({"weight": child.weight, "bias": child.bias})
                setattr(seq, name, norm.to(child.weight.device))
    return generator
