"""Probe: the scikit-learn ``AAEClusterer`` on MNIST pixels.

Fits on the first 10,000 training images (16 clusters, 5-D style, pixels in [0, 1] with a sigmoid
decoder) and scores the 10,000 validation images (the last 10,000 of the 60,000 training
images): clusters in use, NMI, majority-vote error, mean confidence. Used for the README's
scikit-learn paragraph; one thread, 2-3 minutes per call:

    python docs/tuning/clusterer_mnist_probe.py --disc-noise 0.5 --optimizer adam --data-dir ../shared/data
    python docs/tuning/clusterer_mnist_probe.py --disc-noise 0.5 --input-noise 0.3 --init-std 0.05 \
        --recon-weight 0.1 --optimizer sgd --data-dir ../shared/data   # the earlier clustering_16.toml recipe
    python docs/tuning/clusterer_mnist_probe.py --batch-norm encoder --input-noise 0.3 \
        --optimizer sgd --epochs 30 --data-dir ../shared/data   # the clustering configs' recipe
"""

from __future__ import annotations

import argparse
import json
import time

from torch_aae.clustering import cluster_scores
from torch_aae.config import DataConfig
from torch_aae.estimators import AAEClusterer
from torch_aae.training.data import load_data


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-norm", default="none", help="model.batch_norm (checked by the config)")
    p.add_argument("--disc-noise", type=float, default=0.0)
    p.add_argument("--input-noise", type=float, default=0.0)
    p.add_argument("--init-std", type=float, default=0.01)
    p.add_argument("--recon-weight", type=float, default=1.0)
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None)
    a = p.parse_args()
    data = load_data(DataConfig(dataset="mnist", val_size=10000, data_dir=a.data_dir))
    val = data.split("val")
    x_fit, x_val, y_val = data.train.x[:10000].numpy(), val.x.numpy(), val.y.numpy()
    # sgd: the appendix A.2 rates (reconstruction 0.01, adversaries 0.1)
    rates = (
        {"learning_rate": 0.01, "learning_rate_adversarial": 0.1} if a.optimizer == "sgd" else {}
    )
    start = time.time()
    est = AAEClusterer(
        n_clusters=16,
        style_dim=5,
        batch_norm=a.batch_norm,
        disc_noise_std=a.disc_noise,
        input_noise_std=a.input_noise,
        init_std=a.init_std,
        recon_weight=a.recon_weight,
        optimizer=a.optimizer,
        epochs=a.epochs,
        standardize=False,
        decoder_output="sigmoid",
        random_state=a.seed,
        **rates,
    ).fit(x_fit)
    q = est.predict_proba(x_val)
    scores = cluster_scores(q, y_val, q, y_val)  # clusters labelled from the scored images
    print(
        json.dumps(
            {
                "batch_norm": a.batch_norm,
                "disc_noise_std": a.disc_noise,
                "input_noise_std": a.input_noise,
                "init_std": a.init_std,
                "recon_weight": a.recon_weight,
                "optimizer": a.optimizer,
                "epochs": a.epochs,
                "seed": a.seed,
                "clusters_used": scores["n_clusters_used"],
                "val_nmi": round(scores["nmi"], 3),
                "val_majority_error_percent": round(scores["majority_error_percent"], 2),
                "mean_confidence": round(scores["mean_confidence"], 3),
                "seconds": round(time.time() - start),
            }
        )
    )


if __name__ == "__main__":
    main()
