from __future__ import annotations

import math

import pytest
import torch

from torch_aae.priors import GaussianPrior, MixturePrior, SwissRollPrior, UniformPrior


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_gaussian_moments_and_seed():
    prior = GaussianPrior(8, std=5.0)
    z = prior.sample(50_000, gen())
    assert z.shape == (50_000, 8)
    assert z.mean(0).abs().max() < 0.1
    assert (z.std(0) - 5.0).abs().max() < 0.1
    assert torch.equal(prior.sample(10, gen(3)), prior.sample(10, gen(3)))
    assert not torch.equal(prior.sample(10, gen(3)), prior.sample(10, gen(4)))


def test_gaussian_icdf_and_log_prob():
    prior = GaussianPrior(2, std=2.0)
    assert prior.icdf(torch.tensor([0.5])).item() == pytest.approx(0.0, abs=1e-6)
    assert prior.icdf(torch.tensor([0.8413447])).item() == pytest.approx(2.0, rel=1e-3)
    z = torch.zeros(1, 2)
    assert prior.log_prob(z).item() == pytest.approx(-math.log(2 * math.pi * 4.0))


def test_uniform_bounds():
    z = UniformPrior(3, -2.0, 1.0).sample(10_000, gen())
    assert z.min() >= -2.0 and z.max() <= 1.0
    assert z.mean().item() == pytest.approx(-0.5, abs=0.05)


def test_mixture_component_means_and_shape():
    prior = MixturePrior(10, radius=1.4, radial_std=0.5, tangential_std=0.05)
    for k in range(10):
        z = prior.sample(4000, gen(k), labels=torch.full((4000,), k))
        theta = 2 * math.pi * k / 10
        centre = torch.tensor([1.4 * math.cos(theta), 1.4 * math.sin(theta)])
        assert torch.allclose(z.mean(0), centre, atol=0.03)
        u = torch.tensor([math.cos(theta), math.sin(theta)])
        n = torch.tensor([-math.sin(theta), math.cos(theta)])
        assert ((z - centre) @ u).std().item() == pytest.approx(0.5, rel=0.05)
        assert ((z - centre) @ n).std().item() == pytest.approx(0.05, rel=0.05)


def test_mixture_unlabeled_uses_all_components():
    prior = MixturePrior(10)
    z = prior.sample(20_000, gen(), labels=torch.full((20_000,), -1))
    angle = torch.atan2(z[:, 1], z[:, 0]) % (2 * math.pi)
    k = torch.round(angle / (2 * math.pi / 10)).long() % 10
    counts = torch.bincount(k, minlength=10).float()
    assert (counts / counts.sum() - 0.1).abs().max() < 0.01


def test_mixture_log_prob_integrates_to_one():
    prior = MixturePrior(10)
    xs = torch.linspace(-4, 4, 801)
    grid = torch.cartesian_prod(xs, xs)
    mass = prior.log_prob(grid).exp().sum() * (xs[1] - xs[0]) ** 2
    assert mass.item() == pytest.approx(1.0, abs=0.01)


def test_swiss_roll_segments():
    prior = SwissRollPrior(10, scale=3.0, turns=2.0)
    for k in (0, 4, 9):
        z = prior.sample(2000, gen(k), labels=torch.full((2000,), k))
        r = z.norm(dim=1)
        # r = 3 sqrt(u) with u in [k/10, (k+1)/10)
        assert r.min() >= 3 * math.sqrt(k / 10) - 1e-5
        assert r.max() <= 3 * math.sqrt((k + 1) / 10) + 1e-5
        # the angle follows the radius: phi = 4 pi sqrt(u) = 4 pi r / 3
        phi = 4 * math.pi * r / 3
        assert torch.allclose(z, r[:, None] * torch.stack([phi.cos(), phi.sin()], 1), atol=1e-4)


def test_label_validation():
    with pytest.raises(ValueError, match=r"\[-1, 9\]"):
        MixturePrior(10).sample(2, gen(), labels=torch.tensor([0, 10]))
    with pytest.raises(ValueError, match="no components"):
        GaussianPrior(2).sample(2, gen(), labels=torch.tensor([0, 1]))


def test_style_sweeps_stay_on_their_component():
    mix = MixturePrior(n_components=10)
    line = mix.sweep(3, 9)
    u = mix.directions[3]
    assert torch.allclose(line @ torch.stack([-u[1], u[0]]), torch.zeros(9), atol=1e-6)  # on axis
    along = line @ u
    assert torch.all(along[1:] > along[:-1])  # outward along the petal
    assert torch.allclose(along[[0, -1]], torch.tensor([1.4 - 1.0, 1.4 + 1.0]))
    roll = SwissRollPrior(n_components=10)
    pts = roll.sweep(4, 7)
    r = pts.norm(dim=1) / roll.scale  # r = scale * sqrt(u): u stays inside segment 4
    assert torch.all((r**2 > 0.4) & (r**2 < 0.5))


@pytest.mark.parametrize("prior", [MixturePrior(10), SwissRollPrior(10)], ids=["mixture", "roll"])
def test_component_recovers_the_label_of_a_draw(prior):
    labels = torch.arange(10).repeat(200)
    z = prior.sample(len(labels), gen(3), labels=labels)
    found = prior.component(z)
    assert found.shape == labels.shape and found.dtype == torch.long
    assert float((found == labels).float().mean()) > 0.97  # only draws at segment ends can miss
    # every point of a component's style sweep (its axis / its stretch of the roll) names it
    for k in (0, 2, 7, 9):
        assert torch.equal(prior.component(prior.sweep(k, 5)), torch.full((5,), k))


def test_component_needs_a_prior_with_components():
    with pytest.raises(NotImplementedError, match="no components"):
        GaussianPrior(2).component(torch.zeros(3, 2))
