"""Turning a :class:`DataConfig` into in-memory train / validation / test tensors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from torch_aae.config import DataConfig
from torch_aae.data.sources import DATASETS, load_builtin
from torch_aae.data.split import class_balanced_subset, train_val_split
from torch_aae.data.user import load_user_data
from torch_aae.errors import DataError


@dataclass
class Split:
    x: torch.Tensor  # (n, data_dim) float32
    y: torch.Tensor | None  # (n,) int64 true labels, or None


@dataclass
class DataBundle:
    train: Split
    val: Split
    test: Split | None  # None for user data (no separate test file)
    train_labels: torch.Tensor | None  # (n_train,) labels seen by training; -1 = unlabeled
    image_shape: tuple[int, ...] | None  # (28, 28) for images; None for tabular data
    class_names: list[str] | None

    @property
    def data_dim(self) -> int:
        return self.train.x.shape[1]

    def split(self, name: str) -> Split:
        parts = {"train": self.train, "val": self.val, "test": self.test}
        if name not in parts:
            raise DataError(f"Unknown split '{name}'; use train, val or test.")
        if parts[name] is None or len(parts[name].x) == 0:
            raise DataError(f"Split '{name}' is empty for this dataset; use another split.")
        return parts[name]


def _split(x: np.ndarray, y: np.ndarray | None) -> Split:
    return Split(torch.from_numpy(x), None if y is None else torch.from_numpy(y))


def load_data(cfg: DataConfig, seed: int = 0) -> DataBundle:
    """Load ``cfg.dataset``, hold out the validation rows, pick the labels training may use.

    The labeled subset is drawn with ``cfg.label_seed`` where set, else with ``seed`` (the run's
    ``train.seed``)."""
    name = cfg.dataset.lower().replace("-", "_")
    if name in DATASETS:
        spec = DATASETS[name]
        x, y = load_builtin(name, "train", cfg.data_dir, cfg.download)
        x_test, y_test = load_builtin(name, "test", cfg.data_dir, cfg.download)
        test = _split(x_test, y_test)
        image_shape, class_names = tuple(spec.image_shape), list(spec.class_names)
    else:
        x, y = load_user_data(cfg.dataset, cfg.label_key)
        test, image_shape, class_names = None, None, None
    train_idx, val_idx = train_val_split(len(x), cfg.val_size)
    if cfg.n_train > 0:
        train_idx = train_idx[: cfg.n_train]
    train = _split(x[train_idx], None if y is None else y[train_idx])
    val = _split(x[val_idx], None if y is None else y[val_idx])
    label_seed = seed if cfg.label_seed is None else cfg.label_seed
    labels = _training_labels(train.y, cfg.n_labeled, label_seed)
    return DataBundle(train, val, test, labels, image_shape, class_names)


def _training_labels(y: torch.Tensor | None, n_labeled: int, seed: int) -> torch.Tensor | None:
    """Labels training may see: all (-1), none (0), or a class-balanced subset, others -1."""
    if y is None or n_labeled == 0:
        return None
    if n_labeled < 0 or n_labeled == len(y):
        return y.clone()
    if n_labeled > len(y):
        raise DataError(
            f"data.n_labeled = {n_labeled} but the training part has only {len(y)} examples; "
            "use at most that many, or -1 for all labels."
        )
    gen = torch.Generator().manual_seed(seed)
    keep = torch.as_tensor(class_balanced_subset(y.numpy(), n_labeled, gen))
    labels = torch.full_like(y, -1)
    labels[keep] = y[keep]
    return labels
