"""Evaluations of a trained run that go beyond the per-epoch numbers."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from torch_aae import plots
from torch_aae.errors import ConfigError
from torch_aae.parzen import parzen_evaluate
from torch_aae.run import (
    git_commit,
    hardware_info,
    load_model,
    read_run,
    recorded_in_run,
    run_commands,
)
from torch_aae.training.data import DataBundle

# Paper Table 1 (Parzen window, 10K samples), AAE row: mean and standard error in nats. The table
# has no VAE row, so other variants get no paper value.
PAPER_PARZEN = {("aae", "mnist"): (340.0, 2.0)}


def evaluate_parzen(
    run_dir: str | Path,
    data: DataBundle,
    *,
    n_samples: int = 10_000,
    n_val: int = 1000,
    seed: int = 0,
    split: str = "test",
    command: str | None = None,
    figure_path: str | Path | None = None,
) -> dict[str, Any]:
    """The Parzen-window protocol: ``n_samples`` decoded prior draws; sigma chosen on the first
    ``n_val`` validation images; mean +/- s.e. over the whole test split. With ``split="val"``
    the score is read instead on the validation images that did not choose sigma (for choosing
    between runs or epochs without touching the test split; at most half of the validation
    images then choose sigma). With ``figure_path``, also the paper's Fig. 5: samples beside
    their nearest training images."""
    if split not in ("val", "test"):
        raise ConfigError(
            f"The Parzen score is read on 'val' or 'test', not {split!r}; use --split val "
            "(choosing runs) or --split test (the reported number)."
        )
    cfg, ckpt = read_run(run_dir)
    model = load_model(run_dir)
    start = time.perf_counter()
    gen = torch.Generator().manual_seed(seed)
    samples = torch.cat(
        [model.sample(min(1000, n_samples - i), gen) for i in range(0, n_samples, 1000)]
    ).numpy()
    val = data.split("val").x.numpy()
    if split == "val":
        n_val = min(n_val, len(val) // 2)
        result = parzen_evaluate(samples, val[:n_val], val[n_val:], name="val_heldout")
        where = f"val images {n_val}-{len(val) - 1} (sigma chosen on the first {n_val})"
    else:
        result = parzen_evaluate(samples, val[:n_val], data.split("test").x.numpy())
        where = "test (sigma chosen on the first validation images)"
    figure = None
    if figure_path is not None and data.image_shape is not None:
        figure = str(
            nearest_neighbour_figure(
                samples[:10], data.train.x, figure_path, shape=data.image_shape
            )
        )
    paper = PAPER_PARZEN.get((cfg.model.variant, cfg.data.dataset))
    return {
        "experiment": "parzen",
        "model": cfg.model.variant,
        "dataset": cfg.data.dataset,
        "metric": f"Parzen-window log-likelihood of the {split} images (nats)",
        **result,
        "split": where,
        "paper_value": paper[0] if paper else None,
        "paper_se": paper[1] if paper else None,
        "details": "docs/likelihood.md",  # settings, what was tried and why
        "seeds": [cfg.train.seed],
        "sample_seed": seed,
        "epochs": int(ckpt["trainer"]["epoch"]),
        "train_wall_seconds": round(float(ckpt["wall_seconds"]), 1),
        "eval_wall_seconds": round(time.perf_counter() - start, 1),
        "hardware": hardware_info(),  # where this evaluation ran
        "train_hardware": ckpt.get("hardware"),
        "train_matmul_precision": recorded_in_run(ckpt, run_dir, "matmul_precision"),
        "train_gemm_rel_error": recorded_in_run(ckpt, run_dir, "gemm_rel_error"),
        "command": command,
        "train_commands": [c["command"] for c in run_commands(run_dir)],
        "commit": git_commit(),
        "run": str(run_dir),
        "figure": figure,
    }


def nearest_training_images(samples: torch.Tensor, train: torch.Tensor, k: int = 5):
    """Indices (n, k) of each sample's ``k`` nearest training images (Euclidean), by GEMM in
    chunks of the training set."""
    samples = torch.as_tensor(samples, dtype=torch.float32)
    s2 = samples.pow(2).sum(1, keepdim=True)
    best_d, best_i = None, None
    for start in range(0, len(train), 10_000):
        chunk = train[start : start + 10_000].float()
        d = s2 - 2 * samples @ chunk.T + chunk.pow(2).sum(1)
        d_k, i_k = d.topk(min(k, len(chunk)), dim=1, largest=False)
        i_k = i_k + start
        if best_d is not None:
            d_k, order = torch.cat([best_d, d_k], 1).topk(k, dim=1, largest=False)
            i_k = torch.cat([best_i, i_k], 1).gather(1, order)
        best_d, best_i = d_k, i_k
    return best_i


def nearest_neighbour_figure(samples, train: torch.Tensor, path, shape, k: int = 5) -> Path:
    """Paper Fig. 5: each row a model sample, then its ``k`` nearest training images."""
    samples = torch.as_tensor(samples, dtype=torch.float32)
    idx = nearest_training_images(samples, train, k)
    rows = [torch.cat([s[None], train[i].float()]) for s, i in zip(samples, idx, strict=True)]
    return plots.plot_image_grid(
        torch.cat(rows).numpy(),
        path,
        image_shape=shape,
        n_cols=k + 1,
        title=f"model sample, then its {k} nearest training images",
    )
