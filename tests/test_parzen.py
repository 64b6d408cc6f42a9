from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from torch_aae.parzen import parzen_evaluate, parzen_log_likelihood


def test_matches_scipy_mixture_density():
    rng = np.random.default_rng(0)
    mu, x = rng.normal(size=(50, 3)), rng.normal(size=(7, 3))
    sigma = 0.7
    ll = parzen_log_likelihood(mu, x, [sigma], batch_size=3)[0]
    per = np.stack([multivariate_normal(m, sigma**2 * np.eye(3)).logpdf(x) for m in mu])
    np.testing.assert_allclose(ll, logsumexp(per, axis=0) - np.log(50), rtol=1e-10)


def test_selects_sigma_on_validation_and_reports_standard_error():
    rng = np.random.default_rng(1)
    samples = rng.normal(0, 0.3, size=(2000, 2))
    val, test = rng.normal(0, 0.3, size=(500, 2)), rng.normal(0, 0.3, size=(400, 2))
    out = parzen_evaluate(samples, val, test, sigmas=[0.001, 0.1, 10.0])
    assert out["sigma"] == 0.1
    assert out["val_mean_by_sigma"]["0.1"] == max(out["val_mean_by_sigma"].values())
    ll = parzen_log_likelihood(samples, test, [0.1])[0]
    assert out["test_mean"] == pytest.approx(ll.mean())
    assert out["test_se"] == pytest.approx(ll.std() / np.sqrt(400))
    # the true density N(0, 0.3^2 I) gives a log-likelihood the estimate should approach
    true = multivariate_normal(np.zeros(2), 0.09 * np.eye(2)).logpdf(test).mean()
    assert abs(out["test_mean"] - true) < 0.3


def test_shape_errors():
    with pytest.raises(ValueError, match="must be"):
        parzen_log_likelihood(np.zeros((3, 2)), np.zeros((3, 4)), [0.1])


def test_nearest_training_images_match_brute_force():
    import torch

    from torch_aae.evaluation import nearest_training_images

    gen = torch.Generator().manual_seed(0)
    train = torch.rand(25_000, 6, generator=gen)  # several chunks of 10,000
    samples = torch.rand(4, 6, generator=gen)
    got = nearest_training_images(samples, train, k=3)
    want = torch.cdist(samples, train).topk(3, dim=1, largest=False).indices
    assert torch.equal(got, want)
