"""Probe: the scikit-learn ``AAEClusterer`` on a small table (scikit-learn's 8 x 8 digits).

All 1,797 rows, standardized inside the estimator, 16 clusters, 5-D style, seeds 0 and 1: the
defaults (Adam, the paper's plain model) against the earlier image recipe of
``configs/clustering_16.toml`` (SGD with the appendix rates, discriminator noise 0.5,
encoder-input noise 0.3, init std 0.05, reconstruction weight 0.1) and the clustering configs'
batch-normalised recipe (SGD with the appendix rates, ``batch_norm="encoder"``, encoder-input
noise 0.3, the paper's init and reconstruction weight), and k-means (16 clusters, 10 restarts)
on the same standardized rows. Scores on the fitted rows: clusters used, NMI, ARI,
majority-vote error, mean confidence. One thread, about 8 minutes for the first two settings:

    python docs/tuning/clusterer_digits_probe.py --epochs 50
    python docs/tuning/clusterer_digits_probe.py --epochs 50 --settings "batch-norm recipe"
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from torch_aae.clustering import cluster_scores
from torch_aae.estimators import AAEClusterer

RECIPE = {
    "optimizer": "sgd",
    "learning_rate": 0.01,
    "learning_rate_adversarial": 0.1,
    "disc_noise_std": 0.5,
    "input_noise_std": 0.3,
    "init_std": 0.05,
    "recon_weight": 0.1,
}
BN_RECIPE = {
    "optimizer": "sgd",
    "learning_rate": 0.01,
    "learning_rate_adversarial": 0.1,
    "batch_norm": "encoder",
    "input_noise_std": 0.3,
}
SETTINGS = {"defaults": {}, "image recipe": RECIPE, "batch-norm recipe": BN_RECIPE}


def scores(y: np.ndarray, q: np.ndarray) -> dict:
    """Scores on the fitted rows, each cluster labelled from those rows."""
    s = cluster_scores(q, y, q, y)
    return {
        "clusters_used": s["n_clusters_used"],
        "nmi": round(s["nmi"], 3),
        "ari": round(s["ari"], 3),
        "majority_error_percent": round(s["majority_error_percent"], 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument(
        "--settings",
        nargs="+",
        choices=list(SETTINGS),
        default=["defaults", "image recipe"],
        help="which AAE settings to fit (k-means is always scored)",
    )
    a = p.parse_args()
    X, y = load_digits(return_X_y=True)
    for seed in a.seeds:
        for name in a.settings:
            kw = SETTINGS[name]
            start = time.time()
            est = AAEClusterer(
                n_clusters=16, style_dim=5, epochs=a.epochs, random_state=seed, **kw
            ).fit(X)
            q = est.predict_proba(X)
            conf = round(float(q.max(1).mean()), 3)
            row = {"setting": name, "seed": seed, **scores(y, q)}
            print(
                json.dumps(row | {"mean_confidence": conf, "seconds": round(time.time() - start)})
            )
        pred = KMeans(16, n_init=10, random_state=seed).fit_predict(
            StandardScaler().fit_transform(X)
        )
        one_hot = np.eye(16)[pred]  # hard assignments as cluster probabilities
        print(json.dumps({"setting": "k-means", "seed": seed, **scores(y, one_hot)}))


if __name__ == "__main__":
    main()
