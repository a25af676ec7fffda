"""Uploading to the Hub, against a local server that plays the Hub's upload API (HF_ENDPOINT)."""

import base64
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
import torch
from huggingface_hub import ModelCard

from model import GeneratorConfig, UNetGenerator, save_generator
from train.card import write_model_card

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "hf_localTestToken0123456789abcdef"


class FakeHub(http.server.BaseHTTPRequestHandler):
    """Just enough of the Hub: create a repo, pre-upload (all files 'regular'), commit (NDJSON)."""

    log: list = []
    repos: dict = {}

    def log_message(self, *args):
        pass

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def reply(self, status: int, body: dict):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.log.append(("GET", self.path, self.headers.get("Authorization")))
        if self.path == "/api/whoami-v2":
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self.reply(401, {"error": "Invalid credentials"})
            return self.reply(200, {"name": "someone", "type": "user", "auth": {"accessToken": {"role": "write"}}})
        self.reply(404, {"error": "not found"})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.log.append(("POST", self.path, self.headers.get("Authorization")))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self.reply(401, {"error": "Invalid credentials"})
        if self.path == "/api/repos/create":
            request = json.loads(body)
            repo = f"{request['organization']}/{request['name']}"
            self.repos[repo] = {"private": request.get("private", request.get("visibility") == "private"), "files": {}}
            return self.reply(200, {"url": f"{self.base}/{repo}", "name": repo})
        if self.path == "/api/validate-yaml":  # the client checks the model card's metadata first
            content = json.loads(body)["content"]
            yaml.safe_load(content.split("---")[1])
            return self.reply(200, {"errors": [], "warnings": []})
        if "/preupload/" in self.path:
            files = json.loads(body)["files"]
            return self.reply(200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]})
        if "/commit/" in self.path:
            repo = self.path.split("/api/models/")[1].split("/commit/")[0]
            for line in body.decode().splitlines():
                item = json.loads(line)
                if item["key"] == "file":
                    self.repos[repo]["files"][item["value"]["path"]] = base64.b64decode(item["value"]["content"])
            return self.reply(200, {"commitUrl": f"{self.base}/{repo}/commit/{'a' * 40}", "commitOid": "a" * 40, "success": True})
        self.reply(404, {"error": f"unexpected {self.path}"})


@pytest.fixture
def hub():
    FakeHub.log, FakeHub.repos = [], {}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", FakeHub
    server.shutdown()


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
    assert set(repo["files"]) == {"model.safetensors", "config.json", "README.md"}
    assert repo["files"]["model.safetensors"] == (weights / "model.safetensors").read_bytes()


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
