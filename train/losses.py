"""The pix2pix objective: equation 4 of the paper with the changes of section 3.3."""

import torch
import torch.nn.functional as F


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """BCE on real pairs (label 1) and fake pairs (label 0), halved to slow D relative to G."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return 0.5 * (real + fake)


def generator_gan_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating: maximise log D(x, G(x)) rather than minimise log(1 - D(x, G(x)))."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def generator_loss(fake_logits: torch.Tensor | None, fake: torch.Tensor, target: torch.Tensor,
                   l1_weight: float = 100.0, gan_weight: float = 1.0):
    """Returns (total, gan, l1): total = gan_weight * gan + lambda * L1.

    fake_logits None means L1 alone (the paper's "L1" ablation): gan is then reported as 0.
    """
    l1 = F.l1_loss(fake, target)
    if fake_logits is None:
        return l1_weight * l1, torch.zeros((), device=fake.device), l1
    gan = generator_gan_loss(fake_logits)
    return gan_weight * gan + l1_weight * l1, gan, l1
