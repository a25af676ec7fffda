"""The inference network in the layers ONNX Runtime runs fastest, with the same outputs.

ONNX Runtime runs a transposed convolution as a matrix product followed by a serial scatter-add
(col2im), which costs most where the output is large; and a layer reads its whole kernel even where
the input's zero border leaves taps unused. Three exact rewrites, chosen by the size of a layer's input:

- PhaseUpsample: ConvTranspose2d(4, 2, 1) over an input of at least 16 px becomes a 2x2
  convolution to the four output phases, at ONNX Runtime's convolution speed, then a fold of
  non-overlapping 2x2 blocks (ONNX's Col2Im op), which interleaves them: a copy, with no adds, in
  half the time of a one-hot grouped transposed convolution (the research script times both).
- ColumnUpsample: the same layer over an input of at most 4 px a side (1x1 aside), where its
  time goes to reading its weights, becomes a 1x1 convolution to each output channel's 16 taps
  (the matrix product's columns), then the fold that adds them into place: ONNX Runtime reads the
  weights faster in that convolution than in the transposed one.
- centre_taps: a 4x4 stride-2 layer at the innermost level (Conv2d on a 2x2 input, ConvTranspose2d
  on a 1x1 input) uses only its kernel's centre 2x2; it becomes a 2x2 layer of those taps, which
  reads a quarter of the weights.

In between (8 px in the shipped models) neither form beat the transposed convolution: it stays.
`python -m research.live_canvas_costs network` times each layer in each form.
"""

from __future__ import annotations

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

MIN_PHASE_INPUT = 16  # px: from here up the phase form paid in every layer profiled; below it, none did
MAX_COLUMN_INPUT = 4  # px: the 2-px layer gains clearly, the 4-px one evens out with its fold; 8 px: no gain
# The interleave puts the phase convolution's output at row t and block row a at output row
# 2t + a - 1, which reads input rows t - 1 and t through these rows of the 4x4 transposed kernel.
TAPS = {a: [2 + a, a] for a in (0, 1)}


def is_4x4_stride_2(layer: nn.Module) -> bool:
    if not isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
        return False
    shape = (layer.kernel_size, layer.stride, layer.padding, layer.dilation, layer.groups, layer.padding_mode)
    return shape == ((4, 4), (2, 2), (1, 1), (1, 1), 1, "zeros") and getattr(layer, "output_padding", (0, 0)) == (0, 0)


class FoldedUpsample(nn.Module):
    """ConvTranspose2d(4, 2, 1) as a convolution to blocks of the output, then a fold (ONNX's Col2Im)
    with stride 2 and padding 1 that puts them in place, then the bias where the blocks do not carry
    it. Built for inputs of one (height, width): the export's Col2Im takes constant sizes. A subclass
    makes the blocks."""

    def __init__(self, layer: nn.ConvTranspose2d, size: tuple[int, int], kernel: int, blocks: int):
        super().__init__()
        self.input_size, self.out_channels = tuple(size), layer.out_channels
        self.kernel, self.blocks = kernel, blocks  # the fold's kernel side; blocks per channel
        self.register_buffer("bias", None)

    def make_blocks(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[2:]) != self.input_size:
            raise ValueError(f"this layer was built for {self.input_size} inputs, got {tuple(x.shape[2:])}")
        (h, w), cout, k = self.input_size, self.out_channels, self.kernel
        blocks = self.make_blocks(x).reshape(-1, cout * k * k, self.blocks)
        # The exporter loses the shape after Col2Im, and an instance norm that follows needs the
        # channel count: the reshape restores it.
        y = F.fold(blocks, (2 * h, 2 * w), k, stride=2, padding=1).reshape(x.shape[0], cout, 2 * h, 2 * w)
        return y if self.bias is None else y + self.bias


