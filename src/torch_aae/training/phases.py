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
import torch.nn.functional as F

from torch_aae.config import RunConfig
from torch_aae.losses import (
    disc_accuracy,
    disc_loss,
    gen_loss,
    recon_loss,
)
from torch_aae.model import AdversarialAutoencoder
from torch_aae.nn import Discriminator
from torch_aae.semi import SemiSupervisedAAE, SupervisedAAE
from torch_aae.vae import VariationalAutoencoder


def recon_phase(
    model: AdversarialAutoencoder,
    opt: torch.optim.Optimizer,
    x: torch.Tensor,
    kind: str = "mse",
    weight: float = 1.0,
    labels: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """One step of encoder + decoder on the reconstruction error (``labels`` for models whose
    decoder reads them)."""
    opt.zero_grad(set_to_none=True)
    loss = recon_loss(model.reconstruct(x, labels), x, kind)
    total = weight * loss
    out = {"loss_recon": loss.detach()}
    if hasattr(model, "head_cost"):  # dim_reduction: keep the cluster heads apart
        head = model.head_cost()
        total = total + head
        out["loss_heads"] = head.detach()
    total.backward()
    opt.step()
    return out


def _disc_loss(
    disc: Discriminator,
    z_fake: torch.Tensor,
    z_real: torch.Tensor,
    cond: torch.Tensor | None = None,
    suffix: str = "",
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """D's loss with real and fake as one batch of 2 x batch (fake codes detached)."""
    n = z_real.shape[0]
    z = torch.cat([z_real, z_fake.detach()])
    c = torch.cat([cond, cond]) if cond is not None else None
    logits = disc(z, c)
    loss = disc_loss(logits[:n], logits[n:])
    acc_real, acc_fake = disc_accuracy(logits[:n].detach(), logits[n:].detach())
    return loss, {
        f"loss_disc{suffix}": loss.detach(),
        f"disc_acc_real{suffix}": acc_real,
        f"disc_acc_fake{suffix}": acc_fake,
    }


def prior_draws_per_step(z_real: torch.Tensor) -> list[torch.Tensor]:
    """The prior draws of each discriminator step: ``z_real`` is (batch, dim) for one step or
    (batch, steps, dim) for several (``train.disc_steps``)."""
    return [z_real] if z_real.dim() == 2 else list(z_real.unbind(dim=1))


def disc_phase(
    disc: Discriminator,
    opt: torch.optim.Optimizer,
    z_fake: torch.Tensor,
    z_real: torch.Tensor,
    cond: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """One discriminator step: prior draws ``z_real`` are real, codes ``z_fake`` fake."""
    opt.zero_grad(set_to_none=True)
    loss, out = _disc_loss(disc, z_fake, z_real, cond)
    loss.backward()
    opt.step()
    return out


def gen_phase(
    disc: Discriminator,
    opt: torch.optim.Optimizer,
    z_fake: torch.Tensor,
    cond: torch.Tensor | None = None,
    weight: float = 1.0,
) -> dict[str, torch.Tensor]:
    """One encoder step against the (frozen) discriminator."""
    opt.zero_grad(set_to_none=True)
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
    labeled: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
) -> dict[str, torch.Tensor]:
    """One AAE mini-batch: reconstruction, then regularization (D step, then G step).

    ``z_real`` (batch, latent_dim): prior draws, from each row's component when labelled.
    ``labeled`` = (x_l, y_l, z_real_l) (train.label_batches = "separate"): a labeled batch whose
    codes join both adversarial steps, conditioned on y_l, beside the (unlabeled) main batch.
    Also the supervised AAE's step (section 4): its decoder reads [one-hot(y), z].
    """
    decoder_labels = labels if isinstance(model, SupervisedAAE) else None
    out = recon_phase(
        model, opts["recon"], x, cfg.loss.recon, cfg.loss.recon_weight, decoder_labels
    )
    cond = model.condition(labels if model.n_classes else None)
    if labeled is not None:
        x_l, y_l, z_real_l = labeled
        x, z_real = torch.cat([x, x_l]), torch.cat([z_real, z_real_l])
        cond = torch.cat([cond, model.condition(y_l)])
    z_fake = model.encode(x).z  # one pass after the recon update, shared by D and G steps
    for draws in prior_draws_per_step(z_real):  # train.disc_steps; the last step's stats kept
        out |= disc_phase(model.discriminator, opts["disc"], z_fake, draws, cond)
    out |= gen_phase(model.discriminator, opts["gen"], z_fake, cond, cfg.loss.adv_weight)
    return out


def semi_supervised_step(
    model: SemiSupervisedAAE,
    opts: dict[str, torch.optim.Optimizer],
    x: torch.Tensor,
    labels: torch.Tensor | None,
    prior: torch.Tensor,
    cfg: RunConfig,
    labeled: tuple[torch.Tensor, torch.Tensor] | None = None,
    adv_y_scale: float = 1.0,
) -> dict[str, torch.Tensor]:
    """Semi-supervised AAE (section 5), three phases on one mini-batch.

    1. Reconstruction of ``x`` (labels unused) from [softmax q(y|x), z].
    2. Regularization: both discriminators step (one-hot draws vs softmax outputs, N(0, I)
       draws vs z), then one encoder step on the sum of both generator losses. The two
       discriminators have disjoint parameters, so summing their losses under one optimizer is
       exactly two separate steps.
    3. Cross-entropy of q(y|x) on the labeled mini-batch ``labeled`` = (x_l, y_l).

    ``prior`` (batch, n_classes + latent_dim): one-hot draws, then z draws; (batch, steps,
    n_classes + latent_dim) with ``train.disc_steps`` = steps. ``adv_y_scale`` multiplies the
    categorical generator loss on top of ``loss.adv_y_weight`` (the trainer's warm-up factor).
    """
    k = model.n_classes
    out = recon_phase(model, opts["recon"], x, cfg.loss.recon, cfg.loss.recon_weight)

    logits, z_fake = model.encode_yz(x)  # one pass after the recon update, for D and G
    y_fake = logits.softmax(dim=1)
    opt = opts["disc"]
    for draws in prior_draws_per_step(prior):  # train.disc_steps; the last step's stats kept
        opt.zero_grad(set_to_none=True)
        loss_y, stats_y = _disc_loss(model.disc_y, y_fake, draws[:, :k], suffix="_y")
        loss_z, stats_z = _disc_loss(model.disc_z, z_fake, draws[:, k:], suffix="_z")
        (loss_y + loss_z).backward()
        opt.step()
    out |= stats_y | stats_z

    opt = opts["gen"]
    opt.zero_grad(set_to_none=True)
    discs = (model.disc_y, model.disc_z)
    for d in discs:
        d.requires_grad_(False)
    try:
        loss_y, loss_z = gen_loss(model.disc_y(y_fake)), gen_loss(model.disc_z(z_fake))
        loss = loss_y + loss_z  # logged unweighted
        w_y = cfg.loss.adv_y_weight * adv_y_scale
        (cfg.loss.adv_weight * (w_y * loss_y + loss_z)).backward()
    finally:
        for d in discs:
            d.requires_grad_(True)
    opt.step()
    out["loss_gen"] = loss.detach()

    if labeled is not None and "ce" in opts:
        x_l, y_l = labeled
        opt = opts["ce"]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model.classify(x_l), y_l)
        (cfg.loss.ce_weight * loss).backward()
        opt.step()
        out["loss_ce"] = loss.detach()
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
    recon, kl = model.loss_terms(x, cfg.loss.recon)
    (cfg.loss.recon_weight * recon + kl).backward()
    opt.step()
    return {"loss_recon": recon.detach(), "loss_kl": kl.detach()}
