"""The full training state in one safetensors file, written atomically.

Tensors: both networks (and the generator's moving average, if kept), both Adam states and
the torch RNG. Metadata (strings): the training config, both network configs, the step and the
optimizers' param groups.
Nothing is pickled, so a checkpoint can be loaded from anywhere without risk. A SHA-256 of the
tensors goes into the metadata, so that a damaged file is refused instead of resumed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors.torch import save_file

from model.files import atomic_write
from model.weights import WeightsError, read_safetensors

CHECKPOINT_NAME = "checkpoint.safetensors"


def _flatten_optimizer(prefix: str, state: dict, tensors: dict, meta: dict) -> None:
    for idx, entries in state["state"].items():
        for key, value in entries.items():
            tensors[f"{prefix}.state.{idx}.{key}"] = torch.as_tensor(value).detach().cpu().contiguous()
    meta[f"{prefix}.param_groups"] = json.dumps(state["param_groups"])


def _unflatten_optimizer(prefix: str, tensors: dict, meta: dict) -> dict:
    state: dict[int, dict] = {}
    for name, value in tensors.items():
        if name.startswith(prefix + ".state."):
            idx, key = name[len(prefix) + 7 :].split(".", 1)
            state.setdefault(int(idx), {})[key] = value
    return {"state": state, "param_groups": json.loads(meta[f"{prefix}.param_groups"])}


def tensors_sha256(tensors: dict[str, torch.Tensor]) -> str:
    """A digest of every tensor's name and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        digest.update(name.encode())
        digest.update(tensors[name].detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()


# The names of the networks and optimizers in the file: tensor-name prefixes, and metadata keys of param groups.
NETWORK_PREFIXES = {"G": "G.", "D": "D.", "G_ema": "G_ema.", "F_D": "F_D."}
OPTIMIZERS = ("optG", "optD", "optF")


def save_checkpoint(path: Path, model, *, step: int, train_config: dict, elapsed_s: float = 0.0) -> None:
    """model: a train.pix2pix.Pix2Pix (its state_dict()), with the torch RNG and the run's config and progress."""
    state = model.state_dict()
    tensors = {NETWORK_PREFIXES[name] + k: v.detach().cpu().contiguous() for name, net in state["networks"].items()
               if net is not None for k, v in net.items()}  # fmt: skip
    tensors["rng.torch"] = torch.get_rng_state()
    if torch.cuda.is_available():
        tensors["rng.cuda"] = torch.cuda.get_rng_state()
    meta = {"step": str(step), "elapsed_s": f"{elapsed_s:.1f}", "train_config": json.dumps(train_config),
            **{k: json.dumps(v) for k, v in state["configs"].items()}}  # fmt: skip
    for name, opt_state in state["optimizers"].items():
        if opt_state is not None:
            _flatten_optimizer(name, opt_state, tensors, meta)
    meta["tensors_sha256"] = tensors_sha256(tensors)
    atomic_write(path, lambda p: save_file(tensors, p, metadata=meta))


def read_checkpoint(path: Path) -> tuple[dict, dict]:
    """(tensors, metadata) of a checkpoint, with a clear error if it is cut off or not one."""
    from safetensors import safe_open

    path = Path(path)
    tensors = read_safetensors(path)
    with safe_open(str(path), "pt") as f:
        meta = f.metadata() or {}
    if "step" not in meta or "train_config" not in meta:
        raise WeightsError(f"{path} is a safetensors file but not a training checkpoint (no step or config in it).")
    damaged = "tensors_sha256" in meta and tensors_sha256(tensors) != meta["tensors_sha256"]
    if damaged or not all(t.isfinite().all() for t in tensors.values() if t.is_floating_point()):
        raise WeightsError(f"{path} is damaged ({'its tensors do not match their checksum' if damaged else 'it holds NaN or inf'}): "
                           f"resume from a copy of it, or start a new run from the export, with --init-generator {path.parent / 'generator'}")  # fmt: skip
    return tensors, meta


def load_checkpoint(path: Path, model) -> dict:
    """Restore into model (a train.pix2pix.Pix2Pix) everything save_checkpoint wrote, and the RNG; returns
    the metadata (the step to continue from, ...).

    A checkpoint without a moving average leaves the model's as it is: it starts from the resumed G.
    """
    tensors, meta = read_checkpoint(path)
    networks = {name: {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)} or None
                for name, prefix in NETWORK_PREFIXES.items()}  # fmt: skip
    if model.F_D is not None and networks["F_D"] is None:
        raise WeightsError(f"{path} has no feature discriminator: resume it without --feature-gan-weight, "
                           "or start a new run from its export with --init-generator.")  # fmt: skip
    optimizers = {name: _unflatten_optimizer(name, tensors, meta) if f"{name}.param_groups" in meta else None for name in OPTIMIZERS}
    model.load_state_dict({"networks": networks, "optimizers": optimizers})
    torch.set_rng_state(tensors["rng.torch"])
    if "rng.cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["rng.cuda"])
    return meta
