"""An on-disk cache of fitted models and their scores, keyed by data, parameters and versions.

The folder is shared by every user of a server, so an entry is read as warily as a model file from a
stranger: through `core.data.npz.read_npz` (regular files only, sizes checked, never unpickled), its
arrays checked against `core.model.schema`, its record against the fields the caller expects.
Anything wrong is a miss: logged, then refitted. A failed write is logged too; the fit is still used.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import tempfile
import threading
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core import config
from core.data.npz import read_npz
from core.errors import DataFileError
from core.model.pipeline import FittedModel
from core.model.schema import MODEL_ARRAYS, check_model_arrays, model_from_arrays

#: Bump when a change to the engine changes results, so old cache entries are not reused.
ENGINE_VERSION = "2"
RECORD_KEY = "__record__"
#: Largest entry read back, in megabytes: K = 512 centroids of 64x64 float64 pixels, twice, plus labels.
MAX_ENTRY_MB = 256

#: Writes after which a folder is looked over again even if this process thinks it has room: the
#: entries other processes (another app server, the command line) wrote since then count then.
RESCAN_WRITES = 32

log = logging.getLogger(__name__)


@dataclass
class _FolderSize:
    """A cache folder's size in bytes as this process last saw it, and its own writes since."""

    bytes: int
    writes: int = 0


#: Each folder's size as last seen (`ResultCache.prune`), so that a write does not have to list the
#: folder to know it has room: listing took 1.2 ms at 200 entries and 5.7 ms at 1,000, on every fit.
_FOLDER_SIZES: dict[Path, _FolderSize] = {}
_FOLDER_SIZES_LOCK = threading.Lock()


def library_versions() -> dict[str, str]:
    """Versions that can change a fit's result: numpy, scikit-learn and this engine."""
    import sklearn

    return {"numpy": np.__version__, "scikit-learn": sklearn.__version__, "engine": ENGINE_VERSION}


