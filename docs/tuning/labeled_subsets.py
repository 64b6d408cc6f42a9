"""Figure: the labeled images that each seed's class-balanced subset holds for chosen classes.

`data.n_labeled` draws the subset with the seed (`data.label_seed`, else `train.seed`); this shows,
for each seed, one row per chosen class with that class's labeled images, so subsets can be
compared by eye, and prints their mean slant. Reads training images only::

    python docs/tuning/labeled_subsets.py --seeds 0 1 2 3 4 --classes 4 9 --n-labeled 100 \
        --data-dir ../shared/data --out docs/semi_supervised/labeled_4s_9s.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from torch_aae.config import RunConfig
from torch_aae.training.data import load_data

sys.path.insert(0, str(Path(__file__).parent))
from confused_images import slant  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", required=True)
    p.add_argument("--classes", type=int, nargs="+", default=[4, 9])
    p.add_argument("--n-labeled", type=int, default=100)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    rows = []
    for seed in args.seeds:
        cfg = RunConfig().replace(
            **{
                "data.n_labeled": args.n_labeled,
                "data.label_seed": seed,
                "data.data_dir": args.data_dir,
            }
        )
        data = load_data(cfg.data)
        labels = data.train_labels.numpy()
        for c in args.classes:
            idx = np.flatnonzero(labels == c)
            rows.append((seed, c, data.train.x[idx].numpy().reshape(len(idx), 28, 28)))
            print(
                f"seed {seed}, class {c}: {len(idx)} labeled, mean slant {slant(rows[-1][2]).mean():.2f}"
            )
    width = max(len(r[2]) for r in rows)
    fig, axes = plt.subplots(len(rows), width, figsize=(0.6 * width + 0.8, 0.6 * len(rows)))
    for i, (seed, c, images) in enumerate(rows):
        for j in range(width):
            ax = axes[i, j]
            ax.axis("off")
            if j < len(images):
                ax.imshow(images[j], cmap="gray_r", vmin=0, vmax=1)
        axes[i, 0].text(-4, 14, f"seed {seed}, {c}", ha="right", va="center", fontsize=8)
    fig.subplots_adjust(left=0.12, right=0.99, top=0.99, bottom=0.01, wspace=0.05, hspace=0.05)
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
