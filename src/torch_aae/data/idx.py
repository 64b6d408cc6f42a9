"""Reading IDX files (the MNIST / Fashion-MNIST format), gzip-compressed or raw.

An IDX file is a 4-byte magic ``00 00 <dtype code> <ndim>``, then ``ndim`` big-endian uint32
dimension sizes, then ``prod(dims)`` big-endian items. Compression is detected by the gzip magic
bytes ``1f 8b``, never by the file name, so ``foo.gz`` may hold raw bytes and ``foo`` gzip bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import zlib
from pathlib import Path

import numpy as np

from torch_aae.errors import DataError

__all__ = [
    "IDX_DTYPES",
    "ChecksumMismatch",
    "decompressed_bytes",
    "parse_idx",
    "read_idx",
    "read_idx_verified",
    "sha256_of_decompressed",
]

GZIP_MAGIC = b"\x1f\x8b"

#: IDX dtype code -> numpy dtype of the (big-endian) items on disk.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_ADVICE = "Delete it and download it again, or copy an intact file in its place."


class ChecksumMismatch(DataError):
    """A file whose decompressed bytes do not have the expected SHA-256."""

    def __init__(self, message: str, path: Path, expected: str, actual: str) -> None:
        super().__init__(message)
        self.path = path
        self.expected = expected
        self.actual = actual


def decompressed_bytes(path: str | Path) -> bytes:
    """Return the content of ``path``, gunzipped if it starts with the gzip magic ``1f 8b``.

    Raises DataError if the file is missing or unreadable, or if the gzip stream is damaged or
    truncated.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found. Check the path.") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, expected an IDX file. Check the path.") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc}). Check its permissions.") from None
    if not raw.startswith(GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except EOFError:
        raise DataError(
            f"{path}: the gzip data ends early, so the file is truncated (an interrupted "
            f"download or copy?). {_ADVICE}"
        ) from None
    except (gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise DataError(f"{path}: damaged gzip data ({exc}). {_ADVICE}") from None


def parse_idx(data: bytes, source: str | Path = "<bytes>") -> np.ndarray:
    """Parse the decompressed bytes of an IDX file into an array of shape ``dims``.

    The result is writable, in native byte order, with the dtype named by the header (uint8 for
    MNIST). ``source`` only names the file in error messages. Raises DataError for a bad magic, an
    unknown dtype code, or a payload that is shorter or longer than the header says.
    """
    if len(data) < 4:
        raise DataError(
            f"{source}: only {len(data)} bytes, too short for an IDX header (4 bytes at least); "
            f"the file is truncated or not an IDX file. {_ADVICE}"
        )
    zero0, zero1, code, ndim = data[0], data[1], data[2], data[3]
    if zero0 != 0 or zero1 != 0:
        raise DataError(
            f"{source}: not an IDX file (magic bytes {data[:4].hex(' ')}, expected 00 00 <dtype> "
            f"<ndim>). Check that this is the right file. {_ADVICE}"
        )
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X} ({d.name})" for c, d in IDX_DTYPES.items())
        raise DataError(
            f"{source}: unknown IDX dtype code 0x{code:02X} (known: {known}); the file is damaged "
            f"or not an IDX file. {_ADVICE}"
        )
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise DataError(
            f"{source}: the header announces {ndim} dimensions but the file has only {len(data)} "
            f"bytes; the file is truncated. {_ADVICE}"
        )
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = math.prod(dims) * dtype.itemsize
    actual = len(data) - header_len
    if actual != expected:
        what = "truncated" if actual < expected else "followed by extra bytes"
        raise DataError(
            f"{source}: the header says shape {dims} of {dtype.name} ({expected} payload bytes) "
            f"but the file has {actual} payload bytes: it is {what}. {_ADVICE}"
        )
    items = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(dims)
    return items.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (gzip or raw) into an array of shape ``dims`` (e.g. ``(60000, 28, 28)``)."""
    return parse_idx(decompressed_bytes(path), path)


def sha256_of_decompressed(path: str | Path) -> str:
    """Return the hex SHA-256 of the file's decompressed content (its raw bytes if not gzip)."""
    return hashlib.sha256(decompressed_bytes(path)).hexdigest()


def read_idx_verified(path: str | Path, expected_sha256: str) -> np.ndarray:
    """Read an IDX file after checking the SHA-256 of its decompressed bytes, in one pass.

    The file is read and decompressed once; the hash and the parse use the same bytes. Raises
    ChecksumMismatch (a DataError) naming the file, with the expected and actual SHA-256, if the
    hash differs.
    """
    expected = expected_sha256.lower()
    try:
        data = decompressed_bytes(path)
    except DataError as exc:
        raise DataError(
            f"{exc} (Expected SHA-256 of its decompressed bytes: {expected}.)"
        ) from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        try:
            parse_idx(data, path)
            diagnosis = ""
        except DataError as exc:
            detail = str(exc).removeprefix(f"{path}: ").removesuffix(f" {_ADVICE}")
            diagnosis = f"Also, {detail} "
        raise ChecksumMismatch(
            f"{path}: checksum mismatch, the file is damaged or is not the expected file. "
            f"Expected SHA-256 of the decompressed bytes {expected}, got {actual}. "
            f"{diagnosis}{_ADVICE}",
            Path(path),
            expected,
            actual,
        )
    return parse_idx(data, path)
