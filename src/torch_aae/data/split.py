"""Index bookkeeping: train/validation split, class-balanced labeled subsets, seeded batching.

All randomness comes from an explicit ``torch.Generator``, so a run is reproducible from a seed and
resumable from ``generator.get_state()``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from numbers import Integral, Real

import numpy as np
import torch

from torch_aae.errors import DataError

__all__ = ["IndexBatcher", "class_balanced_subset", "train_val_split"]


def _val_count(n: int, val_size: int | float) -> int:
    """Number of validation rows for ``val_size`` (a count, or a fraction in ``[0, 1)``)."""
    if isinstance(val_size, bool) or not isinstance(val_size, Real):
        raise DataError(
            f"val_size must be a number of rows or a fraction in [0, 1), got {val_size!r}."
        )
    if isinstance(val_size, Integral):
        count = int(val_size)
    else:
        fraction = float(val_size)
        if not 0.0 <= fraction < 1.0:
            raise DataError(
                f"val_size={val_size!r} as a fraction must lie in [0, 1); for a number of rows "
                f"pass an integer."
            )
        count = int(round(fraction * n))
    if count < 0:
        raise DataError(
            f"val_size must not be negative, got {val_size!r}. Use 0 for no validation."
        )
    if count >= n:
        raise DataError(
            f"val_size={val_size!r} leaves no training rows out of {n}. Use a smaller validation "
            f"set (e.g. 0.1)."
        )
    return count


def train_val_split(n: int, val_size: int | float) -> tuple[np.ndarray, np.ndarray]:
    """Split ``range(n)`` into training rows and the LAST ``val_size`` rows for validation.

    ``val_size`` is a row count or a fraction in ``[0, 1)`` (rounded to the nearest row); 0 gives an
    empty validation set. For MNIST, ``train_val_split(60000, 10000)`` keeps rows 50000..59999 for
    validation. Returns int64 index arrays of shapes ``(n - v,)`` and ``(v,)``.
    """
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 0:
        raise DataError(f"n must be a non-negative integer number of rows, got {n!r}.")
    n_val = _val_count(int(n), val_size)
    indices = np.arange(int(n), dtype=np.int64)
    return indices[: n - n_val], indices[n - n_val :]


def class_balanced_subset(
    labels: np.ndarray,
    n_labeled: int,
    generator: torch.Generator,
    n_classes: int | None = None,
) -> np.ndarray:
    """Indices of ``n_labeled`` examples drawn as equally as possible from each class.

    Each class gets ``n_labeled // k`` examples and the first ``n_labeled % k`` classes (in
    increasing label order) one more, where the classes are ``0..n_classes-1`` if ``n_classes``
    is given, else the distinct values of ``labels``. Within a class, examples are drawn with
    ``torch.randperm(count, generator=generator)``, class after class. ``labels`` has shape
    ``(n,)``; returns sorted int64 indices of shape ``(n_labeled,)``.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise DataError(
            f"labels must be a 1-D integer array, got {labels.dtype} of shape {labels.shape}."
        )
    if isinstance(n_labeled, bool) or not isinstance(n_labeled, Integral) or n_labeled < 0:
        raise DataError(f"n_labeled must be a non-negative integer, got {n_labeled!r}.")
    n_labeled = int(n_labeled)
    if n_labeled > len(labels):
        raise DataError(
            f"n_labeled={n_labeled} exceeds the {len(labels)} available examples. Lower n_labeled."
        )
    classes = np.arange(n_classes) if n_classes is not None else np.unique(labels)
    if n_labeled == 0 or len(classes) == 0:
        return np.empty(0, dtype=np.int64)
    base, extra = divmod(n_labeled, len(classes))
    chosen: list[np.ndarray] = []
    for position, cls in enumerate(classes):
        quota = base + (1 if position < extra else 0)
        members = np.flatnonzero(labels == cls)
        if len(members) < quota:
            raise DataError(
                f"class {cls} has only {len(members)} examples but {quota} are needed to draw "
                f"n_labeled={n_labeled} evenly over {len(classes)} classes. Lower n_labeled to at "
                f"most {_max_balanced(labels, classes)}."
            )
        order = torch.randperm(len(members), generator=generator).numpy()
        chosen.append(members[order[:quota]])
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def _max_balanced(labels: np.ndarray, classes: np.ndarray) -> int:
    """Largest n_labeled that :func:`class_balanced_subset` can satisfy for these labels.

    Every class must hold ``base = min(counts)`` examples and the leading classes that hold more
    can take the remainder, so the answer is ``base * k + (length of that leading run)``.
    """
    counts = [int(np.sum(labels == c)) for c in classes]
    base = min(counts)
    lead = next((i for i, c in enumerate(counts) if c <= base), len(counts))
    return base * len(counts) + lead


class IndexBatcher:
    """Seeded mini-batches of row indices over ``range(n)``.

    ``epoch_batches()`` draws one ``torch.randperm(n, generator=g)`` per epoch and slices it into
    batches of ``batch_size`` (the last incomplete batch is dropped when ``drop_last``; if
    ``n < batch_size`` the single batch holds all ``n``). ``sample()`` draws indices with
    replacement. The generator's state is the only state, so ``generator.get_state()`` /
    ``set_state()`` save and restore the exact sequence of batches.
    """

    def __init__(
        self, n: int, batch_size: int, generator: torch.Generator, drop_last: bool = True
    ) -> None:
        if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
            raise DataError(f"cannot batch {n!r} rows: the data must have at least one row.")
        if isinstance(batch_size, bool) or not isinstance(batch_size, Integral) or batch_size < 1:
            raise DataError(f"batch_size must be a positive integer, got {batch_size!r}.")
        self.n = int(n)
        self.batch_size = int(batch_size)
        self.generator = generator
        self.drop_last = drop_last

    def __len__(self) -> int:
        """Number of batches per epoch."""
        if self.n < self.batch_size:
            return 1
        if self.drop_last:
            return self.n // self.batch_size
        return math.ceil(self.n / self.batch_size)

    def epoch_batches(self) -> Iterator[torch.Tensor]:
        """One epoch of int64 index batches of shape ``(batch_size,)``.

        The permutation is drawn when this method is called (not lazily on first iteration).
        """
        perm = torch.randperm(self.n, generator=self.generator)
        if self.n < self.batch_size:
            return iter([perm])
        stop = len(self) * self.batch_size
        return iter(list(perm[:stop].split(self.batch_size)))

    def sample(self, batch_size: int | None = None) -> torch.Tensor:
        """``batch_size`` (default: the batcher's) int64 indices, uniform with replacement."""
        size = self.batch_size if batch_size is None else int(batch_size)
        return torch.randint(self.n, (size,), generator=self.generator, dtype=torch.int64)
