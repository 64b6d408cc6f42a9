"""Store a run record in an exported classifier, rebuilt from its seed's entry in a results file.

Classifiers exported before records were stored in their metadata cannot be reported with
``aae reproduce ... --no-train --seed-export``. Where the run itself is gone, its record (best
epoch, epochs trained, wall time, hardware, GEMM precision, run folder, training commands) is
still in the results file; this copies it into the checkpoint's metadata, in place::

    python docs/tuning/add_export_record.py results/dim_reduction_clusters_20.json 0 --from-epochs 0 24

``--from-epochs`` gives the epoch each training command started from (the model card's
"Trained by" line); without it they are recorded as unknown.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from torch_aae.training.checkpoint import load_checkpoint, save_checkpoint


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("results", help="the results file (results/NAME.json)")
    p.add_argument("seed", type=int)
    p.add_argument("--from-epochs", type=int, nargs="+", default=None)
    a = p.parse_args()
    entries = {
        int(e["seed"]): e for e in json.loads(Path(a.results).read_text())["epochs"]["per_seed"]
    }
    if a.seed not in entries:
        raise SystemExit(f"{a.results} has no seed {a.seed} (it has {sorted(entries)}).")
    entry = entries[a.seed]
    commands = entry.get("train_commands", [])
    starts = a.from_epochs or [None] * len(commands)
    if len(starts) != len(commands):
        raise SystemExit(f"--from-epochs gives {len(starts)} epochs for {len(commands)} commands.")
    path = Path(entry["checkpoint"])
    payload = load_checkpoint(path)
    if isinstance(payload["meta"].get("record"), dict):
        raise SystemExit(f"'{path}' already records its run; nothing was changed.")
    record = {
        "best_epoch": int(entry["best_epoch"]),
        "epochs_trained": int(entry["epochs_trained"]),
        "wall_seconds": entry["wall_seconds"],
        "hardware": entry["hardware"],
        "matmul_precision": entry.get("matmul_precision"),
        "gemm_rel_error": entry.get("gemm_rel_error"),
        "run": entry["run"],
        "train_commands": [
            {"command": c, "from_epoch": e} for c, e in zip(commands, starts, strict=True)
        ],
    }
    save_checkpoint(path, payload | {"meta": payload["meta"] | {"record": record}})
    print(json.dumps({"checkpoint": str(path), "record": record}))


if __name__ == "__main__":
    main()
