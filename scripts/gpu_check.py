"""Checks of the CUDA path that need a GPU; scripts/gpu_check.sh runs them all. Each prints PASS or FAIL.

    python scripts/gpu_check.py parity     # CUDA against CPU, every model in weights/, on the examples
    python scripts/gpu_check.py app        # the app's /translate on CUDA, through gradio_client
    python scripts/gpu_check.py pairs DIR  # write a few synthetic training pairs into DIR
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import torch
from PIL import Image

from model import load_translator
from model.translate import open_image

from app_process import start_app, stop_app
from synthetic_pairs import write_ab_folder

ROOT = Path(__file__).resolve().parents[1]


def example_inputs(name: str, n: int = 3) -> list[Image.Image]:
    files = sorted((ROOT / "examples" / name).glob("*.png"))[:n] or sorted((ROOT / "examples" / "edges2shoes").glob("*.png"))[:n]
    return [open_image(f) for f in files]


def parity() -> bool:
    """Outputs on CUDA match the CPU's (TF32 convolutions allow small differences)."""
    ok = True
    folders = sorted(p for p in (ROOT / "weights").iterdir() if (p / "model.safetensors").is_file())
    for folder in folders:
        cpu, cuda = load_translator(folder, device="cpu"), load_translator(folder, device="cuda")
        for image in example_inputs(folder.name):
            x = cpu.preprocess(image)[None]
            a, b = cpu.translate_tensor(x), cuda.translate_tensor(x)
            diff = (a - b).abs()
            good = diff.mean() < 5e-3 and diff.max() < 0.1
            ok &= bool(good)
            print(f"parity {folder.name:16s} mean |cpu-cuda| {diff.mean():.2e}  max {diff.max():.2e}  {'PASS' if good else 'FAIL'}")
        # cuDNN's convolutions are not bitwise deterministic, so "repeats" means to within 1e-3.
        a, b, c = (cuda.translate_tensor(x, seed=s) for s in (3, 3, 4))
        repeats = (a - b).abs().max() < 1e-3 and (a - c).abs().max() > 1e-2
        ok &= bool(repeats)
        print(f"parity {folder.name:16s} seeded dropout on CUDA: same seed max diff {(a - b).abs().max():.1e}, "
              f"other seed {(a - c).abs().max():.1e}  {'PASS' if repeats else 'FAIL'}")
    return ok


def app() -> bool:
    """Start app.py on CUDA, call /translate as the README documents, compare with the CPU model."""
    from gradio_client import Client, handle_file

    proc, url = start_app(ROOT / "weights", {"OMP_NUM_THREADS": "4"})
    try:
        client = Client(url, verbose=False)
        example = sorted((ROOT / "examples" / "edges2shoes").glob("*.png"))[0]
        start = time.perf_counter()
        out = Image.open(client.predict(handle_file(str(example)), "edges2shoes", 0, api_name="/translate"))
        seconds = time.perf_counter() - start
    finally:
        log = stop_app(proc)
    on_cuda = "models on cuda" in log
    print(f"app /translate: a {out.size[0]}x{out.size[1]} image in {seconds * 1000:.0f} ms (first call); "
          f"models on CUDA: {on_cuda}")  # fmt: skip
    good = on_cuda and out.size == (256, 256)
    print(f"app /translate: {'PASS' if good else 'FAIL'}")
    return good


def pairs(folder: str) -> bool:
    write_ab_folder(Path(folder) / "train", 32, size=64)
    write_ab_folder(Path(folder) / "val", 8, size=64, start=100)
    return True


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command not in ("parity", "app", "pairs") or not (command != "parity" or torch.cuda.is_available()):
        print(__doc__ if command not in ("parity", "app", "pairs") else "no CUDA device", file=sys.stderr)
        sys.exit(2)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    sys.exit(0 if {"parity": parity, "app": app, "pairs": lambda: pairs(sys.argv[2])}[command]() else 1)
