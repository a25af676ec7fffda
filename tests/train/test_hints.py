"""Colour hints sampled from target photos for training, and a hint model fine-tuned from one without."""

import json

import torch
from safetensors.torch import load_file

from model import GeneratorConfig, UNetGenerator, save_generator
from tests.conftest import write_ab_folder
from tests.train.tiny import tiny_config
from train.hints import dots, random_counts, sample_hints
from train.init_weights import load_initial_generator
from train.train import train


def photos(n=4, size=128) -> torch.Tensor:
    """White backgrounds with a coloured square: red, green, blue, grey."""
    y = torch.ones(n, 3, size, size)
    colours = torch.tensor([[1.0, -1, -1], [-1, 1, -1], [-1, -1, 1], [0.0, 0, 0]])
    for i in range(n):
        y[i, :, 32:96, 32:96] = colours[i % 4][:, None, None]
    return y


def test_hints_carry_the_photos_own_colours_and_fall_on_the_shoe():
    y = photos()
    g = torch.Generator().manual_seed(0)
    hints = sample_hints(y, torch.full((4,), 12), g, stroke_share=0.0)
    mask = hints[:, 3] > 0
    assert hints.shape == (4, 4, 128, 128) and mask.flatten(1).any(1).all()
    # A dot has the photo's mean colour around its centre: near the square's edge that mixes in
    # some white, so the check is on dots well inside (radius 3 + a 5x5 mean: 5 px in).
    inner = mask.clone()
    inner[:, :38] = inner[:, 90:] = False
    inner[:, :, :38] = inner[:, :, 90:] = False
    for i in range(4):
        assert torch.allclose(hints[i, :3][:, inner[i]], y[i, :, 64, 64][:, None].expand(-1, int(inner[i].sum())), atol=1e-5)
    on_background = mask & (y.min(dim=1).values > 0.9)
    assert on_background.sum() < 0.25 * mask.sum()  # centres are on the shoe; a stroke may run a little past it
    assert (hints[:, :3][~mask[:, None].expand(-1, 3, -1, -1)] == 0).all()
    strokes = sample_hints(y, torch.full((4,), 12), torch.Generator().manual_seed(0), stroke_share=1.0)
    assert strokes[:, 3].sum() > 2 * hints[:, 3].sum()  # strokes cover more than dots


