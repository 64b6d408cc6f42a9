"""Data layer: IDX reading, built-in datasets (MNIST, Fashion-MNIST), user data, index splits."""

from __future__ import annotations

from torch_aae.data.idx import (
    ChecksumMismatch,
    parse_idx,
    read_idx,
    read_idx_verified,
    sha256_of_decompressed,
)
from torch_aae.data.sources import (
    DATA_ENV_VAR,
    DATASETS,
    SPLITS,
    DatasetFile,
    DatasetSpec,
    cache_dir,
    get_spec,
    load_builtin,
    locate_dataset,
    resolve_data_dirs,
)
from torch_aae.data.split import IndexBatcher, class_balanced_subset, train_val_split
from torch_aae.data.user import SUPPORTED_EXTENSIONS, load_user_data

__all__ = [
    "DATASETS",
    "DATA_ENV_VAR",
    "SPLITS",
    "SUPPORTED_EXTENSIONS",
    "ChecksumMismatch",
    "DatasetFile",
    "DatasetSpec",
    "IndexBatcher",
    "cache_dir",
    "class_balanced_subset",
    "get_spec",
    "load_builtin",
    "load_user_data",
    "locate_dataset",
    "parse_idx",
    "read_idx",
    "read_idx_verified",
    "resolve_data_dirs",
    "sha256_of_decompressed",
    "train_val_split",
]
