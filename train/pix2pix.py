"""The pix2pix model in training: its networks, their optimizers, and one step.

As in the official code's Pix2PixModel, a step is `optimize_parameters(x, y, hints)`: forward
(G makes the fakes), update D (real pairs -> 1, fake pairs -> 0), update the feature
discriminator if there is one, update G (fool the discriminators, stay close to the target in
L1), then the moving average of G's weights. train.py keeps the loop around it: data, schedule,
logs, checkpoints and exports.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel

from model import DiscriminatorConfig, GeneratorConfig, PatchDiscriminator, UNetGenerator

from .feature_gan import FeatureDiscriminator, feature_discriminator_loss, feature_generator_loss
from .losses import discriminator_loss, generator_loss


@dataclass
class StepLosses:
    """One step's losses, as 0-dim tensors (the feature GAN's are 0 without one)."""

    d: torch.Tensor
    gan: torch.Tensor
    l1: torch.Tensor
    f: torch.Tensor
    gan_f: torch.Tensor

    def values(self) -> list[float]:
        return [t.item() for t in (self.d, self.gan, self.l1, self.f, self.gan_f)]


class Pix2Pix:
    """G and D (and the feature discriminator, and the moving average of G) with their optimizers.

    initialise(G), if given, sets G's starting weights (--init-generator) before the moving average copies them.
    """

    def __init__(self, cfg, device: torch.device, distributed: bool = False, initialise=None):
        self.cfg, self.device = cfg, device
        self.G, self.D, self.opt_g, self.opt_d = build_networks(cfg, device)
        self.F_D, self.opt_f = build_feature_discriminator(cfg, device)
        if initialise is not None:
            initialise(self.G)
        # The average of G's recent weights: it smooths out the step-to-step wobble of GAN training.
        self.G_ema = AveragedModel(self.G, avg_fn=ema_with_warmup(cfg.ema), use_buffers=True) if cfg.ema else None
        # What runs the forward passes: the networks, or DDP's wrappers of them (scripts may put compiled ones here).
        self.G_run = DistributedDataParallel(self.G) if distributed else self.G
        self.D_run = DistributedDataParallel(self.D) if distributed else self.D
        self.autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.bf16)
        self.one_d_pass = cfg.norm == "instance"  # real and fake pairs in one batch: the same logits with per-image norm

    # ------------------------------------------------------------------ the step

    def optimize_parameters(self, x: torch.Tensor, y: torch.Tensor, hints: torch.Tensor | None = None) -> StepLosses:
        fake = self.forward(x, hints)
        loss_d = self.update_discriminator(x, y, fake)
        fake_features, loss_f = self.update_feature_discriminator(y, fake)
        gan, l1, gan_f = self.update_generator(x, y, fake, fake_features)
        if self.G_ema is not None:
            self.G_ema.update_parameters(self.G)
        return StepLosses(loss_d, gan, l1, loss_f, gan_f)

    def forward(self, x: torch.Tensor, hints: torch.Tensor | None = None) -> torch.Tensor:
        with self.autocast:
            return self.G_run(x, hints)

    def update_discriminator(self, x, y, fake) -> torch.Tensor:
        """One update of D: real pairs -> 1, fake pairs -> 0 (nothing without a GAN term)."""
        if self.cfg.gan_weight <= 0:
            return torch.zeros((), device=self.device)
        self.D.requires_grad_(True)
        self.opt_d.zero_grad(set_to_none=True)
        with self.autocast:
            if self.one_d_pass:
                real_logits, fake_logits = self.D_run(torch.cat([x, x]), torch.cat([y, fake.detach()])).float().chunk(2)
            else:
                real_logits, fake_logits = self.D_run(x, y).float(), self.D_run(x, fake.detach()).float()
            loss = discriminator_loss(real_logits, fake_logits)
        loss.backward()
        self.opt_d.step()
        return loss.detach()

    def update_feature_discriminator(self, y, fake) -> tuple[list[torch.Tensor] | None, torch.Tensor]:
        """(the fakes' backbone features, for G's step; the heads' loss). The backbone runs once on the
        fakes: the heads' update reads its features detached, G's update through them."""
        if self.F_D is None:
            return None, torch.zeros((), device=self.device)
        with self.autocast:
            fake_features = self.F_D.features(fake.float())
        self.F_D.requires_grad_(True)
        self.opt_f.zero_grad(set_to_none=True)
        with self.autocast, torch.no_grad():
            real_features = self.F_D.features(y)
        with self.autocast:
            loss = feature_discriminator_loss([r.float() for r in self.F_D(real_features)],
                                              [f.float() for f in self.F_D([f.detach() for f in fake_features])])  # fmt: skip
        loss.backward()
        self.opt_f.step()
        return fake_features, loss.detach()

    def update_generator(self, x, y, fake, fake_features=None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One update of G: fool D (frozen, unwrapped) and the feature discriminator, stay close to y in L1.
        Returns (gan, l1, feature gan)."""
        cfg = self.cfg
        self.D.requires_grad_(False)
        self.opt_g.zero_grad(set_to_none=True)
        fake_logits = None
        if cfg.gan_weight > 0:
            with self.autocast:
                fake_logits = self.D(x, fake).float()
        loss, gan, l1 = generator_loss(fake_logits, fake.float(), y, cfg.l1_weight, cfg.gan_weight)
        gan_f = torch.zeros((), device=fake.device)
        if self.F_D is not None:
            self.F_D.requires_grad_(False)
            with self.autocast:
                gan_f = feature_generator_loss([f.float() for f in self.F_D(fake_features)])
            loss = loss + cfg.feature_gan_weight * gan_f
        loss.backward()
        self.opt_g.step()
        return gan.detach(), l1.detach(), gan_f.detach()

    # ------------------------------------------------------------------ around the step

    def set_learning_rate(self, lr: float) -> None:
        for opt in (o for o in (self.opt_g, self.opt_d, self.opt_f) if o is not None):
            for group in opt.param_groups:
                group["lr"] = lr

    @property
    def generator(self) -> UNetGenerator:
        """The generator that gets sampled, validated and exported: the moving average, where kept."""
        return self.G_ema.module if self.G_ema is not None else self.G

    def state_dict(self) -> dict:
        """Everything that trains, by the names the checkpoint gives them: the networks' and the optimizers'
        state dicts (None where this run has no such part), and the networks' configs."""
        return {"networks": {"G": self.G.state_dict(), "D": self.D.state_dict(),
                             "G_ema": self.G_ema.state_dict() if self.G_ema is not None else None,
                             "F_D": self.F_D.state_dict() if self.F_D is not None else None},
                "optimizers": {"optG": self.opt_g.state_dict(), "optD": self.opt_d.state_dict(),
                               "optF": self.opt_f.state_dict() if self.opt_f is not None else None},
                "configs": {"generator_config": self.G.config.to_dict(), "discriminator_config": self.D.config.to_dict()}}  # fmt: skip

    def load_state_dict(self, state: dict) -> None:
        """What state_dict() gave. A state without a moving average leaves this one's untouched: its first
        update copies G (AveragedModel), so it starts from the loaded G."""
        networks, optimizers = state["networks"], state["optimizers"]
        parts = {"G": self.G, "D": self.D, "G_ema": self.G_ema, "F_D": self.F_D}
        for name, part in parts.items():
            if part is not None and networks.get(name) is not None:
                part.load_state_dict(networks[name])
        for name, opt in {"optG": self.opt_g, "optD": self.opt_d, "optF": self.opt_f}.items():
            if opt is not None and optimizers.get(name) is not None:
                opt.load_state_dict(optimizers[name])

    def refuse_non_finite(self, step: int, out) -> None:
        """Raise, instead of letting a checkpoint or export be written, where a network holds NaN or inf."""
        nets = {"G": self.G, "D": self.D, "G_ema": self.G_ema, "F_D": self.F_D}
        bad = [name for name, net in nets.items() if net is not None
               and not all(t.isfinite().all() for t in net.state_dict().values() if t.is_floating_point())]  # fmt: skip
        if bad:
            raise ValueError(f"training diverged at step {step}: {', '.join(bad)} hold NaN or inf. Nothing was saved over "
                             f"{out}'s last checkpoint and export; resume from them with a lower --lr.")  # fmt: skip


def build_networks(cfg, device) -> tuple[UNetGenerator, PatchDiscriminator, torch.optim.Adam, torch.optim.Adam]:
    """G and D as cfg describes them, on device, with their Adam optimizers."""
    d_config = DiscriminatorConfig(6, cfg.ndf, cfg.receptive_field, cfg.norm)
    if cfg.size < d_config.min_image_size:
        raise ValueError(f"--size {cfg.size} is too small for a {cfg.receptive_field}x{cfg.receptive_field} PatchGAN, "
                         f"which needs images of at least {d_config.min_image_size} px; use a smaller --receptive-field.")  # fmt: skip
    g_config = GeneratorConfig(cfg.size, 3, 3, cfg.ngf, cfg.norm, upsample=cfg.upsample, hints=cfg.hints,
                               hint_adapter=cfg.hint_adapter, outer_ngf=cfg.outer_ngf)  # fmt: skip
    G = UNetGenerator(g_config).to(device)
    D = PatchDiscriminator(d_config).to(device)
    memory_format = torch.channels_last if cfg.channels_last else torch.contiguous_format
    G, D = G.to(memory_format=memory_format), D.to(memory_format=memory_format)
    if G.hint_adapter is not None:
        freeze_base_model(G)
    trainable = [p for p in G.parameters() if p.requires_grad]
    opt_g = torch.optim.Adam(trainable, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))
    return G, D, opt_g, opt_d


