"""An on-disk cache of fitted models and their scores, keyed by data, parameters and versions."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

#: Bump when a change to the engine changes results, so old cache entries are not reused.
ENGINE_VERSION = "2"


def library_versions() -> dict[str, str]:
    """Versions that can change a fit's result: numpy, scikit-learn and this engine."""
    import sklearn

    return {"numpy": np.__version__, "scikit-learn": sklearn.__version__, "engine": ENGINE_VERSION}


def cache_key(**parts) -> str:
    """A stable hash of JSON-serialisable parts (and the library versions)."""
    payload = json.dumps({**parts, "versions": library_versions()}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


class ResultCache:
    """Arrays and a JSON record per key, as ``KEY.npz`` in a folder; `None` disables caching.

    Writes go to a temporary file first and are renamed into place, so a reader never sees half a
    file and two processes writing the same key do no harm. An unreadable entry counts as a miss.
    """

    def __init__(self, folder: str | os.PathLike | None):
        self.folder = Path(folder) if folder is not None else None

    def contains(self, key: str) -> bool:
        """Whether an entry exists for `key` (it may still turn out unreadable on `load`)."""
        return self.folder is not None and (self.folder / f"{key}.npz").is_file()

    def load(self, key: str) -> tuple[dict[str, np.ndarray], dict] | None:
        if self.folder is None:
            return None
        path = self.folder / f"{key}.npz"
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files if name != "__record__"}
                record = json.loads(str(npz["__record__"]))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
            return None
        return arrays, record

    def save(self, key: str, arrays: dict[str, np.ndarray], record: dict) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, __record__=np.array(json.dumps(record)), **arrays)
            os.replace(tmp, self.folder / f"{key}.npz")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
