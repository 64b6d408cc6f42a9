"""Built-in datasets (MNIST, Fashion-MNIST): where to find their files, download and load them.

Files are looked up, in order, in the explicit ``data_dir``, in ``$TORCH_AAE_DATA`` and in the
cache folder (``$XDG_CACHE_HOME/torch_aae`` or ``~/.cache/torch_aae``); in each place both under
``<place>/<folder>/`` and directly under ``<place>/``, as ``<stem>.gz`` or raw ``<stem>``. Every
file is verified by the SHA-256 of its decompressed bytes, so a re-compressed copy is accepted.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from torch_aae.data.idx import ChecksumMismatch, read_idx_verified, sha256_of_decompressed
from torch_aae.errors import DataError

__all__ = [
    "DATASETS",
    "DATA_ENV_VAR",
    "SPLITS",
    "DatasetFile",
    "DatasetSpec",
    "cache_dir",
    "get_spec",
    "load_builtin",
    "locate_dataset",
    "resolve_data_dirs",
]

DATA_ENV_VAR = "TORCH_AAE_DATA"
SPLITS = ("train", "test")
DOWNLOAD_TIMEOUT_S = 60.0
_CHUNK = 1 << 16


@dataclass(frozen=True)
class DatasetFile:
    """One file of a dataset: its stem (``<stem>.gz`` on mirrors) and decompressed SHA-256."""

    stem: str
    sha256: str


@dataclass(frozen=True)
class DatasetSpec:
    """Everything needed to find, verify and load a built-in dataset.

    ``files`` maps a role (``train_images``, ``train_labels``, ``test_images``, ``test_labels``) to
    its file; ``split_sizes`` maps ``train``/``test`` to the number of examples.
    """

    name: str
    title: str
    folder: str
    files: dict[str, DatasetFile]
    split_sizes: dict[str, int]
    image_shape: tuple[int, int]
    n_classes: int
    class_names: tuple[str, ...]
    mirrors: tuple[str, ...]

    @property
    def n_features(self) -> int:
        """Length of a flattened image (784 for 28x28)."""
        return self.image_shape[0] * self.image_shape[1]


def _files(sha: dict[str, str]) -> dict[str, DatasetFile]:
    stems = {
        "train_images": "train-images-idx3-ubyte",
        "train_labels": "train-labels-idx1-ubyte",
        "test_images": "t10k-images-idx3-ubyte",
        "test_labels": "t10k-labels-idx1-ubyte",
    }
    return {role: DatasetFile(stem, sha[role]) for role, stem in stems.items()}


DATASETS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        name="mnist",
        title="MNIST",
        folder="mnist",
        files=_files(
            {
                "train_images": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                "train_labels": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                "test_images": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                "test_labels": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            }
        ),
        split_sizes={"train": 60000, "test": 10000},
        image_shape=(28, 28),
        n_classes=10,
        class_names=tuple(str(d) for d in range(10)),
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
    ),
    "fashion_mnist": DatasetSpec(
        name="fashion_mnist",
        title="Fashion-MNIST",
        folder="fashion-mnist",
        files=_files(
            {
                "train_images": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                "train_labels": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                "test_images": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                "test_labels": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            }
        ),
        split_sizes={"train": 60000, "test": 10000},
        image_shape=(28, 28),
        n_classes=10,
        class_names=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    ),
}

#: decompressed SHA-256 -> (dataset name, stem), to recognise a file of the wrong dataset.
_KNOWN_FILES: dict[str, tuple[str, str]] = {
    f.sha256: (spec.name, f.stem) for spec in DATASETS.values() for f in spec.files.values()
}


def get_spec(name: str) -> DatasetSpec:
    """Return the spec of a built-in dataset; ``-`` and ``_`` and case are interchangeable."""
    key = str(name).strip().lower().replace("-", "_")
    if key not in DATASETS:
        valid = ", ".join(sorted(DATASETS))
        raise DataError(
            f"unknown dataset {name!r}. Valid built-in datasets: {valid}; for your own data pass a "
            f".npy, .npz or .csv file instead."
        )
    return DATASETS[key]


def cache_dir() -> Path:
    """The download cache: ``$XDG_CACHE_HOME/torch_aae``, else ``~/.cache/torch_aae``."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "torch_aae"


def resolve_data_dirs(data_dir: str | Path | None = None) -> list[Path]:
    """The places to search, in order: ``data_dir``, ``$TORCH_AAE_DATA``, the cache folder."""
    places: list[Path] = []
    if data_dir is not None and str(data_dir) != "":
        places.append(Path(data_dir).expanduser())
    env = os.environ.get(DATA_ENV_VAR, "")
    if env:
        places.append(Path(env).expanduser())
    places.append(cache_dir())
    unique: list[Path] = []
    for place in places:
        if place not in unique:
            unique.append(place)
    return unique


