"""Checkpoints: tensors and plain containers only, written atomically, loaded with
``torch.load(weights_only=True)`` so a checkpoint from elsewhere cannot run code."""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import torch

from torch_aae.errors import CheckpointError

FORMAT_VERSION = 1


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` to ``path`` via a temporary file, fsync and rename.

    A crash (or a full disk) during the write leaves any previous checkpoint at ``path`` intact.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format_version": FORMAT_VERSION, **payload}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise CheckpointError(
            f"Could not write checkpoint '{path}': {err}. The previous checkpoint, if any, is "
            "unchanged; free some disk space or choose another output directory."
        ) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (weights only; no code is run)."""
    path = Path(path)
    if path.is_dir():
        path = path / "checkpoint.pt"
    if not path.is_file():
        raise CheckpointError(f"No checkpoint at '{path}'; pass a run directory or a .pt file.")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(
            f"'{path}' is not a readable torch-aae checkpoint ({first}). It may be truncated, "
            "or contain pickled code, which is refused."
        ) from None
    version = payload.get("format_version") if isinstance(payload, dict) else None
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"'{path}' has checkpoint format {version!r}; this torch-aae reads format "
            f"{FORMAT_VERSION}. Re-create it with this version of torch-aae."
        )
    return payload
