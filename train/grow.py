"""Grow a trained U-Net to twice its resolution: one thin level outside it (a resolution schedule).

The grown net's levels 1.. are the small net's levels 0..; a new outermost level sits around them
(GeneratorConfig.outer_ngf). The new encoder layer starts as a 2x2 area downsampling, the new
decoder layer as a nearest upsampling, so the grown net starts as the small one run on an
area-downsampled input, its output upsampled by nearest neighbour (the small net's outermost
layers keep no norm inside the new level, see GeneratorConfig.outer_ngf).

Each passed-through channel is carried twice, as +v and -v: after a ReLU or LeakyReLU the pair
still holds v exactly, since relu(v) - relu(-v) = v and leaky(v) - leaky(-v) = 1.2 v.
"""

from __future__ import annotations

import torch

from model import UNetGenerator

LEAKY_GAIN = 1.2  # leaky(v) - leaky(-v) = (1 + 0.2) v for the encoder's LeakyReLU(0.2)


def check_growable(small: UNetGenerator, big: UNetGenerator) -> None:
    s, b = small.config, big.config
    if b.image_size != 2 * s.image_size or not b.outer_ngf or b.widths[1:] != s.widths:
        raise ValueError(f"cannot grow a {s.image_size}-px U-Net (widths {s.widths}) into this one "
                         f"({b.image_size} px, widths {b.widths}): it must be twice the size, with outer_ngf set "
                         f"and the small net's widths inside.")  # fmt: skip
    if b.outer_ngf < 2 * b.input_channels or b.outer_ngf < 2 * b.out_channels:
        raise ValueError(f"outer_ngf {b.outer_ngf} is too thin to carry the small net's input and output through "
                         f"(at least {2 * max(b.input_channels, b.out_channels)})")  # fmt: skip
    adapter_in = b.in_channels + b.HINT_CHANNELS
    if small.hint_adapter is not None and big.hint_adapter is not None and b.hint_adapter < 2 * adapter_in:
        raise ValueError(f"a hint adapter of width {b.hint_adapter} is too thin to grow: it needs {2 * adapter_in}")


def grown_state_dict(small: UNetGenerator, big: UNetGenerator) -> dict[str, torch.Tensor]:
    """big's state dict, with everything small knows moved one level in (big keeps its other weights)."""
    check_growable(small, big)
    old, new = small.state_dict(), {k: v.clone() for k, v in big.state_dict().items()}
    levels = small.config.num_levels
    for prefix in ("", "hint_adapter.") if small.hint_adapter is not None and big.hint_adapter is not None else ("",):
        for k in range(1, levels):  # inner encoder levels move one level in
            for name in ("1.weight", "1.bias"):
                if f"{prefix}down.{k}.{name}" in old:
                    new[f"{prefix}down.{k + 1}.{name}"] = old[f"{prefix}down.{k}.{name}"]
        first_in = old[f"{prefix}down.0.weight"].shape[1]
        new[f"{prefix}down.0.weight"].zero_()
        if f"{prefix}down.0.bias" in new:
            new[f"{prefix}down.0.bias"].zero_()
        for c in range(first_in):  # the new outer layer: the input, area-downsampled, as +v and -v
            new[f"{prefix}down.0.weight"][c, c, 1:3, 1:3] = 0.25
            new[f"{prefix}down.0.weight"][first_in + c, c, 1:3, 1:3] = -0.25
        w = new[f"{prefix}down.1.1.weight"].zero_()
        w[:, :first_in] = old[f"{prefix}down.0.weight"] / LEAKY_GAIN
        w[:, first_in : 2 * first_in] = -old[f"{prefix}down.0.weight"] / LEAKY_GAIN
        if f"{prefix}down.0.bias" in old:
            new[f"{prefix}down.1.1.bias"] = old[f"{prefix}down.0.bias"]
    if big.hint_adapter is not None and small.hint_adapter is not None:
        for k in range(levels):
            for name in ("weight", "bias"):
                new[f"hint_adapter.to_skips.{k + 1}.{name}"] = old[f"hint_adapter.to_skips.{k}.{name}"]
    for k in range(levels - 1):  # decoder levels keep their index, innermost first
        for key in [key for key in old if key.startswith(f"up.{k}.")]:
            new[key] = old[key]
    grow_decoder_edge(old, new, levels - 1, small.config.out_channels)
    return new


def grow_decoder_edge(old: dict, new: dict, last_up: int, out_channels: int) -> None:
    """The small net's output layer becomes the last inner decoder layer (+v and -v of its
    pre-tanh output), and the new output layer upsamples that by nearest neighbour."""
    w, b = new[f"up.{last_up}.1.weight"].zero_(), new[f"up.{last_up}.1.bias"].zero_()
    w[:, :out_channels], w[:, out_channels : 2 * out_channels] = old["out.1.weight"], -old["out.1.weight"]
    b[:out_channels], b[out_channels : 2 * out_channels] = old["out.1.bias"], -old["out.1.bias"]
    outer = w.shape[1]
    out_w = new["out.1.weight"].zero_()  # (2 * outer, out, 4, 4): the skip first, then the decoder
    new["out.1.bias"].zero_()
    for c in range(out_channels):
        out_w[outer + c, c, 1:3, 1:3] = 1.0
        out_w[outer + out_channels + c, c, 1:3, 1:3] = -1.0
