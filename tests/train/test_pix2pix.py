"""train.pix2pix.Pix2Pix: one step updates what it should, and only that."""

import torch

from train.pix2pix import Pix2Pix
from train.config import TrainConfig


def tiny(**kw) -> TrainConfig:
    return TrainConfig(size=32, ngf=8, ndf=8, batch_size=2, norm="instance", ema=0.9, **kw)


def snapshot(net) -> list[torch.Tensor]:
    return [p.detach().clone() for p in net.parameters()]


def changed(before, net) -> bool:
    return any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))


def test_a_step_updates_g_d_and_the_average_and_reports_finite_losses():
    torch.manual_seed(0)
    model = Pix2Pix(tiny(), torch.device("cpu"))
    g, d, ema = snapshot(model.G), snapshot(model.D), snapshot(model.G_ema.module)
    x, y = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 3, 32, 32) * 2 - 1
    losses = model.optimize_parameters(x, y)
    assert changed(g, model.G) and changed(d, model.D) and changed(ema, model.G_ema.module)
    assert all(torch.isfinite(torch.tensor(v)) for v in losses.values()) and losses.values()[3:] == [0.0, 0.0]
    assert model.generator is model.G_ema.module


def test_without_a_gan_term_d_is_left_alone_and_the_learning_rate_reaches_every_optimizer():
    torch.manual_seed(0)
    model = Pix2Pix(tiny(gan_weight=0.0), torch.device("cpu"), initialise=lambda G: torch.nn.init.zeros_(G.down[0].weight))
    assert torch.count_nonzero(model.G_ema.module.down[0].weight) == 0  # the average starts from the initialised G
    d = snapshot(model.D)
    losses = model.optimize_parameters(torch.zeros(2, 3, 32, 32), torch.ones(2, 3, 32, 32))
    assert not changed(d, model.D) and losses.d.item() == 0.0
    model.set_learning_rate(1e-5)
    assert {g["lr"] for opt in (model.opt_g, model.opt_d) for g in opt.param_groups} == {1e-5}
