"""Baseline: k-means on MNIST pixels, scored exactly as the clustering AAE (paper section 6).

k-means (scikit-learn, k-means++ starts) is fitted on the 50,000 training images, pixels in
[0, 1], no labels. Each cluster's "most confident" image is the one nearest its centre, so the
paper's rule names every cluster with the label of that image; the other scores are those of
``torch_aae.clustering.cluster_scores``. Validation: clusters named from validation images, as
in the AAE runs' per-epoch logs; test: named from training images, as in the results files::

    python docs/tuning/kmeans_baseline.py --clusters 16 30 20 --seeds 0 1 2 --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import json
import time

from sklearn.cluster import KMeans

from torch_aae.clustering import cluster_scores
from torch_aae.config import DataConfig
from torch_aae.training.data import load_data


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clusters", type=int, nargs="+", default=[16, 30, 20])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--n-init", type=int, default=1)
    p.add_argument("--data-dir", default=None)
    args = p.parse_args()
    data = load_data(DataConfig(dataset="mnist", val_size=10000, data_dir=args.data_dir))
    parts = {
        name: (s.x.numpy(), s.y.numpy())
        for name, s in (("train", data.train), ("val", data.val), ("test", data.test))
    }
    x_train, y_train = parts["train"]
    for k in args.clusters:
        for seed in args.seeds:
            start = time.perf_counter()
            km = KMeans(k, n_init=args.n_init, random_state=seed).fit(x_train)
            # negative squared distance to each centre: larger = "more confident"
            q = {name: -(km.transform(x) ** 2) for name, (x, _) in parts.items()}
            val = cluster_scores(q["val"], parts["val"][1], q["val"], parts["val"][1])
            test = cluster_scores(q["train"], y_train, q["test"], parts["test"][1])
            for scores in (val, test):
                scores.pop("mean_confidence")  # not a probability here
            row = {
                "clusters": k,
                "seed": seed,
                "val": val,
                "test": test,
                "seconds": round(time.perf_counter() - start, 1),
            }
            print(json.dumps(row))


if __name__ == "__main__":
    main()