def test_counts_include_images_without_hints_and_are_reproducible():
    counts = random_counts(4000, torch.Generator().manual_seed(1))
    assert 0.25 < (counts == 0).float().mean() < 0.35 and counts.max() <= 24 and (counts[counts > 0] >= 1).all()
    a = sample_hints(photos(), torch.full((4,), 5), torch.Generator().manual_seed(3))
    b = sample_hints(photos(), torch.full((4,), 5), torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and sample_hints(photos(), torch.zeros(4, dtype=torch.long), torch.Generator())[:, 3].sum() == 0


def test_evaluation_dots_are_seeded_and_count_what_they_say():
    y = photos(1, 256)
    first, again, other = dots(y, 10, seed=0), dots(y, 10, seed=0), dots(y, 10, seed=1)
    assert torch.equal(first, again) and not torch.equal(first, other)
    assert 10 * 9 <= first[0, 3].sum() <= 10 * 45  # ten dots of radius 3 px at 256, some overlapping


def test_a_hint_model_starts_exactly_where_its_source_model_is(tmp_path):
    torch.manual_seed(0)
    source = UNetGenerator(GeneratorConfig(image_size=32, ngf=8, norm="instance")).eval()
    folder = save_generator(tmp_path / "src", source, {"direction": "AtoB"})
    hinted = UNetGenerator(GeneratorConfig(image_size=32, ngf=8, norm="instance", hints=True)).eval()
    load_initial_generator(hinted, str(folder))
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    hints = sample_hints(torch.rand(2, 3, 32, 32) * 2 - 1, torch.full((2,), 6), torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.allclose(hinted(x, hints), source(x), atol=1e-6)  # zero weights on the new channels


def test_training_with_hints_trains_the_hint_channels_and_validates_with_dots(tmp_path):
    write_ab_folder(tmp_path / "d" / "train", 8)
    write_ab_folder(tmp_path / "d" / "val", 4, start=100)
    weights = []
    result = train(tiny_config(tmp_path / "d", tmp_path / "run", norm="instance", hints=True, hint_hue_jitter=0.5, max_steps=6),
                   on_step=lambda step, G, D: weights.append(G.down[0].weight[:, 3:].detach().clone()))  # fmt: skip
    assert result["step"] == 6 and result["psnr_10_dots"] != result["psnr"]
    assert not torch.allclose(weights[0], weights[-1])  # the hint inputs' weights learn


def test_a_hint_adapter_trains_alone_on_hinted_images_and_leaves_its_base_model_as_it_was(tmp_path):
    write_ab_folder(tmp_path / "d" / "train", 8)
    write_ab_folder(tmp_path / "d" / "val", 4, start=100)
    train(tiny_config(tmp_path / "d", tmp_path / "base", norm="instance", max_steps=2))
    seen = []
    cfg = tiny_config(tmp_path / "d", tmp_path / "run", norm="instance", hints=True, hint_adapter=4, hint_hue_jitter=0.5,
                      init_generator=str(tmp_path / "base" / "generator"), max_steps=4, ema=0.9)  # fmt: skip
    result = train(cfg, on_step=lambda step, G, D: seen.append({k: v.clone() for k, v in G.state_dict().items()}))
    base = load_file(tmp_path / "base" / "generator" / "model.safetensors")
    exported = load_file(tmp_path / "run" / "generator" / "model.safetensors")
    for name, value in base.items():  # the base model, moving average included, is untouched
        assert torch.equal(seen[-1][name], value) and torch.equal(exported[name], value), name
    adapter = [k for k in seen[0] if k.startswith("hint_adapter.")]
    assert adapter and any(not torch.equal(seen[0][k], seen[-1][k]) for k in adapter)
    base_metrics = json.loads((tmp_path / "base" / "metrics.jsonl").read_text().splitlines()[-1])
    assert result["psnr"] == base_metrics["psnr"]  # without hints: the base model's very outputs
    # A new adapter run from this one's export starts from the same base, with a fresh adapter.
    again = UNetGenerator(GeneratorConfig(image_size=32, ngf=8, norm="instance", hints=True, hint_adapter=4))
    load_initial_generator(again, str(tmp_path / "run" / "generator"))
    state = again.state_dict()
    assert all(torch.equal(state[k], v) for k, v in base.items())
    assert all((state[k] == 0).all() for k in state if k.startswith("hint_adapter.to_skips."))


def test_a_trained_hint_adapter_moves_onto_another_base_model(tmp_path):
    import pytest

    from train.init_weights import load_initial_hint_adapter

    def adapter_model(seed):
        torch.manual_seed(seed)
        G = UNetGenerator(GeneratorConfig(image_size=32, ngf=8, norm="instance", hints=True, hint_adapter=4))
        for p in G.hint_adapter.parameters():
            torch.nn.init.normal_(p)
        return G

    save_generator(tmp_path / "with", adapter_model(1), {})
    base = UNetGenerator(GeneratorConfig(image_size=32, ngf=8, norm="instance"))
    save_generator(tmp_path / "without", base, {})
    G = adapter_model(2)
    load_initial_generator(G, str(tmp_path / "without"))
    load_initial_hint_adapter(G, str(tmp_path / "with"))
    trained = load_file(tmp_path / "with" / "model.safetensors")
    state = G.state_dict()
    assert any(k.startswith("hint_adapter.") for k in trained)
    assert all(torch.equal(state[k], v) for k, v in trained.items() if k.startswith("hint_adapter."))
    assert all(torch.equal(state[k], v) for k, v in base.state_dict().items())  # the base is the other model's
    with pytest.raises(ValueError, match="has no hint adapter"):
        load_initial_hint_adapter(G, str(tmp_path / "without"))
    wider = UNetGenerator(GeneratorConfig(image_size=32, ngf=8, norm="instance", hints=True, hint_adapter=8))
    with pytest.raises(ValueError, match="give the same --hint-adapter"):
        load_initial_hint_adapter(wider, str(tmp_path / "with"))


def test_a_training_run_starts_its_adapter_from_init_hint_adapter(tmp_path):
    write_ab_folder(tmp_path / "d" / "train", 8)
    write_ab_folder(tmp_path / "d" / "val", 4, start=100)
    train(tiny_config(tmp_path / "d", tmp_path / "base", norm="instance", max_steps=1))
    first = dict(norm="instance", hints=True, hint_adapter=4, init_generator=str(tmp_path / "base" / "generator"), max_steps=2)
    train(tiny_config(tmp_path / "d", tmp_path / "first", **first))
    trained = load_file(tmp_path / "first" / "generator" / "model.safetensors")
    seen = []
    cfg = tiny_config(tmp_path / "d", tmp_path / "moved", **{**first, "max_steps": 1},
                      init_hint_adapter=str(tmp_path / "first" / "generator"), lr=0.0)  # fmt: skip
    train(cfg, on_step=lambda step, G, D: seen.append({k: v.clone() for k, v in G.state_dict().items()}))
    adapter = [k for k in trained if k.startswith("hint_adapter.")]
    assert adapter and all(torch.equal(seen[0][k], trained[k].float()) for k in adapter)
    assert "the adapter starting from the one in" in (tmp_path / "moved" / "generator" / "README.md").read_text()


def test_a_hint_adapter_leaves_the_base_models_batch_norm_statistics_alone(tmp_path):
    write_ab_folder(tmp_path / "d", 8)
    train(tiny_config(tmp_path / "d", tmp_path / "base", max_steps=2))  # batch norm, the default
    cfg = tiny_config(tmp_path / "d", tmp_path / "run", hints=True, hint_adapter=4, max_steps=2,
                      init_generator=str(tmp_path / "base" / "generator"))  # fmt: skip
    train(cfg)
    base = load_file(tmp_path / "base" / "generator" / "model.safetensors")
    exported = load_file(tmp_path / "run" / "generator" / "model.safetensors")
    assert any("running_mean" in k for k in base)
    assert all(torch.equal(exported[k], v) for k, v in base.items())


def test_a_hint_adapter_needs_a_model_to_sit_beside(tmp_path, capsys):
    import pytest

    from train.train import main

    with pytest.raises(SystemExit):
        main(["--data", str(tmp_path), "--hints", "--hint-adapter", "8"])
    assert "needs --hints and --init-generator" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--data", str(tmp_path), "--init-hint-adapter", "weights/edges2shoes"])
    assert "needs --hint-adapter" in capsys.readouterr().err


def test_hue_jitter_turns_colours_keeps_greys_and_leaves_photos_without_hints_alone():
    from train.hints import hue_jitter, rotate_hue

    y = photos(4, 128)
    turned = rotate_hue(y, torch.full((4,), 2 * torch.pi / 3))  # a third of a turn: red -> green, green -> blue
    assert torch.allclose(turned[0, :, 64, 64], torch.tensor([-1.0, 1, -1]), atol=1e-5)
    assert torch.allclose(turned[1, :, 64, 64], torch.tensor([-1.0, -1, 1]), atol=1e-5)
    assert torch.allclose(turned[3], y[3], atol=1e-6) and torch.allclose(turned[:, :, 0, 0], y[:, :, 0, 0], atol=1e-6)
    counts = torch.tensor([0, 5, 0, 5])
    jittered = hue_jitter(y, counts, share=1.0, g=torch.Generator().manual_seed(0))
    assert torch.equal(jittered[0], y[0]) and torch.equal(jittered[2], y[2])  # no hints: the photo's own colours
    assert not torch.allclose(jittered[1], y[1])


def test_hue_jitter_without_hints_is_refused(tmp_path, capsys):
    import pytest

    from train.train import main

    with pytest.raises(SystemExit):
        main(["--data", str(tmp_path), "--hint-hue-jitter", "0.5"])
    assert "needs --hints" in capsys.readouterr().err


def test_chroma_scaling_saturates_colours_and_keeps_greys():
    from train.hints import scale_chroma

    y = photos(4, 128)
    muted = y * 0.3  # a dull red, green, blue and grey
    boosted = scale_chroma(muted, torch.full((4,), 2.0))
    assert torch.allclose(boosted[0, :, 64, 64], torch.tensor([0.7, -0.5, -0.5]), atol=1e-5)  # twice as far from grey -0.1
    assert torch.allclose(boosted[3], muted[3]) and torch.allclose(boosted[:, :, 0, 0], muted[:, :, 0, 0])


def test_brightening_lifts_midtones_and_keeps_white_and_black():
    from train.hints import brighten, hue_jitter

    y = photos(4, 128)
    y[:, :, :8, :8] = -1  # a black corner
    lifted = brighten(y, torch.full((4,), 0.5))
    assert torch.equal(lifted[:, :, 0, 0], y[:, :, 0, 0]) and torch.allclose(lifted[:, :, 127, 127], y[:, :, 127, 127])
    assert lifted[3, 0, 64, 64] > y[3, 0, 64, 64] + 0.3  # the grey square: 0.5 -> 0.71 in [0, 1]
    counts = torch.tensor([0, 5, 5, 5])
    g = torch.Generator().manual_seed(0)
    assert torch.equal(hue_jitter(y, counts, 1.0, g, max_brighten=4.0)[0], y[0])  # no hints: left alone


def test_tinting_paints_the_shading_in_one_colour_and_keeps_the_background():
    from train.hints import hue_jitter, saturated_colours, tint

    y = photos(4, 128)
    blue = torch.tensor([[0.1, 0.3, 0.9]]).expand(4, 3)
    tinted = tint(y, blue)
    assert torch.equal(tinted[:, :, 0, 0], y[:, :, 0, 0])  # white background stays
    shoe = tinted[:, :, 64, 64]
    assert torch.allclose(shoe.mean(dim=1), y[:, :, 64, 64].mean(dim=1), atol=0.05)  # the photo's own lightness
    assert (shoe[:, 2] > shoe[:, 0] + 0.3).all()  # in blue, whatever colour the square was
    colours = saturated_colours(64, torch.Generator().manual_seed(0))
    assert ((colours.max(dim=1).values - colours.min(dim=1).values) / colours.max(dim=1).values >= 0.6 - 1e-6).all()
    counts = torch.tensor([0, 5, 5, 5])
    assert torch.equal(hue_jitter(y, counts, 1.0, torch.Generator().manual_seed(0), tint_share=1.0)[0], y[0])
