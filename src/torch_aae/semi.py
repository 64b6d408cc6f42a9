"""Label-aware AAEs: the supervised AAE (paper section 4) and the semi-supervised AAE (section 5).

- :class:`SupervisedAAE`: x -> z (style); the decoder gets [one-hot(y), z]; one adversary shapes
  z into the prior. Since the label is given to the decoder, z is left to learn style (Fig. 7).
- :class:`SemiSupervisedAAE`: a shared trunk with a softmax head q(y|x) and a linear head
  q(z|x); the decoder reconstructs from [q(y|x), z]. A categorical adversary tells one-hot draws
  (real) from softmax outputs (fake), a Gaussian adversary tells prior draws from z; a
  cross-entropy phase on labeled rows trains q(y|x). Predictions are argmax q(y|x).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from torch_aae.config import ModelConfig, PriorConfig
from torch_aae.nn import (
    Decoder,
    Discriminator,
    Encoder,
    EncoderOutput,
    activation,
    init_weights,
    mlp,
)
from torch_aae.priors import Prior, build_prior


def _one_hot(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    return F.one_hot(labels.long(), n_classes).float()


def _head(width: int, out_dim: int, batch_norm: bool) -> nn.Module:
    """A linear head; with ``batch_norm`` followed by a BatchNorm1d (``model.batch_norm``)."""
    if not batch_norm:
        return nn.Linear(width, out_dim)
    return nn.Sequential(nn.Linear(width, out_dim), nn.BatchNorm1d(out_dim))


class LabelDecoding(nn.Module):
    """Shared parts of the models whose decoder reads a label as well as z."""

    needs_labels = True
    latent_dim: int
    n_classes: int
    prior: Prior
    decoder: Decoder

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """p(x|y, z). ``y``: (batch,) integer labels, or (batch, n_classes) probabilities."""
        if y.dim() == 1:
            y = _one_hot(y, self.n_classes)
        return self.decoder(torch.cat([y.to(z.dtype), z], dim=1))

    @torch.no_grad()
    def sample(
        self, n: int, generator: torch.Generator | None = None, labels: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Decode ``n`` style draws z ~ p(z) with ``labels`` (default: uniformly drawn)."""
        if labels is None:
            labels = torch.randint(self.n_classes, (n,), generator=generator)
        z = self.prior.sample(n, generator=generator)
        device = next(self.parameters()).device
        return self.decode(z.to(device), labels.to(device))


class SupervisedAAE(LabelDecoding):
    """x -> z; decoder(one-hot(y), z) -> x; D(z) matches q(z) to the prior (paper section 4)."""

    def __init__(self, data_dim: int, cfg: ModelConfig, prior_cfg: PriorConfig):
        super().__init__()
        self.data_dim, self.cfg, self.n_classes = data_dim, cfg, cfg.n_classes
        self.prior = build_prior(prior_cfg, cfg.latent_dim)
        self.encoder = Encoder(data_dim, cfg)
        self.decoder = Decoder(cfg.n_classes + cfg.latent_dim, data_dim, cfg)
        self.discriminator = Discriminator(cfg.latent_dim, cfg)
        self.input_noise_std = cfg.input_noise_std
        init_weights(self, cfg.init_std)

    @property
    def latent_dim(self) -> int:
        return self.cfg.latent_dim

    def encode(self, x: torch.Tensor, sample: bool = True) -> EncoderOutput:
        if self.training and self.input_noise_std:
            x = x + self.input_noise_std * torch.randn_like(x)
        return self.encoder(x, sample=sample)

    def reconstruct(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x).z, labels)

    def condition(self, labels: torch.Tensor | None) -> None:
        """No label goes to the discriminator: it sees z alone."""
        return None

    def prior_batch(
        self, n: int, generator: torch.Generator, labels: torch.Tensor | None
    ) -> torch.Tensor:
        """The prior draws one training step needs: (n, latent_dim)."""
        return self.prior.sample(n, generator=generator)


