"""Figure: validation images of two classes, split by what a classifier run calls them.

Four rows: true class A called A, A called B, B called B, B called A (the first images of each
group), so the style a run splits two classes along can be seen; prints each group's mean slant.
Validation split only::

    python docs/tuning/confused_images.py runs/diag/L3_I13 --classes 4 9 \
        --data-dir ../shared/data --out docs/semi_supervised/L3_I13_4s_9s.png
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from torch_aae.api import AAE
from torch_aae.training.data import load_data
from torch_aae.training.trainer import predict_labels


def slant(images: np.ndarray) -> np.ndarray:
    """Shear of each 28 x 28 image from its second moments: the horizontal shift of the ink per
    row going up (> 0: the top leans right)."""
    x = images.reshape(-1, 28, 28).astype(np.float64)
    r = np.arange(28)
    mass = x.sum((1, 2))
    cy = (x.sum(2) * r).sum(1) / mass
    cx = (x.sum(1) * r).sum(1) / mass
    dy = r[None, :, None] - cy[:, None, None]
    dx = r[None, None, :] - cx[:, None, None]
    return -(x * dx * dy).sum((1, 2)) / (x * dy * dy).sum((1, 2))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", help="a classifier run directory, or its best.pt / checkpoint.pt")
    p.add_argument("--classes", type=int, nargs=2, default=[4, 9])
    p.add_argument("--n", type=int, default=12, help="images per row")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    trainer = AAE.load(args.run).trainer_
    cfg = trainer.cfg
    if args.data_dir:
        cfg = cfg.replace(**{"data.data_dir": args.data_dir})
    val = load_data(cfg.data, cfg.train.seed).val
    pred = predict_labels(trainer.model, val.x)
    a, b = args.classes
    groups = [(t, q) for t in (a, b) for q in ((t, b) if t == a else (b, a))]
    fig, axes = plt.subplots(len(groups), args.n, figsize=(0.6 * args.n + 1.2, 0.65 * len(groups)))
    for i, (t, q) in enumerate(groups):
        idx = ((val.y == t) & (pred == q)).nonzero().flatten()
        for j in range(args.n):
            ax = axes[i, j]
            ax.axis("off")
            if j < len(idx):
                ax.imshow(val.x[idx[j]].reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
        axes[i, 0].text(-4, 14, f"{t} called {q} ({len(idx)})", ha="right", va="center", fontsize=8)
        print(
            f"{t} called {q}: {len(idx)} images, mean slant {slant(val.x[idx].numpy()).mean():.2f}"
        )
    fig.subplots_adjust(left=0.16, right=0.99, top=0.99, bottom=0.01, wspace=0.05, hspace=0.05)
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out} (epoch {trainer.epoch})")


if __name__ == "__main__":
    main()
