"""Build IDX files in tests: real headers around small arrays, plain or gzipped."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from core.data.idx import IDX_FILES


def idx_bytes(array: np.ndarray, type_byte: int = 0x08) -> bytes:
    """The IDX encoding of a uint8 array: magic (0, 0, type, ndim), big-endian sizes, data."""
    header = struct.pack(">HBB", 0, type_byte, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array).tobytes()


def write_idx(path: Path, data: bytes) -> Path:
    """Write IDX bytes to `path`, gzipping when the name ends in .gz."""
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)
    return path


def write_idx_dataset(
    folder: Path, n_train=60, n_test=20, shape=(28, 28), gz=True, seed=0
) -> dict[tuple[str, str], Path]:
    """Four IDX files of random images and labels 0-9 in `folder`; returns their paths."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for (split, kind), stem in IDX_FILES.items():
        n = n_train if split == "train" else n_test
        if kind == "images":
            array = rng.integers(0, 256, size=(n, *shape), dtype=np.uint8)
        else:
            array = (np.arange(n) % 10).astype(np.uint8)
        paths[split, kind] = write_idx(folder / (stem + (".gz" if gz else "")), idx_bytes(array))
    return paths
