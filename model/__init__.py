"""pix2pix networks and inference. Knows nothing of training or of the app."""

from .networks import DiscriminatorConfig, GeneratorConfig, PatchDiscriminator, UNetGenerator, count_parameters
from .stopping import Stop, Stopped
from .weights import WeightsError, load_generator, save_generator

__all__ = [
    "DiscriminatorConfig", "GeneratorConfig", "PatchDiscriminator", "UNetGenerator", "count_parameters",
    "Translator", "load_translator", "WeightsError", "load_generator", "save_generator", "Stop", "Stopped",
]  # fmt: skip


def __getattr__(name: str):
    # Imported on first use, so that `python -m model.translate` runs the module once, without
    # runpy's warning that it was already imported by its package.
    if name in ("Translator", "load_translator"):
        from . import translate

        return getattr(translate, name)
    raise AttributeError(f"module 'model' has no attribute {name!r}")
