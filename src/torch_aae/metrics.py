"""Evaluation metrics on numpy arrays: reconstruction error and how well q(z) matches p(z).

The aggregated posterior q(z) of an adversarial autoencoder should match the prior p(z)
(paper section 2). Two two-sample tests measure that on held-out codes:

* :func:`mmd_test`: unbiased MMD^2 with a Gaussian kernel and a permutation test;
* :func:`c2st_accuracy`: a classifier two-sample test (k-nearest neighbours), where 0.5 means
  the codes cannot be told apart from prior samples and 1.0 means they are fully separable.

Everything takes and returns numpy arrays or plain floats; nothing depends on the model.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.spatial.distance import cdist, pdist
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

__all__ = ["c2st_accuracy", "mmd_test", "prior_match", "reconstruction_error"]

_BCE_EPS = 1e-7


def reconstruction_error(x: np.ndarray, x_hat: np.ndarray) -> dict[str, float]:
    """Reconstruction error of ``x_hat`` against ``x``.

    Args:
        x: targets, shape (n, ...) (trailing dims are flattened into features).
        x_hat: reconstructions, same shape as ``x``.

    Returns:
        ``{"mse_sum", "mse_mean", "bce_sum"}``: squared error summed over features and averaged
        over examples; squared error averaged over all entries; binary cross-entropy summed over
        features and averaged over examples (``x_hat`` clipped to [1e-7, 1 - 1e-7]; only
        meaningful when ``x`` lies in [0, 1]).
    """
    x = np.asarray(x, dtype=np.float64)
    x_hat = np.asarray(x_hat, dtype=np.float64)
    if x.shape != x_hat.shape:
        raise ValueError(f"x and x_hat must have the same shape, got {x.shape} and {x_hat.shape}")
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(f"x must hold at least one example, got shape {x.shape}")
    x = x.reshape(x.shape[0], -1)
    x_hat = x_hat.reshape(x_hat.shape[0], -1)
    sq = (x - x_hat) ** 2
    p = np.clip(x_hat, _BCE_EPS, 1.0 - _BCE_EPS)
    bce = -(x * np.log(p) + (1.0 - x) * np.log1p(-p))
    return {
        "mse_sum": float(sq.sum(axis=1).mean()),
        "mse_mean": float(sq.mean()),
        "bce_sum": float(bce.sum(axis=1).mean()),
    }


def _as_samples(a: np.ndarray, name: str) -> np.ndarray:
    """``a`` as a finite float64 array of shape (n, d); a 1-D array is n samples of 1 dim."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{name} must have shape (n, d), got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def _paired(
    codes: np.ndarray,
    prior_samples: np.ndarray,
    rng: np.random.Generator,
    max_n: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two samples of equal size n = min(len(codes), len(prior_samples), max_n).

    A side with more than n rows is reduced to a seeded random subset of n rows (kept in
    their original order), so that sorted inputs (e.g. codes grouped by class) stay fair.
    """
    x = _as_samples(codes, "codes")
    y = _as_samples(prior_samples, "prior_samples")
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"codes and prior_samples must have the same dimension, got {x.shape[1]} and "
            f"{y.shape[1]}"
        )
    n = min(len(x), len(y))
    if max_n is not None:
        n = min(n, int(max_n))
    if n < 2:
        raise ValueError(f"need at least 2 codes and 2 prior samples, got {len(x)} and {len(y)}")

    def take(a: np.ndarray) -> np.ndarray:
        if len(a) == n:
            return a
        return a[np.sort(rng.choice(len(a), size=n, replace=False))]

    return take(x), take(y)


def _median_bandwidth(z: np.ndarray) -> float:
    """Median of the positive pairwise Euclidean distances of ``z`` (n, d); 1.0 if none."""
    d = pdist(z, metric="euclidean")
    d = d[d > 0]
    if d.size == 0:
        return 1.0
    return float(np.median(d))


def _mmd2_unbiased(k0: np.ndarray, a: np.ndarray, m: int) -> np.ndarray:
    """Unbiased MMD^2 for each split of the pooled sample.

    Args:
        k0: pooled kernel matrix with a zeroed diagonal, shape (2m, 2m).
        a: split indicators, shape (2m, P): 1 for the first sample, 0 for the second, with m
            ones per column.
        m: size of each sample.

    Returns:
        MMD^2 per column of ``a``, shape (P,).
    """
    r = k0.sum(axis=1)  # (2m,) row sums
    total = r.sum()
    ka = k0 @ a  # (2m, P)
    s_xx = np.einsum("ip,ip->p", a, ka)  # sum over i != j in X of k(x_i, x_j)
    ar = a.T @ r  # sum over i in X, j anywhere (j != i)
    s_xy = ar - s_xx  # sum over i in X, j in Y (diagonal is zero, so nothing to remove)
    s_yy = total - 2.0 * ar + s_xx  # (1 - a)^T K0 (1 - a)
    return (s_xx + s_yy) / (m * (m - 1)) - 2.0 * s_xy / (m * m)


def mmd_test(
    codes: np.ndarray,
    prior_samples: np.ndarray,
    *,
    n_permutations: int = 200,
    alpha: float = 0.05,
    seed: int = 0,
    max_n: int | None = None,
) -> dict[str, float | int]:
    """Two-sample test of codes against prior samples with the unbiased MMD^2 statistic.

    The kernel is k(x, y) = exp(-||x - y||^2 / (2 h^2)), with the bandwidth h the median
    pairwise distance of the pooled sample (median heuristic). The null distribution comes from
    ``n_permutations`` random relabellings of the pooled sample, evaluated on the precomputed
    pooled kernel matrix (memory ~ 32 (2n)^2 bytes: n = 2,000 takes about half a GiB).

    Args:
        codes: codes z ~ q(z), shape (n1, d).
        prior_samples: samples z ~ p(z), shape (n2, d).
        n_permutations: number of permutations for the null distribution.
        alpha: significance level for ``threshold``.
        seed: seed for the subsampling and the permutations.
        max_n: optional cap on the per-side size n (a seeded random subset is used).

    Returns:
        ``{"mmd2", "threshold", "p_value", "alpha", "bandwidth", "n"}``: the statistic, the
        (1 - alpha) quantile of the permuted statistics, the permutation p-value
        (1 + #{perm >= mmd2}) / (1 + n_permutations), alpha, h, and the per-side size
        n = min(n1, n2, max_n) (the larger side is reduced to a seeded random subset).
    """
    if n_permutations < 1:
        raise ValueError(f"n_permutations must be >= 1, got {n_permutations}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    rng = np.random.default_rng(seed)
    x, y = _paired(codes, prior_samples, rng, max_n)
    m = len(x)
    z = np.concatenate([x, y], axis=0)
    h = _median_bandwidth(z)
    k0 = cdist(z, z, metric="sqeuclidean")
    k0 *= -1.0 / (2.0 * h * h)
    np.exp(k0, out=k0)
    np.fill_diagonal(k0, 0.0)

    base = np.concatenate([np.ones(m), np.zeros(m)])
    observed = float(_mmd2_unbiased(k0, base[:, None], m)[0])
    splits = rng.permuted(np.broadcast_to(base, (n_permutations, 2 * m)), axis=1).T
    null = _mmd2_unbiased(k0, np.ascontiguousarray(splits), m)
    p_value = (1.0 + np.count_nonzero(null >= observed)) / (1.0 + n_permutations)
    return {
        "mmd2": observed,
        "threshold": float(np.quantile(null, 1.0 - alpha)),
        "p_value": float(p_value),
        "alpha": float(alpha),
        "bandwidth": h,
        "n": int(m),
    }


def c2st_accuracy(
    codes: np.ndarray,
    prior_samples: np.ndarray,
    *,
    seed: int = 0,
    n_splits: int = 5,
    n_neighbors: int | None = None,
    max_n: int | None = None,
) -> dict[str, float | int]:
    """Classifier two-sample test: how well a k-NN classifier tells codes from prior samples.

    Codes get label 0 and prior samples label 1 (equal sizes n); features are standardised
    inside each cross-validation fold, and a k-nearest-neighbour classifier is scored by
    stratified k-fold cross-validation (shuffled with ``seed``).

    Args:
        codes: codes z ~ q(z), shape (n1, d).
        prior_samples: samples z ~ p(z), shape (n2, d).
        seed: seed for the subsampling and the fold assignment.
        n_splits: number of cross-validation folds (reduced to n when n is smaller).
        n_neighbors: k; default: the odd number nearest sqrt(2n), capped by the training size.
        max_n: optional cap on the per-side size n (a seeded random subset is used).

    Returns:
        ``{"accuracy", "accuracy_std", "n", "n_neighbors"}``: mean and standard deviation of the
        held-out fold accuracies, the per-side size n and the k used. 0.5 means q(z) matches
        p(z); 1.0 means the two are fully separable.
    """
    if n_splits < 2:
        raise ValueError(f"n_splits must be >= 2, got {n_splits}")
    rng = np.random.default_rng(seed)
    x, y = _paired(codes, prior_samples, rng, max_n)
    m = len(x)
    splits = min(int(n_splits), m)
    n_train = 2 * m - math.ceil(2 * m / splits)
    if n_neighbors is None:
        k = int(round(math.sqrt(2 * m)))
        k = k + 1 if k % 2 == 0 else k
    else:
        k = int(n_neighbors)
        if k < 1:
            raise ValueError(f"n_neighbors must be >= 1, got {n_neighbors}")
    k = max(1, min(k, n_train))
    features = np.concatenate([x, y], axis=0)
    target = np.concatenate([np.zeros(m, dtype=np.int64), np.ones(m, dtype=np.int64)])
    clf = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=k))
    cv = StratifiedKFold(n_splits=splits, shuffle=True, random_state=seed)
    scores = cross_val_score(clf, features, target, cv=cv, scoring="accuracy")
    return {
        "accuracy": float(np.mean(scores)),
        "accuracy_std": float(np.std(scores)),
        "n": int(m),
        "n_neighbors": int(k),
    }


def prior_match(
    codes: np.ndarray,
    prior_samples: np.ndarray,
    seed: int = 0,
    *,
    alpha: float = 0.05,
    n_permutations: int = 200,
    max_n: int | None = 2000,
) -> dict[str, Any]:
    """How well codes match the prior: :func:`mmd_test` and :func:`c2st_accuracy` together.

    Args:
        codes: codes z ~ q(z), shape (n1, d).
        prior_samples: samples z ~ p(z), shape (n2, d).
        seed: seed for both tests.
        alpha: significance level of the MMD test.
        n_permutations: permutations of the MMD test.
        max_n: cap on the per-side size (default 2,000 keeps the MMD kernel matrix small);
            ``None`` uses min(n1, n2).

    Returns:
        ``{"mmd2", "mmd_threshold", "mmd_p_value", "mmd_alpha", "mmd_bandwidth",
        "c2st_accuracy", "c2st_accuracy_std", "c2st_n_neighbors", "n", "matched"}`` where
        ``matched`` is ``mmd_p_value >= alpha`` (the MMD test does not reject q(z) = p(z)).
    """
    mmd = mmd_test(
        codes, prior_samples, n_permutations=n_permutations, alpha=alpha, seed=seed, max_n=max_n
    )
    c2st = c2st_accuracy(codes, prior_samples, seed=seed, max_n=max_n)
    return {
        "mmd2": mmd["mmd2"],
        "mmd_threshold": mmd["threshold"],
        "mmd_p_value": mmd["p_value"],
        "mmd_alpha": mmd["alpha"],
        "mmd_bandwidth": mmd["bandwidth"],
        "c2st_accuracy": c2st["accuracy"],
        "c2st_accuracy_std": c2st["accuracy_std"],
        "c2st_n_neighbors": c2st["n_neighbors"],
        "n": mmd["n"],
        "matched": bool(mmd["p_value"] >= alpha),
    }
