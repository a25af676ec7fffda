"""Colour hints in the model: the RGBA image -> tensor conversion, the generator's hint channels, the Translator."""

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from model import GeneratorConfig, UNetGenerator, save_generator, load_translator
from model.hints import has_hints, hints_to_tensor
from model.translate import main as translate_main


def red_dot(size=64, box=(20, 20, 27, 27), colour=(255, 0, 0, 255)) -> Image.Image:
    hints = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(hints).ellipse(box, fill=colour)
    return hints


def test_opaque_pixels_are_hints_and_transparent_ones_are_not():
    t = hints_to_tensor(red_dot(), 64)
    assert t.shape == (4, 64, 64)
    mask = t[3] > 0
    assert mask[23, 23] and not mask[0, 0] and set(t[3].unique().tolist()) == {0.0, 1.0}
    assert torch.allclose(t[:3, 23, 23], torch.tensor([1.0, -1.0, -1.0]))  # red in [-1, 1]
    assert (t[:3, ~mask] == 0).all()  # no colour where there is no hint
    assert not has_hints(Image.new("RGBA", (8, 8), (255, 0, 0, 0))) and has_hints(red_dot()) and not has_hints(None)


def test_a_thin_stroke_on_a_large_canvas_survives_downscaling_in_its_own_colour():
    hints = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
    ImageDraw.Draw(hints).line([(100, 100), (400, 100)], fill=(0, 0, 255, 255), width=2)
    t = hints_to_tensor(hints, 128)
    row = t[:, 25]
    assert (row[3, 26:99] == 1).all()  # a 2-px line at 512 is still there at 128
    assert torch.allclose(row[:3, 60], torch.tensor([-1.0, -1.0, 1.0]), atol=1e-5)  # pure blue, not blended with "no hint"


