"""The faster forms of the 4x4 stride-2 layers give the layers' own outputs, and are chosen by input size."""

import pytest
import torch
import torch.nn as nn

from model import GeneratorConfig, UNetGenerator
from model.networks import inference_network
from model.onnx_layers import MIN_PHASE_INPUT, PhaseUpsample, for_onnx_runtime, rewritten_layer


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("size", [(16, 16), (5, 9), (1, 1)])
def test_phase_upsample_is_the_transposed_convolution(bias, size):
    torch.manual_seed(0)
    layer = nn.ConvTranspose2d(6, 5, 4, 2, 1, bias=bias)
    x = torch.randn(2, 6, *size)
    with torch.no_grad():
        assert (PhaseUpsample(layer)(x) - layer(x)).abs().max() <= 1e-5


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
    below = MIN_PHASE_INPUT // 2
    assert rewritten_layer(up, (below, below)) is None  # the matrix product dominates there
    assert isinstance(rewritten_layer(up, (MIN_PHASE_INPUT, MIN_PHASE_INPUT)), PhaseUpsample)
    assert rewritten_layer(nn.Conv2d(4, 4, 4, 2, 1), (4, 4)) is None  # every tap meets the input
    assert rewritten_layer(nn.Conv2d(4, 4, 3, 1, 1), (2, 2)) is None  # not a 4x4 stride-2 layer
    assert rewritten_layer(nn.ConvTranspose2d(4, 4, 4, 2, 1, output_padding=1), (32, 32)) is None


def test_a_generator_with_hints_gives_the_same_outputs_rewritten():
    torch.manual_seed(0)
    config = GeneratorConfig(image_size=64, ngf=8, norm="instance", hints=True, hint_adapter=4, outer_ngf=4)
    net = inference_network(UNetGenerator(config))
    for conv in net.hint_adapter.to_skips:  # trained adapters are not zero
        nn.init.normal_(conv.weight, 0, 0.1)
    x, hints = torch.rand(2, 3, 64, 64) * 2 - 1, torch.zeros(2, 4, 64, 64)
    hints[:, :, 10:20, 10:20] = 1
    fast = for_onnx_runtime(net, x, hints)
    kinds = [type(m) for m in fast.modules()]
    assert PhaseUpsample in kinds and kinds.count(nn.ConvTranspose2d) > kinds.count(PhaseUpsample)
    assert [m for m in fast.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (2, 2) and m.padding == (0, 0)]
    with torch.no_grad():
        for args in ((x, hints), (x,)):
            assert (fast(*args) - net(*args)).abs().max() <= 1e-5
    assert PhaseUpsample not in [type(m) for m in net.modules()]  # the original is untouched
