"""Read IDX files (the format MNIST and Fashion-MNIST ship in), validating before allocating.

The format: two zero bytes, a type byte, the number of dimensions, then one big-endian uint32 per
dimension, then the data in row-major order. Only unsigned bytes (type 0x08) are images or labels.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from core.errors import DataFileError

#: IDX type bytes and their names, to say what a rejected file holds.
IDX_TYPES = {
    0x08: "unsigned byte",
    0x09: "signed byte",
    0x0B: "short",
    0x0C: "int",
    0x0D: "float",
    0x0E: "double",
}

#: The four IDX files of an MNIST-style dataset, by split and kind.
IDX_FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}

#: The largest payload the reader accepts, in bytes (a 1 GiB default covers 1.3 million 28x28 images).
MAX_IDX_BYTES = 1 << 30


def read_idx(
    path: str | os.PathLike, *, ndim: int | None = None, max_bytes: int = MAX_IDX_BYTES
) -> np.ndarray:
    """Read one IDX file, plain or gzipped, as a uint8 array.

    Parameters
    ----------
    path : str or path-like
        The file. A name ending in ``.gz`` is read as gzip.
    ndim : int, optional
        The number of dimensions the file must have (3 for images, 1 for labels).
    max_bytes : int, default=MAX_IDX_BYTES
        The largest payload accepted; a header declaring more is rejected before reading it.

    Returns
    -------
    array : ndarray of dtype uint8 and the shape the header declares

    Raises
    ------
    DataFileError
        If the file is missing, unreadable, not IDX, not unsigned bytes, has the wrong number of
        dimensions, or its length does not match its header. The message names the file.
    """
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as stream:
                return _read_idx_stream(stream, path, ndim, max_bytes, _gzip_size(path), True)
        with open(path, "rb") as stream:
            return _read_idx_stream(stream, path, ndim, max_bytes, path.stat().st_size, False)
    except FileNotFoundError:
        raise DataFileError(f"{path}: file not found.") from None
    except IsADirectoryError:
        raise DataFileError(f"{path}: is a folder, not an IDX file.") from None
    except PermissionError:
        raise DataFileError(f"{path}: permission denied; make the file readable.") from None
    except (gzip.BadGzipFile, zlib.error, EOFError) as exc:
        raise DataFileError(f"{path}: not a valid gzip file ({exc}).") from None


def read_idx_bytes(
    data: bytes, name: str, *, ndim: int | None = None, max_bytes: int = MAX_IDX_BYTES
) -> np.ndarray:
    """Read IDX content held in memory (an upload), plain or gzipped (told apart by gzip's magic).

    Same checks and messages as `read_idx`; `name` stands for the file in messages.
    """
    try:
        if data[:2] == b"\x1f\x8b":
            trailer = struct.unpack("<I", data[-4:])[0] if len(data) >= 18 else None
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
                return _read_idx_stream(stream, name, ndim, max_bytes, trailer, True)
        return _read_idx_stream(io.BytesIO(data), name, ndim, max_bytes, len(data), False)
    except (gzip.BadGzipFile, zlib.error, EOFError) as exc:
        raise DataFileError(f"{name}: not a valid gzip file ({exc}).") from None


def find_idx_files(folder: str | os.PathLike) -> dict[tuple[str, str], Path]:
    """Find the four IDX files in a folder, plain or gzipped, with ``-idx`` or ``.idx`` in the name.

    Returns
    -------
    paths : dict mapping (split, kind), as in `IDX_FILES`, to the file's path

    Raises
    ------
    DataFileError
        If `folder` is not a folder or lacks a file; the message names the missing files.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise DataFileError(f"{folder}: not a folder; give a folder holding the four IDX files.")
    found, missing = {}, []
    for key, stem in IDX_FILES.items():
        candidates = [stem, stem.replace("-idx", ".idx")]
        paths = [folder / (c + ext) for c in candidates for ext in ("", ".gz")]
        existing = [p for p in paths if p.is_file()]
        if existing:
            found[key] = existing[0]
        else:
            missing.append(stem + "[.gz]")
    if missing:
        raise DataFileError(f"{folder}: missing {', '.join(missing)}.")
    return found


def holds_idx_files(folder: str | os.PathLike) -> bool:
    """Whether `folder` holds the four IDX files `find_idx_files` looks for."""
    try:
        find_idx_files(folder)
    except DataFileError:
        return False
    return True


def _gzip_size(path: Path) -> int | None:
    """The uncompressed size a single-member gzip file records in its trailer (modulo 2**32)."""
    size = path.stat().st_size
    if size < 18:  # smaller than an empty gzip member: let the gzip reader say what is wrong
        return None
    with open(path, "rb") as f:
        f.seek(-4, os.SEEK_END)
        return struct.unpack("<I", f.read(4))[0]


def _read_idx_stream(stream, path, ndim, max_bytes, total, compressed):
    """Validate the header against `total` (the stored length) before reading the payload."""
    head = stream.read(4)
    if len(head) < 4:
        raise DataFileError(f"{path}: the file is empty or shorter than an IDX header (4 bytes).")
    zero, type_byte, n_dims = struct.unpack(">HBB", head)
    if zero != 0:
        raise DataFileError(
            f"{path}: not an IDX file (magic number 0x{head.hex()} should start with 0x0000)."
        )
    if type_byte != 0x08:
        kind = IDX_TYPES.get(type_byte, "unknown")
        raise DataFileError(
            f"{path}: type byte 0x{type_byte:02X} ({kind}) is not supported; "
            "images and labels must be unsigned bytes (0x08)."
        )
    if ndim is not None and n_dims != ndim:
        raise DataFileError(
            f"{path}: has {n_dims} dimensions, expected {ndim} "
            f"({'images: count, height, width' if ndim == 3 else 'labels: count'})."
        )
    dims_raw = stream.read(4 * n_dims)
    if len(dims_raw) < 4 * n_dims:
        raise DataFileError(f"{path}: truncated header ({n_dims} dimension sizes expected).")
    shape = struct.unpack(f">{n_dims}I", dims_raw)
    expected = int(np.prod(shape, dtype=np.int64)) if shape else 0
    header_size = 4 + 4 * n_dims
    if expected > max_bytes:
        raise DataFileError(
            f"{path}: header declares shape {shape} ({expected:,} bytes), "
            f"more than the {max_bytes:,}-byte limit."
        )
    if total is not None:
        _check_length(path, shape, expected, header_size, total, compressed)
    data = stream.read(expected)
    if len(data) < expected:
        raise DataFileError(
            f"{path}: truncated: header declares shape {shape} ({expected:,} bytes of data) "
            f"but the file holds only {len(data):,}."
        )
    if stream.read(1):
        raise DataFileError(
            f"{path}: {expected:,} bytes of data for shape {shape} are followed by trailing bytes."
        )
    return np.frombuffer(data, dtype=np.uint8).reshape(shape)


def _check_length(path, shape, expected, header_size, actual, compressed):
    """Compare the size the header declares with the stored length, before reading the payload."""
    declared = header_size + expected
    if compressed:  # gzip's trailer records the uncompressed size modulo 2**32
        declared %= 1 << 32
    if actual < declared:
        raise DataFileError(
            f"{path}: truncated: header declares shape {shape} ({expected:,} bytes of data) "
            f"but the file holds only {max(actual - header_size, 0):,}."
        )
    if actual > declared:
        raise DataFileError(
            f"{path}: {expected:,} bytes of data for shape {shape} are followed by "
            f"{actual - declared:,} trailing bytes."
        )
