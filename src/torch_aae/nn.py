"""Network builders: MLP encoders (three kinds of q(z|x)), decoder and latent discriminator."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from torch_aae.config import ModelConfig

_ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.2), "tanh": nn.Tanh}


def activation(name: str) -> nn.Module:
    """A fresh activation module: ``relu``, ``leaky_relu`` (slope 0.2) or ``tanh``."""
    return _ACTIVATIONS[name]()


def mlp(
    in_dim: int,
    hidden: tuple[int, ...],
    out_dim: int,
    activation: str = "relu",
    batch_norm: bool = False,
    norm_output: bool = False,
) -> nn.Sequential:
    """Linear layers with ``activation`` between them; the last layer is linear.

    ``batch_norm`` puts a BatchNorm1d between each hidden Linear and its activation;
    ``norm_output`` one after the last Linear as well."""
    layers: list[nn.Module] = []
    dims = (in_dim, *hidden)
    for a, b in zip(dims[:-1], dims[1:], strict=True):
        layers.append(nn.Linear(a, b))
        if batch_norm:
            layers.append(nn.BatchNorm1d(b))
        layers.append(_ACTIVATIONS[activation]())
    layers.append(nn.Linear(dims[-1], out_dim))
    if norm_output:
        layers.append(nn.BatchNorm1d(out_dim))
    return nn.Sequential(*layers)


def init_weights(module: nn.Module, std: float) -> None:
    """Weights ~ N(0, std^2), biases 0 (paper appendix A: std 0.01). ``std=0`` keeps PyTorch's."""
    if std <= 0:
        return
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, std)
            nn.init.zeros_(m.bias)


@dataclass
class EncoderOutput:
    z: torch.Tensor  # (batch, latent_dim) the code used downstream (a sample for stochastic q)
    mean: torch.Tensor  # (batch, latent_dim) deterministic summary: the mean of q(z|x)
    logvar: torch.Tensor | None = None  # (batch, latent_dim) Gaussian encoder only


class Encoder(nn.Module):
    """q(z|x) (paper section 2.1).

    - ``deterministic``: z = f(x).
    - ``gaussian``: z = mu(x) + sigma(x) * eps (reparameterization); with
      ``cfg.min_posterior_std = s`` the std is sqrt(sigma(x)^2 + s^2).
    - ``universal``: z = f(x, eta), eta ~ N(0, noise_std^2) concatenated to x.
    """

    def __init__(self, in_dim: int, cfg: ModelConfig):
        super().__init__()
        self.kind = cfg.encoder_type
        self.noise_dim = cfg.noise_dim if self.kind == "universal" else 0
        self.noise_std = cfg.noise_std
        self.min_var = cfg.min_posterior_std**2  # gaussian: floor on the posterior variance
        out_dim = 2 * cfg.latent_dim if self.kind == "gaussian" else cfg.latent_dim
        self.net = mlp(in_dim + self.noise_dim, cfg.encoder_hidden, out_dim, cfg.activation)

    def forward(self, x: torch.Tensor, sample: bool = True) -> EncoderOutput:
        if self.kind == "universal":
            eta = self.noise_std * torch.randn(x.shape[0], self.noise_dim, device=x.device)
            if not sample:
                eta = torch.zeros_like(eta)
            z = self.net(torch.cat([x, eta], dim=1))
            return EncoderOutput(z=z, mean=z)
        h = self.net(x)
        if self.kind == "deterministic":
            return EncoderOutput(z=h, mean=h)
        mean, logvar = h.chunk(2, dim=1)
        logvar = logvar.clamp(-12.0, 8.0)  # keeps exp(logvar) finite when training is rough
        if self.min_var:
            logvar = torch.log(logvar.exp() + self.min_var)
        z = mean + torch.randn_like(mean) * (0.5 * logvar).exp() if sample else mean
        return EncoderOutput(z=z, mean=mean, logvar=logvar)


class Decoder(nn.Module):
    """p(x|z): an MLP with a sigmoid (pixels in [0, 1]) or linear output."""

    def __init__(self, latent_dim: int, out_dim: int, cfg: ModelConfig):
        super().__init__()
        bn = cfg.batch_norm == "autoencoder"  # y-and-z models only (config validation)
        self.net = mlp(latent_dim, cfg.decoder_hidden, out_dim, cfg.activation, bn, bn)
        self.sigmoid = cfg.decoder_output == "sigmoid"

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        out = self.net(z)
        return torch.sigmoid(out) if self.sigmoid else out


class Discriminator(nn.Module):
    """D(z[, c]): real (prior sample) vs fake (code); sees codes only and returns logits (batch,).

    ``cfg.disc_noise_std > 0`` adds Gaussian noise to D's input in training mode (real and fake
    alike). With ``cond_dim > 0`` a conditioning vector (a one-hot label plus an "unlabeled" slot,
    paper section 2.3) is concatenated to z.
    """

    def __init__(
        self,
        latent_dim: int,
        cfg: ModelConfig,
        cond_dim: int = 0,
        noise_std: float | None = None,
    ):
        super().__init__()
        self.cond_dim = cond_dim
        # N(0, noise_std^2) added to z while training; None: cfg.disc_noise_std
        self.noise_std = cfg.disc_noise_std if noise_std is None else noise_std
        self.net = mlp(latent_dim + cond_dim, cfg.disc_hidden, 1, cfg.activation)

    def forward(self, z: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        if self.training and self.noise_std:
            z = z + self.noise_std * torch.randn_like(z)
        if self.cond_dim:
            z = torch.cat([z, cond], dim=1)
        return self.net(z).squeeze(1)
