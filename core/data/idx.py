"""Read IDX files (the format MNIST and Fashion-MNIST ship in), validating before allocating.

The format: two zero bytes, a type byte, the number of dimensions, then one big-endian uint32 per
dimension, then the data in row-major order. Only unsigned bytes (type 0x08) are images or labels.
"""

from __future__ import annotations

import contextlib
import io
import math
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
GZIP_MAGIC = b"\x1f\x8b"
#: zlib's window setting for gzip framing (header and CRC trailer), with the largest window.
GZIP_WBITS = 16 + zlib.MAX_WBITS
#: Compressed bytes handed to zlib at a time: bounds the copy it keeps of input not yet consumed.
GZIP_CHUNK = 1 << 18


def read_idx(
    path: str | os.PathLike, *, ndim: int | None = None, max_bytes: int = MAX_IDX_BYTES
) -> np.ndarray:
    """Read one IDX file, plain or gzipped, as a uint8 array.

    Parameters
    ----------
    path : str or path-like
        The file. A name ending in ``.gz`` is read as gzip (one member or several, one after another).
    ndim : int, optional
        The number of dimensions the file must have (3 for images, 1 for labels).
    max_bytes : int, default=MAX_IDX_BYTES
        The largest payload accepted; a header declaring more is rejected before reading it, and a
        gzip file is never decompressed past the size its header declares.

    Returns
    -------
    array : ndarray of dtype uint8 and the shape the header declares

    Raises
    ------
    DataFileError
        If the file is missing, unreadable, not IDX, not unsigned bytes, has the wrong number of
        dimensions, its length does not match its header, or a gzip file is damaged or followed by
        other data. The message names the file.
    """
    path = Path(path)
    try:
        with open(path, "rb") as raw:
            if path.suffix == ".gz":
                return _read_idx_stream(_Gunzip(raw, path), path, ndim, max_bytes, None)
            return _read_idx_stream(raw, path, ndim, max_bytes, path.stat().st_size)
    except FileNotFoundError:
        raise DataFileError(f"{path}: file not found.") from None
    except IsADirectoryError:
        raise DataFileError(f"{path}: is a folder, not an IDX file.") from None
    except PermissionError:
        raise DataFileError(f"{path}: permission denied; make the file readable.") from None
    except zlib.error as exc:
        raise DataFileError(f"{path}: not a valid gzip file ({exc}).") from None


def read_idx_bytes(
    data: bytes, name: str, *, ndim: int | None = None, max_bytes: int = MAX_IDX_BYTES
) -> np.ndarray:
    """Read IDX content held in memory (an upload), plain or gzipped (told apart by gzip's magic).

    Same checks and messages as `read_idx`; `name` stands for the file in messages.
    """
    with _open_bytes(data, name) as (stream, total):
        return _read_idx_stream(stream, name, ndim, max_bytes, total)


def read_idx_shape(data: bytes, name: str, *, ndim: int | None = None) -> tuple[int, ...]:
    """The shape the header of IDX content (plain or gzipped) declares, reading the header only.

    A gzipped file is decompressed only as far as its header, so the shapes of several files can
    be checked together (counts, sizes) before any payload is read. Raises `DataFileError` as
    `read_idx` does for a header that is not a valid IDX header.
    """
    with _open_bytes(data, name) as (stream, _):
        return _read_header(stream, name, ndim)


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


@contextlib.contextmanager
def _open_bytes(data: bytes, name: str):
    """A stream over in-memory IDX content, decompressing gzip on the fly, and its stored length."""
    try:
        if data[:2] == GZIP_MAGIC:
            yield _Gunzip(io.BytesIO(data), name), None
        else:
            yield io.BytesIO(data), len(data)
    except zlib.error as exc:
        raise DataFileError(f"{name}: not a valid gzip file ({exc}).") from None


class _Gunzip:
    """Gzip data read as a stream that never decompresses more than it is asked for.

    Members are decompressed one after another, as gzip allows; zero bytes after the last member
    are padding, as gzip treats them; anything else there is refused. zlib checks each member's
    CRC and length.
    """

    def __init__(self, raw, name):
        self._raw, self._name = raw, name
        self._inflater = zlib.decompressobj(GZIP_WBITS)
        self._pending = b""  # compressed input read ahead while looking for the next member
        self._done = False

    def read(self, size: int) -> bytes | bytearray:
        out = bytearray()
        while len(out) < size and not self._done:
            if self._inflater.eof:
                self._start_next_member()
                continue
            data = self._pending or self._inflater.unconsumed_tail or self._raw.read(GZIP_CHUNK)
            self._pending = b""
            chunk = self._inflater.decompress(data, size - len(out))
            if not data and not chunk:
                raise DataFileError(
                    f"{self._name}: truncated: the gzip stream stops before its end; "
                    "copy or download the whole file again."
                )
            out += chunk
        return out

    def _start_next_member(self):
        rest = self._inflater.unused_data
        while len(rest.lstrip(b"\0")) < 2:
            more = self._raw.read(GZIP_CHUNK)
            if not more:
                break
            rest = rest.lstrip(b"\0") + more
        rest = rest.lstrip(b"\0")
        if not rest:
            self._done = True
        elif rest[:2] != GZIP_MAGIC:
            raise DataFileError(
                f"{self._name}: has data after the end of its gzip stream; "
                "the file is damaged or not an IDX file: download or compress it again."
            )
        else:
            self._inflater, self._pending = zlib.decompressobj(GZIP_WBITS), rest


def _read_header(stream, path, ndim) -> tuple[int, ...]:
    """The shape an IDX header declares, after checking its magic, type and number of dimensions."""
    head = stream.read(4)
    if len(head) < 4:
        raise DataFileError(f"{path}: the file is empty or shorter than an IDX header (4 bytes).")
    zero, type_byte, n_dims = struct.unpack(">HBB", head)
    if zero != 0:
        raise DataFileError(
            f"{path}: not an IDX file (magic number 0x{bytes(head).hex()} should start with 0x0000)."
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
    return struct.unpack(f">{n_dims}I", dims_raw)


def _read_idx_stream(stream, path, ndim, max_bytes, total):
    """Validate the header (and `total`, the stored length if known) before reading the payload."""
    shape = _read_header(stream, path, ndim)
    expected = math.prod(shape) if shape else 0  # Python ints: a hostile shape cannot wrap to 0
    if expected > max_bytes:
        raise DataFileError(
            f"{path}: header declares shape {shape} ({expected:,} bytes), "
            f"more than the {max_bytes:,}-byte limit."
        )
    header_size = 4 + 4 * len(shape)
    if total is not None and total < header_size + expected:  # a plain file: refuse it unread
        raise DataFileError(_truncated(path, shape, expected, total - header_size))
    data = stream.read(expected)
    if len(data) < expected:
        raise DataFileError(_truncated(path, shape, expected, len(data)))
    if stream.read(1):
        extra = f" {total - header_size - expected:,}" if total is not None else ""
        raise DataFileError(
            f"{path}: {expected:,} bytes of data for shape {shape} are followed by{extra} trailing bytes."
        )
    return np.frombuffer(data, dtype=np.uint8).reshape(shape)


def _truncated(path, shape, expected, held):
    return (
        f"{path}: truncated: header declares shape {shape} ({expected:,} bytes of data) "
        f"but the file holds only {held:,}."
    )
