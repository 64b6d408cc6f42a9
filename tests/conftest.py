"""Shared fixtures: the real MNIST files in ../shared/data and tiny configs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from torch_aae.config import RunConfig

DATA_DIR = Path(
    os.environ.get(
        "TORCH_AAE_TEST_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
).resolve()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA_DIR / "mnist").is_dir():
        pytest.skip(f"real MNIST not found at {DATA_DIR}; set TORCH_AAE_TEST_DATA")
    return DATA_DIR


@pytest.fixture
def tiny_cfg(data_dir) -> RunConfig:
    """A real-MNIST config small enough to train in about a second."""
    return RunConfig().replace(
        **{
            "data.data_dir": str(data_dir),
            "data.n_train": 600,
            "data.val_size": 200,
            "data.download": False,
            "model.encoder_hidden": [64],
            "model.decoder_hidden": [64],
            "model.disc_hidden": [32],
            "train.epochs": 2,
            "train.batch_size": 50,
            "train.n_eval": 200,
            "train.progress": False,
            "train.device": "cpu",
        }
    )
