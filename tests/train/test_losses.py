import math

import pytest
import torch

from train.losses import discriminator_loss, generator_gan_loss, generator_loss


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def test_discriminator_loss_is_halved_bce():
    # BCE(logit, 1) = softplus(-logit); BCE(logit, 0) = softplus(logit).
    real, fake = torch.full((1, 1, 2, 2), 2.0), torch.full((1, 1, 2, 2), -1.0)
    expected = 0.5 * (softplus(-2.0) + softplus(-1.0))  # 0.5 * (0.126928 + 0.313262)
    assert discriminator_loss(real, fake).item() == pytest.approx(expected, abs=1e-6)
    assert expected == pytest.approx(0.220095, abs=1e-6)
    zeros = torch.zeros(1, 1, 30, 30)
    assert discriminator_loss(zeros, zeros).item() == pytest.approx(math.log(2), abs=1e-6)


def test_generator_gan_loss_is_non_saturating():
    fake = torch.full((1, 1, 3, 3), -1.0)
    assert generator_gan_loss(fake).item() == pytest.approx(softplus(1.0), abs=1e-6)  # 1.313262
    # Non-saturating: a confident D (very negative logit) still gives G a strong gradient.
    logit = torch.tensor([-8.0], requires_grad=True)
    generator_gan_loss(logit).backward()
    assert logit.grad.abs().item() > 0.99


def test_generator_loss_adds_lambda_times_l1():
    fake_logits = torch.full((1, 1, 2, 2), -1.0)
    fake, target = torch.full((1, 3, 4, 4), 0.5), torch.zeros(1, 3, 4, 4)
    total, gan, l1 = generator_loss(fake_logits, fake, target, l1_weight=100.0)
    assert l1.item() == pytest.approx(0.5)
    assert total.item() == pytest.approx(softplus(1.0) + 50.0, abs=1e-5)  # 51.313262


def test_generator_loss_without_logits_is_lambda_times_l1():
    fake, target = torch.full((1, 3, 4, 4), 0.5), torch.zeros(1, 3, 4, 4)
    total, gan, l1 = generator_loss(None, fake, target, l1_weight=100.0)
    assert (total.item(), gan.item(), l1.item()) == pytest.approx((50.0, 0.0, 0.5))


def test_generator_loss_weighs_the_gan_term():
    fake_logits = torch.full((1, 1, 2, 2), -1.0)
    fake, target = torch.full((1, 3, 4, 4), 0.5), torch.zeros(1, 3, 4, 4)
    total, _, _ = generator_loss(fake_logits, fake, target, l1_weight=100.0, gan_weight=0.5)
    assert total.item() == pytest.approx(0.5 * softplus(1.0) + 50.0, abs=1e-5)
