"""Rebuild the upstream Fashion-MNIST ``.gz`` files from Debian's copies.

Debian ships the Fashion-MNIST archives under
``/usr/share/datasets/fashion-mnist/``, but it repacked them: its gzip
headers carry no ``FNAME`` field (``FLG=0``) and a different ``MTIME``.
The deflate streams and the CRC32/ISIZE trailers are unchanged, so the
only difference from the files published upstream (whose sizes and sha256
digests ``tensorflow-datasets`` registers in
``url_checksums/fashion_mnist.txt``) is the 10-byte header.

Restoring the original header -- ``FLG=FNAME``, the original modification
time, ``XFL``, ``OS`` and the NUL-terminated original file name -- in front
of Debian's deflate stream reproduces the upstream bytes exactly.  This lets
tests serve byte-identical files over loopback HTTP and have tfds verify its
real registered checksums.

The header values below were recovered by brute-forcing the ``MTIME`` field
against the registered sha256 digests.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pathlib

__all__ = ["ORIGINAL_HEADERS", "rebuild_original"]

#: Original gzip header fields, keyed by the published file name:
#: ``(mtime, xfl, os, header_fname)``.
ORIGINAL_HEADERS: dict[str, tuple[int, int, int, str]] = {
    "train-images-idx3-ubyte.gz": (1504176606, 0, 3, "train-images-idx3-ubyte"),
    "train-labels-idx1-ubyte.gz": (1504176606, 0, 3, "train-labels-idx1-ubyte"),
    "t10k-images-idx3-ubyte.gz": (1504176627, 0, 3, "t10k-images-idx3-ubyte"),
    "t10k-labels-idx1-ubyte.gz": (1504176627, 0, 3, "t10k-labels-idx1-ubyte"),
}

_GZIP_MAGIC = b"\x1f\x8b"
_CM_DEFLATE = 8
_FLG_FNAME = 0x08
_BASE_HEADER_LEN = 10


def rebuild_original(debian_path: pathlib.Path, filename: str) -> bytes:
    """Return the upstream bytes of a Fashion-MNIST archive.

    Parameters
    ----------
    debian_path : pathlib.Path
        Path to Debian's repacked copy of the archive.
    filename : str
        Published name of the archive, one of the keys of
        :data:`ORIGINAL_HEADERS` (e.g. ``"t10k-labels-idx1-ubyte.gz"``).

    Returns
    -------
    bytes
        The archive exactly as published upstream: the original gzip header
        followed by Debian's unchanged deflate stream and trailer.

    Raises
    ------
    KeyError
        If `filename` is not a known Fashion-MNIST archive.
    ValueError
        If `debian_path` does not hold a plain gzip member (deflate, no
        optional header fields), so its header cannot simply be replaced.
    """
    mtime, xfl, os_id, header_fname = ORIGINAL_HEADERS[filename]
    data = debian_path.read_bytes()
    if (
        len(data) < _BASE_HEADER_LEN
        or data[:2] != _GZIP_MAGIC
        or data[2] != _CM_DEFLATE
        or data[3] != 0  # FLG: no FTEXT/FHCRC/FEXTRA/FNAME/FCOMMENT
    ):
        msg = f"{debian_path} is not a gzip file with a bare 10-byte header"
        raise ValueError(msg)
    header = (
        _GZIP_MAGIC
        + struct.pack("<BBIBB", _CM_DEFLATE, _FLG_FNAME, mtime, xfl, os_id)
        + header_fname.encode("latin-1")
        + b"\x00"
    )
    return header + data[_BASE_HEADER_LEN:]
