"""Probe: the training image that names each cluster under the paper rule, and what else could.

For an exported clustering classifier, per cluster: the training image with the largest
q(y = k|x) (ranked by log-odds, the rule as ``aae evaluate`` applies it), the first training
image, in data order, whose float32 q(y = k|x) rounds to the cluster's largest float32 value
(what the rule gave before the log-odds ranking), the cluster's majority label, how many
training images are tied at that float32 value, where the namer's ink (summed intensity) ranks
among its cluster's images, and the rank correlation of log-odds with ink within the cluster. Writes a figure: row 1 the log-odds namers,
row 2 the first tied images, each titled with its label and the cluster's majority label::

    python docs/tuning/naming_images.py results/checkpoints/clustering_16_seed1.pt \\
        --data-dir ../shared/data --out docs/clustering/naming_images_16_seed1.png

Training images only: the test split is not read.
"""

from __future__ import annotations

import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

from torch_aae.clustering import log_odds  # noqa: E402
from torch_aae.reproduce import load_classifier  # noqa: E402
from torch_aae.training.data import load_data  # noqa: E402
from torch_aae.training.trainer import cluster_logits  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", default=None)
    a = p.parse_args()
    cfg, model = load_classifier(a.checkpoint)
    if a.data_dir:
        cfg = cfg.replace(**{"data.data_dir": a.data_dir})
    train = load_data(cfg.data, cfg.train.seed).train
    logits = cluster_logits(model, train.x)
    y = train.y.numpy()
    q32 = torch.from_numpy(logits).float().softmax(1).numpy()
    odds = log_odds(logits)
    assign = odds.argmax(1)
    ink = train.x.sum(1).numpy()  # total intensity of each image
    rows = []
    for k in range(logits.shape[1]):
        in_k = assign == k
        members = y[in_k]
        majority = int(np.bincount(members, minlength=10).argmax()) if len(members) else None
        exact, first = int(odds[:, k].argmax()), int(q32[:, k].argmax())
        rows.append(
            {
                "cluster": k,
                "size": int(len(members)),
                "majority": majority,
                "majority_share": round(float(np.mean(members == majority)), 3)
                if majority is not None
                else None,
                "log_odds_namer": {
                    "index": exact,
                    "label": int(y[exact]),
                    "log_odds": round(float(odds[exact, k]), 1),
                },
                "first_tied": {
                    "index": first,
                    "label": int(y[first]),
                    "log_odds": round(float(odds[first, k]), 1),
                },
                "tied_at_float32_max": int((q32[:, k] == q32[:, k].max()).sum()),
                # the namer's ink as a percentile of its cluster's, and the rank correlation of
                # log-odds with ink over the cluster's members
                "namer_ink_percentile": round(float(np.mean(ink[in_k] <= ink[exact]) * 100), 1),
                "spearman_log_odds_ink": round(float(spearmanr(odds[in_k, k], ink[in_k])[0]), 3)
                if in_k.sum() > 2
                else None,
            }
        )
        print(json.dumps(rows[-1]))
    if a.out:
        n = len(rows)
        fig, axes = plt.subplots(2, n, figsize=(0.9 * n, 2.4))
        side = int(round(train.x.shape[1] ** 0.5))
        for r in rows:
            for i, key in enumerate(("log_odds_namer", "first_tied")):
                ax = axes[i, r["cluster"]]
                ax.imshow(train.x[r[key]["index"]].reshape(side, side).numpy(), cmap="gray_r")
                ax.set_xticks([])
                ax.set_yticks([])
                ax.set_title(f"{r[key]['label']} ({r['majority']})", fontsize=7)
        axes[0, 0].set_ylabel("log-odds", fontsize=7)
        axes[1, 0].set_ylabel("first tied", fontsize=7)
        fig.suptitle("per cluster: its namer's label (the cluster's majority label)", fontsize=8)
        fig.tight_layout()
        fig.savefig(a.out, dpi=120)
        print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
