"""Print a run's validation evaluations from its metrics.jsonl, one cell per evaluation.

Classifier runs: ``epoch:error`` and, where the log holds the validation confusion matrix, the
count of one confusion (``--pair TRUE CALLED``, default 7 called 9) and the largest one.
Clustering runs: ``epoch:paper-rule error/majority error/clusters used``. Validation only::

    python docs/tuning/val_cells.py runs/screen/semi100_rw3_s8/metrics.jsonl --pair 7 9
"""

from __future__ import annotations

import argparse
import json

import numpy as np


def cells(path: str, pair: tuple[int, int]) -> list[str]:
    out = []
    with open(path) as f:
        records = [json.loads(line) for line in f if line.strip()]
    for d in records:
        if "val_error_percent" in d:
            cell = f"{d['epoch']}:{d['val_error_percent']:.2f}"
            if "val_confusion_matrix" in d:
                c = np.array(d["val_confusion_matrix"])
                np.fill_diagonal(c, 0)
                i, j = np.unravel_index(c.argmax(), c.shape)
                cell += f"/{c[pair]}/{i}>{j}:{c[i, j]}"
            out.append(cell)
        elif "val_cluster_error_percent" in d:
            out.append(
                f"{d['epoch']}:{d['val_cluster_error_percent']:.1f}"
                f"/{d['val_cluster_majority_error_percent']:.1f}"
                f"/{d['val_cluster_n_clusters_used']}"
            )
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("logs", nargs="+")
    p.add_argument("--pair", type=int, nargs=2, default=[7, 9], metavar=("TRUE", "CALLED"))
    args = p.parse_args()
    for path in args.logs:
        print(path)
        print("  " + " ".join(cells(path, tuple(args.pair))))


if __name__ == "__main__":
    main()
