import pytest
import torch
import torch.nn as nn

from model import DiscriminatorConfig, GeneratorConfig, PatchDiscriminator, UNetGenerator, count_parameters


def test_unet_256_has_the_official_parameter_count():
    assert count_parameters(UNetGenerator(GeneratorConfig(image_size=256, ngf=64))) == 54_413_955


def test_patchgan_70_has_the_official_parameter_count():
    assert count_parameters(PatchDiscriminator(DiscriminatorConfig(in_channels=6, ndf=64))) == 2_768_705


@pytest.mark.parametrize("size, levels", [(128, 7), (256, 8), (64, 6)])
def test_unet_depth_follows_image_size(size, levels):
    g = UNetGenerator(GeneratorConfig(image_size=size, ngf=8))
    assert len(g.down) == levels and len(g.up) == levels - 1
    x = torch.randn(2, 3, size, size)
    y = g.eval()(x)
    assert y.shape == x.shape and y.abs().max() <= 1  # tanh output


def test_unet_layout_matches_the_appendix():
    g = UNetGenerator(GeneratorConfig(image_size=256, ngf=64))
    encoder = [m.out_channels for m in g.down.modules() if isinstance(m, nn.Conv2d)]
    assert encoder == [64, 128, 256, 512, 512, 512, 512, 512]
    assert not isinstance(g.down[0], nn.Sequential)  # C64 without norm
    assert not any(isinstance(m, nn.BatchNorm2d) for m in g.down[-1].modules())  # bottleneck: no norm
    assert all(isinstance(m, nn.LeakyReLU) and m.negative_slope == 0.2 for m in (s[0] for s in g.down[1:]))
    # Decoder CD512-CD1024-CD1024-C1024-C1024-C512-C256-C128: the width each up-convolution
    # reads (the skip concatenation doubles it), ending in the convolution to the output channels.
    decoder = [m.in_channels for m in [*g.up.modules(), *g.out.modules()] if isinstance(m, nn.ConvTranspose2d)]
    assert decoder == [512, 1024, 1024, 1024, 1024, 512, 256, 128]
    with_dropout = [any(isinstance(m, nn.Dropout) and m.p == 0.5 for m in block.modules()) for block in g.up]
    assert with_dropout == [True, True, True, False, False, False, False]
    assert isinstance(g.out[-1], nn.Tanh)


def test_instance_norm_and_channel_counts():
    g = UNetGenerator(GeneratorConfig(image_size=64, in_channels=1, out_channels=4, ngf=8, norm="instance"))
    assert g(torch.randn(1, 1, 64, 64)).shape == (1, 4, 64, 64)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in g.modules())


def test_weights_are_initialised_from_normal_0_002():
    w = torch.cat([m.weight.flatten() for m in UNetGenerator(GeneratorConfig(128, ngf=16)).modules()
                   if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))])  # fmt: skip
    assert abs(w.mean().item()) < 1e-3 and w.std().item() == pytest.approx(0.02, rel=0.02)


def test_bad_configs_are_refused():
    with pytest.raises(ValueError, match="power of two"):
        UNetGenerator(GeneratorConfig(image_size=100))
    with pytest.raises(ValueError, match="receptive_field"):
        PatchDiscriminator(DiscriminatorConfig(receptive_field=34))


@pytest.mark.parametrize("field, size", [(1, 32), (16, 64), (70, 128), (286, 352)])
def test_patchgan_receptive_field_by_gradient(field, size):
    """The input pixels that influence one central logit form a field x field square."""
    torch.manual_seed(0)
    d = PatchDiscriminator(DiscriminatorConfig(in_channels=6, ndf=8, receptive_field=field)).eval()
    x = torch.randn(1, 3, size, size, requires_grad=True)
    y = torch.randn(1, 3, size, size)
    logits = d(x, y)
    h, w = logits.shape[-2:]
    logits[0, 0, h // 2, w // 2].backward()
    rows, cols = (x.grad[0].abs().sum(0) > 0).nonzero(as_tuple=True)
    assert rows.min() > 0 and cols.min() > 0 and rows.max() < size - 1 and cols.max() < size - 1  # not clipped
    assert (rows.max() - rows.min() + 1).item() == field
    assert (cols.max() - cols.min() + 1).item() == field


@pytest.mark.parametrize("field, smallest", [(1, 1), (16, 6), (70, 24), (286, 96)])
def test_patchgan_min_image_size(field, smallest):
    config = DiscriminatorConfig(ndf=8, receptive_field=field)
    assert config.min_image_size == smallest
    d = PatchDiscriminator(config).eval()
    x = torch.zeros(1, 3, smallest, smallest)
    assert d(x, x).shape[-1] == 1
    if field > 1:
        with pytest.raises(RuntimeError):
            d(x[..., :-2, :-2], x[..., :-2, :-2])


def test_a_thin_outer_level_wraps_the_net_of_half_the_size():
    config = GeneratorConfig(image_size=256, ngf=32, norm="instance", outer_ngf=16)
    assert config.widths == [16, 32, 64, 128, 256, 256, 256, 256]
    g = UNetGenerator(config)
    half = UNetGenerator(GeneratorConfig(image_size=128, ngf=32, norm="instance"))
    # The inner levels are the smaller net's, whose outermost layers keep no norm.
    assert [p.shape for p in g.down[2:].parameters()] == [p.shape for p in half.down[1:].parameters()]
    assert not any(isinstance(m, nn.InstanceNorm2d) for m in [*g.down[1].modules(), *g.up[-1].modules()])
    assert any(isinstance(m, nn.InstanceNorm2d) for m in g.down[2].modules())
    assert g.eval()(torch.randn(1, 3, 256, 256)).shape == (1, 3, 256, 256)


def test_a_config_saved_before_outer_ngf_still_loads():
    saved = GeneratorConfig(image_size=128, ngf=32).to_dict()
    del saved["outer_ngf"]
    assert GeneratorConfig.from_dict(saved).widths == GeneratorConfig(image_size=128, ngf=32).widths
