"""Model variants: a name maps to its model class, its optimizers and its per-batch step.

Adding a variant means a new model file and one line here; the trainer does not change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from torch_aae.config import RunConfig, model_kind
from torch_aae.model import AdversarialAutoencoder
from torch_aae.semi import DimReductionAAE, SemiSupervisedAAE, SupervisedAAE
from torch_aae.training.optim import (
    build_optimizers,
    build_semi_supervised_optimizers,
    build_vae_optimizers,
)
from torch_aae.training.phases import aae_step, semi_supervised_step, vae_step
from torch_aae.vae import VariationalAutoencoder


@dataclass(frozen=True)
class Variant:
    model_cls: type[nn.Module]  # (data_dim, ModelConfig, PriorConfig) -> model
    build_optimizers: Callable[..., dict[str, torch.optim.Optimizer]]  # (model, OptimConfig)
    step: Callable[..., dict[str, torch.Tensor]]  # (model, opts, x, labels, z_prior, cfg)
    needs_prior_samples: bool  # the trainer draws a prior batch per step for the step
    labeled_batches: bool = False  # the step also takes a labeled mini-batch (x_l, y_l)


VARIANTS: dict[str, Variant] = {
    "aae": Variant(AdversarialAutoencoder, build_optimizers, aae_step, needs_prior_samples=True),
    "vae": Variant(
        VariationalAutoencoder, build_vae_optimizers, vae_step, needs_prior_samples=False
    ),
    "supervised": Variant(SupervisedAAE, build_optimizers, aae_step, needs_prior_samples=True),
    "semi_supervised": Variant(
        SemiSupervisedAAE,
        build_semi_supervised_optimizers,
        semi_supervised_step,
        needs_prior_samples=True,
        labeled_batches=True,
    ),
    "clustering": Variant(
        SemiSupervisedAAE,
        build_semi_supervised_optimizers,
        semi_supervised_step,
        needs_prior_samples=True,
    ),
    "dim_reduction": Variant(
        DimReductionAAE,
        build_semi_supervised_optimizers,
        semi_supervised_step,
        needs_prior_samples=True,
        labeled_batches=True,  # when the data has labels (data.n_labeled != 0)
    ),
}


def create_model(cfg: RunConfig, data_dim: int) -> nn.Module:
    """A fresh model of ``cfg.model.variant`` (not yet seeded: see ``run.build_model``)."""
    model = VARIANTS[cfg.model.variant].model_cls(data_dim, cfg.model, cfg.prior)
    if cfg.model.variant == "dim_reduction":  # semi-supervised with labels, else unsupervised
        model.needs_labels = model_kind(cfg) == "classifier"
    return model
