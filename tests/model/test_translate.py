import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from model import GeneratorConfig, UNetGenerator, WeightsError, load_translator, save_generator
from model.networks import inference_network
from model.translate import main as translate_main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def generator():
    torch.manual_seed(0)
    g = UNetGenerator(GeneratorConfig(image_size=64, ngf=8))
    # Give BatchNorm non-trivial running statistics, as a trained network has.
    g.train()
    with torch.no_grad():
        for _ in range(3):
            g(torch.randn(4, 3, 64, 64))
    return g.eval()


@pytest.fixture
def weights(tmp_path, generator):
    return save_generator(tmp_path / "weights", generator, {"direction": "AtoB", "dataset": "toy"})


def test_round_trip_gives_identical_outputs(weights, generator):
    t = load_translator(weights, device="cpu")
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        expected = inference_network(generator)(x)
    assert torch.allclose(t.translate_tensor(x), expected, atol=1e-5)
    assert t.meta["direction"] == "AtoB" and t.meta["dataset"] == "toy"
    assert json.loads((weights / "config.json").read_text())["generator"]["ngf"] == 8


def test_fp16_storage_loads_as_float32(tmp_path, generator):
    folder = save_generator(tmp_path / "half", generator, dtype=torch.float16)
    assert (folder / "model.safetensors").stat().st_size < 0.6 * sum(p.numel() * 4 for p in generator.parameters())
    t = load_translator(folder, device="cpu")
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(t.translate_tensor(x), inference_network(generator)(x), atol=2e-2)


def test_inference_uses_test_image_statistics_as_the_paper_does(generator):
    """Section 3.3: batch norm with the statistics of the test batch, here one image at a time."""
    x = torch.rand(3, 3, 64, 64) * 2 - 1
    reference = generator.train()
    for m in reference.modules():
        if isinstance(m, torch.nn.Dropout):
            m.eval()
    with torch.no_grad():
        one_at_a_time = torch.cat([reference(x[i : i + 1]) for i in range(3)])
        together = inference_network(generator)(x)
    assert torch.allclose(together, one_at_a_time, atol=1e-5)


@pytest.mark.parametrize("size", [(64, 64), (300, 120), (17, 45), (1000, 999)])
@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P", "I;16", "1", "CMYK"])
def test_output_has_the_input_size_whatever_its_mode(weights, size, mode):
    t = load_translator(weights, device="cpu")
    rgb = Image.fromarray(np.random.default_rng(0).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    image = rgb.convert("L").convert("I;16") if mode == "I;16" else rgb.convert(mode)
    out = t(image)
    assert out.size == size and out.mode == "RGB"


def test_sixteen_bit_input_is_scaled_not_clipped(weights):
    t = load_translator(weights, device="cpu")
    grey = np.full((64, 64), 32768, dtype=np.uint16)  # mid-grey in 16 bits
    image = Image.fromarray(grey)
    assert image.mode == "I;16"
    x = t.preprocess(image)
    assert x.mean().item() == pytest.approx(0.0, abs=0.01)


def test_transparent_pixels_become_white(weights):
    t = load_translator(weights, device="cpu")
    x = t.preprocess(Image.new("RGBA", (64, 64), (0, 0, 0, 0)))
    assert x.min().item() == 1.0


def test_seeded_dropout_gives_reproducible_variations(weights):
    t = load_translator(weights, device="cpu")
    image = Image.new("RGB", (64, 64), "white")
    plain = np.asarray(t(image), dtype=int)
    a, b, c = (np.asarray(t(image, seed=s), dtype=int) for s in (1, 1, 2))
    assert (a == b).all()
    assert np.abs(a - c).sum() > 0 and np.abs(a - plain).sum() > 0
    assert (np.asarray(t(image), dtype=int) == plain).all()  # dropout is off again afterwards


def test_seeded_variations_from_two_threads_at_once_are_each_the_seeds_own(weights):
    t = load_translator(weights, device="cpu")
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    alone = {s: t.translate_tensor(x, seed=s) for s in (1, 2)}
    together = {1: [], 2: []}

    def translate(seed):
        for _ in range(20):
            together[seed].append(t.translate_tensor(x, seed=seed))

    workers = [threading.Thread(target=translate, args=(s,)) for s in (1, 2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert all(out.equal(alone[s]) for s in (1, 2) for out in together[s])


def test_truncated_weights_give_a_clear_error(weights):
    path = weights / "model.safetensors"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(WeightsError, match="not a complete safetensors file.*delete it"):
        load_translator(weights)


def test_missing_config_and_wrong_shapes_are_explained(weights, tmp_path):
    (weights / "config.json").write_text(json.dumps({"generator": {"image_size": 64, "ngf": 16}}))
    with pytest.raises(WeightsError, match="do not fit"):
        load_translator(weights)
    (weights / "config.json").unlink()
    with pytest.raises(WeightsError, match="config.json is missing"):
        load_translator(weights)
    with pytest.raises(WeightsError, match="neither a weights folder nor a Hub repo id"):
        load_translator(tmp_path / "nowhere")


def test_pickles_are_never_loaded(weights):
    (weights / "model.safetensors").unlink()
    torch.save({"x": torch.zeros(1)}, weights / "pytorch_model.bin")
    with pytest.raises(WeightsError, match="does not exist"):
        load_translator(weights)


def test_cli_translates_a_folder_and_reports_bad_files(weights, tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (80, 40), "white").save(src / "a.png")
    Image.new("L", (30, 30), 0).save(src / "b.jpg")
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    code = translate_main([str(src), str(tmp_path / "out"), "--weights", str(weights), "--device", "cpu"])
    assert code == 1
    assert Image.open(tmp_path / "out" / "a.png").size == (80, 40)
    assert Image.open(tmp_path / "out" / "b.png").size == (30, 30)
    err = capsys.readouterr().err
    assert "broken.png" in err and "not a readable image" in err


def test_load_by_repo_id_from_the_offline_cache(weights, tmp_path):
    """A pre-filled Hugging Face cache, HF_HUB_OFFLINE=1: the repo id resolves with no network."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--someone--pix2pix-toy"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for name in ("model.safetensors", "config.json"):
        (snapshot / name).write_bytes((weights / name).read_bytes())
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub"), "PYTHONPATH": str(ROOT)}
    code = ("from model import load_translator; from PIL import Image; "
            "t = load_translator('someone/pix2pix-toy', device='cpu'); "
            "print(t(Image.new('RGB', (50, 70))).size, t.meta['dataset'])")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(50, 70) toy"
    # A repo id that is not cached gives an error that says what to do.
    code = "from model import load_translator; load_translator('someone/absent')"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "not in the local Hugging Face cache" in out.stderr
