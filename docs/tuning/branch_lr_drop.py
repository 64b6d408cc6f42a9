"""Probe: continue a run's epoch checkpoint with every learning rate divided by 10 from there.

Compares two learning-rate schedules on one trajectory: a run trained with a late drop (say
``optim.milestones = [90, 1000]``) is branched at an earlier epoch checkpoint (say epoch 50)
into a new run directory whose rates drop at that epoch, so the two arms share their first
epochs exactly (same labels, weights, batches and prior draws) and differ only in the schedule.
The branch keeps the source's metrics up to the branch epoch and trains on to ``--epochs``::

    python docs/tuning/branch_lr_drop.py runs/tuning/semi100_ms90_s1.epoch50.pt \\
        runs/tuning/semi100_ms90_s1 runs/tuning/semi100_ms90_s1_drop50 --epochs 60 --data-dir ../shared/data

``--keep-lr`` branches without the drop, and ``--set section.key=value`` (repeatable) changes the
config from the branch epoch on, e.g. a loss weight::

    python docs/tuning/branch_lr_drop.py runs/tuning/semi100_ms90_s1.epoch50.pt \\
        runs/tuning/semi100_ms90_s1 runs/tuning/semi100_s1_advy3 --keep-lr --set loss.adv_y_weight=3 --epochs 70

``--milestones M [M ...]`` replaces the schedule instead: from the branch epoch on the rates are
the initial ones divided by 1/gamma once for each given milestone at or before that epoch, and
again at each later one. From the epoch-40 checkpoint of a run whose rates dropped at 40, ``--milestones
90 1000`` continues it as if it had been configured with ``optim.milestones = [90, 1000]`` (copy
the epoch checkpoint aside when it is written: ``train.keep_last`` keeps only the last few)::

    python docs/tuning/branch_lr_drop.py semi100_bn_s0.epoch40.pt \\
        runs/tuning/semi100_bn_ms40_s0 runs/tuning/semi100_bn_enc_s0 --milestones 90 1000 --epochs 150
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections import Counter
from pathlib import Path

import tomllib

from torch_aae.config import apply_overrides, config_from_dict, parse_override
from torch_aae.run import resume_run
from torch_aae.training.checkpoint import load_checkpoint, save_checkpoint


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint", help="an epoch checkpoint of the source run")
    p.add_argument("source_run", help="the source run directory (its metrics.jsonl is copied)")
    p.add_argument("out", help="the new run directory (must not exist)")
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--gamma", type=float, default=0.1)
    p.add_argument("--keep-lr", action="store_true", help="branch without dividing the rates")
    p.add_argument("--milestones", type=int, nargs="+", help="replace the schedule (see above)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--data-dir", default=None)
    a = p.parse_args()
    out = Path(a.out)
    if out.exists():
        raise SystemExit(f"'{out}' exists; pick a new directory (nothing was changed).")
    ckpt = load_checkpoint(a.checkpoint)
    state = ckpt["trainer"]
    epoch = int(state["epoch"])
    cfg = config_from_dict(tomllib.loads(ckpt["config"]))
    cfg = apply_overrides(cfg, dict(parse_override(text) for text in a.set))
    if a.milestones is not None:
        if a.keep_lr:
            raise SystemExit("--milestones sets the rates itself; drop --keep-lr.")
        milestones = sorted(a.milestones)
        passed = sum(m <= epoch for m in milestones)
        cfg = cfg.replace(**{"optim.milestones": milestones})
        for name, sched in state["schedulers"].items():
            sched["milestones"] = Counter({m: 1 for m in milestones if m > epoch})
            sched["_last_lr"] = [lr * sched["gamma"] ** passed for lr in sched["base_lrs"]]
            for group, lr in zip(
                state["optimizers"][name]["param_groups"], sched["_last_lr"], strict=True
            ):
                group["lr"] = lr
    elif not a.keep_lr:
        later = [m for m in cfg.optim.milestones if m > epoch]
        cfg = cfg.replace(**{"optim.milestones": [epoch, *later]})
        for sched in state["schedulers"].values():
            sched["milestones"] = Counter({m: 1 for m in later})
            sched["_last_lr"] = [lr * a.gamma for lr in sched["_last_lr"]]
        for opt in state["optimizers"].values():
            for group in opt["param_groups"]:
                group["lr"] *= a.gamma
    ckpt["config"] = cfg.to_toml()
    out.mkdir(parents=True)
    save_checkpoint(out / "checkpoint.pt", ckpt)
    (out / "config.toml").write_text(cfg.to_toml())
    shutil.copy(Path(a.source_run) / "metrics.jsonl", out / "metrics.jsonl")  # truncated on resume
    summary = resume_run(out, epochs=a.epochs, data_dir=a.data_dir, command="branch_lr_drop.py")
    print(json.dumps({"branched_at_epoch": epoch, "best": summary.get("best")}))


if __name__ == "__main__":
    main()
