"""``aae train`` under torchrun: 2 CPU processes with gloo."""

from __future__ import annotations

import json
import subprocess
import sys

import torch

from torch_aae import train_run
from torch_aae.training.checkpoint import load_checkpoint

SETS = {
    "data.n_train": 600,
    "data.val_size": 200,
    "data.download": "false",
    "model.encoder_hidden": "[64]",
    "model.decoder_hidden": "[64]",
    "model.disc_hidden": "[32]",
    "train.epochs": 2,
    "train.batch_size": 50,
    "train.n_eval": 200,
    "train.device": "cpu",
}


def test_torchrun_two_processes_match_one(data_dir, tiny_cfg, tmp_path):
    run = tmp_path / "ddp"
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "torch_aae.cli",
        "train",
        "--out",
        str(run),
        "--data-dir",
        str(data_dir),
        "--no-progress",
    ]
    for key, value in SETS.items():
        cmd += ["--set", f"{key}={value}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["processes"] == 2
    assert summary["max_weight_difference_across_processes"] == 0.0
    # one log line per epoch: only process 0 writes
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 2

    # the same global batch on one process gives the same weights, up to summation order
    train_run(tiny_cfg, tmp_path / "single")
    ddp = load_checkpoint(run)["trainer"]["model"]
    single = load_checkpoint(tmp_path / "single")["trainer"]["model"]
    for name in single:
        assert torch.allclose(ddp[name], single[name], atol=1e-5), name
