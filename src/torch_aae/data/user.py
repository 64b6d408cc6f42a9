"""Loading the user's own data: numeric feature vectors from ``.npy``, ``.npz`` or ``.csv``.

Every loader returns ``(x, y)``: ``x`` float32 of shape ``(n, d)`` and ``y`` int64 of shape ``(n,)``
or None when the file has no labels. Anything unusable raises DataError saying what and where.
"""

from __future__ import annotations

import csv
import warnings
import zipfile
from pathlib import Path

import numpy as np

from torch_aae.errors import DataError

__all__ = ["SUPPORTED_EXTENSIONS", "load_user_data"]

SUPPORTED_EXTENSIONS = (".npy", ".npz", ".csv")
_X_KEYS = ("x", "X")
_Y_KEYS = ("y", "labels")


def load_user_data(
    path: str | Path, label_key: str | int | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Load feature vectors (and optional integer labels) from a ``.npy``/``.npz``/``.csv`` file.

    - ``.npy``: one array of shape ``(n, d)``, or ``(n, ...)`` flattened to ``(n, d)``; no labels.
    - ``.npz``: features under ``x`` or ``X`` (or the only array apart from the labels); labels
      under ``label_key`` if given, else under ``y`` or ``labels`` if present.
    - ``.csv``: comma-separated numbers, with an optional header row (detected when a cell of the
      first row is not a number); ``label_key`` is a header name or a column index (negative counts
      from the end) of a column of integer labels, removed from the features.

    Returns ``(x, y)``: ``x`` float32 ``(n, d)``, ``y`` int64 ``(n,)`` or None.
    """
    path = Path(path).expanduser()
    if not path.exists():
        where = "" if path.is_absolute() else f" (relative to {Path.cwd()})"
        raise DataError(f"{path}: file not found{where}. Check the path.")
    if not path.is_file():
        raise DataError(f"{path}: is not a file. Pass a .npy, .npz or .csv file.")
    ext = path.suffix.lower()
    if ext == ".npy":
        if label_key is not None:
            raise DataError(
                f"{path}: a .npy file holds a single array, so label_key={label_key!r} cannot "
                f"select labels. Save features and labels together in a .npz (keys 'x' and 'y')."
            )
        x_raw, y_raw = _read_npy(path), None
    elif ext == ".npz":
        x_raw, y_raw = _read_npz(path, label_key)
    elif ext == ".csv":
        x_raw, y_raw = _read_csv(path, label_key)
    else:
        raise DataError(
            f"{path}: unsupported file type {ext or '(no extension)'!r}. Supported: "
            f"{', '.join(SUPPORTED_EXTENSIONS)}. Convert the data to one of these."
        )
    x = _as_features(x_raw, str(path))
    y = None if y_raw is None else _as_labels(y_raw, len(x), str(path))
    return x, y


def _load_numpy(path: Path) -> object:
    """``np.load`` without pickles, turning every read failure into DataError."""
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise DataError(
            f"{path}: cannot read it as a NumPy {path.suffix} file ({exc}). Save plain numeric "
            f"arrays (no Python objects) with numpy.save / numpy.savez."
        ) from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(
            f"{path}: damaged or not a NumPy {path.suffix} file ({exc}). Save it again with "
            f"numpy.save / numpy.savez."
        ) from None


def _read_npy(path: Path) -> np.ndarray:
    """The single array of a ``.npy`` file."""
    arr = _load_numpy(path)
    if not isinstance(arr, np.ndarray):
        raise DataError(f"{path}: does not hold a single array. Save one array with numpy.save.")
    return arr


def _npz_array(path: Path, archive: np.lib.npyio.NpzFile, key: str) -> np.ndarray:
    """One array of an open ``.npz``, with read failures turned into DataError."""
    try:
        return archive[key]
    except ValueError as exc:
        raise DataError(
            f"{path}: array {key!r} cannot be read ({exc}). Save plain numeric arrays (no Python "
            f"objects) with numpy.savez."
        ) from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: array {key!r} is damaged ({exc}). Save the file again.") from None


def _read_npz(path: Path, label_key: str | int | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Features and optional labels of a ``.npz`` file (see :func:`load_user_data`)."""
    archive = _load_numpy(path)
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(f"{path}: not a .npz archive. Save it with numpy.savez.")
    with archive:
        keys = list(archive.files)
        listing = ", ".join(repr(k) for k in keys) or "(none)"
        if label_key is not None:
            y_key: str | None = str(label_key)
            if y_key not in keys:
                raise DataError(
                    f"{path}: no array named {y_key!r} for the labels; the file has: {listing}. "
                    f"Pass one of these as the label key."
                )
        else:
            y_key = next((k for k in _Y_KEYS if k in keys), None)
        x_key = next((k for k in _X_KEYS if k in keys), None)
        if x_key is None:
            others = [k for k in keys if k != y_key]
            if len(others) != 1:
                raise DataError(
                    f"{path}: cannot tell which array holds the features; the file has: {listing}. "
                    f"Save the features under the key 'x' (and labels under 'y')."
                )
            x_key = others[0]
        x = _npz_array(path, archive, x_key)
        y = None if y_key is None else _npz_array(path, archive, y_key)
    return x, y


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _first_row(path: Path) -> tuple[int, list[str]] | None:
    """``(line_index, cells)`` of the first non-blank, non-comment line, or None if none."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for index, line in enumerate(fh):
                if line.strip() and not line.lstrip().startswith("#"):
                    return index, next(csv.reader([line]))
    except UnicodeDecodeError:
        raise DataError(
            f"{path}: not a UTF-8 text file, so not a CSV file. Export the data as comma-separated "
            f"numbers."
        ) from None
    return None


def _csv_problem(path: Path, first_data_line: int, n_cols: int) -> str | None:
    """Scan a CSV that numpy could not parse; describe the first bad line or cell (1-based)."""
    try:
        return _scan_csv(path, first_data_line, n_cols)
    except UnicodeDecodeError as exc:
        return f"it is not UTF-8 text ({exc})"


def _scan_csv(path: Path, first_data_line: int, n_cols: int) -> str | None:
    """The first line with a wrong number of cells or a non-numeric cell, described, or None."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for index, line in enumerate(fh):
            if index < first_data_line or not line.strip() or line.lstrip().startswith("#"):
                continue
            cells = next(csv.reader([line]))
            if len(cells) != n_cols:
                return f"line {index + 1} has {len(cells)} columns, expected {n_cols}"
            for col, cell in enumerate(cells):
                if cell.strip() == "":
                    return f"line {index + 1}, column {col + 1} is empty (a missing value)"
                if not _is_number(cell.strip().strip('"')):
                    return f"line {index + 1}, column {col + 1} is not a number: {cell.strip()!r}"
    return None


def _label_column(path: Path, label_key: str | int, header: list[str] | None, n_cols: int) -> int:
    """Index of the label column named by a header name or an integer index."""
    if header is not None and isinstance(label_key, str) and label_key in header:
        return header.index(label_key)
    try:
        col = int(label_key)
    except (TypeError, ValueError):
        names = ", ".join(repr(h) for h in header) if header else "(the file has no header row)"
        raise DataError(
            f"{path}: no column named {label_key!r} for the labels; columns: {names}. Pass a "
            f"column name or a 0-based column index."
        ) from None
    if not -n_cols <= col < n_cols:
        raise DataError(
            f"{path}: label column index {col} out of range for {n_cols} columns. Pass an index "
            f"from 0 to {n_cols - 1} (or negative, counting from the end)."
        )
    return col % n_cols


def _read_csv(path: Path, label_key: str | int | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Features and optional label column of a numeric CSV file (see :func:`load_user_data`)."""
    first = _first_row(path)
    if first is None:
        raise DataError(f"{path}: the file is empty (0 rows). Pass a file with data rows.")
    line_index, cells = first
    is_header = any(c.strip() != "" and not _is_number(c.strip()) for c in cells)
    header = [c.strip() for c in cells] if is_header else None
    first_data_line = line_index + 1 if is_header else line_index
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = np.loadtxt(
                path,
                delimiter=",",
                comments="#",
                skiprows=first_data_line,
                ndmin=2,
                dtype=np.float64,
                encoding="utf-8-sig",
                quotechar='"',
            )
    except (ValueError, UnicodeDecodeError) as exc:
        problem = _csv_problem(path, first_data_line, len(cells)) or str(exc)
        raise DataError(
            f"{path}: not a numeric CSV file: {problem}. Every cell after the optional header row "
            f"must be a number."
        ) from None
    if values.shape[0] == 0:
        raise DataError(f"{path}: no data rows (0 rows). Pass a file with data rows.")
    n_cols = values.shape[1]
    if header is not None and len(header) != n_cols:
        raise DataError(
            f"{path}: the header row has {len(header)} columns but the data rows have {n_cols}. "
            f"Fix the header."
        )
    if label_key is None:
        return values, None
    col = _label_column(path, label_key, header, n_cols)
    return np.delete(values, col, axis=1), values[:, col]


def _as_features(arr: np.ndarray, source: str) -> np.ndarray:
    """Check and convert a feature array to float32 ``(n, d)``, flattening trailing dimensions."""
    if arr.dtype.kind not in "biuf":
        raise DataError(
            f"{source}: the features are not numeric (dtype {arr.dtype}). Convert them to numbers "
            f"(e.g. one-hot encode categories) before loading."
        )
    if arr.ndim < 2:
        raise DataError(
            f"{source}: the features must be 2-D (rows, features), got shape {arr.shape}. If each "
            f"row is a single value, reshape to (n, 1)."
        )
    if arr.shape[0] == 0:
        raise DataError(f"{source}: the data is empty (0 rows). Pass a file with data rows.")
    x = arr.reshape(arr.shape[0], -1)
    if x.shape[1] == 0:
        raise DataError(f"{source}: the rows have no features (shape {arr.shape}). Check the file.")
    with np.errstate(over="ignore", invalid="ignore"):
        x = np.ascontiguousarray(x, dtype=np.float32)
    bad = ~np.isfinite(x)
    if bad.any():
        n_bad = int(bad.sum())
        n_nan = int(np.isnan(x).sum())
        first_row = int(np.argmax(bad.any(axis=1)))
        raise DataError(
            f"{source}: {n_bad} non-finite feature values ({n_nan} NaN, {n_bad - n_nan} infinite "
            f"or beyond float32 range), the first in row {first_row} (0-based). Remove or impute "
            f"them before training."
        )
    return x


def _as_labels(y: np.ndarray, n: int, source: str) -> np.ndarray:
    """Check and convert labels to int64 ``(n,)``: integer values, non-negative, one per row."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError(
            f"{source}: the labels must be 1-D (one integer per row), got shape {y.shape}. "
            f"Store class indices, not one-hot vectors."
        )
    if y.dtype.kind not in "biuf":
        raise DataError(
            f"{source}: the labels are not integers (dtype {y.dtype}). Map class names to "
            f"integers 0, 1, 2, ... first."
        )
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y) | (y != np.round(y))
        if bad.any():
            first = int(np.argmax(bad))
            raise DataError(
                f"{source}: the labels are not integers: {int(bad.sum())} values such as "
                f"{y[first]} (row {first}). Labels must be class indices 0, 1, 2, ..."
            )
    if len(y) != n:
        raise DataError(
            f"{source}: {n} rows of features but {len(y)} labels. Give exactly one label per row."
        )
    negative = y < 0
    if negative.any():
        first = int(np.argmax(negative))
        raise DataError(
            f"{source}: {int(negative.sum())} negative labels, the first {y[first]} in row "
            f"{first}. Labels must be class indices 0, 1, 2, ..."
        )
    return y.astype(np.int64)
