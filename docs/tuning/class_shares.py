"""Probe: how a classifier run spreads the images over the classes, against the true shares.

The categorical adversary of the semi-supervised AAE matches the aggregated q(y|x) to a uniform
categorical; this prints, per run, the share of the unlabeled training images and of the
validation images that argmax q(y|x) puts in each class, the mean of q(y|x), and the true
shares, so a class the model starves (or floods) shows up. Reads no test image::

    python docs/tuning/class_shares.py runs/semi_supervised_100/seed{0,1,2}/best.pt --data-dir ../shared/data
"""

from __future__ import annotations

import argparse

import numpy as np

from torch_aae.api import AAE
from torch_aae.training.data import load_data
from torch_aae.training.trainer import cluster_probabilities


def _row(name: str, values: np.ndarray) -> str:
    return f"  {name:<28}" + " ".join(f"{v:5.1f}" for v in values)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="run directories or their best.pt / checkpoint.pt")
    p.add_argument("--data-dir", default=None)
    args = p.parse_args()
    for run in args.runs:
        trainer = AAE.load(run).trainer_
        cfg = trainer.cfg
        if args.data_dir:
            cfg = cfg.replace(**{"data.data_dir": args.data_dir})
        data = load_data(cfg.data, cfg.train.seed)
        k = cfg.model.n_classes
        print(f"{run} (seed {cfg.train.seed}, epoch {trainer.epoch}); % per class 0..{k - 1}")
        for name, part in (("train", data.train), ("val", data.val)):
            q = cluster_probabilities(trainer.model, part.x)  # q(y|x), eval mode
            n = len(q)
            print(_row(f"{name}: argmax q(y|x)", np.bincount(q.argmax(1), minlength=k) / n * 100))
            print(_row(f"{name}: mean q(y|x)", q.mean(0) * 100))
            print(_row(f"{name}: true labels", np.bincount(part.y.numpy(), minlength=k) / n * 100))


if __name__ == "__main__":
    main()
