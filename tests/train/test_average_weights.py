import json
import subprocess
import sys
from pathlib import Path

import torch

from model import GeneratorConfig, UNetGenerator, load_translator, save_generator
from model.weights import read_safetensors

ROOT = Path(__file__).resolve().parents[2]


def saved(folder: Path, seed: int, ngf: int = 8) -> Path:
    torch.manual_seed(seed)
    generator = UNetGenerator(GeneratorConfig(image_size=64, ngf=ngf))
    return save_generator(folder, generator, {"direction": "AtoB", "dataset": "toy", "step": 100 + seed})


def run(*args) -> subprocess.CompletedProcess:
    """python -m train.average_weights ARGS, from the checkout."""
    return subprocess.run([sys.executable, "-m", "train.average_weights", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, check=False)  # fmt: skip


def test_the_average_is_the_weighted_mean_of_every_tensor_and_loads_as_a_model(tmp_path):
    a, b = saved(tmp_path / "a", 0), saved(tmp_path / "b", 1)
    result = run(a, b, "--mix", 3, 1, "--out", tmp_path / "soup")
    assert result.returncode == 0, result.stderr
    ta, tb, soup = (read_safetensors(f / "model.safetensors") for f in (a, b, tmp_path / "soup"))
    assert soup.keys() == ta.keys()
    for name in ta:
        expected = 0.75 * ta[name] + 0.25 * tb[name] if ta[name].is_floating_point() else ta[name]
        torch.testing.assert_close(soup[name], expected)
    config = json.loads((tmp_path / "soup" / "config.json").read_text())
    assert "step" not in config  # it is no one checkpoint
    assert config["averaged_from"] == {str(a): 0.75, str(b): 0.25}
    assert load_translator(tmp_path / "soup", device="cpu") is not None


def test_bad_inputs_are_refused_and_nothing_is_written(tmp_path):
    a, b, wide = saved(tmp_path / "a", 0), saved(tmp_path / "b", 1), saved(tmp_path / "wide", 2, ngf=16)
    for args, message in (
        ((a, wide), "differ"),
        ((a, tmp_path / "missing"), "not a weights folder"),
        ((a, b, "--mix", 1), "one non-negative weight per folder"),
        ((a, b, "--mix", 1, -1), "one non-negative weight per folder"),
    ):
        result = run(*args, "--out", tmp_path / "soup")
        assert result.returncode != 0 and message in result.stderr, (args, result.stderr)
        assert not (tmp_path / "soup").exists()
    (b / "model.safetensors").write_bytes(b"half a file")
    result = run(a, b, "--out", tmp_path / "soup")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    before = (a / "model.safetensors").read_bytes()
    result = run(a, wide, "--out", a)
    assert result.returncode != 0 and "one of the inputs" in result.stderr
    assert (a / "model.safetensors").read_bytes() == before
