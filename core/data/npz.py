"""The one .npz reader: checks every member's declared size against the caller's limits before reading.

An .npz is a zip archive of .npy arrays. A hostile one can declare a small member that inflates to
gigabytes, hold Python objects that would run code when unpickled, or carry a malformed header.
`read_npz` refuses all three with a `DataFileError` that names the file, before it allocates any
array: it reads only the zip directory and each member's .npy header (a few hundred bytes), never
unpickles, and opens only regular files (a FIFO or a device would block or never end).
"""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO

import numpy as np
from numpy.lib import format as npy_format

from core.errors import DataFileError

#: Room for a member's .npy header on top of its data (numpy pads headers to 64-byte multiples).
NPY_HEADER_ALLOWANCE = 64 * 1024
#: What zipfile and zlib raise on damaged, encrypted or unsupported members.
UNREADABLE = (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError)
SAVE_HINT = "save the arrays with numpy.savez or numpy.savez_compressed"
#: Most bytes the zip directory may spend per member: 46 fixed, then the name, extra fields and comment.
MAX_DIRECTORY_ENTRY_BYTES = 46 + 1024
#: The zip end records: the classic one (member count to 65,535) and zip64's, with its locator.
END_RECORD = struct.Struct("<4s4H2LH")
END_RECORD64 = struct.Struct("<4sQ2H2L4Q")
END_LOCATOR64_SIZE = 20
#: What a declared array looks like before it is read: its shape and dtype, by member name.
Declared = dict[str, tuple[tuple[int, ...], np.dtype]]


def read_npz(
    source: str | os.PathLike | bytes,
    *,
    max_members: int,
    max_member_bytes: int,
    max_total_bytes: int,
    name: str | None = None,
    check: Callable[[Declared], None] | None = None,
) -> dict[str, np.ndarray]:
    """Read the arrays of an .npz file or its bytes, never unpickling and within stated limits.

    Parameters
    ----------
    source : str, path-like or bytes
        A path to a regular file, or the file's content (an upload).
    max_members : int
        The most arrays the archive may hold.
    max_member_bytes : int
        The largest array accepted, in bytes of data as its .npy header declares it.
    max_total_bytes : int
        The most bytes of data all arrays together may declare.
    name : str, optional
        What to call the file in messages; defaults to the path, or ``"the .npz file"`` for bytes.
    check : callable, optional
        Called with ``{name: (shape, dtype)}`` of every array, as the headers declare them, after
        the limits pass and before any array is read; it raises `DataFileError` to refuse the file
        (e.g. too many images) without its data being inflated.

    Returns
    -------
    arrays : dict of str to ndarray
        Keyed by member name without ``.npy``, as `numpy.load` names them.

    Raises
    ------
    DataFileError
        If the source is not a regular file, not a zip archive, holds a member that is not a
        .npy array, an object array or a malformed header, or exceeds a limit. The member count
        and the directory's size are checked from the zip's end record, before the directory is
        parsed, so a zip of millions of empty members costs no more than a small one.
    """
    limits = (max_members, max_member_bytes, max_total_bytes)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _read_archive(io.BytesIO(source), name or "the .npz file", limits, check)
    path = Path(source)
    label = name or str(path)
    with _open_regular_file(path, label) as stream:
        return _read_archive(stream, label, limits, check)


def _open_regular_file(path: Path, label: str) -> IO[bytes]:
    try:
        # stat before open: opening a FIFO blocks until a writer comes.
        if not stat.S_ISREG(path.stat().st_mode):
            raise DataFileError(f"{label}: not a regular file; give the path of an .npz file.")
        stream = open(path, "rb")  # noqa: SIM115 (the caller's `with` closes it)
    except FileNotFoundError:
        raise DataFileError(f"{label}: file not found.") from None
    except PermissionError:
        raise DataFileError(f"{label}: permission denied; make the file readable.") from None
    if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):  # swapped since the stat
        stream.close()
        raise DataFileError(f"{label}: not a regular file; give the path of an .npz file.")
    return stream


def _check_directory(stream: IO[bytes], label: str, max_members: int) -> None:
    """Refuse too many members from the zip's end record, before zipfile parses (and lists) them all."""
    size = stream.seek(0, os.SEEK_END)
    # zipfile looks for the end record in the last 64 KiB (its comment's room), the zip64 ones before it.
    start = max(0, size - (END_RECORD.size + 0xFFFF + END_LOCATOR64_SIZE + END_RECORD64.size))
    stream.seek(start)
    tail = stream.read()
    stream.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < END_RECORD.size:
        return  # not a zip: zipfile says so
    *_, count, directory_size, _, _ = END_RECORD.unpack_from(tail, at)
    at64 = at - END_LOCATOR64_SIZE - END_RECORD64.size
    if at64 >= 0 and tail[at - END_LOCATOR64_SIZE : at - END_LOCATOR64_SIZE + 4] == b"PK\x06\x07":
        *_, count, directory_size, _ = END_RECORD64.unpack_from(tail, at64)  # as zipfile reads them
    if count > max_members:
        raise DataFileError(
            f"{label}: holds {count:,} members, more than the {max_members:,} allowed; "
            "keep only the arrays the lab needs."
        )
    if directory_size > max_members * MAX_DIRECTORY_ENTRY_BYTES:
        raise DataFileError(
            f"{label}: its zip directory takes {_mb(directory_size)}, more than {max_members:,} arrays "
            f"need; keep only the arrays the lab needs ({SAVE_HINT})."
        )