@pytest.mark.parametrize("width, height, size", [(12, 8, 4), (4, 4, 4), (10, 7, 4), (3, 2, 4)])
def test_each_output_pixel_takes_the_mean_colour_of_the_hints_over_it(width, height, size):
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
    rgba[..., 3] = np.where(rng.random((height, width)) < 0.3, 0, rgba[..., 3])  # alpha 0-255, and many holes
    t = hints_to_tensor(Image.fromarray(rgba, "RGBA"), size).numpy()
    # Written out pixel by pixel: the source pixels each output pixel covers (whole or in part).
    for y in range(size):
        for x in range(size):
            rows = slice(y * height // size, -(-(y + 1) * height // size))
            cols = slice(x * width // size, -(-(x + 1) * width // size))
            hinted = rgba[rows, cols][rgba[rows, cols, 3] >= 128]
            expected = hinted[:, :3].mean(axis=0) / 255 * 2 - 1 if len(hinted) else np.zeros(3)
            assert t[3, y, x] == (len(hinted) > 0)
            assert np.allclose(t[:3, y, x], expected, atol=1e-5)


def tiny(hints: bool) -> UNetGenerator:
    torch.manual_seed(0)
    return UNetGenerator(GeneratorConfig(image_size=64, ngf=8, norm="instance", hints=hints)).eval()


def test_a_hint_generator_has_four_more_inputs_and_no_hints_means_zeros():
    g = tiny(True)
    assert g.down[0].in_channels == 7
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        assert torch.equal(g(x), g(x, torch.zeros(2, 4, 64, 64)))
        assert not torch.allclose(g(x), g(x, hints_to_tensor(red_dot(), 64).expand(2, -1, -1, -1)))
    with pytest.raises(ValueError, match="takes no colour hints"):
        tiny(False)(x, torch.zeros(2, 4, 64, 64))


def test_the_translator_takes_hints_the_size_of_the_input(tmp_path):
    t = load_translator(save_generator(tmp_path / "w", tiny(True), {"direction": "AtoB"}), device="cpu")
    edges = Image.new("RGB", (64, 64), "white")
    assert t.takes_hints
    plain, hinted = t(edges), t(edges, hints=red_dot())
    assert plain.size == hinted.size == (64, 64) and plain.tobytes() != hinted.tobytes()
    assert t(edges, hints=Image.new("RGBA", (64, 64))).tobytes() == plain.tobytes()  # all transparent: no hints
    with pytest.raises(ValueError, match="size of the input"):
        t(edges, hints=red_dot(size=32))
    plain_model = load_translator(save_generator(tmp_path / "p", tiny(False), {"direction": "AtoB"}), device="cpu")
    with pytest.raises(ValueError, match="takes no colour hints"):
        plain_model(edges, hints=red_dot())


def test_the_cli_takes_a_hints_file(tmp_path, capsys):
    weights = save_generator(tmp_path / "w", tiny(True), {"direction": "AtoB"})
    Image.new("RGB", (64, 64), "white").save(tmp_path / "edges.png")
    red_dot().save(tmp_path / "hints.png")
    args = [str(tmp_path / "edges.png"), str(tmp_path / "out.png"), "--weights", str(weights), "--device", "cpu"]
    assert translate_main(args + ["--hints", str(tmp_path / "hints.png")]) == 0
    hinted = np.asarray(Image.open(tmp_path / "out.png"))
    assert translate_main(args) == 0
    assert not np.array_equal(hinted, np.asarray(Image.open(tmp_path / "out.png")))
    plain = save_generator(tmp_path / "p", tiny(False), {"direction": "AtoB"})
    with pytest.raises(SystemExit):
        translate_main(args[:3] + [str(plain), "--hints", str(tmp_path / "hints.png")])
    assert "takes no colour hints" in capsys.readouterr().err


def test_hints_without_transparency_are_refused(tmp_path):
    t = load_translator(save_generator(tmp_path / "w", tiny(True), {"direction": "AtoB"}), device="cpu")
    with pytest.raises(ValueError, match="no transparency"):
        t(Image.new("RGB", (64, 64), "white"), hints=Image.new("RGB", (64, 64), "red"))


def adapter_pair() -> tuple[UNetGenerator, UNetGenerator]:
    """A base model and a hint-adapter model around its very weights."""
    torch.manual_seed(0)
    base = UNetGenerator(GeneratorConfig(image_size=64, ngf=8, norm="instance")).eval()
    adapted = UNetGenerator(GeneratorConfig(image_size=64, ngf=8, norm="instance", hints=True, hint_adapter=4)).eval()
    missing = adapted.load_state_dict(base.state_dict(), strict=False).missing_keys
    assert missing and all(k.startswith("hint_adapter.") for k in missing)
    return base, adapted


def test_a_hint_adapter_starts_as_its_base_model():
    base, adapted = adapter_pair()
    assert adapted.down[0].in_channels == 3  # the hints go to the side encoder, not to the U-Net
    x, hints = torch.rand(2, 3, 64, 64) * 2 - 1, hints_to_tensor(red_dot(), 64).expand(2, -1, -1, -1)
    with torch.no_grad():
        assert torch.equal(adapted(x, hints), base(x))  # its outputs into the skips start at zero


def test_a_trained_hint_adapter_changes_hinted_images_only():
    base, adapted = adapter_pair()
    with torch.no_grad():
        for p in adapted.hint_adapter.parameters():
            p.normal_(0, 0.2)  # as if trained
        x = torch.rand(3, 3, 64, 64) * 2 - 1
        hints = hints_to_tensor(red_dot(), 64).expand(3, -1, -1, -1).clone()
        hints[1] = 0  # the middle image of the batch has no hints
        out, plain = adapted(x, hints), base(x)
        assert torch.equal(out[1], plain[1]) and torch.equal(adapted(x), plain)  # bit for bit the base model
        assert not torch.allclose(out[0], plain[0], atol=1e-3) and not torch.allclose(out[2], plain[2], atol=1e-3)


def test_a_hint_adapter_model_saves_and_loads_with_its_adapter(tmp_path):
    _, adapted = adapter_pair()
    with torch.no_grad():
        for p in adapted.hint_adapter.parameters():
            p.normal_(0, 0.2)
    folder = save_generator(tmp_path / "adapted", adapted, {"direction": "AtoB"})
    translator = load_translator(folder)
    assert translator.takes_hints and translator.config.hint_adapter == 4
    edges = Image.new("RGB", (64, 64), "white")
    assert np.asarray(translator(edges)).tolist() != np.asarray(translator(edges, hints=red_dot())).tolist()


def test_hints_of_the_wrong_shape_and_bad_adapter_configs_are_refused():
    _, adapted = adapter_pair()
    with pytest.raises(ValueError, match="4 channels"):
        adapted(torch.zeros(1, 3, 64, 64), torch.zeros(1, 3, 64, 64))
    for bad in ({"hint_adapter": 8}, {"hints": True, "hint_adapter": -1}):
        with pytest.raises(ValueError, match="hint_adapter"):
            UNetGenerator(GeneratorConfig(image_size=64, **bad))
