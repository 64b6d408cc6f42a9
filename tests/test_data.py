"""Tests of the data layer: IDX reading, built-in datasets, downloads, user data, index splits.

Tests that need the real MNIST / Fashion-MNIST files find them under ``$TORCH_AAE_TEST_DATA``
(default: ``<repo>/../shared/data``) and are skipped when that folder is missing.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import http.server
import os
import shutil
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from torch_aae.data import (
    DATASETS,
    IndexBatcher,
    class_balanced_subset,
    get_spec,
    load_builtin,
    load_user_data,
    locate_dataset,
    read_idx,
    read_idx_verified,
    resolve_data_dirs,
    sha256_of_decompressed,
    train_val_split,
)
from torch_aae.errors import AAEError, DataError

DATA_ROOT = Path(
    os.environ.get(
        "TORCH_AAE_TEST_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
).resolve()
HAVE_DATA = (DATA_ROOT / "mnist").is_dir() and (DATA_ROOT / "fashion-mnist").is_dir()
needs_data = pytest.mark.skipif(not HAVE_DATA, reason=f"real data not found under {DATA_ROOT}")

MNIST = DATASETS["mnist"]
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_LABELS = MNIST.files["test_labels"]
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the cache at a temp folder, unset TORCH_AAE_DATA, and bypass proxies for 127.0.0.1."""
    cache_home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    monkeypatch.delenv("TORCH_AAE_DATA", raising=False)
    for var in PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    return cache_home / "torch_aae"


def real(dataset_folder: str, stem: str) -> Path:
    """Path of a real ``<stem>.gz`` file."""
    return DATA_ROOT / dataset_folder / f"{stem}.gz"


def raw_bytes(dataset_folder: str, stem: str) -> bytes:
    """Decompressed bytes of a real file."""
    return gzip.decompress(real(dataset_folder, stem).read_bytes())


def link_all(spec_name: str, dest: Path, skip: tuple[str, ...] = ()) -> None:
    """Symlink the real ``.gz`` files of a dataset into ``dest`` (except the roles in ``skip``)."""
    spec = DATASETS[spec_name]
    dest.mkdir(parents=True, exist_ok=True)
    for role, file in spec.files.items():
        if role not in skip:
            (dest / f"{file.stem}.gz").symlink_to(real(spec.folder, file.stem))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1 (free port) in a thread; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# --------------------------------------------------------------------------- built-in datasets


@pytest.fixture(scope="module")
def mnist_train() -> tuple[np.ndarray, np.ndarray]:
    if not HAVE_DATA:
        pytest.skip(f"real data not found under {DATA_ROOT}")
    return load_builtin("mnist", "train", data_dir=DATA_ROOT, download=False)


