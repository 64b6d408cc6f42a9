"""Book-keeping for one finished seed of the 100-label trial (seeds 5-9, settings A and B).

For seed K, for each setting: copies the run's ``metrics.jsonl`` to
``docs/tuning/semi100_{arm}_sK_metrics.jsonl``, exports its lowest-validation checkpoint as a
float16 classifier to ``docs/tuning/checkpoints/semi100_{arm}_sK.pt`` with the run's record in
its metadata (best epoch, epochs, wall time, hardware, commands: ``aae reproduce --no-train
--seed-export K=PATH`` reports the seed from it where the run is gone), and prints the row of
the progress table in docs/semi_supervised.md, the export's own validation error and its
largest confusion. Validation split only; the test split is not read::

    python docs/tuning/trial_pair.py 6 --data-dir ../shared/data

With ``--rule`` it reads the copied logs of seeds 5-9 instead and applies the trial's rule: B is
taken if its mean best validation error (epochs 1-150) is at least 0.30 points below A's::

    python docs/tuning/trial_pair.py --rule
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

from torch_aae.reproduce import evaluate_classifier, export_classifier, run_record

ARMS = {"ms90": "A: the config", "bn_trunk": "B: trunk batch norm"}
EPOCHS = (10, 20, 30, 50, 90, 100, 110, 120, 130, 140, 150)
SEEDS = (5, 6, 7, 8, 9)
MARGIN = 0.30


def val_errors(path: Path) -> dict[int, float]:
    """{epoch: validation error %} of every evaluated epoch of a metrics log."""
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return {
        int(r["epoch"]): float(r["val_error_percent"]) for r in rows if "val_error_percent" in r
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("seed", type=int, nargs="?")
    parser.add_argument("--rule", action="store_true", help="apply the rule to seeds 5-9")
    parser.add_argument("--runs", default="runs/tuning")
    parser.add_argument("--docs", default="docs/tuning")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--epochs", type=int, default=150, help="epochs a finished run has")
    args = parser.parse_args()
    if args.rule:
        apply_rule(Path(args.docs), args.epochs)
        return
    if args.seed is None:
        parser.error("give a seed, or --rule")

    for arm, label in ARMS.items():
        run = Path(args.runs) / f"semi100_{arm}_s{args.seed}"
        curve = val_errors(run / "metrics.jsonl")
        if max(curve, default=0) < args.epochs:
            raise SystemExit(
                f"{run} has reached epoch {max(curve, default=0)}, not {args.epochs}; "
                f"resume it first: aae train --resume {run}"
            )
        best = json.loads((run / "best.json").read_text())
        shutil.copyfile(run / "metrics.jsonl", Path(args.docs) / f"{run.name}_metrics.jsonl")
        # the record is what `aae reproduce ... --no-train --seed-export K=PATH` reports from
        record = run_record(run)
        meta = {
            "run": str(run),
            "best": best,
            "commands": [c["command"] for c in record["train_commands"]],
            "note": "trial checkpoint (lowest validation error); test error not read",
            "record": record,
        }
        out = Path(args.docs) / "checkpoints" / f"{run.name}.pt"
        export_classifier(run / "best.pt", out, meta)
        scores = evaluate_classifier(out, split="val", data_dir=args.data_dir)
        cm = np.asarray(scores["confusion_matrix"])
        off = cm - np.diag(np.diag(cm))
        true, pred = np.unravel_index(off.argmax(), off.shape)
        row = " | ".join(f"{curve[e]:.2f}" for e in EPOCHS)
        print(
            f"| {args.seed} | {label} | {row} | **{best['value']:.2f}** ({best['epoch']}) |\n"
            f"  export {out}: val error {scores['error_percent']:.2f}%, largest confusion "
            f"{true} called {pred}: {off[true, pred]} of {cm[true].sum()}; "
            f"wall {record['wall_seconds']:.0f} s"
        )


def apply_rule(docs: Path, epochs: int) -> None:
    """Print each setting's best validation error per seed, the means and the decision."""
    means = {}
    for arm, label in ARMS.items():
        bests = []
        for seed in SEEDS:
            curve = val_errors(docs / f"semi100_{arm}_s{seed}_metrics.jsonl")
            if max(curve) < epochs:
                raise SystemExit(
                    f"seed {seed}, {label}: epoch {max(curve)} of {epochs}; not finished"
                )
            bests.append(min(v for e, v in curve.items() if e <= epochs))
        means[arm] = sum(bests) / len(bests)
        print(f"{label}: " + ", ".join(f"{b:.2f}" for b in bests) + f"; mean {means[arm]:.3f}")
    taken = means["bn_trunk"] <= means["ms90"] - MARGIN
    print(
        f"B - A = {means['bn_trunk'] - means['ms90']:+.3f} (B is taken at <= -{MARGIN:.2f}): "
        + ("B taken, the config takes model.batch_norm = 'trunk'" if taken else "the config stays")
    )


if __name__ == "__main__":
    main()
