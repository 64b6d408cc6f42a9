"""The adversarial autoencoder: encoder, decoder, latent discriminator and prior (paper section 2)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from torch_aae.config import ModelConfig, PriorConfig
from torch_aae.nn import Decoder, Discriminator, Encoder, EncoderOutput, init_weights
from torch_aae.priors import Prior, build_prior


class AdversarialAutoencoder(nn.Module):
    """An autoencoder whose aggregated posterior q(z) is matched to ``prior`` by a GAN on codes.

    Example::

        model = AdversarialAutoencoder(784, ModelConfig(latent_dim=2), PriorConfig())
        z = model.encode(x).z            # (batch, 2)
        x_hat = model.decode(z)          # (batch, 784)
    """

    def __init__(self, data_dim: int, cfg: ModelConfig, prior_cfg: PriorConfig):
        super().__init__()
        self.data_dim, self.cfg = data_dim, cfg
        self.prior: Prior = build_prior(prior_cfg, cfg.latent_dim)
        # Label conditioning (paper 2.3): one slot per class plus one "unlabeled" slot.
        self.n_classes = self.prior.n_components if cfg.label_conditioning == "one_hot" else 0
        cond_dim = self.n_classes + 1 if self.n_classes else 0
        self.encoder = Encoder(data_dim, cfg)
        self.decoder = Decoder(cfg.latent_dim, data_dim, cfg)
        self.discriminator = Discriminator(cfg.latent_dim, cfg, cond_dim)
        init_weights(self, cfg.init_std)

    @property
    def latent_dim(self) -> int:
        return self.cfg.latent_dim

    def encode(self, x: torch.Tensor, sample: bool = True) -> EncoderOutput:
        """q(z|x) for x of shape (batch, data_dim)."""
        return self.encoder(x, sample=sample)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """p(x|z): (batch, latent_dim) -> (batch, data_dim)."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction of x, shape (batch, data_dim)."""
        return self.decode(self.encode(x).z)

    @property
    def needs_labels(self) -> bool:
        """Whether training reads labels (label-conditioned regularization)."""
        return self.n_classes > 0

    def reconstruct(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Reconstruction of x; ``labels`` are not used by the decoder of this model."""
        return self(x)

    def prior_batch(
        self, n: int, generator: torch.Generator, labels: torch.Tensor | None
    ) -> torch.Tensor:
        """The prior draws one training step needs: (n, latent_dim), from each labeled row's
        component when the model is label-conditioned."""
        cond = labels.cpu() if labels is not None and self.n_classes else None
        return self.prior.sample(n, generator, cond)

    def condition(self, labels: torch.Tensor | None) -> torch.Tensor | None:
        """The discriminator's extra input: one-hot label, -1 mapped to the "unlabeled" slot."""
        if not self.n_classes:
            return None
        slot = torch.where(labels >= 0, labels, torch.full_like(labels, self.n_classes))
        return F.one_hot(slot, self.n_classes + 1).float()

    @torch.no_grad()
    def sample(
        self, n: int, generator: torch.Generator | None = None, labels: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Decode ``n`` prior draws (from the components ``labels`` when given): (n, data_dim)."""
        z = self.prior.sample(n, generator=generator, labels=labels)
        return self.decode(z.to(next(self.parameters()).device))