class SemiSupervisedAAE(LabelDecoding):
    """q(y, z|x) with a categorical adversary on y and a Gaussian adversary on z (section 5).

    With ``cfg.variant = "clustering"`` the same model is trained without labels and y is a
    cluster index (section 6).
    """

    def __init__(self, data_dim: int, cfg: ModelConfig, prior_cfg: PriorConfig):
        super().__init__()
        self.data_dim, self.cfg, self.n_classes = data_dim, cfg, cfg.n_classes
        self.needs_labels = cfg.variant == "semi_supervised"  # dim_reduction: see registry
        self.prior = build_prior(prior_cfg, cfg.latent_dim)
        *inner, width = cfg.encoder_hidden
        bn = cfg.batch_norm != "none"  # the trunk's hidden layers
        bn_heads = cfg.batch_norm in ("encoder", "autoencoder")  # the logits and z as well
        self.trunk = nn.Sequential(
            mlp(data_dim, tuple(inner), width, cfg.activation, bn, bn), activation(cfg.activation)
        )
        self.head_y = _head(width, cfg.n_classes, bn_heads)  # logits of q(y|x)
        self.head_z = _head(width, cfg.latent_dim, bn_heads)  # style z
        self.decoder = Decoder(cfg.n_classes + cfg.latent_dim, data_dim, cfg)
        self.disc_y = Discriminator(cfg.n_classes, cfg)  # one-hot draws vs softmax outputs
        # prior draws vs z; its input noise is disc_z_noise_std where set
        self.disc_z = Discriminator(cfg.latent_dim, cfg, noise_std=cfg.disc_z_noise_std)
        self.input_noise_std = cfg.input_noise_std
        self.style_noise_std = cfg.style_noise_std  # on z into the decoder, reconstruction only
        # factor on the reconstruction's gradient into q(y|x); set per step by the trainer
        # (loss.recon_y_warmup_epochs), 1.0 otherwise
        self.recon_y_grad_scale = 1.0
        init_weights(self, cfg.init_std)

    @property
    def latent_dim(self) -> int:
        return self.cfg.latent_dim

    def encoder_parameters(self) -> list[nn.Parameter]:
        return [*self.trunk.parameters(), *self.head_y.parameters(), *self.head_z.parameters()]

    @property
    def kind(self) -> str:
        """ "classifier" when trained with labels (q(y|x) predicts them), else "clusterer"."""
        return "classifier" if self.needs_labels else "clusterer"

    def classifier_parameters(self) -> list[nn.Parameter]:
        return [*self.trunk.parameters(), *self.head_y.parameters()]

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and self.input_noise_std:
            x = x + self.input_noise_std * torch.randn_like(x)
        return self.trunk(x)

    def encode_yz(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits of q(y|x), z), each (batch, ·), from one trunk pass."""
        h = self._features(x)
        return self.head_y(h), self.head_z(h)

    def encode(self, x: torch.Tensor, sample: bool = True) -> EncoderOutput:
        """The style code z (batch, latent_dim)."""
        z = self.head_z(self._features(x))
        return EncoderOutput(z=z, mean=z)

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of q(y|x): (batch, n_classes)."""
        return self.head_y(self._features(x))

    def reconstruct(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """decoder(y, z) with y = softmax q(y|x), or its one-hot argmax (``model.decoder_y =
        "hard"``, straight-through gradient), whose gradient into q(y|x) is scaled by
        ``recon_y_grad_scale``; ``labels`` are ignored (the model infers y).
        While training, z reaches the decoder with N(0, style_noise_std^2) noise added."""
        logits, z = self.encode_yz(x)
        if self.training and self.style_noise_std:
            z = z + self.style_noise_std * torch.randn_like(z)
        y = logits.softmax(dim=1)
        if self.cfg.decoder_y == "hard":
            hard = _one_hot(y.argmax(dim=1), self.n_classes).to(y.dtype)
            y = hard + (y - y.detach())  # forward: the one-hot; backward: the softmax's gradient
        if self.recon_y_grad_scale != 1.0:  # the same y forward, a scaled gradient backward
            y = y.detach() + self.recon_y_grad_scale * (y - y.detach())
        return self.decode(z, y)

    def prior_batch(
        self, n: int, generator: torch.Generator, labels: torch.Tensor | None
    ) -> torch.Tensor:
        """(n, n_classes + latent_dim): one-hot draws of Cat(y) (or relaxed draws, with
        ``model.y_prior_temperature`` > 0), then z ~ p(z)."""
        t = self.cfg.y_prior_temperature
        # Concrete(uniform logits, t) = softmax(Gumbel noise / t), drawn here rather than with
        # torch.distributions.RelaxedOneHotCategorical, which cannot take the run's generator
        if t > 0:
            u = torch.rand(n, self.n_classes, generator=generator)
            tiny = torch.finfo(u.dtype).tiny
            gumbel = -torch.log(-torch.log(u.clamp(tiny, 1.0 - 1e-7)))
            y = (gumbel / t).softmax(dim=1)
        else:
            y = _one_hot(torch.randint(self.n_classes, (n,), generator=generator), self.n_classes)
        return torch.cat([y, self.prior.sample(n, generator)], dim=1)


class DimReductionAAE(SemiSupervisedAAE):
    """Dimensionality reduction (paper section 7): the representation is r = W_c^T y + z, with
    y = q(y|x) over m clusters (or classes), W_c (m x n) learned cluster heads and z an n-D style
    code; the decoder reconstructs x from r. A cost on pairs of heads closer than
    ``head_threshold`` keeps them apart. ``fixed_heads_scale > 0`` fixes W_c = scale * I.
    """

    def __init__(self, data_dim: int, cfg: ModelConfig, prior_cfg: PriorConfig):
        super().__init__(data_dim, cfg, prior_cfg)
        m, n = cfg.n_classes, cfg.latent_dim
        self.decoder = Decoder(n, data_dim, cfg)  # reads r, not [y, z]
        init_weights(self.decoder, cfg.init_std)
        self.head_threshold = cfg.head_threshold
        if cfg.fixed_heads_scale > 0:
            self.register_buffer("heads", cfg.fixed_heads_scale * torch.eye(m, n))
        else:
            self.heads = nn.Parameter(torch.randn(m, n))  # N(0, 1), as in the paper's code

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """p(x | r = W_c^T y + z); ``y`` integer labels or (batch, m) probabilities."""
        if y.dim() == 1:
            y = _one_hot(y, self.n_classes)
        return self.decoder(y.to(z.dtype) @ self.heads + z)

    def represent(self, x: torch.Tensor) -> torch.Tensor:
        """The low-dimensional representation r = W_c^T q(y|x) + z: (batch, latent_dim)."""
        logits, z = self.encode_yz(x)
        return logits.softmax(dim=1) @ self.heads + z

    def head_cost(self) -> torch.Tensor:
        """sum over head pairs of max(0, eta - ||w_i - w_j||); zero for fixed heads."""
        if not isinstance(self.heads, nn.Parameter) or self.n_classes < 2:
            return self.heads.new_zeros(())
        return F.relu(self.head_threshold - torch.pdist(self.heads)).sum()
