import pytest
import torch
import torch.nn.functional as F

from model import GeneratorConfig, UNetGenerator
from model.networks import inference_network
from train.grow import grown_state_dict


def small_and_big(hint_adapter: int = 0) -> tuple[UNetGenerator, UNetGenerator]:
    torch.manual_seed(0)
    small = UNetGenerator(GeneratorConfig(image_size=32, ngf=8, norm="instance", hints=bool(hint_adapter), hint_adapter=hint_adapter))
    for p in small.parameters():  # trained-looking weights, not the near-zero initialisation
        p.data.normal_(0, 0.3)
    big = UNetGenerator(GeneratorConfig(image_size=64, ngf=8, norm="instance", outer_ngf=16, hints=bool(hint_adapter),
                                        hint_adapter=hint_adapter))  # fmt: skip
    big.load_state_dict(grown_state_dict(small, big))
    return small, big


def test_the_grown_net_is_the_small_one_on_a_downsampled_input_upsampled_after():
    small, big = small_and_big()
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        expected = F.interpolate(inference_network(small)(F.avg_pool2d(x, 2)), scale_factor=2, mode="nearest")
        assert torch.allclose(inference_network(big)(x), expected, atol=1e-5)


def test_a_hint_adapter_grows_with_its_base():
    small, big = small_and_big(hint_adapter=16)
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    hints = torch.zeros(1, 4, 64, 64)
    hints[:, :3] = torch.tensor([1.0, -1.0, -1.0]).view(3, 1, 1)
    hints[:, 3, 20:40, 20:40] = 1
    with torch.no_grad():
        with_hints = inference_network(small)(F.avg_pool2d(x, 2), F.avg_pool2d(hints, 2))
        assert not torch.allclose(with_hints, inference_network(small)(F.avg_pool2d(x, 2)), atol=1e-3)  # the hints matter
        expected = F.interpolate(with_hints, scale_factor=2, mode="nearest")
        assert torch.allclose(inference_network(big)(x, hints), expected, atol=1e-5)


def test_nets_that_do_not_fit_are_refused():
    small = UNetGenerator(GeneratorConfig(image_size=32, ngf=8))
    for config in (GeneratorConfig(image_size=64, ngf=8),  # no thin outer level
                   GeneratorConfig(image_size=64, ngf=16, outer_ngf=16),  # other widths inside
                   GeneratorConfig(image_size=128, ngf=8, outer_ngf=16),  # four times the size
                   GeneratorConfig(image_size=64, ngf=8, outer_ngf=4)):  # too thin to carry +v and -v  # fmt: skip
        with pytest.raises(ValueError):
            grown_state_dict(small, UNetGenerator(config))
    with_adapter = UNetGenerator(GeneratorConfig(image_size=32, ngf=8, hints=True, hint_adapter=8))
    with pytest.raises(ValueError, match="too thin to grow"):
        grown_state_dict(with_adapter, UNetGenerator(GeneratorConfig(image_size=64, ngf=8, outer_ngf=16, hints=True, hint_adapter=8)))
