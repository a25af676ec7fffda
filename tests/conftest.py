"""Shared fixtures: small synthetic image pairs, and the real data folder when it is present."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def synthetic_pair(size: int, seed: int) -> tuple[Image.Image, Image.Image]:
    """A: the black outline of a rectangle on white. B: the rectangle filled with a colour."""
    rng = np.random.default_rng(seed)
    x0, y0 = rng.integers(2, size // 3, 2)
    x1, y1 = rng.integers(size // 2, size - 2, 2)
    a = np.full((size, size, 3), 255, np.uint8)
    a[y0:y1, x0] = a[y0:y1, x1 - 1] = a[y0, x0:x1] = a[y1 - 1, x0:x1] = 0
    b = np.full((size, size, 3), 255, np.uint8)
    b[y0:y1, x0:x1] = rng.integers(0, 200, 3)
    return Image.fromarray(a), Image.fromarray(b)


def write_ab_folder(folder: Path, n: int, size: int = 32, suffix: str = ".png", start: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        a, b = synthetic_pair(size, i)
        ab = Image.new("RGB", (2 * size, size))
        ab.paste(a, (0, 0))
        ab.paste(b, (size, 0))
        ab.save(folder / f"{i}{suffix}")
    return folder


@pytest.fixture
def ab_folder(tmp_path) -> Path:
    """8 side-by-side 64x32 PNG pairs in tmp/pairs."""
    return write_ab_folder(tmp_path / "pairs", 8)


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, or PIX2PIX_DATA; tests that need it skip where it is absent."""
    path = Path(os.environ.get("PIX2PIX_DATA", ROOT.parent / "shared" / "data"))
    if not (path / "edges2shoes").is_dir():
        pytest.skip(f"real data not found at {path} (set PIX2PIX_DATA to a folder holding edges2shoes/)")
    return path


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def tiny_weights_dir(tmp_path_factory) -> Path:
    """A weights/ folder with small untrained edges2shoes (with a hint adapter, as shipped) and facades models (fast, no training)."""
    import torch

    from model import GeneratorConfig, UNetGenerator, save_generator

    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    for name, direction in (("edges2shoes", "AtoB"), ("facades", "BtoA")):
        hints = name == "edges2shoes"
        g = UNetGenerator(GeneratorConfig(image_size=64, ngf=8, norm="instance", hints=hints, hint_adapter=4 if hints else 0))
        if hints:
            with torch.no_grad():
                for weight in g.hint_adapter.to_skips.parameters():
                    weight.normal_(0, 0.2)  # as if trained: an adapter at its zero start would ignore the hints
        presentation = json.loads((ROOT / "docs" / "presentation" / f"{name}.json").read_text())
        save_generator(folder / name, g, {"direction": direction, "dataset": name, "app": presentation})
    return folder


def start_app(weights_dir: Path, extra_env: dict | None = None, root: Path = ROOT):
    """Start `python app.py` (of root: the checkout, or a copy of part of it) on a free port;
    returns (process, url) once it answers."""
    import subprocess
    import sys
    import time
    import urllib.request

    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "OMP_NUM_THREADS": "1", **(extra_env or {})}
    proc = subprocess.Popen([sys.executable, str(root / "app.py"), "--port", str(port), "--weights-dir", str(weights_dir)],
                            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited early:\n{proc.stdout.read()}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"app.py did not answer on {url} within 120 s")


def stop_app(proc) -> str:
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=20)
    except Exception:
        proc.kill()
        out, _ = proc.communicate()
    return out or ""