def cache_key(**parts) -> str:
    """A stable hash of JSON-serialisable parts (and the library versions)."""
    payload = json.dumps({**parts, "versions": library_versions()}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def rebuild_model(arrays: dict[str, np.ndarray], params: dict) -> FittedModel:
    """A fitted model from arrays of unknown origin, checked against `MODEL_ARRAYS` before it is built.

    Parameters
    ----------
    arrays : dict of str to ndarray
        As `core.model.schema.model_to_arrays` writes them.
    params : dict
        The model's parameters (`FittedModel.get_params()`), already checked.

    Raises
    ------
    ValueError
        Naming the array at fault, or saying that the arrays do not work together.
    """
    check_model_arrays(arrays, params)
    model = model_from_arrays(arrays, params)
    try:
        model.transform(np.zeros((1, model.n_features_in_), dtype=np.float32))
    except ValueError as exc:  # a last line of defence: the arrays must work together
        raise ValueError(f"the model's arrays do not fit together ({exc}).") from None
    return model


class ResultCache:
    """A fitted model and a JSON record of numbers per key, as ``KEY.npz`` in a folder; `None` disables it.

    Writes go to a temporary file first and are renamed into place, so a reader never sees half a
    file and two processes writing the same key do no harm. The folder holds at most `max_mb`
    megabytes: after a write that may take it over, the least recently used entries (by modification
    time, which a read renews) are deleted until it fits. Whether it may is known from the folder's
    size when last listed, plus this process's writes since; entries that other processes write count
    from the next listing, at the latest `RESCAN_WRITES` writes later.
    """

    def __init__(self, folder: str | os.PathLike | None, max_mb: float | None = None):
        self.folder = Path(folder) if folder is not None else None
        self.max_bytes = round((config.cache_max_mb() if max_mb is None else max_mb) * 2**20)

    def contains(self, key: str) -> bool:
        """Whether an entry exists for `key` (it may still turn out unreadable on `load`)."""
        return self.folder is not None and (self.folder / f"{key}.npz").is_file()

    def load(self, key: str, params: dict, record_fields: Collection[str]) -> tuple[FittedModel, dict] | None:
        """The model and record saved under `key`, or None if there is none or it fails a check.

        Parameters
        ----------
        key : str
        params : dict
            The parameters the model was fitted with (what `key` was made from).
        record_fields : collection of str
            The record's keys, exactly; each value must be a finite number or a boolean.

        Returns
        -------
        (model, record) or None
            None for a missing entry, and for a damaged or tampered one (logged as a warning).
        """
        if self.folder is None:
            return None
        path = self.folder / f"{key}.npz"
        if not os.path.lexists(path):
            return None
        try:
            arrays = read_npz(
                path,
                max_members=len(MODEL_ARRAYS) + 1,
                max_member_bytes=MAX_ENTRY_MB * 2**20,
                max_total_bytes=MAX_ENTRY_MB * 2**20,
            )
            record = _check_record(arrays.pop(RECORD_KEY, None), record_fields)
            model = rebuild_model(arrays, params)
        except (DataFileError, ValueError, RecursionError) as exc:
            log.warning("cache entry %s is unusable, refitting: %s", path, exc)
            return None
        with contextlib.suppress(OSError):  # renew its place in the least-recently-used order
            os.utime(path)
        return model, record

    def save(self, key: str, arrays: dict[str, np.ndarray], record: dict) -> bool:
        """Write an entry; on failure (folder unwritable or a file, disk full) log it and return False."""
        if self.folder is None:
            return False
        tmp = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **{RECORD_KEY: np.array(json.dumps(record))}, **arrays)
                written = f.tell()
            os.replace(tmp, self.folder / f"{key}.npz")
            if self._may_be_full_after(written):
                self.prune()
            return True
        except OSError as exc:  # the fit is done: a cache that cannot keep it must not lose it
            log.warning(
                "could not write to the result cache in %s (%s); the fit is used uncached.", self.folder, exc
            )
            return False
        finally:
            if tmp is not None and os.path.lexists(tmp):
                Path(tmp).unlink(missing_ok=True)

    def prune(self) -> int:
        """Delete the least recently used entries until the folder holds at most `max_bytes`.

        Returns
        -------
        int
            How many entries were deleted (another process may delete some of them first).
        """
        entries = []
        for path in self.folder.glob("*.npz"):
            with contextlib.suppress(OSError):  # gone already: another process pruned it
                info = path.stat()
                entries.append((info.st_mtime, info.st_size, path))
        total = sum(size for _, size, _ in entries)
        deleted = 0
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
            deleted += 1
        with _FOLDER_SIZES_LOCK:
            _FOLDER_SIZES[self.folder.resolve()] = _FolderSize(total)
        return deleted

    def _may_be_full_after(self, written: int) -> bool:
        """Whether the folder may be over its size with `written` more bytes (counted as written)."""
        with _FOLDER_SIZES_LOCK:
            size = _FOLDER_SIZES.get(self.folder.resolve())
            if size is None or size.writes >= RESCAN_WRITES:
                return True
            size.bytes += written
            size.writes += 1
            return size.bytes > self.max_bytes


def _check_record(raw: np.ndarray | None, fields: Collection[str]) -> dict:
    if raw is None or raw.dtype.kind != "U" or raw.ndim != 0:
        raise ValueError(f"'{RECORD_KEY}' must be one JSON text.")
    record = json.loads(str(raw))  # json.JSONDecodeError is a ValueError; deep nesting a RecursionError
    if not isinstance(record, dict):
        raise ValueError(f"the record is a JSON {type(record).__name__}, not an object.")
    if set(record) != set(fields):
        raise ValueError(f"the record's keys {sorted(record)} are not {sorted(fields)}.")
    for name, value in record.items():
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"the record's {name!r} is {value!r}, not a finite number.")
    return record