def _read_archive(stream, label, limits, check):
    max_members, max_member_bytes, max_total_bytes = limits
    _check_directory(stream, label, max_members)
    try:
        archive = zipfile.ZipFile(stream)
    # zipfile raises several types on a damaged directory (NotImplementedError for a bogus version).
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
        raise DataFileError(
            f"{label}: not an .npz file (an .npz is a zip archive of .npy arrays); {SAVE_HINT}."
        ) from None
    with archive:
        members = archive.infolist()
        if len(members) > max_members:
            raise DataFileError(
                f"{label}: holds {len(members):,} members, more than the {max_members:,} allowed; "
                "keep only the arrays the lab needs."
            )
        _check_inflated_sizes(members, label, max_member_bytes, max_total_bytes)
        headers = {
            member.filename: _check_member(archive, member, label, max_member_bytes) for member in members
        }
        if len(headers) < len(members):
            raise DataFileError(f"{label}: holds two members of the same name; {SAVE_HINT}.")
        _check_total(label, sum(declared for declared, _, _ in headers.values()), max_total_bytes)
        if check is not None:
            check({key.removesuffix(".npy"): (shape, dtype) for key, (_, shape, dtype) in headers.items()})
        return {m.filename.removesuffix(".npy"): _read_member(archive, m, label) for m in members}


def _check_inflated_sizes(members, label, max_member_bytes, max_total_bytes) -> None:
    """Check the sizes the zip directory records first: they cost nothing, and a bomb is never inflated."""
    for member in members:
        if member.file_size > max_member_bytes + NPY_HEADER_ALLOWANCE:
            raise DataFileError(
                f"{label}: member {member.filename} would inflate to {_mb(member.file_size)}, over the "
                f"{_mb(max_member_bytes)} limit; use a smaller array."
            )
    _check_total(label, sum(m.file_size for m in members), max_total_bytes, len(members))


def _check_total(label: str, total: int, max_total_bytes: int, n_headers: int = 0) -> None:
    """Refuse arrays that together exceed the limit; `n_headers` allows room for .npy headers."""
    if total > max_total_bytes + n_headers * NPY_HEADER_ALLOWANCE:
        raise DataFileError(
            f"{label}: its arrays declare {_mb(total)} together, over the {_mb(max_total_bytes)} limit; "
            "use fewer or smaller arrays."
        )


def _check_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, label: str, max_bytes: int):
    """The member's declared data size and shape, from the zip directory and its .npy header only."""
    where = f"{label}: member {member.filename}"
    if not member.filename.endswith(".npy"):
        raise DataFileError(f"{where} is not a .npy array; an .npz holds only arrays ({SAVE_HINT}).")
    try:
        with archive.open(member) as stream:
            version = npy_format.read_magic(stream)
            if version == (1, 0):
                shape, _, dtype = npy_format.read_array_header_1_0(stream)
            else:
                shape, _, dtype = npy_format.read_array_header_2_0(stream)
            header_size = stream.tell()
    except UNREADABLE as exc:
        raise DataFileError(f"{where} cannot be read ({exc}); the file is damaged, save it again.") from None
    except (ValueError, SyntaxError, TypeError) as exc:  # what numpy raises on a malformed header
        raise DataFileError(f"{where} has no valid .npy header ({exc}); {SAVE_HINT}.") from None
    if dtype.hasobject:
        raise DataFileError(
            f"{where} holds Python objects, which the lab never unpickles; save plain numbers."
        )
    declared = dtype.itemsize
    for side in shape:  # Python ints: a hostile shape cannot overflow
        declared *= side
    if declared > max_bytes:
        raise DataFileError(
            f"{where} declares shape {shape} of {dtype} ({_mb(declared)}), over the {_mb(max_bytes)} "
            "limit; use a smaller array."
        )
    if member.file_size != header_size + declared:
        raise DataFileError(
            f"{where}: its header declares {declared:,} bytes of data but it holds "
            f"{member.file_size - header_size:,}; the file is damaged, save it again."
        )
    return declared, shape, dtype


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, label: str) -> np.ndarray:
    try:
        with archive.open(member) as stream:
            return npy_format.read_array(stream, allow_pickle=False)
    except (*UNREADABLE, ValueError) as exc:
        raise DataFileError(
            f"{label}: member {member.filename} cannot be read ({exc}); the file is damaged, save it again."
        ) from None


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:,.0f} MB" if n_bytes >= 2**20 else f"{n_bytes:,} bytes"
