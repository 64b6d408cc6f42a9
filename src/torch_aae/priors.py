"""Priors p(z): seeded samplers, optionally conditioned on a label (paper sections 2 and 2.3).

Every prior draws with an explicit ``torch.Generator``. Priors with one component per label
(mixture, swiss roll) accept ``labels``: entry k >= 0 draws from component k, -1 ("unlabeled")
draws from the whole prior.
"""

from __future__ import annotations

import math

import torch

from torch_aae.config import PriorConfig


class Prior:
    """Base class. ``dim`` is the size of z; ``n_components`` is 0 for unconditional priors."""

    dim: int
    n_components: int = 0

    def sample(
        self,
        n: int,
        generator: torch.Generator | None = None,
        labels: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Draw ``n`` codes, shape (n, dim). ``labels`` (n,) selects components (-1: any)."""
        if labels is not None:
            if self.n_components == 0:
                raise ValueError(f"{type(self).__name__} has no components to condition on")
            labels = torch.as_tensor(labels, dtype=torch.long)
            if labels.shape != (n,):
                raise ValueError(f"labels must have shape ({n},), got {tuple(labels.shape)}")
            if labels.numel() and (labels.min() < -1 or labels.max() >= self.n_components):
                raise ValueError(
                    f"labels must be in [-1, {self.n_components - 1}] (-1 = unlabeled)"
                )
        return self._sample(n, generator, labels)

    def _sample(self, n, generator, labels) -> torch.Tensor:
        raise NotImplementedError

    def _components(self, n, generator, labels) -> torch.Tensor:
        """Component index per draw: the given label, or uniform where the label is -1/absent."""
        k = torch.randint(self.n_components, (n,), generator=generator)
        if labels is not None:
            k = torch.where(labels >= 0, labels, k)
        return k

    def component(self, z: torch.Tensor) -> torch.Tensor:
        """Index (n,) of the component each code (n, dim) lies nearest to: the label that code
        would stand for under label-conditioned regularization (paper Fig. 4)."""
        raise NotImplementedError(f"{type(self).__name__} has no components")

    def icdf(self, p: torch.Tensor) -> torch.Tensor:
        """Inverse CDF of one coordinate's marginal (used for the manifold grid, Fig. 2e)."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form marginal icdf")


class GaussianPrior(Prior):
    """Isotropic N(0, std^2 I) in ``dim`` dimensions (paper section 3 uses std 5 in 8-D)."""

    def __init__(self, dim: int, std: float = 1.0):
        self.dim, self.std = dim, std

    def _sample(self, n, generator, labels):
        return self.std * torch.randn(n, self.dim, generator=generator)

    def icdf(self, p):
        return self.std * math.sqrt(2.0) * torch.erfinv(2 * p - 1)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log p(z), shape (n,)."""
        var = self.std**2
        return -0.5 * (z.pow(2).sum(-1) / var + self.dim * math.log(2 * math.pi * var))


class UniformPrior(Prior):
    """Uniform on the box [low, high]^dim."""

    def __init__(self, dim: int, low: float = -1.0, high: float = 1.0):
        self.dim, self.low, self.high = dim, low, high

    def _sample(self, n, generator, labels):
        return self.low + (self.high - self.low) * torch.rand(n, self.dim, generator=generator)

    def icdf(self, p):
        return self.low + (self.high - self.low) * p


class MixturePrior(Prior):
    """K elongated 2-D Gaussians arranged radially like petals (paper Figs. 2b, 4a).

    Component k has std ``radial_std`` along the direction theta_k = 2 pi k / K and
    ``tangential_std`` across it, centred at ``radius`` * (cos theta_k, sin theta_k).
    """

    dim = 2

    def __init__(self, n_components=10, radius=1.4, radial_std=0.5, tangential_std=0.05):
        self.n_components = n_components
        self.radius, self.radial_std, self.tangential_std = radius, radial_std, tangential_std
        theta = 2 * math.pi * torch.arange(n_components) / n_components
        self.directions = torch.stack([theta.cos(), theta.sin()], dim=1)  # (K, 2)

    def _sample(self, n, generator, labels):
        k = self._components(n, generator, labels)
        eps = torch.randn(n, 2, generator=generator)
        along = self.radius + self.radial_std * eps[:, 0]  # distance along the petal's axis
        across = self.tangential_std * eps[:, 1]
        u = self.directions[k]  # (n, 2) unit vector of the petal
        normal = torch.stack([-u[:, 1], u[:, 0]], dim=1)
        return along[:, None] * u + across[:, None] * normal

    def sweep(self, k: int, n: int, extent: float = 2.0) -> torch.Tensor:
        """(n, 2) points along component k's main axis, from -extent to +extent radial stds
        around its centre (the style sweeps of paper Fig. 4b)."""
        along = self.radius + self.radial_std * torch.linspace(-extent, extent, n)
        return along[:, None] * self.directions[k]

    def component_log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log N_k(z) of each component, shape (n, K)."""
        u = self.directions.to(z.device)  # (K, 2)
        normal = torch.stack([-u[:, 1], u[:, 0]], dim=1)
        along = z @ u.T - self.radius  # (n, K)
        across = z @ normal.T
        log_norm = math.log(2 * math.pi * self.radial_std * self.tangential_std)
        return (
            -0.5 * ((along / self.radial_std) ** 2 + (across / self.tangential_std) ** 2) - log_norm
        )

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log p(z) of the equal-weight mixture, shape (n,)."""
        return torch.logsumexp(self.component_log_prob(z), dim=1) - math.log(self.n_components)

    def component(self, z: torch.Tensor) -> torch.Tensor:
        """The most likely component of each code, shape (n,)."""
        return self.component_log_prob(z).argmax(dim=1)


class SwissRollPrior(Prior):
    """A 2-D swiss roll; label k owns the k-th of K equal segments (paper Fig. 4c).

    u ~ U(k/K, (k+1)/K); r = scale * sqrt(u); phi = 2 pi turns * sqrt(u); z = r (cos phi, sin phi).
    """

    dim = 2

    def __init__(self, n_components=10, scale=3.0, turns=2.0):
        self.n_components, self.scale, self.turns = n_components, scale, turns

    def _sample(self, n, generator, labels):
        k = self._components(n, generator, labels)
        u = (k + torch.rand(n, generator=generator)) / self.n_components
        return self.point(u)

    def sweep(self, k: int, n: int) -> torch.Tensor:
        """(n, 2) points along segment k of the roll, from its start to its end (Fig. 4d)."""
        u = (k + torch.linspace(0.02, 0.98, n)) / self.n_components
        return self.point(u)

    def component(self, z: torch.Tensor, resolution: int = 4000) -> torch.Tensor:
        """The segment holding the point of the roll nearest to each code, shape (n,)."""
        u = (torch.arange(resolution, dtype=z.dtype) + 0.5) / resolution
        nearest = torch.cdist(z.float(), self.point(u).to(z.device).float()).argmin(dim=1)
        return (u.to(z.device)[nearest] * self.n_components).long().clamp_max(self.n_components - 1)

    def point(self, u: torch.Tensor) -> torch.Tensor:
        """Position on the roll for the coordinate u in [0, 1] along it, shape (n, 2)."""
        s = u.sqrt()
        phi = 2 * math.pi * self.turns * s
        return self.scale * s[:, None] * torch.stack([phi.cos(), phi.sin()], dim=1)


def build_prior(cfg: PriorConfig, latent_dim: int) -> Prior:
    """The prior named by ``cfg.type``."""
    if cfg.type == "gaussian":
        return GaussianPrior(latent_dim, cfg.std)
    if cfg.type == "uniform":
        return UniformPrior(latent_dim, cfg.low, cfg.high)
    if cfg.type == "mixture":
        return MixturePrior(cfg.n_components, cfg.radius, cfg.radial_std, cfg.tangential_std)
    if cfg.type == "swiss_roll":
        return SwissRollPrior(cfg.n_components, cfg.roll_scale, cfg.roll_turns)
    raise ValueError(f"unknown prior type {cfg.type!r}")
