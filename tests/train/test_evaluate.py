import json

import pytest

import torch
from PIL import Image

from model import GeneratorConfig, UNetGenerator, save_generator
from tests.conftest import write_ab_folder
from train.evaluate import main


def test_evaluate_prints_one_json_line_and_writes_a_grid(tmp_path, capsys):
    data = write_ab_folder(tmp_path / "val", 5, size=48)
    torch.manual_seed(0)
    weights = save_generator(tmp_path / "w", UNetGenerator(GeneratorConfig(32, ngf=8)), {"direction": "AtoB"})
    assert main(["--weights", str(weights), "--data", str(data), "--grid", str(tmp_path / "grid.png")]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["count"] == 5 and result["direction"] == "AtoB"
    assert 0 < result["l1"] < 1 and 0 < result["psnr"] < 40 and -1 < result["ssim"] < 1
    assert Image.open(tmp_path / "grid.png").size[0] > 3 * 48


def test_baselines(tmp_path, capsys):
    train = write_ab_folder(tmp_path / "train", 6, size=32)
    val = write_ab_folder(tmp_path / "val", 4, size=32, start=50)
    scores = {}
    for baseline in ("white", "mean"):
        assert main(["--baseline", baseline, "--train-data", str(train), "--data", str(val),
                     "--grid", str(tmp_path / f"{baseline}.png")]) == 0  # fmt: skip
        scores[baseline] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert scores["white"]["weights"] == "baseline:white" and scores["white"]["l1"] > 0
    assert scores["mean"]["l1"] != scores["white"]["l1"]


def test_missing_weights_is_a_clear_error(tmp_path, capsys):
    data = write_ab_folder(tmp_path / "val", 2)
    assert main(["--weights", str(tmp_path / "none"), "--data", str(data)]) == 2
    assert "neither a weights folder nor a Hub repo id" in capsys.readouterr().err


def test_hint_dots_reach_a_model_with_hints_and_are_refused_without(tmp_path, capsys):
    data = write_ab_folder(tmp_path / "val", 3, size=64)
    torch.manual_seed(0)
    hinted = save_generator(tmp_path / "h", UNetGenerator(GeneratorConfig(64, ngf=8, hints=True)), {"direction": "AtoB"})
    scores = {}
    for dots in ("0", "10"):
        assert main(["--weights", str(hinted), "--data", str(data), "--hint-dots", dots, "--no-realism",
                     "--grid", str(tmp_path / f"{dots}.png")]) == 0  # fmt: skip
        scores[dots] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert scores["10"]["hint_dots"] == 10 and scores["10"]["l1"] != scores["0"]["l1"]
    plain = save_generator(tmp_path / "p", UNetGenerator(GeneratorConfig(64, ngf=8)), {"direction": "AtoB"})
    with pytest.raises(SystemExit) as stop:
        main(["--weights", str(plain), "--data", str(data), "--hint-dots", "10", "--no-realism"])
    assert stop.value.code == 2
    assert "takes no colour hints" in capsys.readouterr().err


def test_missing_realism_extras_are_said_before_any_scoring(tmp_path, capsys, monkeypatch):
    import sys

    import train.evaluate as evaluate_module

    data = write_ab_folder(tmp_path / "val", 2)
    monkeypatch.setitem(sys.modules, "torchmetrics.image.kid", None)  # as if not installed
    monkeypatch.setattr(evaluate_module, "evaluate", lambda *a, **k: pytest.fail("scored before checking the extras"))
    assert main(["--baseline", "white", "--data", str(data)]) == 2
    assert "requirements-eval.txt" in capsys.readouterr().err


def test_the_grid_goes_beside_the_weights_or_under_outputs_by_default(tmp_path, capsys, monkeypatch):
    from model import GeneratorConfig, UNetGenerator, save_generator

    monkeypatch.chdir(tmp_path)
    data = write_ab_folder(tmp_path / "val", 2)
    assert main(["--baseline", "white", "--data", str(data), "--no-realism"]) == 0
    assert (tmp_path / "outputs" / "eval_baseline_white.png").is_file()
    weights = save_generator(tmp_path / "toy", UNetGenerator(GeneratorConfig(32, ngf=8)), {"direction": "AtoB"})
    assert main(["--weights", str(weights), "--data", str(data), "--no-realism"]) == 0
    assert (weights / "eval_grid.png").is_file()
