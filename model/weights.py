"""Saving and loading a generator as a folder: model.safetensors + config.json.

Only safetensors are ever read; nothing is unpickled. A Hub repo id ("user/name") is
downloaded with huggingface_hub and cached; with HF_HUB_OFFLINE=1 the cache is used.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .files import atomic_write
from .networks import GeneratorConfig, UNetGenerator

WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"


class WeightsError(RuntimeError):
    """A weights folder or file that is missing, incomplete or does not fit its config."""


def save_generator(
    folder: str | os.PathLike,
    generator: UNetGenerator,
    meta: dict | None = None,
    dtype: torch.dtype = torch.float32,
) -> Path:
    """Write model.safetensors and config.json. meta (e.g. direction, dataset) goes into config.json."""
    folder = Path(folder)
    state = {k: v.detach().to("cpu", dtype if v.is_floating_point() else v.dtype).contiguous()
             for k, v in generator.state_dict().items()}  # fmt: skip
    atomic_write(folder / WEIGHTS_NAME, lambda p: save_file(state, p, metadata={"format": "pt"}))
    config = {"generator": generator.config.to_dict(), **(meta or {})}
    atomic_write(folder / CONFIG_NAME, lambda p: Path(p).write_text(json.dumps(config, indent=2) + "\n"))
    return folder


def read_safetensors(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path} does not exist.")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise WeightsError(
            f"{path} is not a complete safetensors file ({e}). It may have been cut off while "
            "being written or downloaded: delete it and save, download or resume again."
        ) from e


def resolve_folder(path_or_repo: str | os.PathLike, revision: str | None = None) -> Path:
    """A local folder as it is; otherwise a Hub repo id, downloaded (or taken from the cache)."""
    path = Path(path_or_repo).expanduser()
    if path.is_dir():
        return path
    name = str(path_or_repo)
    if path.exists() or name.startswith((".", "/", "~")) or name.count("/") != 1:
        raise WeightsError(f"{name} is neither a weights folder nor a Hub repo id like 'user/name'.")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(name, revision=revision, allow_patterns=["*.json", "*.safetensors", "*.md"]))
    except LocalEntryNotFoundError as e:
        raise WeightsError(
            f"Could not download {name} and it is not in the local Hugging Face cache ({e}). "
            "Check the network, or pass a local weights folder."
        ) from e
    except HfHubHTTPError as e:
        raise WeightsError(f"The Hub refused {name}: {e}") from e


MAX_CONFIG_BYTES = 1_000_000
MAX_PARAMETERS = 100_000_000  # twice the paper's 54M-parameter generator
PRESENTATION_KINDS = ("edges", "labels")


def load_config(folder: str | os.PathLike) -> dict:
    """config.json, checked: a weights folder may come from anyone on the Hub."""
    path = Path(folder) / CONFIG_NAME
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise WeightsError(f"{path} is over {MAX_CONFIG_BYTES // 1000} kB: not a config this project writes.")
        config = json.loads(path.read_text())
    except FileNotFoundError as e:
        raise WeightsError(f"{path} is missing: a weights folder needs {CONFIG_NAME} beside {WEIGHTS_NAME}.") from e
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise WeightsError(f"{path} is not valid JSON ({type(e).__name__}).") from e
    if not isinstance(config, dict):
        raise WeightsError(f"{path} holds no object of settings.")
    problem = presentation_problem(config.get("app"))
    if problem:
        raise WeightsError(f"{path}: its \"app\" block {problem}.")
    return config


def presentation_problem(app) -> str | None:
    """What is wrong with a config's "app" block (how the app presents the model), or None."""
    if app is None:
        return None
    if not isinstance(app, dict):
        return "must be an object"
    if app.get("kind", "edges") not in PRESENTATION_KINDS:
        return f"has kind {app.get('kind')!r}: it must be one of {', '.join(PRESENTATION_KINDS)}"
    if ("title" in app and not _short_text(app["title"], 80)) or type(app.get("order", 0)) is not int:
        return "needs a title of at most 80 characters and a whole-number order"
    palette = app.get("palette", {})
    if not isinstance(palette, dict) or len(palette) > 64 or not all(
        _short_text(k, 40) and isinstance(v, list) and len(v) == 3 and all(type(c) is int and 0 <= c <= 255 for c in v)
        for k, v in palette.items()
    ):
        return "has a palette that is not at most 64 names (40 characters each) with [r, g, b] colours of 0-255"
    examples = app.get("examples", "examples")
    if not _short_text(examples, 200) or Path(examples).is_absolute() or ".." in Path(examples).parts:
        return f"names examples {str(examples)[:80]!r}: it must be a folder inside the model's own folder or the project"
    return None


def _short_text(value, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit and value.isprintable()


def is_translator(folder: str | os.PathLike) -> bool:
    """A weights folder of a translation model the app serves (not, say, the Photo tab's edge
    detector or the evaluation's segmenter, whose config.json names another task)."""
    try:
        config = json.loads((Path(folder) / CONFIG_NAME).read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return config.get("task", "translate") == "translate"


def load_generator(path_or_repo: str | os.PathLike, revision: str | None = None) -> tuple[UNetGenerator, dict]:
    """Rebuild the generator from its config and load its weights (as float32), in eval mode."""
    folder = resolve_folder(path_or_repo, revision)
    config = load_config(folder)
    try:
        generator_config = GeneratorConfig.from_dict(config.get("generator", {}))
    except (TypeError, ValueError) as e:
        raise WeightsError(f"{folder / CONFIG_NAME}: {e}") from e
    with torch.device("meta"):  # counted before any memory is taken
        parameters = sum(p.numel() for p in UNetGenerator(generator_config).parameters())
    if parameters > MAX_PARAMETERS:
        raise WeightsError(f"{folder / CONFIG_NAME} describes a {parameters / 1e6:.0f}M-parameter generator, "
                           f"over the {MAX_PARAMETERS // 1_000_000}M this project loads.")  # fmt: skip
    generator = UNetGenerator(generator_config)
    state = {k: v.float() if v.is_floating_point() else v for k, v in read_safetensors(folder / WEIGHTS_NAME).items()}
    try:
        generator.load_state_dict(state)
    except RuntimeError as e:
        raise WeightsError(f"The weights in {folder} do not fit the network its config.json describes: {e}") from e
    return generator.eval(), config
