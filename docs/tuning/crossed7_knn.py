"""Does a subset's labeled geometry in pixel space foretell where its run puts the crossed 7s?

The crossed 7s are read off the committed 100-label checkpoints: the validation 7s that at least
``--min-votes`` of the confused runs (``--confused``) call 9. For every seed's labeled subset
(training images only) each of those images gets the label of its nearest labeled images in
pixel space (k-NN, Euclidean); printed per seed: how many the k-NN calls 9 and 7, and how many
the seed's own committed run calls 9, and how many of the subset's ten labeled 7s at least
``--min-votes`` of the other confused runs call 9 (crossed 7s among its labels). With ``--nn-epochs E`` also how q(y|x)'s network trained
by the cross-entropy phase alone on the same subset for E epochs (the NN baseline of
``nn_baseline.py``: no reconstruction, no adversary, no unlabeled image) calls them. Validation
split only::

    python docs/tuning/crossed7_knn.py --data-dir ../shared/data
    python docs/tuning/crossed7_knn.py --data-dir ../shared/data --nn-epochs 4
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from nn_baseline import train_classifier
from sklearn.metrics import pairwise_distances
from sklearn.neighbors import KNeighborsClassifier

from torch_aae.reproduce import load_classifier
from torch_aae.training.data import load_data
from torch_aae.training.trainer import predict_labels

CKPT = "results/checkpoints/semi_supervised_100_seed{}.pt"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    p.add_argument("--confused", type=int, nargs="+", default=[1, 2, 4, 5, 7, 8])
    p.add_argument("--min-votes", type=int, default=3)
    p.add_argument("--k", type=int, nargs="+", default=[1, 3, 5])
    p.add_argument("--data-dir", default=None)
    p.add_argument("--nn-epochs", type=int, default=0, help="also the CE-only network (0: no)")
    args = p.parse_args()

    preds, labeled, configs, models = {}, {}, {}, {}
    for seed in args.seeds:
        cfg, model = load_classifier(CKPT.format(seed))
        if args.data_dir:
            cfg = cfg.replace(**{"data.data_dir": args.data_dir})
        data = load_data(cfg.data, cfg.train.seed)  # the run's own labeled subset
        configs[seed] = cfg
        idx = np.flatnonzero(data.train_labels.numpy() >= 0)
        labeled[seed] = data.train.x[idx].numpy(), data.train_labels.numpy()[idx]
        val = data.val
        preds[seed] = predict_labels(model, val.x).numpy()
        models[seed] = model
    y = val.y.numpy()
    votes = sum((preds[s] == 9) & (y == 7) for s in args.confused)
    crossed = np.flatnonzero(votes >= args.min_votes)
    print(f"crossed 7s: {len(crossed)} validation 7s called 9 by >= {args.min_votes} confused runs")
    x_cross = val.x[crossed].numpy()

    for seed in args.seeds:
        xl, yl = labeled[seed]
        cells = []
        for k in args.k:
            knn = KNeighborsClassifier(n_neighbors=k).fit(xl, yl).predict(x_cross)
            cells.append(f"k={k}: {(knn == 9).sum():3d} as 9, {(knn == 7).sum():3d} as 7")
        # the subset's own labeled 7s that the other confused runs call 9: crossed 7s among
        # its labels, by the same vote as the validation ones
        others = [s for s in args.confused if s != seed]
        x7 = torch.from_numpy(xl[yl == 7])
        lab_votes = sum((predict_labels(models[s], x7).numpy() == 9) for s in others)
        cells.append(f"labeled crossed 7s: {(lab_votes >= args.min_votes).sum()}")
        d = pairwise_distances(x_cross, xl)
        d7 = d[:, yl == 7].min(1)
        d9 = d[:, yl == 9].min(1)
        if args.nn_epochs:
            cfg = configs[seed].replace(**{"train.device": "cpu"})
            data = load_data(cfg.data, cfg.train.seed)
            net, _, _ = train_classifier(cfg, data, args.nn_epochs, select=False)
            nn_pred = predict_labels(net, val.x[crossed]).numpy()
            nn_all = predict_labels(net, val.x).numpy()
            cells.append(
                f"CE alone, {args.nn_epochs} epochs: {(nn_pred == 9).sum():3d} as 9, "
                f"{(nn_pred == 7).sum():3d} as 7 (all validation 7s called 9: "
                f"{((nn_all == 9) & (y == 7)).sum()})"
            )
        run9 = int((preds[seed][crossed] == 9).sum())
        tag = "confused" if seed in args.confused else "clean"
        print(
            f"seed {seed} ({tag:8s}) run calls {run9:3d} of them 9 | "
            + " | ".join(cells)
            + f" | nearest 9 closer than nearest 7: {(d9 < d7).sum():3d}"
            + f" | median d7/d9 {np.median(d7 / d9):.3f}"
        )


if __name__ == "__main__":
    main()