class PhaseUpsample(FoldedUpsample):
    """A 2x2 convolution (padding 1) to the four output phases of each channel, then their
    interleave: a fold of non-overlapping 2x2 blocks, whose padding crops the border row and column
    the phases overhang by."""

    def __init__(self, layer: nn.ConvTranspose2d, size: tuple[int, int]):
        super().__init__(layer, size, kernel=2, blocks=(size[0] + 1) * (size[1] + 1))
        w = layer.weight.detach()  # (cin, cout, 4, 4)
        cin, cout = w.shape[:2]
        # Channel 4c + 2a + b: channel c's phase at block position (a, b), as the fold reads it.
        kernel = torch.stack([w[:, :, TAPS[a]][:, :, :, TAPS[b]] for a in (0, 1) for b in (0, 1)], 2)
        self.phases = nn.Conv2d(cin, 4 * cout, 2, 1, 1, bias=layer.bias is not None)
        self.phases.weight.data = kernel.permute(1, 2, 0, 3, 4).reshape(4 * cout, cin, 2, 2).contiguous()
        if layer.bias is not None:
            self.phases.bias.data = layer.bias.detach().repeat_interleave(4)  # each output pixel gets one block
        self.requires_grad_(False)

    def make_blocks(self, x: torch.Tensor) -> torch.Tensor:
        return self.phases(x)


class ColumnUpsample(FoldedUpsample):
    """A 1x1 convolution to the 16 taps of each output channel at each input position (col2im's
    columns), then a fold of 4x4 blocks that adds the overlapping taps into place, then the bias
    (border pixels get fewer taps than the rest, so it cannot ride on the taps)."""

    def __init__(self, layer: nn.ConvTranspose2d, size: tuple[int, int]):
        super().__init__(layer, size, kernel=4, blocks=size[0] * size[1])
        w = layer.weight.detach()  # (cin, cout, 4, 4)
        cin, cout = w.shape[:2]
        # Channel 16c + 4i + j: output channel c's tap (i, j), as the fold reads it.
        self.columns = nn.Conv2d(cin, 16 * cout, 1, bias=False)
        self.columns.weight.data = w.reshape(cin, 16 * cout).t().reshape(16 * cout, cin, 1, 1).contiguous()
        if layer.bias is not None:
            self.bias = layer.bias.detach().reshape(1, cout, 1, 1).clone()
        self.requires_grad_(False)

    def make_blocks(self, x: torch.Tensor) -> torch.Tensor:
        return self.columns(x)


def centre_taps(layer: nn.Module) -> nn.Module:
    """A 4x4 stride-2 layer on the input size where only its centre 2x2 taps meet the input: a
    Conv2d on 2x2 (-> 1x1) or a ConvTranspose2d on 1x1 (-> 2x2), as the 2x2 layer of those taps."""
    kind, stride = (nn.Conv2d, 1) if isinstance(layer, nn.Conv2d) else (nn.ConvTranspose2d, 2)
    small = kind(layer.in_channels, layer.out_channels, 2, stride, 0, bias=layer.bias is not None)
    small.weight.data = layer.weight.detach()[:, :, 1:3, 1:3].contiguous()
    if layer.bias is not None:
        small.bias.data = layer.bias.detach().clone()
    return small.requires_grad_(False).to(layer.weight)


def rewritten_layer(layer: nn.Module, size: tuple[int, int], min_phase_input: int = MIN_PHASE_INPUT,
                    max_column_input: int = MAX_COLUMN_INPUT) -> nn.Module | None:
    """The faster form of a layer for its input's (height, width), or None to keep it."""
    if not is_4x4_stride_2(layer):
        return None
    if isinstance(layer, nn.Conv2d):
        return centre_taps(layer) if size == (2, 2) else None
    if size == (1, 1):
        return centre_taps(layer)
    if min(size) >= min_phase_input:
        return PhaseUpsample(layer, size)
    return ColumnUpsample(layer, size) if max(size) <= max_column_input else None


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


def for_onnx_runtime(net: nn.Module, *example: torch.Tensor, min_phase_input: int = MIN_PHASE_INPUT,
                     max_column_input: int = MAX_COLUMN_INPUT) -> nn.Module:
    """A copy of net whose 4x4 stride-2 layers take their faster forms for the input sizes of example.
    Sizes are taken on the copy (a network in training mode would update its statistics), and a layer
    called at several sizes stays as it is."""
    net = copy.deepcopy(net)
    for name, sizes in input_sizes(net, *example).items():
        if len(sizes) != 1:
            continue
        parent_name, _, child = name.rpartition(".")
        parent = net.get_submodule(parent_name)
        faster = rewritten_layer(getattr(parent, child), next(iter(sizes)), min_phase_input, max_column_input)
        if faster is not None:
            setattr(parent, child, faster)
    return net
