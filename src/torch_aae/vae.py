"""The variational autoencoder the paper compares with (section 2.1, Fig. 2c/2d).

Same encoder and decoder networks as the AAE; q(z|x) is Gaussian. The KL term is in closed form
for a Gaussian prior and estimated by Monte-Carlo (one sample) for the mixture prior, whose
log-density is known in closed form.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from torch_aae.config import ModelConfig, PriorConfig
from torch_aae.errors import ConfigError
from torch_aae.losses import kl_monte_carlo, kl_to_gaussian, recon_loss
from torch_aae.nn import Decoder, Encoder, EncoderOutput, init_weights
from torch_aae.priors import GaussianPrior, MixturePrior, Prior, build_prior


class VariationalAutoencoder(nn.Module):
    """x -> q(z|x) = N(mu(x), sigma(x)^2) -> p(x|z), trained on the negative ELBO."""

    n_classes = 0  # no label conditioning
    needs_labels = False

    def __init__(self, data_dim: int, cfg: ModelConfig, prior_cfg: PriorConfig):
        super().__init__()
        cfg = dataclasses.replace(cfg, encoder_type="gaussian")
        self.data_dim, self.cfg = data_dim, cfg
        self.prior: Prior = build_prior(prior_cfg, cfg.latent_dim)
        if not isinstance(self.prior, (GaussianPrior, MixturePrior)):
            raise ConfigError(
                f"model.variant = 'vae' needs a prior with a density; prior.type = "
                f"'{prior_cfg.type}' has none here. Use 'gaussian' or 'mixture'."
            )
        self.encoder = Encoder(data_dim, cfg)
        self.decoder = Decoder(cfg.latent_dim, data_dim, cfg)
        init_weights(self, cfg.init_std)

    @property
    def latent_dim(self) -> int:
        return self.cfg.latent_dim

    def encode(self, x: torch.Tensor, sample: bool = True) -> EncoderOutput:
        return self.encoder(x, sample=sample)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x).z)

    def loss_terms(self, x: torch.Tensor, recon: str = "mse") -> tuple[torch.Tensor, torch.Tensor]:
        """The two terms of the negative ELBO on ``x``, each a batch mean: the reconstruction
        error of one reparameterized draw z ~ q(z|x) and KL(q(z|x) || p(z)) (closed form for the
        Gaussian prior, the one-sample Monte-Carlo estimate at that draw for the mixture)."""
        enc = self.encode(x)
        rec = recon_loss(self.decode(enc.z), x, recon)
        if isinstance(self.prior, GaussianPrior):
            kl = kl_to_gaussian(enc.mean, enc.logvar, self.prior.std)
        else:
            kl = kl_monte_carlo(enc.z, enc.mean, enc.logvar, self.prior.log_prob(enc.z))
        return rec, kl

    def reconstruct(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self(x)

    def condition(self, labels: torch.Tensor | None) -> None:
        return None

    @torch.no_grad()
    def sample(
        self, n: int, generator: torch.Generator | None = None, labels: torch.Tensor | None = None
    ) -> torch.Tensor:
        z = self.prior.sample(n, generator=generator, labels=labels)
        return self.decode(z.to(next(self.parameters()).device))
