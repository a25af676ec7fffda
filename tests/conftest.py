"""Shared fixtures: small synthetic image pairs, and the real data folder when it is present."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from scripts.app_process import free_port, start_app, stop_app
from scripts.synthetic_pairs import synthetic_pair, write_ab_folder

ROOT = Path(__file__).resolve().parents[1]
# The helpers live in scripts/, where the tools use them too; the tests import them from here.
__all__ = ["ROOT", "free_port", "start_app", "stop_app", "synthetic_pair", "write_ab_folder", "torch_computation"]

# What torch does on the ONNX Runtime path without computing: views of arrays and tensors.
TORCH_VIEWS = {"aten::as_strided", "aten::detach", "aten::lift_fresh", "aten::resolve_conj", "aten::resolve_neg",
               "aten::select", "aten::slice", "aten::to", "aten::unsqueeze", "aten::alias", "aten::view"}  # fmt: skip


def torch_computation(fn) -> set[str]:
    """The torch operations fn() runs that compute something (not views), by torch's profiler. On the
    ONNX Runtime path there must be none: a torch op wakes torch's thread pool, whose threads then
    spin on the cores that ONNX Runtime's threads need."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as run:
        fn()
    ops = {event.name for event in run.events()}
    assert ops, "the profiler saw no torch operation at all"
    return ops - TORCH_VIEWS


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
        presentation = json.loads((ROOT / "train" / "presentations" / f"{name}.json").read_text())
        save_generator(folder / name, g, {"direction": direction, "dataset": name, "app": presentation})
    return folder
