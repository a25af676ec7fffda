"""Deploying the app to a Space: what is uploaded, how, and what the user sees (the hub fixture plays the Hub)."""

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from tests.train.conftest import TOKEN
from train.space import plan_space

ROOT = Path(__file__).resolve().parents[2]
SERVED = ("edges2shoes", "edges2handbags", "facades", "cityscapes", "shoe-edges")


def front_matter(readme: str) -> dict:
    return yaml.safe_load(readme.split("---\n")[1])


def test_the_plan_holds_what_the_app_reads_and_nothing_else():
    files = plan_space(ROOT).files
    assert {"app.py", "fair_share.py", "model/translate.py", "model/onnx_runtime.py", "canvas/canvas.js", "canvas/canvas.html", "docs/app.png"} <= set(files)
    for name in SERVED:
        assert {f"weights/{name}/config.json", f"weights/{name}/model.safetensors"} <= set(files)
    assert "examples/edges2shoes/drawing_sneaker.png" in files and "examples/facades" in " ".join(files)
    assert not [f for f in files if f.startswith(("train/", "tests/", "scripts/", "weights/cityscapes-segmenter"))]
    assert not [f for f in files if f.startswith("weights/") and not f.endswith(("config.json", "model.safetensors"))]
    assert all(path.is_file() and path.resolve().is_relative_to(ROOT) for path in files.values())


def test_requirements_give_cpu_torch_on_cpu_hardware_and_cuda_torch_on_gpus():
    cpu = plan_space(ROOT, "cpu-basic").requirements.splitlines()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in cpu
    assert [line for line in cpu if line.startswith("torch")] == ["torch==2.14.1+cpu"]
    for hardware in ("t4-small", "zero-a10g"):
        gpu = plan_space(ROOT, hardware).requirements.splitlines()
        assert [line for line in gpu if line.startswith("torch")] == ["torch==2.14.1"]
        assert not [line for line in gpu if "index-url" in line]
    names = {line.split("=")[0].split(">")[0] for line in cpu if line and not line.startswith(("#", "-"))}
    assert {"onnxruntime", "safetensors", "scikit-image"} <= names
    assert not names & {"gradio", "torchvision", "matplotlib"}  # gradio comes with the Space's sdk_version


def test_the_space_readme_names_the_sdk_version_and_hardware():
    meta = front_matter(plan_space(ROOT, "zero-a10g").readme)
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py" and meta["sdk_version"] == version("gradio")
    assert meta["suggested_hardware"] == "zero-a10g" and meta["python_version"] == "3.10"
    assert front_matter(plan_space(ROOT, "cpu-basic").readme)["python_version"] == "3.11"


def test_unknown_hardware_is_refused():
    with pytest.raises(ValueError, match="unknown hardware"):
        plan_space(ROOT, "a-toaster")


def deploy(env_extra: dict, tmp_path, *args: str):
    env = {k: v for k, v in os.environ.items() if k != "HF_TOKEN"}
    env.update({"HF_HOME": str(tmp_path / "hf-home"), "PYTHONPATH": str(ROOT), "HF_HUB_DISABLE_TELEMETRY": "1",
                "HF_HUB_DISABLE_XET": "1", **env_extra})  # fmt: skip
    cmd = [sys.executable, "-m", "train.push", "--space", "someone/pix2pix-demo", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def test_deploy_uploads_the_plan_with_lfs_and_never_prints_the_token(hub, tmp_path):
    url, state = hub
    out = deploy({"HF_ENDPOINT": url, "HF_TOKEN": TOKEN}, tmp_path, "--hardware", "cpu-basic")
    assert out.returncode == 0, out.stderr
    assert TOKEN not in out.stdout + out.stderr
    assert f"deployed: {url}/spaces/someone/pix2pix-demo" in out.stdout
    assert "MB  weights/edges2shoes/model.safetensors" in out.stdout  # the file list, with sizes
    space = state.repos["someone/pix2pix-demo"]
    plan = plan_space(ROOT, "cpu-basic")
    assert space["type"] == "space" and space["hardware"] == "cpu-basic"
    assert set(space["files"]) == set(plan.files) | {"README.md", "requirements.txt", ".gitattributes"}
    assert space["files"]["requirements.txt"].decode() == plan.requirements
    for name, path in plan.files.items():
        assert space["files"][name] == path.read_bytes(), name
    binaries = {name for name in plan.files if name.endswith((".safetensors", ".png"))}
    assert binaries and space["lfs"] == binaries  # every binary went the LFS way, and nothing else


def test_a_second_deploy_removes_what_the_app_no_longer_needs(hub, tmp_path):
    url, state = hub
    env = {"HF_ENDPOINT": url, "HF_TOKEN": TOKEN}
    assert deploy(env, tmp_path).returncode == 0
    state.repos["someone/pix2pix-demo"]["files"]["weights/old-model/model.safetensors"] = b"stale"
    out = deploy(env, tmp_path, "--hardware", "t4-small")
    assert out.returncode == 0, out.stderr
    space = state.repos["someone/pix2pix-demo"]
    assert "weights/old-model/model.safetensors" not in space["files"] and space["hardware"] == "t4-small"
    assert "torch==2.14.1\n" in space["files"]["requirements.txt"].decode()


def test_deploy_without_a_token_says_so_in_one_line(hub, tmp_path):
    url, state = hub
    out = deploy({"HF_ENDPOINT": url}, tmp_path)
    assert out.returncode == 2 and out.stderr.strip().count("\n") == 0
    assert "no Hugging Face token" in out.stderr and state.log == []


def test_deploy_without_a_network_says_so_in_one_line(tmp_path):
    from tests.conftest import free_port

    out = deploy({"HF_ENDPOINT": f"http://127.0.0.1:{free_port()}", "HF_TOKEN": TOKEN}, tmp_path)
    assert out.returncode == 2 and "cannot reach the Hub" in out.stderr and out.stderr.strip().count("\n") == 0
    assert TOKEN not in out.stdout + out.stderr


def test_the_app_runs_from_the_planned_files_alone(tmp_path):
    """What a Space gets is enough: app.py started in a folder holding only the plan serves a shoe."""
    import shutil

    from gradio_client import Client, handle_file

    from tests.conftest import start_app, stop_app

    space = tmp_path / "space"
    for name, path in plan_space(ROOT).files.items():
        (space / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, space / name)
    env = {"PIX2PIX_RUNTIME": "torch", "PYTHONPATH": "", "HF_HUB_OFFLINE": "1"}
    proc, url = start_app(space / "weights", env, root=space)
    try:
        client = Client(url, verbose=False)
        shoe = client.predict(handle_file(str(space / "examples/edges2shoes/drawing_sneaker.png")), "edges2shoes", 0, None,
                              api_name="/translate")  # fmt: skip
        assert Path(shoe).stat().st_size > 1000
    finally:
        log = stop_app(proc)
    served = next(line for line in log.splitlines() if line.startswith("models on cpu (torch): "))
    assert set(served.split(": ", 1)[1].split(", ")) == {"edges2shoes", "edges2handbags", "facades", "cityscapes"}, log
