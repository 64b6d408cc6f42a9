"""``torch_aae.from_pretrained(name)``: the committed classifier checkpoints of the
reproductions (``results/checkpoints/<name>.pt``, each with a model card ``<name>.md``)."""

from __future__ import annotations

import os
from pathlib import Path

from torch import nn

from torch_aae.errors import CheckpointError


def pretrained_dirs(root: str | Path | None = None) -> list[Path]:
    """Where checkpoints are looked for, in order: ``root``, ``$TORCH_AAE_PRETRAINED``, and
    ``results/checkpoints`` of the source checkout this package runs from."""
    dirs = [Path(root)] if root else []
    if os.environ.get("TORCH_AAE_PRETRAINED"):
        dirs.append(Path(os.environ["TORCH_AAE_PRETRAINED"]))
    dirs.append(Path(__file__).resolve().parents[2] / "results" / "checkpoints")
    return dirs


def available(root: str | Path | None = None) -> list[str]:
    """Names of the checkpoints found."""
    return sorted({p.stem for d in pretrained_dirs(root) if d.is_dir() for p in d.glob("*.pt")})


def from_pretrained(name: str, root: str | Path | None = None) -> nn.Module:
    """The classifier ``name`` (e.g. ``"semi_supervised_100_seed0"``) in eval mode; its
    ``classify(x)`` gives the logits of q(y|x) for x of shape (batch, 784) in [0, 1]."""
    from torch_aae.reproduce import load_classifier

    for folder in pretrained_dirs(root):
        path = folder / f"{name}.pt"
        if path.is_file():
            return load_classifier(path)[1]
    names = available(root)
    raise CheckpointError(
        f"No pretrained model '{name}' in {', '.join(str(d) for d in pretrained_dirs(root))}. "
        + (f"Available: {', '.join(names)}." if names else "None is available there.")
    )
