"""A run's starting weights: --init-generator (the same network, a model of half the size to grow,
or a base model for a hint adapter) and --init-hint-adapter."""

from __future__ import annotations

import dataclasses

import torch

from model import GeneratorConfig, UNetGenerator, load_generator

from .config import TrainConfig


def load_initial_weights(G: UNetGenerator, cfg: TrainConfig) -> None:
    """G's starting weights, from --init-generator and --init-hint-adapter (nothing without them)."""
    if cfg.init_generator:
        load_initial_generator(G, cfg.init_generator)
        if cfg.init_hint_adapter:
            load_initial_hint_adapter(G, cfg.init_hint_adapter)


def load_initial_generator(G: UNetGenerator, source: str) -> None:
    """G's weights from source (--init-generator). Hint channels that source lacks, and a hint
    adapter, start at zero, so that G starts as exactly the source model (without hints)."""
    init, _ = load_generator(source)
    if init.hint_adapter is not None and G.hint_adapter is None and not G.config.hints:
        init = without_hint_adapter(init)  # a base-model run starts from a model's base alone
    if init.config.image_size * 2 == G.config.image_size and G.config.outer_ngf:
        from .grow import grown_state_dict

        init = init.float()
        if G.hint_adapter is not None and init.hint_adapter is None:
            init = with_fresh_hint_adapter(init)
        G.load_state_dict(grown_state_dict(init, G))
        return
    if G.hint_adapter is not None and init.config.hints and not init.config.hint_adapter:
        raise ValueError(f"--init-generator {source} takes hints as inputs; a hint adapter sits beside a model without them.")
    # From a model with an adapter of its own, an adapter run takes its base model only: the adapter starts afresh.
    state = {k: v for k, v in init.state_dict().items() if not (G.hint_adapter is not None and k.startswith("hint_adapter."))}
    first = "down.0.weight"
    if G.config.input_channels > init.config.input_channels:
        w = state[first]
        state[first] = torch.cat([w, w.new_zeros(w.shape[0], GeneratorConfig.HINT_CHANNELS, *w.shape[2:])], dim=1)
    if G.hint_adapter is not None:
        state.update({f"hint_adapter.{k}": v for k, v in G.hint_adapter.state_dict().items()})
    try:
        G.load_state_dict(state)
    except RuntimeError as e:
        raise ValueError(f"--init-generator {source}: its network is not the one this run builds "
                         f"({init.config} against {G.config}); give the same --size, --ngf, --norm and --upsample.\n{e}") from None


def without_hint_adapter(G: UNetGenerator) -> UNetGenerator:
    base = UNetGenerator(dataclasses.replace(G.config, hints=False, hint_adapter=0))
    base.load_state_dict({k: v for k, v in G.state_dict().items() if not k.startswith("hint_adapter.")})
    return base


def with_fresh_hint_adapter(G: UNetGenerator, width: int = 16) -> UNetGenerator:
    full = UNetGenerator(dataclasses.replace(G.config, hints=True, hint_adapter=width))
    full.load_state_dict({**full.state_dict(), **G.state_dict()})
    return full


def load_initial_hint_adapter(G: UNetGenerator, source: str) -> None:
    """G's hint adapter from source's (--init-hint-adapter): a trained adapter is a far better
    start than zeros for the same task beside a retrained base model."""
    init, _ = load_generator(source)
    if init.hint_adapter is None:
        raise ValueError(f"--init-hint-adapter {source}: that model has no hint adapter to start from.")
    if init.config.image_size * 2 == G.config.image_size and G.config.outer_ngf:  # grown, beside a grown base
        from .grow import grown_state_dict

        grown = grown_state_dict(init.float(), UNetGenerator(G.config))
        G.hint_adapter.load_state_dict({k[len("hint_adapter.") :]: v for k, v in grown.items() if k.startswith("hint_adapter.")})
        return
    try:
        G.hint_adapter.load_state_dict(init.hint_adapter.state_dict())
    except RuntimeError as e:
        raise ValueError(f"--init-hint-adapter {source}: its adapter is not the one this run builds "
                         f"({init.config} against {G.config}); give the same --hint-adapter, --size, --ngf and --norm.\n{e}") from None
