"""Properties of the reconstruction and prior-matching metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from torch_aae.metrics import c2st_accuracy, mmd_test, prior_match, reconstruction_error


def _gaussians(n: int = 1000, shift: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + shift


def test_reconstruction_error_hand_computed() -> None:
    x = np.array([[0.0, 1.0], [1.0, 1.0]])
    x_hat = np.array([[0.5, 1.0], [0.5, 0.5]])
    out = reconstruction_error(x, x_hat)
    # squared errors: [[0.25, 0], [0.25, 0.25]] -> per example 0.25 and 0.5
    assert out["mse_sum"] == pytest.approx(0.375)
    assert out["mse_mean"] == pytest.approx(0.1875)
    # bce: example 0: -log(0.5) - log(1 - 1e-7) (clipped); example 1: -2 log(0.5)
    expected = (math.log(2) - math.log1p(-1e-7) + 2 * math.log(2)) / 2
    assert out["bce_sum"] == pytest.approx(expected, rel=1e-9)
    assert set(out) == {"mse_sum", "mse_mean", "bce_sum"}


def test_reconstruction_error_clips_and_flattens() -> None:
    x = np.zeros((3, 2, 2))
    out = reconstruction_error(x, np.ones((3, 2, 2)))  # log(0) would be infinite
    assert np.isfinite(out["bce_sum"]) and out["bce_sum"] > 0
    assert out["mse_sum"] == pytest.approx(4.0)
    with pytest.raises(ValueError):
        reconstruction_error(np.zeros((2, 3)), np.zeros((3, 2)))


def test_mmd_matches_direct_formula() -> None:
    x, y = _gaussians(60, shift=0.3, seed=1)
    out = mmd_test(x, y, n_permutations=20)
    h, m = out["bandwidth"], 60
    k = lambda a, b: np.exp(-cdist(a, b, "sqeuclidean") / (2 * h * h))  # noqa: E731
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    direct = (
        (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
        + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        - 2 * kxy.mean()
    )
    assert out["mmd2"] == pytest.approx(direct, rel=1e-9, abs=1e-12)
    pooled = cdist(np.vstack([x, y]), np.vstack([x, y]))
    assert h == pytest.approx(np.median(pooled[np.triu_indices(2 * m, 1)]))


def test_same_distribution_is_not_rejected() -> None:
    x, y = _gaussians(1000)
    mmd = mmd_test(x, y)
    assert mmd["p_value"] > 0.01
    assert abs(mmd["mmd2"]) < 5e-3
    assert set(mmd) == {"mmd2", "threshold", "p_value", "alpha", "bandwidth", "n"}
    c2st = c2st_accuracy(x, y)
    assert c2st["accuracy"] < 0.58
    assert c2st["n"] == 1000


def test_shifted_distribution_is_detected() -> None:
    x, y = _gaussians(1000, shift=1.0)
    mmd = mmd_test(x, y)
    assert mmd["p_value"] < 0.01
    assert mmd["mmd2"] > mmd["threshold"]
    assert c2st_accuracy(x, y)["accuracy"] > 0.65


def test_mmd_identical_inputs_near_zero() -> None:
    x, _ = _gaussians(300)
    out = mmd_test(x, x, n_permutations=50)
    assert abs(out["mmd2"]) < 1e-2
    assert out["p_value"] > 0.5


def test_unequal_sizes_and_seed_determinism() -> None:
    x, y = _gaussians(200)
    a = mmd_test(x, y[:120], n_permutations=30, seed=3)
    b = mmd_test(x, y[:120], n_permutations=30, seed=3)
    assert a == b and a["n"] == 120
    assert c2st_accuracy(x[:50], y, seed=1)["n"] == 50
    with pytest.raises(ValueError):
        mmd_test(x, y[:, :1])
    with pytest.raises(ValueError):
        mmd_test(np.full((5, 2), np.nan), y)


def test_prior_match_keys_and_matched() -> None:
    x, y = _gaussians(300)
    same = prior_match(x, y)
    for key in ("mmd2", "mmd_threshold", "mmd_p_value", "c2st_accuracy", "n", "matched"):
        assert key in same
    assert same["matched"] is True
    shifted = prior_match(x, y + 1.0)
    assert shifted["matched"] is False
    assert shifted["c2st_accuracy"] > same["c2st_accuracy"]
