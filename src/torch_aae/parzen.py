"""Parzen-window log-likelihood (paper section 3, Table 1), the protocol of Goodfellow et al.

A Gaussian kernel density with bandwidth sigma is fitted to samples mu_i of the model:
    log p(x) = logsumexp_i(-||x - mu_i||^2 / (2 sigma^2)) - log N - D log(sigma sqrt(2 pi)).
sigma is chosen on validation images from a log-spaced grid; the test number is the mean
log-likelihood of the test images with its standard error. Distances are computed in batches as
GEMMs, so memory stays at (batch x N) and no (N_test x N x D) tensor is formed.
"""

from __future__ import annotations

import math

import numpy as np
import torch

DEFAULT_SIGMAS = tuple(float(s) for s in np.logspace(-1, 0, 10))  # 0.1 ... 1.0


@torch.no_grad()
def parzen_log_likelihood(
    samples: np.ndarray | torch.Tensor,
    x: np.ndarray | torch.Tensor,
    sigmas: tuple[float, ...] | list[float],
    batch_size: int = 500,
) -> np.ndarray:
    """Log-likelihood of each row of ``x`` (n, D) under the Parzen window of ``samples`` (N, D),
    for every sigma: returns (len(sigmas), n), in nats. Computed in float64."""
    mu = torch.as_tensor(samples, dtype=torch.float64)
    x = torch.as_tensor(x, dtype=torch.float64)
    if mu.ndim != 2 or x.ndim != 2 or mu.shape[1] != x.shape[1]:
        raise ValueError(f"samples {tuple(mu.shape)} and x {tuple(x.shape)} must be (N, D), (n, D)")
    n_mu, dim = mu.shape
    mu_sq = mu.pow(2).sum(1)  # (N,)
    sig = torch.tensor(sigmas, dtype=torch.float64)  # (S,)
    const = math.log(n_mu) + dim * torch.log(sig * math.sqrt(2 * math.pi))  # (S,)
    out = []
    for xb in x.split(batch_size):
        d2 = (xb.pow(2).sum(1, keepdim=True) + mu_sq - 2 * xb @ mu.T).clamp_min(0)  # (b, N)
        # (S, b): logsumexp over the samples for every bandwidth
        ll = torch.logsumexp(-d2[None] / (2 * sig[:, None, None] ** 2), dim=2) - const[:, None]
        out.append(ll)
    return torch.cat(out, dim=1).numpy()


def parzen_evaluate(
    samples: np.ndarray,
    x_val: np.ndarray,
    x_test: np.ndarray,
    sigmas: tuple[float, ...] | list[float] = DEFAULT_SIGMAS,
    name: str = "test",
) -> dict:
    """Choose sigma on ``x_val`` by mean log-likelihood; report mean +/- s.e. on ``x_test``
    under the keys ``<name>_mean``, ``<name>_se`` and ``n_<name>``."""
    val = parzen_log_likelihood(samples, x_val, sigmas).mean(axis=1)  # (S,)
    best = int(np.argmax(val))
    test = parzen_log_likelihood(samples, x_test, [sigmas[best]])[0]
    return {
        f"{name}_mean": float(test.mean()),
        f"{name}_se": float(test.std() / math.sqrt(len(test))),
        "sigma": float(sigmas[best]),
        "val_mean_by_sigma": {f"{s:.4g}": float(v) for s, v in zip(sigmas, val, strict=True)},
        "n_samples": int(len(samples)),
        "n_val": int(len(x_val)),
        f"n_{name}": int(len(x_test)),
    }
