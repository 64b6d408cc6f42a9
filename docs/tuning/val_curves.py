"""Figure: validation error against epoch for several runs' metrics logs, one line each.

Each argument is LABEL=PATH, PATH a ``metrics.jsonl`` (a run's, or a copy under docs/tuning/);
lines sharing a colour key (the text before the first ':' of LABEL) share a colour, and those
whose label ends in '*' are dashed. Prints the validation error of every run at the epochs given
by --epochs. Validation split only::

    python docs/tuning/val_curves.py \
        "seed 3: weight 1*=docs/semi_supervised/seed3_100_metrics.jsonl" \
        "seed 3: weight 0.3=runs/diag/L3_I3_rw03/metrics.jsonl" \
        --out docs/semi_supervised/rw03_trial_curves.png
"""

from __future__ import annotations

import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def val_errors(path: str, key: str = "val_error_percent") -> dict[int, float]:
    """{epoch: validation error} of every evaluated epoch in a metrics log."""
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return {int(r["epoch"]): float(r[key]) for r in rows if key in r}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", metavar="LABEL=PATH")
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int, nargs="*", default=[10, 20, 30, 40, 50, 60])
    parser.add_argument("--ymax", type=float, default=20.0)
    args = parser.parse_args()

    fig, ax = plt.subplots(figsize=(7, 4.2))
    colours: dict[str, str] = {}
    for spec in args.runs:
        label, path = spec.rsplit("=", 1)
        curve = val_errors(path)
        group = label.split(":")[0]
        colour = colours.setdefault(group, f"C{len(colours)}")
        dashed = label.endswith("*")
        ax.plot(
            list(curve),
            list(curve.values()),
            color=colour,
            linestyle="--" if dashed else "-",
            label=label.rstrip("*") + (" (reported)" if dashed else ""),
        )
        at = ", ".join(f"{e}: {curve[e]:.2f}" for e in args.epochs if e in curve)
        print(f"{label}: last epoch {max(curve)}, min {min(curve.values()):.2f}; {at}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation error (%)")
    ax.set_ylim(0, args.ymax)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)


if __name__ == "__main__":
    main()
