"""Loss functions: pure tensor-in, tensor-out maths (paper section 2).

Discriminator targets: prior samples are *real* (1), encoder codes are *fake* (0). The
generator (the encoder) uses the non-saturating loss -log D(q(z|x)), i.e. its codes labelled real.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def recon_loss(x_hat: torch.Tensor, x: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """Reconstruction error summed over features, averaged over the batch.

    ``mse``: squared Euclidean distance (the paper's choice); ``bce``: Bernoulli cross-entropy
    (``x_hat`` must be probabilities, e.g. a sigmoid decoder).
    """
    if kind == "mse":
        return (x_hat - x).pow(2).sum(dim=1).mean()
    if kind == "bce":
        return F.binary_cross_entropy(x_hat, x, reduction="none").sum(dim=1).mean()
    raise ValueError(f"unknown reconstruction loss {kind!r}; use 'mse' or 'bce'")


def disc_loss(logits_real: torch.Tensor, logits_fake: torch.Tensor) -> torch.Tensor:
    """-log D(z_prior) - log(1 - D(z_code)): the discriminator's cross-entropy."""
    real = F.binary_cross_entropy_with_logits(logits_real, torch.ones_like(logits_real))
    fake = F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake))
    return real + fake


def gen_loss(logits_fake: torch.Tensor) -> torch.Tensor:
    """-log D(z_code): the encoder is rewarded when its codes are taken for prior samples."""
    return F.binary_cross_entropy_with_logits(logits_fake, torch.ones_like(logits_fake))


def disc_accuracy(logits_real: torch.Tensor, logits_fake: torch.Tensor) -> tuple[float, float]:
    """Fraction of prior samples called real, and of codes called fake."""
    return (logits_real > 0).float().mean().item(), (logits_fake < 0).float().mean().item()


def kl_to_gaussian(mean: torch.Tensor, logvar: torch.Tensor, std: float = 1.0) -> torch.Tensor:
    """KL(N(mean, exp(logvar)) || N(0, std^2 I)) in closed form, summed over z, batch mean."""
    var_ratio = logvar.exp() / std**2
    kl = 0.5 * (var_ratio + mean.pow(2) / std**2 - 1 - var_ratio.log())
    return kl.sum(dim=1).mean()


def kl_monte_carlo(
    z: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor, log_prior: torch.Tensor
) -> torch.Tensor:
    """One-sample estimate of KL(q(z|x) || p(z)) = E_q[log q(z|x) - log p(z)], batch mean.

    ``z`` (batch, d) is a reparameterized draw from q; ``log_prior`` (batch,) is log p(z).
    """
    log_q = -0.5 * (((z - mean) ** 2) / logvar.exp() + logvar + math.log(2 * math.pi)).sum(1)
    return (log_q - log_prior).mean()
