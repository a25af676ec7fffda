"""The inference network in the layers ONNX Runtime runs fastest, with the same outputs.

ONNX Runtime runs a transposed convolution as a matrix product followed by a serial scatter-add
(col2im), which costs most where the output is large; and a layer reads its whole kernel even where
the input's zero border leaves taps unused. Two exact rewrites, chosen by the size of a layer's input:

- PhaseUpsample: ConvTranspose2d(4, 2, 1) over an input of at least 16 px becomes a 2x2
  convolution to the four output phases, at ONNX Runtime's convolution speed, then a fold of
  non-overlapping 2x2 blocks (ONNX's Col2Im op), which interleaves them: a copy, with no adds, in
  half the time of a one-hot grouped transposed convolution (the research script times both).
- centre_taps: a 4x4 stride-2 layer at the innermost level (Conv2d on a 2x2 input, ConvTranspose2d
  on a 1x1 input) uses only its kernel's centre 2x2; it becomes a 2x2 layer of those taps, which
  reads a quarter of the weights.

Below 16 px the matrix product dominates and the scatter is cheap: the transposed convolution stays.
`python -m research.live_canvas_costs network` times each layer both ways.
"""

from __future__ import annotations

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

MIN_PHASE_INPUT = 16  # px: from here up the phase form paid in every layer profiled; below it, none did
# The interleave puts the phase convolution's output at row t and block row a at output row
# 2t + a - 1, which reads input rows t - 1 and t through these rows of the 4x4 transposed kernel.
TAPS = {a: [2 + a, a] for a in (0, 1)}


def is_4x4_stride_2(layer: nn.Module) -> bool:
    if not isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
        return False
    shape = (layer.kernel_size, layer.stride, layer.padding, layer.dilation, layer.groups, layer.padding_mode)
    return shape == ((4, 4), (2, 2), (1, 1), (1, 1), 1, "zeros") and getattr(layer, "output_padding", (0, 0)) == (0, 0)


class PhaseUpsample(nn.Module):
    """ConvTranspose2d(4, 2, 1) on inputs of one (height, width): a 2x2 convolution (padding 1) to the
    four output phases of each channel, then their interleave: a fold of 2x2 blocks with stride 2,
    whose padding crops the border row and column the phases overhang by."""

    def __init__(self, layer: nn.ConvTranspose2d, size: tuple[int, int]):
        super().__init__()
        w = layer.weight.detach()  # (cin, cout, 4, 4)
        cin, cout = w.shape[:2]
        # Channel 4c + 2a + b: channel c's phase at block position (a, b), as the fold reads it.
        kernel = torch.stack([w[:, :, TAPS[a]][:, :, :, TAPS[b]] for a in (0, 1) for b in (0, 1)], 2)
        self.phases = nn.Conv2d(cin, 4 * cout, 2, 1, 1, bias=layer.bias is not None)
        self.phases.weight.data = kernel.permute(1, 2, 0, 3, 4).reshape(4 * cout, cin, 2, 2).contiguous()
        if layer.bias is not None:
            self.phases.bias.data = layer.bias.detach().repeat_interleave(4)
        self.requires_grad_(False)
        self.input_size = tuple(size)  # fixed: the export's Col2Im takes constant sizes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[2:]) != self.input_size:
            raise ValueError(f"this layer was built for {self.input_size} inputs, got {tuple(x.shape[2:])}")
        (h, w), cout = self.input_size, self.phases.out_channels // 4
        blocks = self.phases(x).reshape(-1, 4 * cout, (h + 1) * (w + 1))
        # The exporter loses the shape after Col2Im, and an instance norm that follows needs the
        # channel count: the reshape restores it.
        return F.fold(blocks, (2 * h, 2 * w), 2, stride=2, padding=1).reshape(x.shape[0], cout, 2 * h, 2 * w)


def centre_taps(layer: nn.Module) -> nn.Module:
    """A 4x4 stride-2 layer on the input size where only its centre 2x2 taps meet the input: a
    Conv2d on 2x2 (-> 1x1) or a ConvTranspose2d on 1x1 (-> 2x2), as the 2x2 layer of those taps."""
    kind, stride = (nn.Conv2d, 1) if isinstance(layer, nn.Conv2d) else (nn.ConvTranspose2d, 2)
    small = kind(layer.in_channels, layer.out_channels, 2, stride, 0, bias=layer.bias is not None)
    small.weight.data = layer.weight.detach()[:, :, 1:3, 1:3].contiguous()
    if layer.bias is not None:
        small.bias.data = layer.bias.detach().clone()
    return small.requires_grad_(False).to(layer.weight)


def rewritten_layer(layer: nn.Module, size: tuple[int, int],
                    min_phase_input: int = MIN_PHASE_INPUT) -> nn.Module | None:
    """The faster form of a layer for its input's (height, width), or None to keep it."""
    if not is_4x4_stride_2(layer):
        return None
    if isinstance(layer, nn.Conv2d):
        return centre_taps(layer) if size == (2, 2) else None
    if size == (1, 1):
        return centre_taps(layer)
    return PhaseUpsample(layer, size) if min(size) >= min_phase_input else None


def input_sizes(net: nn.Module, *example: torch.Tensor) -> dict[str, set[tuple[int, int]]]:
    """The (height, width) of each input of each convolution that runs on example, by module name."""
    sizes, hooks = {}, []

    def record(name):
        def hook(module, args):
            sizes.setdefault(name, set()).add(tuple(args[0].shape[2:]))

        return hook

    for name, module in net.named_modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            hooks.append(module.register_forward_pre_hook(record(name)))
    try:
        with torch.no_grad():
            net(*example)
    finally:
        for hook in hooks:
            hook.remove()
    return sizes


def for_onnx_runtime(net: nn.Module, *example: torch.Tensor, min_phase_input: int = MIN_PHASE_INPUT) -> nn.Module:
    """A copy of net whose 4x4 stride-2 layers take their faster forms for the input sizes of example.
    Sizes are taken on the copy (a network in training mode would update its statistics), and a layer
    called at several sizes stays as it is."""
    net = copy.deepcopy(net)
    for name, sizes in input_sizes(net, *example).items():
        if len(sizes) != 1:
            continue
        parent_name, _, child = name.rpartition(".")
        parent = net.get_submodule(parent_name)
        faster = rewritten_layer(getattr(parent, child), next(iter(sizes)), min_phase_input)
        if faster is not None:
            setattr(parent, child, faster)
    return net