def _candidates(place: Path, folder: str, stem: str) -> list[Path]:
    """Paths where ``stem`` may lie in one place, in order of preference."""
    return [
        place / folder / f"{stem}.gz",
        place / folder / stem,
        place / f"{stem}.gz",
        place / stem,
    ]


def _find(places: Iterable[Path], folder: str, stem: str) -> Path | None:
    """The first existing file for ``stem`` over ``places``, or None."""
    for place in places:
        for candidate in _candidates(place, folder, stem):
            if candidate.is_file():
                return candidate
    return None


def _describe_places(places: Sequence[Path], folder: str) -> str:
    """One line per searched folder, marking the ones that do not exist."""
    lines = []
    for place in places:
        for folder_path in (place / folder, place):
            note = "" if folder_path.is_dir() else "  (does not exist)"
            lines.append(f"  {folder_path}/{note}")
    return "\n".join(lines)


def _how_to_fix(spec: DatasetSpec, stems: Sequence[str]) -> str:
    names = ", ".join(f"{s}.gz" for s in stems)
    return (
        f"Pass --data-dir DIR (or set {DATA_ENV_VAR}=DIR) where DIR/{spec.folder}/ or DIR/ holds "
        f"{names} (gzip or decompressed), or download them from {spec.mirrors[0]}."
    )


class _DownloadFailed(Exception):
    """Every mirror failed for one file; ``attempts`` holds ``(url, reason)`` pairs."""

    def __init__(self, attempts: list[tuple[str, str]]) -> None:
        super().__init__(attempts)
        self.attempts = attempts


def _fetch_to(url: str, dest: Path, desc: str) -> None:
    """Stream ``url`` into the already-created file ``dest`` with a progress bar named ``desc``."""
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as resp, dest.open("wb") as out:
        length = resp.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        received = 0
        with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc) as bar:
            while chunk := resp.read(_CHUNK):
                out.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
        out.flush()
        os.fsync(out.fileno())
    if total is not None and received != total:
        raise DataError(f"incomplete download: got {received} of {total} bytes")


def _download(file: DatasetFile, target: Path, mirrors: Sequence[str]) -> Path:
    """Download ``<stem>.gz`` from the first mirror that serves it intact, into ``target``.

    The bytes go to a hidden temporary file in ``target``, are verified by checksum, and only then
    renamed to ``target/<stem>.gz``, so an interrupted or corrupt download leaves nothing under the
    final name. Raises _DownloadFailed listing each URL tried and why it failed.
    """
    final = target / f"{file.stem}.gz"
    attempts: list[tuple[str, str]] = []
    for base in mirrors:
        url = f"{base.rstrip('/')}/{file.stem}.gz"
        fd, tmp_name = tempfile.mkstemp(dir=target, prefix=f".{file.stem}.gz.", suffix=".part")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            _fetch_to(url, tmp, final.name)
            actual = sha256_of_decompressed(tmp)
            if actual != file.sha256:
                raise DataError(
                    f"checksum mismatch: expected SHA-256 {file.sha256} of the decompressed bytes, "
                    f"got {actual}"
                )
            tmp.chmod(0o644)
            os.replace(tmp, final)
            return final
        except DataError as exc:
            attempts.append((url, str(exc).replace(f"{tmp}: ", "")))
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            attempts.append((url, f"{type(exc).__name__}: {exc}"))
        finally:
            tmp.unlink(missing_ok=True)
    raise _DownloadFailed(attempts)


