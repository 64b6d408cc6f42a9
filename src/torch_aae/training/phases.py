"""The per-mini-batch phases (paper section 2). Each phase zeroes, computes and steps its own
optimizer, and returns its losses by name.

1. Reconstruction: encoder + decoder minimise the reconstruction error.
2. Regularization, discriminator: prior samples are real, codes (detached) are fake.
3. Regularization, generator: the encoder makes D call its codes real; D's weights are frozen.

Phases 2 and 3 share one encoder pass made after phase 1's update: the encoder does not change
between them and D is re-evaluated after its own step, so the updates are exactly those of
three separate passes (one encoder forward fewer).
"""

from __future__ import annotations

import torch

from torch_aae.config import RunConfig
from torch_aae.losses import (
    disc_accuracy,
    disc_loss,
    gen_loss,
    kl_monte_carlo,
    kl_to_gaussian,
    recon_loss,
)
from torch_aae.model import AdversarialAutoencoder
from torch_aae.priors import GaussianPrior
from torch_aae.vae import VariationalAutoencoder


def recon_phase(
    model: AdversarialAutoencoder,
    opt: torch.optim.Optimizer,
    x: torch.Tensor,
    kind: str = "mse",
    weight: float = 1.0,
) -> dict[str, torch.Tensor]:
    """One step of encoder + decoder on the reconstruction error."""
    opt.zero_grad(set_to_none=True)
    loss = recon_loss(model(x), x, kind)
    (weight * loss).backward()
    opt.step()
    return {"loss_recon": loss.detach()}


def disc_phase(
    model: AdversarialAutoencoder,
    opt: torch.optim.Optimizer,
    z_fake: torch.Tensor,
    z_real: torch.Tensor,
    cond: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """One discriminator step; real and fake go through D as one batch of 2 x batch."""
    opt.zero_grad(set_to_none=True)
    n = z_real.shape[0]
    z = torch.cat([z_real, z_fake.detach()])
    c = torch.cat([cond, cond]) if cond is not None else None
    logits = model.discriminator(z, c)
    loss = disc_loss(logits[:n], logits[n:])
    loss.backward()
    opt.step()
    acc_real, acc_fake = disc_accuracy(logits[:n].detach(), logits[n:].detach())
    return {"loss_disc": loss.detach(), "disc_acc_real": acc_real, "disc_acc_fake": acc_fake}


def gen_phase(
    model: AdversarialAutoencoder,
    opt: torch.optim.Optimizer,
    z_fake: torch.Tensor,
    cond: torch.Tensor | None = None,
    weight: float = 1.0,
) -> dict[str, torch.Tensor]:
    """One encoder step against the (frozen) discriminator."""
    opt.zero_grad(set_to_none=True)
    disc = model.discriminator
    disc.requires_grad_(False)  # D gets no gradient: only the encoder is a player here
    try:
        loss = gen_loss(disc(z_fake, cond))
        (weight * loss).backward()
    finally:
        disc.requires_grad_(True)
    opt.step()
    return {"loss_gen": loss.detach()}


def aae_step(
    model: AdversarialAutoencoder,
    opts: dict[str, torch.optim.Optimizer],
    x: torch.Tensor,
    labels: torch.Tensor | None,
    z_real: torch.Tensor,
    cfg: RunConfig,
) -> dict[str, torch.Tensor]:
    """One AAE mini-batch: reconstruction, then regularization (D step, then G step).

    ``z_real`` (batch, latent_dim): prior draws, from each row's component when labelled.
    """
    out = recon_phase(model, opts["recon"], x, cfg.loss.recon, cfg.loss.recon_weight)
    cond = model.condition(labels if model.n_classes else None)
    z_fake = model.encode(x).z  # one pass after the recon update, shared by D and G steps
    out |= disc_phase(model, opts["disc"], z_fake, z_real, cond)
    out |= gen_phase(model, opts["gen"], z_fake, cond, cfg.loss.adv_weight)
    return out


def vae_step(
    model: VariationalAutoencoder,
    opts: dict[str, torch.optim.Optimizer],
    x: torch.Tensor,
    labels: torch.Tensor | None,
    z_real: torch.Tensor | None,
    cfg: RunConfig,
) -> dict[str, torch.Tensor]:
    """One VAE mini-batch: a step on the negative ELBO, reconstruction + KL(q(z|x) || p(z))."""
    opt = opts["recon"]
    opt.zero_grad(set_to_none=True)
    enc = model.encode(x)
    recon = recon_loss(model.decode(enc.z), x, cfg.loss.recon)
    if isinstance(model.prior, GaussianPrior):
        kl = kl_to_gaussian(enc.mean, enc.logvar, model.prior.std)
    else:  # mixture prior: closed-form log-density, Monte-Carlo KL
        kl = kl_monte_carlo(enc.z, enc.mean, enc.logvar, model.prior.log_prob(enc.z))
    (cfg.loss.recon_weight * recon + kl).backward()
    opt.step()
    return {"loss_recon": recon.detach(), "loss_kl": kl.detach()}
