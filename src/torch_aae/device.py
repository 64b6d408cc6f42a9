"""Device resolution in one place."""

from __future__ import annotations

import torch

from torch_aae.errors import ConfigError


def resolve_device(name: str = "auto") -> torch.device:
    """``auto``: CUDA when available, else CPU. ``cuda`` without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            "train.device = 'cuda' but no CUDA GPU is available; use 'cpu' or 'auto'."
        )
    if name not in ("cpu", "cuda"):
        raise ConfigError(f"train.device = {name!r}; use 'auto', 'cpu' or 'cuda'.")
    return torch.device(name)
