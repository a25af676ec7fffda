"""pix2pix networks and inference. Knows nothing of training or of the app."""

from .networks import DiscriminatorConfig, GeneratorConfig, PatchDiscriminator, UNetGenerator, count_parameters
from .translate import Translator, load_translator
from .weights import WeightsError, load_generator, save_generator

__all__ = [
    "DiscriminatorConfig", "GeneratorConfig", "PatchDiscriminator", "UNetGenerator", "count_parameters",
    "Translator", "load_translator", "WeightsError", "load_generator", "save_generator",
]  # fmt: skip
