"""Baseline: the semi-supervised AAE's classifier trained on its labeled images alone.

Paper Table 2's "NN baseline" row: the same network as q(y|x) (784-1000-1000 ReLU trunk, softmax
head, the config's N(0, init_std^2) weights and encoder-input noise), trained only by the
cross-entropy phase, with the config's optimizer group for it (SGD, lr_ce, momentum_ce, divided
by 10 at the config's milestones) on the same labeled subset (``train.seed`` draws it, as in
``aae train``), one labeled mini-batch of ``train.batch_size`` per step and as many steps per
epoch as an AAE epoch has (50,000 / 100). No reconstruction, no adversary, no unlabeled image.
The epoch is chosen on the validation error (evaluated every ``train.eval_every`` epochs, all
10,000 validation images); the test error is read at that epoch::

    python docs/tuning/nn_baseline.py configs/semi_supervised_1000.toml --seeds 0 1 2 --epochs 70 --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import copy
import json
import time

import torch
import torch.nn.functional as F

from torch_aae.config import load_config
from torch_aae.run import build_model
from torch_aae.training.data import load_data
from torch_aae.training.trainer import classification_error


def train_classifier(cfg, data, epochs: int, select: bool = True):
    """q(y|x)'s network trained by the cross-entropy phase alone; returns (model, validation
    log, best). With ``select`` it is evaluated every ``train.eval_every`` epochs and left at
    its best validation epoch; without, it is the network after ``epochs`` epochs."""
    model = build_model(cfg, data.data_dim)  # seeded by train.seed, as aae train does
    keep = data.train_labels >= 0
    x_l, y_l = data.train.x[keep], data.train_labels[keep]
    o = cfg.optim
    opt = torch.optim.SGD(model.classifier_parameters(), lr=o.lr_ce, momentum=o.momentum_ce)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, list(o.milestones), o.gamma)
    gen = torch.Generator().manual_seed(cfg.train.seed)
    b = cfg.train.batch_size
    steps = len(data.train.x) // b
    best = {"val_error_percent": float("inf"), "epoch": epochs}
    log = []
    for epoch in range(1, epochs + 1):
        model.train()
        reps = -(-steps * b // len(y_l))
        order = torch.cat([torch.randperm(len(y_l), generator=gen) for _ in range(reps)])
        for i in range(steps):
            idx = order[i * b : (i + 1) * b]
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model.classify(x_l[idx]), y_l[idx]).backward()
            opt.step()
        sched.step()
        if select and (epoch % cfg.train.eval_every == 0 or epoch == epochs):
            val = classification_error(model, data.val.x, data.val.y)
            log.append({"epoch": epoch, "val_error_percent": val})
            if val < best["val_error_percent"]:
                best = {"val_error_percent": val, "epoch": epoch}
                state = copy.deepcopy(model.state_dict())
    if select:
        model.load_state_dict(state)
    return model, log, best


def train_baseline(cfg, epochs: int) -> dict:
    data = load_data(cfg.data, cfg.train.seed)
    start = time.perf_counter()
    model, log, best = train_classifier(cfg, data, epochs)
    test = classification_error(model, data.test.x, data.test.y)
    return {
        "labels": int((data.train_labels >= 0).sum()),
        "seed": cfg.train.seed,
        "best_epoch": best["epoch"],
        "val_error_percent": best["val_error_percent"],
        "test_error_percent": test,
        "epochs": epochs,
        "seconds": round(time.perf_counter() - start, 1),
        "val_curve": log,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("config")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=None, help="default: the config's")
    p.add_argument("--data-dir", default=None)
    args = p.parse_args()
    for seed in args.seeds:
        cfg = load_config(args.config).replace(
            **{"train.seed": seed, "train.device": "cpu", "data.data_dir": args.data_dir}
        )
        row = train_baseline(cfg, args.epochs or cfg.train.epochs)
        print(json.dumps({"config": args.config} | row), flush=True)


if __name__ == "__main__":
    main()
