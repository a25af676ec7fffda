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

from model.weights import WeightsError, atomic_write, read_safetensors

CHECKPOINT_NAME = "checkpoint.safetensors"


def _flatten_optimizer(prefix: str, opt: torch.optim.Optimizer, tensors: dict, meta: dict) -> None:
    state = opt.state_dict()
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


def save_checkpoint(path: Path, *, generator, discriminator, opt_g, opt_d, step: int, train_config: dict,
                    elapsed_s: float = 0.0, generator_ema=None, feature_discriminator=None, opt_f=None) -> None:  # fmt: skip
    nets = {"G.": generator, "D.": discriminator, "G_ema.": generator_ema, "F_D.": feature_discriminator}
    tensors = {prefix + k: v.detach().cpu().contiguous() for prefix, net in nets.items() if net is not None
               for k, v in net.state_dict().items()}  # fmt: skip
    tensors["rng.torch"] = torch.get_rng_state()
    if torch.cuda.is_available():
        tensors["rng.cuda"] = torch.cuda.get_rng_state()
    meta = {
        "step": str(step),
        "elapsed_s": f"{elapsed_s:.1f}",
        "train_config": json.dumps(train_config),
        "generator_config": json.dumps(generator.config.to_dict()),
        "discriminator_config": json.dumps(discriminator.config.to_dict()),
    }
    _flatten_optimizer("optG", opt_g, tensors, meta)
    _flatten_optimizer("optD", opt_d, tensors, meta)
    if opt_f is not None:
        _flatten_optimizer("optF", opt_f, tensors, meta)
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


def load_checkpoint(path: Path, *, generator, discriminator, opt_g, opt_d, generator_ema=None,
                    feature_discriminator=None, opt_f=None) -> dict:  # fmt: skip
    """Restore everything save_checkpoint wrote; returns its metadata (the step to continue from, ...).

    A checkpoint without a moving average leaves generator_ema as it is: it starts from the resumed G.
    """
    tensors, meta = read_checkpoint(path)
    nets = {"G.": generator, "D.": discriminator}
    if generator_ema is not None and any(k.startswith("G_ema.") for k in tensors):
        nets["G_ema."] = generator_ema
    if feature_discriminator is not None:
        if not any(k.startswith("F_D.") for k in tensors):
            raise WeightsError(f"{path} has no feature discriminator: resume it without --feature-gan-weight, "
                               "or start a new run from its export with --init-generator.")  # fmt: skip
        nets["F_D."] = feature_discriminator
    for prefix, net in nets.items():
        net.load_state_dict({k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)})
    opt_g.load_state_dict(_unflatten_optimizer("optG", tensors, meta))
    opt_d.load_state_dict(_unflatten_optimizer("optD", tensors, meta))
    if opt_f is not None:
        opt_f.load_state_dict(_unflatten_optimizer("optF", tensors, meta))
    torch.set_rng_state(tensors["rng.torch"])
    if "rng.cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["rng.cuda"])
    return meta
