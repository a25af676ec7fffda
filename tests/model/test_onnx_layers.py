"""The faster forms of the 4x4 stride-2 layers give the layers' own outputs, and are chosen by input size."""

import pytest
import torch
import torch.nn as nn

from model import GeneratorConfig, UNetGenerator
from model.networks import inference_network
from model.onnx_layers import (MAX_COLUMN_INPUT, MIN_PHASE_INPUT, ColumnUpsample, FoldedUpsample, PhaseUpsample,
                               for_onnx_runtime, input_sizes, rewritten_layer)


@pytest.mark.parametrize("form", [PhaseUpsample, ColumnUpsample])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("size", [(16, 16), (5, 9), (4, 4), (3, 2), (2, 2), (1, 1)])
def test_a_rewritten_upsampling_layer_is_the_transposed_convolution(form, bias, size):
    torch.manual_seed(0)
    layer = nn.ConvTranspose2d(6, 5, 4, 2, 1, bias=bias)
    x = torch.randn(2, 6, *size)
    with torch.no_grad():
        assert (form(layer, size)(x) - layer(x)).abs().max() <= 1e-5


@pytest.mark.parametrize("form", [PhaseUpsample, ColumnUpsample])
def test_a_rewritten_layer_refuses_inputs_of_another_size(form):
    layer = form(nn.ConvTranspose2d(4, 4, 4, 2, 1), (2, 3))
    with pytest.raises(ValueError, match="built for"):
        layer(torch.randn(1, 4, 3, 2))  # as many positions, the wrong shape


@pytest.mark.parametrize("bias", [True, False])
def test_the_innermost_layers_keep_their_centre_taps_and_outputs(bias):
    torch.manual_seed(0)
    down, up = nn.Conv2d(6, 5, 4, 2, 1, bias=bias), nn.ConvTranspose2d(5, 6, 4, 2, 1, bias=bias)
    x = torch.randn(3, 6, 2, 2)
    small_down, small_up = rewritten_layer(down, (2, 2)), rewritten_layer(up, (1, 1))
    assert small_down.kernel_size == small_up.kernel_size == (2, 2)
    with torch.no_grad():
        assert (small_down(x) - down(x)).abs().max() <= 1e-6
        assert (small_up(down(x)) - up(down(x))).abs().max() <= 1e-6


def test_layers_are_rewritten_only_where_it_pays():
    up = nn.ConvTranspose2d(4, 4, 4, 2, 1)
    between = MIN_PHASE_INPUT // 2
    assert between > MAX_COLUMN_INPUT
    assert rewritten_layer(up, (between, between)) is None  # neither form paid there
    assert isinstance(rewritten_layer(up, (MIN_PHASE_INPUT, MIN_PHASE_INPUT)), PhaseUpsample)
    assert isinstance(rewritten_layer(up, (2, 2)), ColumnUpsample)
    assert isinstance(rewritten_layer(up, (MAX_COLUMN_INPUT, MAX_COLUMN_INPUT)), ColumnUpsample)
    assert isinstance(rewritten_layer(up, (1, MAX_COLUMN_INPUT)), ColumnUpsample)  # only 1x1 takes the centre taps
    assert rewritten_layer(up, (MAX_COLUMN_INPUT, 2 * MAX_COLUMN_INPUT)) is None  # the larger side decides
    assert rewritten_layer(up, (2, 2), max_column_input=0) is None  # as the research script times it without
    assert rewritten_layer(nn.Conv2d(4, 4, 4, 2, 1), (4, 4)) is None  # every tap meets the input
    assert rewritten_layer(nn.Conv2d(4, 4, 3, 1, 1), (2, 2)) is None  # not a 4x4 stride-2 layer
    assert rewritten_layer(nn.ConvTranspose2d(4, 4, 4, 2, 1, output_padding=1), (32, 32)) is None
    assert rewritten_layer(up, (MIN_PHASE_INPUT - 1, 4 * MIN_PHASE_INPUT)) is None  # the smaller side decides
    assert rewritten_layer(nn.Conv2d(4, 4, 4, 2, 1, padding_mode="reflect"), (2, 2)) is None  # its border taps count
    assert rewritten_layer(nn.ConvTranspose2d(4, 4, 4, 2, 1, groups=2), (32, 32)) is None
    assert rewritten_layer(nn.ConvTranspose2d(4, 4, 4, 2, 1, dilation=2), (32, 32)) is None


def test_a_layer_called_at_two_sizes_stays_as_it_is():
    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.up = nn.ConvTranspose2d(4, 4, 4, 2, 1)

        def forward(self, a, b):
            return self.up(a), self.up(b)

    fast = for_onnx_runtime(Shared(), torch.randn(1, 4, 1, 1), torch.randn(1, 4, MIN_PHASE_INPUT, MIN_PHASE_INPUT))
    assert type(fast.up) is nn.ConvTranspose2d and fast.up.kernel_size == (4, 4)


def test_the_original_network_is_left_as_it_was():
    net = UNetGenerator(GeneratorConfig(image_size=32, ngf=4, norm="batch")).train()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    x = torch.rand(2, 3, 32, 32)
    assert {type(m) for m in for_onnx_runtime(net, x).modules()} >= {PhaseUpsample, ColumnUpsample}
    assert ColumnUpsample not in {type(m) for m in for_onnx_runtime(net, x, max_column_input=0).modules()}
    assert not any(isinstance(m, FoldedUpsample) for m in net.modules())
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())  # batch statistics included


def test_a_generator_with_hints_gives_the_same_outputs_rewritten():
    torch.manual_seed(0)
    config = GeneratorConfig(image_size=64, ngf=8, norm="instance", hints=True, hint_adapter=4, outer_ngf=4)
    net = inference_network(UNetGenerator(config))
    for conv in net.hint_adapter.to_skips:  # trained adapters are not zero
        nn.init.normal_(conv.weight, 0, 0.1)
    x, hints = torch.rand(2, 3, 64, 64) * 2 - 1, torch.zeros(2, 4, 64, 64)
    hints[:, :, 10:20, 10:20] = 1
    fast = for_onnx_runtime(net, x, hints)
    phase_inputs, column_inputs, kept_inputs = upsampling_input_sides(fast, x, hints)
    assert phase_inputs == [16, 32]  # MIN_PHASE_INPUT and up
    assert column_inputs == [2, 4]  # up to MAX_COLUMN_INPUT
    assert kept_inputs == [8]
    centre = [m for m in fast.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) and m.kernel_size == (2, 2)
              and m.padding == (0, 0) and m.stride == ((1, 1) if isinstance(m, nn.Conv2d) else (2, 2))]  # fmt: skip
    assert {type(m) for m in centre} == {nn.Conv2d, nn.ConvTranspose2d}  # the innermost down and up
    with torch.no_grad():
        for args in ((x, hints), (x,)):
            assert (fast(*args) - net(*args)).abs().max() <= 1e-5


def upsampling_input_sides(net: nn.Module, *example: torch.Tensor) -> tuple[list[int], list[int], list[int]]:
    """The input sides of the PhaseUpsample layers (their phase convolutions), of the ColumnUpsample
    layers (their column convolutions) and of the 4x4 transposed convolutions kept, sorted."""
    phase, column, kept = [], [], []
    for name, sizes in input_sizes(net, *example).items():
        (side, _), = sizes
        layer = net.get_submodule(name)
        if name.endswith(".phases"):
            phase.append(side)
        elif name.endswith(".columns"):
            column.append(side)
        elif isinstance(layer, nn.ConvTranspose2d) and layer.kernel_size == (4, 4):
            kept.append(side)
    return sorted(phase), sorted(column), sorted(kept)
