"""Evaluations of a trained run that go beyond the per-epoch numbers."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from torch_aae.parzen import parzen_evaluate
from torch_aae.run import git_commit, hardware_info, load_model, read_run
from torch_aae.training.data import DataBundle

# Paper Table 1 (Parzen window, 10K samples), AAE row: mean and standard error in nats.
PAPER_PARZEN = {"mnist": (340.0, 2.0)}


def evaluate_parzen(
    run_dir: str | Path,
    data: DataBundle,
    *,
    n_samples: int = 10_000,
    n_val: int = 1000,
    seed: int = 0,
    command: str | None = None,
) -> dict[str, Any]:
    """The Parzen-window protocol: ``n_samples`` decoded prior draws; sigma chosen on the first
    ``n_val`` validation images; mean +/- s.e. over the whole test split."""
    cfg, ckpt = read_run(run_dir)
    model = load_model(run_dir)
    start = time.perf_counter()
    gen = torch.Generator().manual_seed(seed)
    samples = torch.cat(
        [model.sample(min(1000, n_samples - i), gen) for i in range(0, n_samples, 1000)]
    ).numpy()
    test = data.split("test").x.numpy()
    result = parzen_evaluate(samples, data.split("val").x[:n_val].numpy(), test)
    paper = PAPER_PARZEN.get(cfg.data.dataset)
    return {
        "experiment": "parzen",
        "dataset": cfg.data.dataset,
        "metric": "Parzen-window log-likelihood of the test images (nats)",
        **result,
        "split": "test (sigma chosen on the first validation images)",
        "paper_value": paper[0] if paper else None,
        "paper_se": paper[1] if paper else None,
        "seeds": [cfg.train.seed],
        "sample_seed": seed,
        "epochs": int(ckpt["trainer"]["epoch"]),
        "train_wall_seconds": round(float(ckpt["wall_seconds"]), 1),
        "eval_wall_seconds": round(time.perf_counter() - start, 1),
        "hardware": hardware_info(),
        "command": command,
        "commit": git_commit(),
        "run": str(run_dir),
    }