@needs_data
def test_mnist_train(mnist_train: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = mnist_train
    assert x.shape == (60000, 784) and x.dtype == np.float32
    assert y.shape == (60000,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert abs(float(x.mean()) - 0.1307) < 5e-4
    assert abs(float(x.std()) - 0.3081) < 5e-4
    assert np.bincount(y).tolist() == MNIST_TRAIN_COUNTS


@needs_data
def test_mnist_test_and_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_AAE_DATA", str(DATA_ROOT))
    x, y = load_builtin("mnist", "test", download=False)
    assert x.shape == (10000, 784) and x.dtype == np.float32 and y.dtype == np.int64
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert abs(float(x.mean()) - 0.1325) < 5e-4
    assert y.min() == 0 and y.max() == 9


@needs_data
def test_fashion_mnist_balanced() -> None:
    _, y_train = load_builtin("fashion_mnist", "train", data_dir=DATA_ROOT, download=False)
    _, y_test = load_builtin("fashion-mnist", "test", data_dir=DATA_ROOT, download=False)
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert len(DATASETS["fashion_mnist"].class_names) == 10


def test_unknown_dataset_and_split() -> None:
    with pytest.raises(DataError, match="fashion_mnist, mnist"):
        get_spec("cifar10")
    with pytest.raises(DataError, match="train, test"):
        load_builtin("mnist", "validation", download=False)
    assert issubclass(DataError, AAEError)


@needs_data
def test_raw_and_recompressed_copies_accepted(tmp_path: Path) -> None:
    folder = tmp_path / "mnist"
    folder.mkdir()
    raw_images = raw_bytes("mnist", "t10k-images-idx3-ubyte")
    (folder / "t10k-images-idx3-ubyte").write_bytes(raw_images)  # raw, no .gz
    labels = raw_bytes("mnist", TEST_LABELS.stem)
    (folder / f"{TEST_LABELS.stem}.gz").write_bytes(gzip.compress(labels, compresslevel=1))
    assert (
        sha256_of_decompressed(folder / "t10k-images-idx3-ubyte")
        == hashlib.sha256(raw_images).hexdigest()
    )
    x, y = load_builtin("mnist", "test", data_dir=tmp_path, download=False)
    x_ref, y_ref = load_builtin("mnist", "test", data_dir=DATA_ROOT, download=False)
    np.testing.assert_array_equal(x, x_ref)
    np.testing.assert_array_equal(y, y_ref)


@needs_data
def test_gzip_detected_by_magic_not_name(tmp_path: Path) -> None:
    labels = raw_bytes("mnist", TEST_LABELS.stem)
    raw_named_gz = tmp_path / "labels.gz"
    raw_named_gz.write_bytes(labels)
    gz_named_raw = tmp_path / "labels"
    gz_named_raw.write_bytes(gzip.compress(labels))
    a, b = read_idx(raw_named_gz), read_idx(gz_named_raw)
    assert a.shape == (10000,) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- damaged files


@needs_data
def test_truncated_files(tmp_path: Path) -> None:
    gz = real("mnist", TEST_LABELS.stem).read_bytes()
    cut_gz = tmp_path / f"{TEST_LABELS.stem}.gz"
    cut_gz.write_bytes(gz[: len(gz) // 2])
    with pytest.raises(DataError, match="truncated") as info:
        read_idx(cut_gz)
    assert str(cut_gz) in str(info.value)

    cut_raw = tmp_path / TEST_LABELS.stem
    cut_raw.write_bytes(raw_bytes("mnist", TEST_LABELS.stem)[:-100])
    with pytest.raises(DataError, match="truncated") as info:
        read_idx(cut_raw)
    assert str(cut_raw) in str(info.value)
    # through the loader: checksum mismatch, with the diagnosis
    cut_gz.unlink()
    (tmp_path / "t10k-images-idx3-ubyte.gz").symlink_to(real("mnist", "t10k-images-idx3-ubyte"))
    with pytest.raises(DataError, match="truncated") as info:
        load_builtin("mnist", "test", data_dir=tmp_path, download=False)
    assert str(cut_raw) in str(info.value) and TEST_LABELS.sha256 in str(info.value)


@needs_data
def test_trailing_bytes(tmp_path: Path) -> None:
    path = tmp_path / "labels"
    path.write_bytes(raw_bytes("mnist", TEST_LABELS.stem) + b"\x00\x00")
    with pytest.raises(DataError, match="extra bytes"):
        read_idx(path)


@needs_data
def test_flipped_byte_reports_expected_checksum(tmp_path: Path) -> None:
    data = bytearray(raw_bytes("mnist", TEST_LABELS.stem))
    data[5000] ^= 0xFF
    path = tmp_path / TEST_LABELS.stem
    path.write_bytes(bytes(data))
    with pytest.raises(DataError) as info:
        read_idx_verified(path, TEST_LABELS.sha256)
    message = str(info.value)
    assert TEST_LABELS.sha256 in message
    assert hashlib.sha256(bytes(data)).hexdigest() in message
    assert str(path) in message

    gz = bytearray(real("mnist", TEST_LABELS.stem).read_bytes())
    gz[len(gz) // 2] ^= 0xFF
    gz_path = tmp_path / f"{TEST_LABELS.stem}.gz"
    gz_path.write_bytes(bytes(gz))
    with pytest.raises(DataError) as info:
        read_idx_verified(gz_path, TEST_LABELS.sha256)
    assert str(gz_path) in str(info.value) and TEST_LABELS.sha256 in str(info.value)


@needs_data
def test_wrong_dataset_file_is_named(tmp_path: Path) -> None:
    link_all("mnist", tmp_path)  # MNIST files directly under tmp_path, no sub-folder
    with pytest.raises(DataError, match="this is MNIST's"):
        load_builtin("fashion_mnist", "test", data_dir=tmp_path, download=False)


def idx_bytes(code: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    """An IDX file: magic, big-endian dims, payload."""
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + payload


def test_bad_magic_and_dtype(tmp_path: Path) -> None:
    path = tmp_path / "bad.idx"
    path.write_bytes(b"\x12\x34" + idx_bytes(8, (3,), b"abc")[2:])
    with pytest.raises(DataError, match="not an IDX file") as info:
        read_idx(path)
    assert str(path) in str(info.value)
    path.write_bytes(idx_bytes(0x07, (3,), b"abc"))
    with pytest.raises(DataError, match="dtype code 0x07"):
        read_idx(path)
    path.write_bytes(b"\x00\x00")
    with pytest.raises(DataError, match="too short"):
        read_idx(path)
    path.write_bytes(idx_bytes(8, (2, 3), b"")[:8])  # header cut inside the dims
    with pytest.raises(DataError, match="truncated"):
        read_idx(path)
    with pytest.raises(DataError, match="not found"):
        read_idx(tmp_path / "absent")


def test_standard_dtype_codes(tmp_path: Path) -> None:
    values = np.arange(-3, 3)
    for code, dtype in [(0x09, ">i1"), (0x0B, ">i2"), (0x0C, ">i4"), (0x0D, ">f4"), (0x0E, ">f8")]:
        path = tmp_path / f"t{code}"
        path.write_bytes(gzip.compress(idx_bytes(code, (2, 3), values.astype(dtype).tobytes())))
        out = read_idx(path)
        assert out.shape == (2, 3) and out.dtype.isnative
        np.testing.assert_array_equal(out.ravel(), values)


# --------------------------------------------------------------------------- search and download


def test_missing_files_list_places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit, env = tmp_path / "explicit", tmp_path / "env"
    monkeypatch.setenv("TORCH_AAE_DATA", str(env))
    places = resolve_data_dirs(explicit)
    assert places == [explicit, env, tmp_path / "xdg-cache" / "torch_aae"]
    with pytest.raises(DataError) as info:
        locate_dataset("mnist", data_dir=explicit, download=False)
    message = str(info.value)
    for place in places:
        assert str(place) in message and str(place / "mnist") in message
    assert "--data-dir" in message and "TORCH_AAE_DATA" in message
    assert "train-images-idx3-ubyte" in message


def test_cache_default_without_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_data_dirs() == [tmp_path / ".cache" / "torch_aae"]


@needs_data
def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> None:
    explicit, env, cache = tmp_path / "explicit", tmp_path / "env", isolated_env
    link_all("mnist", explicit)  # directly in the place
    link_all("mnist", env / "mnist")  # in the dataset's sub-folder
    link_all("mnist", cache / "mnist")
    monkeypatch.setenv("TORCH_AAE_DATA", str(env))
    paths = locate_dataset("mnist", data_dir=explicit, download=False)
    assert set(paths) == {"train_images", "train_labels", "test_images", "test_labels"}
    assert all(p.parent == explicit for p in paths.values())
    assert locate_dataset("mnist", download=False)["test_labels"].parent == env / "mnist"
    monkeypatch.delenv("TORCH_AAE_DATA")
    assert locate_dataset("mnist", download=False)["test_labels"].parent == cache / "mnist"


def leftovers(folder: Path) -> list[str]:
    """Names in ``folder`` that are not the dataset's final ``.gz`` files."""
    finals = {f"{f.stem}.gz" for f in MNIST.files.values()}
    return sorted(p.name for p in folder.iterdir() if p.name not in finals)


@needs_data
def test_download_from_mirror(tmp_path: Path, isolated_env: Path) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for file in MNIST.files.values():
        shutil.copy(real("mnist", file.stem), mirror)
    with serve(mirror) as url:
        paths = locate_dataset("mnist", mirrors=[url])
    target = isolated_env / "mnist"
    for role, file in MNIST.files.items():
        assert paths[role] == target / f"{file.stem}.gz"
        assert sha256_of_decompressed(paths[role]) == file.sha256
    assert leftovers(target) == []
    x, y = load_builtin("mnist", "test", download=False)
    assert x.shape == (10000, 784) and y.shape == (10000,)


@needs_data
def test_download_into_data_dir_with_fallback(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    link_all("mnist", data_dir / "mnist", skip=("test_labels",))
    empty, good = tmp_path / "empty", tmp_path / "good"
    empty.mkdir()
    good.mkdir()
    shutil.copy(real("mnist", TEST_LABELS.stem), good)
    with serve(empty) as url_404, serve(good) as url_good:
        paths = locate_dataset("mnist", data_dir=data_dir, mirrors=[url_404, url_good])
    assert paths["test_labels"] == data_dir / "mnist" / f"{TEST_LABELS.stem}.gz"
    assert sha256_of_decompressed(paths["test_labels"]) == TEST_LABELS.sha256


@needs_data
def test_corrupt_mirror_leaves_nothing(tmp_path: Path, isolated_env: Path) -> None:
    target = isolated_env / "mnist"
    link_all("mnist", target, skip=("test_labels",))
    data = bytearray(raw_bytes("mnist", TEST_LABELS.stem))
    data[100] ^= 0x01
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / f"{TEST_LABELS.stem}.gz").write_bytes(gzip.compress(bytes(data)))
    with serve(bad) as url, pytest.raises(DataError) as info:
        locate_dataset("mnist", mirrors=[url])
    message = str(info.value)
    assert f"{url}{TEST_LABELS.stem}.gz" in message
    assert TEST_LABELS.sha256 in message and "checksum" in message
    assert str(target) in message and "--data-dir" in message
    assert not (target / f"{TEST_LABELS.stem}.gz").exists()
    assert leftovers(target) == []


def test_unreachable_mirror(tmp_path: Path) -> None:
    with serve(tmp_path) as url:
        pass  # the server is shut down: nothing listens on that port any more
    with pytest.raises(DataError, match="Tried to download") as info:
        locate_dataset("mnist", data_dir=tmp_path / "d", mirrors=[url])
    assert url in str(info.value)
    assert not (tmp_path / "d" / "mnist").exists()


# --------------------------------------------------------------------------- user data


def test_user_npy(tmp_path: Path) -> None:
    path = tmp_path / "x.npy"
    np.save(path, np.arange(12, dtype=np.int32).reshape(4, 3))
    x, y = load_user_data(path)
    assert x.dtype == np.float32 and x.shape == (4, 3) and y is None
    np.save(path, np.zeros((5, 2, 3, 2)))
    assert load_user_data(path)[0].shape == (5, 12)


def test_user_npz(tmp_path: Path) -> None:
    x_in = np.random.default_rng(0).normal(size=(6, 4))
    path = tmp_path / "d.npz"
    np.savez(path, x=x_in, y=np.array([0, 1, 2, 0, 1, 2]))
    x, y = load_user_data(path)
    np.testing.assert_allclose(x, x_in.astype(np.float32))
    assert y is not None and y.dtype == np.int64 and y.tolist() == [0, 1, 2, 0, 1, 2]
    np.savez(path, X=x_in, labels=np.array([1.0, 0, 1, 0, 1, 0]))
    assert load_user_data(path)[1].tolist() == [1, 0, 1, 0, 1, 0]
    np.savez(path, features=x_in)
    assert load_user_data(path)[1] is None
    np.savez(path, features=x_in, target=np.arange(6))
    x, y = load_user_data(path, label_key="target")
    assert x.shape == (6, 4) and y.tolist() == list(range(6))
    with pytest.raises(DataError, match="'features', 'target'"):
        load_user_data(path, label_key="cls")
    with pytest.raises(DataError, match="which array"):
        load_user_data(path)


def test_user_csv(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("1,2,3\n4,5,6\n\n7,8.5,9\n")
    x, y = load_user_data(path)
    assert x.shape == (3, 3) and x[2, 1] == 8.5 and y is None
    path.write_text("a,b,label\n0.1,0.2,1\n0.3,0.4,0\n")
    x, y = load_user_data(path, label_key="label")
    np.testing.assert_allclose(x, [[0.1, 0.2], [0.3, 0.4]])
    assert y.tolist() == [1, 0]
    assert load_user_data(path)[0].shape == (2, 3)  # header detected, label kept as a feature
    path.write_text("5,0.1,0.2\n3,0.3,0.4\n")
    for key in (0, "0", -3):
        x, y = load_user_data(path, label_key=key)
        assert y.tolist() == [5, 3] and x.shape == (2, 2)


@pytest.mark.parametrize(
    ("name", "content", "label_key", "pattern"),
    [
        ("d.txt", "1,2\n", None, r"\.npy, \.npz, \.csv"),
        ("d.csv", "1,2\n3,abc\n", None, "line 2, column 2 is not a number"),
        ("d.csv", "1,2\n3,\n", None, "empty"),
        ("d.csv", "1,2\n3,4,5\n", None, "line 2 has 3 columns"),
        ("d.csv", "a,b\n1,2,3\n", None, "header row has 2 columns"),
        ("d.csv", "", None, "0 rows"),
        ("d.csv", "a,b\n", None, "0 rows"),
        ("d.csv", "1,2\n3,nan\n4,nan\n5,inf\n", None, r"3 non-finite .*2 NaN.* row 1"),
        ("d.csv", "1,2\n3,1e300\n", None, "beyond float32"),
        ("d.csv", "1,0.5\n3,1\n", 1, "not integers"),
        ("d.csv", "1,-1\n3,1\n", 1, "negative"),
        ("d.csv", "a,b\n1,2\n", "c", "no column named 'c'"),
        ("d.csv", "1,2\n", 5, "out of range"),
    ],
)
def test_user_csv_errors(
    tmp_path: Path, name: str, content: str, label_key: str | int | None, pattern: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(DataError, match=pattern) as info:
        load_user_data(path, label_key=label_key)
    assert str(path) in str(info.value)


def test_user_array_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_user_data(tmp_path / "absent.npy")
    cases = {
        "strings": (np.array([["a", "b"]]), "not numeric"),
        "one_d": (np.arange(5.0), "2-D"),
        "empty": (np.zeros((0, 3)), "0 rows"),
        "inf": (np.array([[1.0, 2.0], [np.inf, 0.0]]), r"1 non-finite .* row 1"),
    }
    for stem, (array, pattern) in cases.items():
        path = tmp_path / f"{stem}.npy"
        np.save(path, array)
        with pytest.raises(DataError, match=pattern):
            load_user_data(path)
    with pytest.raises(DataError, match="single array"):
        load_user_data(tmp_path / "inf.npy", label_key="y")
    objects = tmp_path / "objects.npy"
    np.save(objects, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="no Python objects"):
        load_user_data(objects)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(DataError, match="junk.npz"):
        load_user_data(junk)
    path = tmp_path / "d.npz"
    np.savez(path, x=np.zeros((5, 2)), y=np.arange(4))
    with pytest.raises(DataError, match="5 rows of features but 4 labels"):
        load_user_data(path)
    np.savez(path, x=np.zeros((2, 2)), y=np.array([0.0, 1.5]))
    with pytest.raises(DataError, match="not integers"):
        load_user_data(path)
    np.savez(path, x=np.zeros((2, 2)), y=np.array([0, -2]))
    with pytest.raises(DataError, match="negative"):
        load_user_data(path)


# --------------------------------------------------------------------------- splits and batches


def test_train_val_split() -> None:
    train, val = train_val_split(60000, 10000)
    assert train.tolist() == list(range(50000)) and val.tolist() == list(range(50000, 60000))
    assert train.dtype == np.int64
    train, val = train_val_split(100, 0.1)
    assert len(train) == 90 and val.tolist() == list(range(90, 100))
    train, val = train_val_split(5, 0)
    assert len(train) == 5 and len(val) == 0
    for bad in (5, 6, -1, 1.0, -0.1, True, "3"):
        with pytest.raises(DataError):
            train_val_split(5, bad)


def test_class_balanced_subset() -> None:
    labels = np.repeat(np.arange(10), 50)
    idx = class_balanced_subset(labels, 100, torch.Generator().manual_seed(0))
    assert idx.dtype == np.int64 and len(np.unique(idx)) == 100
    assert np.bincount(labels[idx]).tolist() == [10] * 10
    idx = class_balanced_subset(labels, 13, torch.Generator().manual_seed(0))
    assert np.bincount(labels[idx], minlength=10).tolist() == [2, 2, 2] + [1] * 7
    a = class_balanced_subset(labels, 100, torch.Generator().manual_seed(1))
    b = class_balanced_subset(labels, 100, torch.Generator().manual_seed(1))
    c = class_balanced_subset(labels, 100, torch.Generator().manual_seed(2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    with pytest.raises(DataError, match="exceeds the 500"):
        class_balanced_subset(labels, 501, torch.Generator())
    skewed = np.concatenate([np.zeros(50, np.int64), np.ones(3, np.int64)])
    with pytest.raises(DataError, match=r"class 1 has only 3 examples but 10") as info:
        class_balanced_subset(skewed, 20, torch.Generator())
    assert "at most 7" in str(info.value)


@needs_data
def test_class_balanced_subset_mnist(mnist_train: tuple[np.ndarray, np.ndarray]) -> None:
    _, y = mnist_train
    idx = class_balanced_subset(y, 100, torch.Generator().manual_seed(0))
    assert np.bincount(y[idx]).tolist() == [10] * 10


def test_index_batcher_covers_epoch() -> None:
    batcher = IndexBatcher(100, 10, torch.Generator().manual_seed(0))
    batches = list(batcher.epoch_batches())
    assert len(batches) == len(batcher) == 10
    assert all(b.dtype == torch.int64 and b.shape == (10,) for b in batches)
    assert sorted(torch.cat(batches).tolist()) == list(range(100))
    second = torch.cat(list(batcher.epoch_batches()))
    assert sorted(second.tolist()) == list(range(100))
    assert not torch.equal(second, torch.cat(batches))

    dropped = list(IndexBatcher(105, 10, torch.Generator()).epoch_batches())
    assert len(dropped) == 10 and len(set(torch.cat(dropped).tolist())) == 100
    kept = list(IndexBatcher(105, 10, torch.Generator(), drop_last=False).epoch_batches())
    assert len(kept) == 11 and sorted(torch.cat(kept).tolist()) == list(range(105))
    small = list(IndexBatcher(7, 10, torch.Generator()).epoch_batches())
    assert len(small) == 1 and sorted(small[0].tolist()) == list(range(7))
    with pytest.raises(DataError):
        IndexBatcher(0, 10, torch.Generator())


def test_index_batcher_reproducible_from_state() -> None:
    g = torch.Generator().manual_seed(123)
    batcher = IndexBatcher(50, 8, g)
    list(batcher.epoch_batches())
    state = g.get_state()
    first = [list(batcher.epoch_batches()), batcher.sample(), batcher.sample(5)]
    g.set_state(state)
    again = [list(batcher.epoch_batches()), batcher.sample(), batcher.sample(5)]
    for a, b in zip(first[0], again[0], strict=True):
        assert torch.equal(a, b)
    assert torch.equal(first[1], again[1]) and torch.equal(first[2], again[2])
    assert first[1].shape == (8,) and first[2].shape == (5,)
    assert first[1].dtype == torch.int64 and int(first[1].min()) >= 0 and int(first[1].max()) < 50
