"""The estimator face: ``AAE(...).fit(X).transform(X)`` on any float array."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from torch_aae.config import RunConfig, apply_overrides, flat_overrides
from torch_aae.device import resolve_device
from torch_aae.errors import DataError
from torch_aae.model import AdversarialAutoencoder
from torch_aae.registry import create_model
from torch_aae.run import build_model, read_run
from torch_aae.training.checkpoint import save_checkpoint
from torch_aae.training.trainer import Trainer


def _as_matrix(X: Any, name: str = "X") -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or X.shape[0] == 0:
        raise DataError(
            f"{name} must be a non-empty 2-D array (n_samples, n_features); got {X.shape}"
        )
    bad = ~np.isfinite(X)
    if bad.any():
        raise DataError(
            f"{name} has {int(bad.sum())} NaN/inf values (first in row {int(np.argwhere(bad)[0, 0])});"
            " remove or impute them before fitting."
        )
    return X


class AAE:
    """Adversarial autoencoder with ``fit`` / ``transform`` / ``inverse_transform`` / ``sample``.

    Parameters are a :class:`RunConfig` and/or flat overrides of its fields, e.g.::

        aae = AAE(latent_dim=2, prior="mixture", epochs=20).fit(X)   # X: (n, d) floats
        Z = aae.transform(X)                  # (n, 2) codes
        X_new = aae.sample(16)                # (16, d) decoded prior draws
    """

    def __init__(self, config: RunConfig | None = None, **params: Any):
        self.config = config
        self.params = params

    def resolved_config(self) -> RunConfig:
        return apply_overrides(self.config or RunConfig(), flat_overrides(self.params))

    def fit(self, X: Any, y: Any = None) -> AAE:
        """Train on rows of ``X`` (n, d). ``y`` (n,) labels (-1 unlabeled) are used only by
        label-conditioned models. Returns ``self``; ``history_`` holds per-epoch losses."""
        cfg = self.resolved_config()
        X = _as_matrix(X)
        device = resolve_device(cfg.train.device)
        self.model_ = build_model(cfg, X.shape[1]).to(device)
        labels = None
        if self.model_.needs_labels:
            if y is None:
                raise DataError("This model is trained with labels: pass y (-1 for unlabeled).")
            labels = torch.as_tensor(np.asarray(y), dtype=torch.long, device=device)
        self.config_ = cfg
        self.trainer_ = Trainer(self.model_, cfg)
        x = torch.from_numpy(X).to(device)
        start = time.perf_counter()
        self.history_ = [self.trainer_.train_epoch(x, labels) for _ in range(cfg.train.epochs)]
        self.fit_seconds_ = time.perf_counter() - start
        self.n_features_in_ = X.shape[1]
        return self

    def _check_fitted(self) -> AdversarialAutoencoder:
        if not hasattr(self, "model_"):
            raise RuntimeError("This AAE is not fitted yet; call fit(X) or AAE.load(path) first.")
        return self.model_

    @torch.no_grad()
    def transform(self, X: Any) -> np.ndarray:
        """Codes (n, latent_dim); the mean of q(z|x) for stochastic encoders."""
        model = self._check_fitted().eval()
        X = torch.from_numpy(_as_matrix(X)).to(next(model.parameters()).device)
        return torch.cat([model.encode(b, sample=False).z for b in X.split(1000)]).cpu().numpy()

    @torch.no_grad()
    def inverse_transform(self, Z: Any) -> np.ndarray:
        """Decoded rows (n, n_features) for codes ``Z`` (n, latent_dim)."""
        model = self._check_fitted().eval()
        Z = torch.from_numpy(_as_matrix(Z, "Z")).to(next(model.parameters()).device)
        return torch.cat([model.decode(b) for b in Z.split(1000)]).cpu().numpy()

    def sample(self, n: int, labels: Any = None, seed: int | None = None) -> np.ndarray:
        """Decode ``n`` prior draws (n, n_features); ``labels`` picks mixture components."""
        model = self._check_fitted().eval()
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        lab = None if labels is None else torch.as_tensor(np.asarray(labels), dtype=torch.long)
        return model.sample(n, gen, lab).cpu().numpy()

    def save(self, path: str | Path) -> Path:
        """Write a checkpoint (weights, optimizer and RNG states, config); no pickled code."""
        self._check_fitted()
        return save_checkpoint(
            path,
            {
                "config": self.config_.to_toml(),
                "data_dim": self.n_features_in_,
                "trainer": self.trainer_.state_dict(),
                "wall_seconds": getattr(self, "fit_seconds_", 0.0),
            },
        )

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> AAE:
        """An AAE restored from :meth:`save` or from a run directory."""
        cfg, ckpt = read_run(path)
        cfg = cfg.replace(**{"train.device": device})
        est = cls(cfg)
        est.config_ = cfg
        est.n_features_in_ = int(ckpt["data_dim"])
        est.model_ = create_model(cfg, est.n_features_in_)
        est.model_.to(resolve_device(device))
        est.trainer_ = Trainer(est.model_, cfg)
        est.trainer_.load_state_dict(ckpt["trainer"], restore_global_rng=False)
        return est
