"""Uploading to the Hub, against a local server that plays the Hub's upload API (the hub fixture, HF_ENDPOINT)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from huggingface_hub import ModelCard

from model import GeneratorConfig, UNetGenerator, save_generator
from tests.train.conftest import TOKEN
from train.card import write_model_card

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def weights(tmp_path):
    torch.manual_seed(0)
    meta = {"direction": "AtoB", "dataset": "edges2shoes", "val_metrics": {"l1": 0.09, "psnr": 18.2, "ssim": 0.76, "count": 200},
            "train_config": {"size": 128, "ngf": 32, "epochs": 10}}  # fmt: skip
    folder = save_generator(tmp_path / "generator", UNetGenerator(GeneratorConfig(32, ngf=8)), meta)
    write_model_card(folder)
    (folder / "notes.txt").write_text("not uploaded")
    return folder


def test_model_card_parses_and_holds_the_metrics(weights):
    card = ModelCard.load(weights / "README.md")
    assert card.data.pipeline_tag == "image-to-image" and "pix2pix" in card.data.tags
    assert card.data.datasets == ["edges2shoes"] and card.data.license == "other"
    results = card.data.eval_results
    assert {r.metric_type: r.metric_value for r in results} == {"l1": 0.09, "psnr": 18.2, "ssim": 0.76}
    assert all(r.dataset_split == "validation" for r in results)


def test_push_uploads_the_folder_and_never_prints_the_token(hub, weights):
    url, state = hub
    env = {**os.environ, "HF_ENDPOINT": url, "HF_TOKEN": TOKEN, "HF_HUB_DISABLE_TELEMETRY": "1",
           "HF_HUB_DISABLE_XET": "1", "PYTHONPATH": str(ROOT)}  # fmt: skip
    cmd = [sys.executable, "-m", "train.push", "--weights", str(weights), "--repo", "someone/pix2pix-toy", "--private"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert TOKEN not in out.stdout + out.stderr
    assert "uploaded:" in out.stdout
    repo = state.repos["someone/pix2pix-toy"]
    assert repo["private"] is True
    assert set(repo["files"]) == {".gitattributes", "model.safetensors", "config.json", "README.md"}
    assert repo["files"]["model.safetensors"] == (weights / "model.safetensors").read_bytes()
    assert repo["lfs"] == {"model.safetensors"}  # the weights went the LFS way


def test_push_with_a_bad_token_fails_cleanly(hub, weights):
    url, _ = hub
    env = {**os.environ, "HF_ENDPOINT": url, "HF_TOKEN": "hf_wrongTokenWrongToken000", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "train.push", "--weights", str(weights), "--repo", "someone/x"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "refused the token" in out.stderr
    assert "hf_wrongTokenWrongToken000" not in out.stdout + out.stderr


def run_push(env_extra: dict, weights, tmp_path, home_token: bool = False):
    env = {k: v for k, v in os.environ.items() if k != "HF_TOKEN"}
    env.update({"HF_HOME": str(tmp_path / "hf-home"), "PYTHONPATH": str(ROOT), "HF_HUB_DISABLE_TELEMETRY": "1", **env_extra})
    cmd = [sys.executable, "-m", "train.push", "--weights", str(weights), "--repo", "someone/x"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


def test_push_without_a_token_says_so_in_one_line(hub, weights, tmp_path):
    url, state = hub
    out = run_push({"HF_ENDPOINT": url}, weights, tmp_path)
    assert out.returncode == 2 and out.stderr.strip().count("\n") == 0
    assert "no Hugging Face token" in out.stderr and "hf auth login" in out.stderr
    assert state.log == []  # nothing was asked of the Hub


def test_push_without_a_network_says_so_before_uploading(weights, tmp_path):
    from tests.conftest import free_port

    out = run_push({"HF_ENDPOINT": f"http://127.0.0.1:{free_port()}", "HF_TOKEN": TOKEN}, weights, tmp_path)
    assert out.returncode == 2 and "cannot reach the Hub" in out.stderr and out.stderr.strip().count("\n") == 0
    assert TOKEN not in out.stdout + out.stderr


def test_training_with_push_to_hub_checks_the_token_before_training(hub, tmp_path, capsys, monkeypatch):
    from tests.conftest import write_ab_folder
    from train.train import main as train_main

    url, state = hub
    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setenv("HF_TOKEN", "hf_wrongTokenWrongToken000")
    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", url)
    data = write_ab_folder(tmp_path / "d", 4)
    code = train_main(["--data", str(data), "--out", str(tmp_path / "run"), "--size", "32", "--ngf", "8", "--ndf", "8",
                       "--epochs", "1", "--epochs-decay", "0", "--push-to-hub", "someone/x"])  # fmt: skip
    assert code == 2 and "refused the token" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()  # no training started


def test_a_push_that_fails_after_training_says_the_run_is_saved_and_how_to_push_it(tmp_path, capsys, monkeypatch):
    import train.push
    from tests.conftest import write_ab_folder
    from train.train import main as train_main

    def unreachable(*args, **kwargs):
        raise ConnectionError("the network went away\nsecond line of a long error")

    monkeypatch.setattr(train.push, "check_hub_access", lambda token=None: "someone")
    monkeypatch.setattr(train.push, "push_to_hub", unreachable)
    data = write_ab_folder(tmp_path / "d", 4)
    run = tmp_path / "run"
    code = train_main(["--data", str(data), "--out", str(run), "--size", "32", "--ngf", "8", "--ndf", "8",
                       "--epochs", "1", "--epochs-decay", "0", "--push-to-hub", "someone/x"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0 and (run / "generator" / "model.safetensors").is_file()
    assert f"push it with: python -m train.push --weights {run / 'generator'} --repo someone/x" in err
    assert "Traceback" not in err and "second line" not in err