def _locate(
    spec: DatasetSpec,
    roles: Sequence[str],
    data_dir: str | Path | None,
    download: bool,
    mirrors: Sequence[str] | None,
) -> dict[str, Path]:
    """Find (and if allowed, download) the files of ``roles``; see :func:`locate_dataset`."""
    places = resolve_data_dirs(data_dir)
    found: dict[str, Path] = {}
    missing: list[str] = []
    for role in roles:
        path = _find(places, spec.folder, spec.files[role].stem)
        if path is None:
            missing.append(role)
        else:
            found[role] = path
    if not missing:
        return found
    stems = [spec.files[role].stem for role in missing]
    searched = (
        f"Searched these folders for <name>.gz or <name>:\n{_describe_places(places, spec.folder)}"
    )
    if not download:
        raise DataError(
            f"{spec.title}: file(s) not found: {', '.join(stems)}; downloading is turned off.\n"
            f"{searched}\n{_how_to_fix(spec, stems)}"
        )
    target = (Path(data_dir).expanduser() if data_dir else cache_dir()) / spec.folder
    created = not target.exists()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(
            f"{spec.title}: file(s) not found: {', '.join(stems)}, and cannot create {target} to "
            f"download them into ({exc}).\n{searched}\n{_how_to_fix(spec, stems)}"
        ) from None
    urls = list(mirrors) if mirrors is not None else list(spec.mirrors)
    for role in missing:
        file = spec.files[role]
        try:
            found[role] = _download(file, target, urls)
        except _DownloadFailed as exc:
            if created:
                with contextlib.suppress(OSError):
                    target.rmdir()  # only succeeds if nothing was downloaded into it
            tried = "\n".join(f"  {url}: {why}" for url, why in exc.attempts) or "  (no mirrors)"
            raise DataError(
                f"{spec.title}: file {file.stem} not found and could not be downloaded.\n"
                f"{searched}\nTried to download:\n{tried}\n{_how_to_fix(spec, stems)}"
            ) from None
    return found


def locate_dataset(
    name: str,
    data_dir: str | Path | None = None,
    download: bool = True,
    mirrors: Sequence[str] | None = None,
) -> dict[str, Path]:
    """Find the four files of a built-in dataset, downloading missing ones if ``download``.

    Returns ``{"train_images": path, "train_labels": ..., "test_images": ..., "test_labels": ...}``.
    Each file is searched independently over :func:`resolve_data_dirs`; missing files are
    downloaded into ``data_dir/<folder>/`` (or the cache's ``<folder>/`` without ``data_dir``) from
    ``mirrors`` (default: the spec's) in order. Found files are not verified here (that needs
    decompressing them); downloaded ones are. Raises DataError listing the places searched and the
    URLs tried.
    """
    spec = get_spec(name)
    return _locate(spec, list(spec.files), data_dir, download, mirrors)


def _read(spec: DatasetSpec, role: str, path: Path) -> np.ndarray:
    """Read and verify one file; a mismatch caused by another dataset's file says so."""
    try:
        return read_idx_verified(path, spec.files[role].sha256)
    except ChecksumMismatch as exc:
        other = _KNOWN_FILES.get(exc.actual)
        if other is None:
            raise
        other_title = DATASETS[other[0]].title
        raise DataError(
            f"{path}: this is {other_title}'s {other[1]}, not {spec.title}'s "
            f"{spec.files[role].stem} (checksum mismatch: expected SHA-256 {exc.expected}, got "
            f"{exc.actual}). Both datasets use the same file names: keep each in its own folder, "
            f"e.g. DIR/{DATASETS[other[0]].folder}/ and DIR/{spec.folder}/."
        ) from None


def load_builtin(
    name: str,
    split: str,
    data_dir: str | Path | None = None,
    download: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Load one split of a built-in dataset, verifying both files by checksum.

    Returns ``(x, y)``: ``x`` float32 of shape ``(n, 784)`` scaled to ``[0, 1]``, ``y`` int64 of
    shape ``(n,)``; ``n`` is 60000 for ``"train"`` and 10000 for ``"test"``.
    """
    spec = get_spec(name)
    if split not in SPLITS:
        raise DataError(
            f"unknown split {split!r} for {spec.title}; use one of: {', '.join(SPLITS)}"
        )
    roles = [f"{split}_images", f"{split}_labels"]
    paths = _locate(spec, roles, data_dir, download, None)
    images = _read(spec, roles[0], paths[roles[0]])
    labels = _read(spec, roles[1], paths[roles[1]])
    if images.ndim != 3 or images.shape[1:] != spec.image_shape or images.dtype != np.uint8:
        raise DataError(
            f"{paths[roles[0]]}: expected uint8 images of shape (n, {spec.image_shape[0]}, "
            f"{spec.image_shape[1]}), got {images.dtype} {images.shape}. Check the file."
        )
    if labels.ndim != 1:
        raise DataError(
            f"{paths[roles[1]]}: expected a 1-D label file, got shape {labels.shape}. "
            f"Check the file."
        )
    if len(images) != len(labels):
        raise DataError(
            f"{spec.title} {split}: {len(images)} images in {paths[roles[0]]} but {len(labels)} "
            f"labels in {paths[roles[1]]}. Use the matching pair of files."
        )
    if labels.size and int(labels.max()) >= spec.n_classes:
        raise DataError(
            f"{paths[roles[1]]}: label {int(labels.max())} out of range 0..{spec.n_classes - 1}. "
            f"Check the file."
        )
    x = images.reshape(len(images), -1).astype(np.float32)
    x /= np.float32(255.0)
    return x, labels.astype(np.int64)