def build_feature_discriminator(cfg, device):
    """The discriminator on frozen ImageNet features and its Adam, or (None, None) without --feature-gan-weight."""
    if cfg.feature_gan_weight <= 0:
        return None, None
    F_D = FeatureDiscriminator(cfg.feature_backbone).to(device)
    return F_D, torch.optim.Adam(F_D.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))


def freeze_base_model(G: UNetGenerator) -> None:
    """Only the hint adapter learns: the base model's weights, and its batch norms' running statistics, stay as they are."""
    G.requires_grad_(False)
    G.hint_adapter.requires_grad_(True)
    for name, m in G.named_modules():
        if isinstance(m, torch.nn.BatchNorm2d) and not name.startswith("hint_adapter."):
            m.track_running_stats = False  # train on batch statistics without updating the stored ones


def ema_with_warmup(decay: float):
    """AveragedModel's update: decay, but at most (1 + n) / (10 + n) after n updates.

    The warm-up (as in TensorFlow's ExponentialMovingAverage) keeps the first, near-random
    weights from lingering in the average of a run of a few thousand steps.
    """

    def update(average: torch.Tensor, current: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
        if not average.is_floating_point():  # batch norm's step counter
            return current
        d = min(decay, (1 + float(n)) / (10 + float(n)))
        return average.lerp(current, 1 - d)

    return update
