import subprocess
import sys
from pathlib import Path

import torch

from model import GeneratorConfig, UNetGenerator, load_translator, save_generator
from model.weights import read_safetensors

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "average_weights.py"


def saved(folder: Path, seed: int, ngf: int = 8) -> Path:
    torch.manual_seed(seed)
    return save_generator(folder, UNetGenerator(GeneratorConfig(image_size=64, ngf=ngf)), {"direction": "AtoB", "dataset": "toy"})


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True)


def test_the_average_is_the_weighted_mean_of_every_tensor_and_loads_as_a_model(tmp_path):
    a, b = saved(tmp_path / "a", 0), saved(tmp_path / "b", 1)
    result = run(a, b, "--mix", 3, 1, "--out", tmp_path / "soup")
    assert result.returncode == 0, result.stderr
    ta, tb, soup = (read_safetensors(f / "model.safetensors") for f in (a, b, tmp_path / "soup"))
    assert soup.keys() == ta.keys()
    for name in ta:
        if ta[name].is_floating_point():
            torch.testing.assert_close(soup[name], 0.75 * ta[name] + 0.25 * tb[name])
    assert load_translator(tmp_path / "soup", device="cpu") is not None


def test_models_of_different_networks_are_refused(tmp_path):
    a, b = saved(tmp_path / "a", 0), saved(tmp_path / "b", 1, ngf=16)
    result = run(a, b, "--out", tmp_path / "soup")
    assert result.returncode != 0 and "differ" in result.stderr
    assert not (tmp_path / "soup").exists()
    result = run(a, tmp_path / "missing", "--out", tmp_path / "soup")
    assert result.returncode != 0 and "not a weights folder" in result.stderr
