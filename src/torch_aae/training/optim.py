"""Optimizers per phase (paper appendix A.2: SGD with momentum, lr divided by 10 at milestones)."""

from __future__ import annotations

import torch

from torch_aae.config import OptimConfig
from torch_aae.model import AdversarialAutoencoder


def _make(params, lr: float, momentum: float, cfg: OptimConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum)
    return torch.optim.Adam(params, lr=lr, betas=(momentum, cfg.beta2))


def build_optimizers(
    model: AdversarialAutoencoder, cfg: OptimConfig
) -> dict[str, torch.optim.Optimizer]:
    """One optimizer per phase: ``recon`` (encoder + decoder), ``disc`` (D), ``gen`` (encoder)."""
    recon_params = [*model.encoder.parameters(), *model.decoder.parameters()]
    return {
        "recon": _make(recon_params, cfg.lr_recon, cfg.momentum_recon, cfg),
        "disc": _make(model.discriminator.parameters(), cfg.lr_disc, cfg.momentum_adv, cfg),
        "gen": _make(model.encoder.parameters(), cfg.lr_gen, cfg.momentum_adv, cfg),
    }


def build_schedulers(
    optimizers: dict[str, torch.optim.Optimizer], cfg: OptimConfig
) -> dict[str, torch.optim.lr_scheduler.LRScheduler]:
    """Every learning rate times ``gamma`` at each milestone epoch (stepped once per epoch)."""
    return {
        name: torch.optim.lr_scheduler.MultiStepLR(opt, list(cfg.milestones), cfg.gamma)
        for name, opt in optimizers.items()
    }


def build_vae_optimizers(model, cfg: OptimConfig) -> dict[str, torch.optim.Optimizer]:
    """The VAE has one phase: encoder + decoder on the negative ELBO (the ``recon`` settings)."""
    return {"recon": _make(model.parameters(), cfg.lr_recon, cfg.momentum_recon, cfg)}


def build_semi_supervised_optimizers(model, cfg: OptimConfig) -> dict[str, torch.optim.Optimizer]:
    """Paper A.2's groups: ``recon`` (encoder + decoder), ``disc`` (both discriminators),
    ``gen`` (encoder: trunk and both heads), ``ce`` (trunk and the q(y|x) head)."""
    enc = model.encoder_parameters()
    discs = [*model.disc_y.parameters(), *model.disc_z.parameters()]
    # learned cluster heads (dim_reduction) move with the reconstruction (paper code: SGD 0.01,
    # momentum 0.9, the reconstruction group's settings) and their distance cost
    heads = [model.heads] if isinstance(getattr(model, "heads", None), torch.nn.Parameter) else []
    opts = {
        "recon": _make(
            [*enc, *model.decoder.parameters(), *heads], cfg.lr_recon, cfg.momentum_recon, cfg
        ),
        "disc": _make(discs, cfg.lr_disc, cfg.momentum_adv, cfg),
        "gen": _make(enc, cfg.lr_gen, cfg.momentum_adv, cfg),
    }
    if model.needs_labels:  # not for clustering, which has no classification phase
        opts["ce"] = _make(model.classifier_parameters(), cfg.lr_ce, cfg.momentum_ce, cfg)
    return opts
