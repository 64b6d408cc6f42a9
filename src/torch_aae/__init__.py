"""torch-aae: Adversarial Autoencoders (Makhzani et al., arXiv 1511.05644) in PyTorch."""

from torch_aae.api import AAE
from torch_aae.config import RunConfig, load_config
from torch_aae.errors import AAEError, CheckpointError, ConfigError, DataError
from torch_aae.model import AdversarialAutoencoder
from torch_aae.pretrained import from_pretrained
from torch_aae.priors import GaussianPrior, MixturePrior, SwissRollPrior, UniformPrior, build_prior
from torch_aae.run import load_model, resume_run, train_run

__version__ = "0.1.0"

__all__ = [
    "AAE",
    "AAEError",
    "AdversarialAutoencoder",
    "CheckpointError",
    "ConfigError",
    "DataError",
    "GaussianPrior",
    "MixturePrior",
    "RunConfig",
    "SwissRollPrior",
    "UniformPrior",
    "build_prior",
    "from_pretrained",
    "load_config",
    "load_model",
    "resume_run",
    "train_run",
]
