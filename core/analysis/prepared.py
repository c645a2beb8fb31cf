"""Training images preprocessed once and kept between fits, in a cache the caller owns."""

from __future__ import annotations

import threading

import numpy as np

from core.data.dataset import Dataset
from core.model.pipeline import PreparedImages, prepare
from core.model.settings import Preprocessing


class PreparedCache:
    """Training images preprocessed once and kept between fits (and the test images' features).

    Preparing (deskew, PCA...) is the same for every K and seed, so a sweep does it once. The caller
    owns the cache, and decides what it holds and for how long: `forget` drops one dataset (an
    upload the user asked to forget), `clear` everything.

    Parameters
    ----------
    max_entries : int, default=1
        How many (dataset, preprocessing) pairs to keep; the oldest goes first. The next one is
        prepared only after the oldest is dropped, so memory holds at most `max_entries` at a time.
    """

    def __init__(self, max_entries: int = 1):
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ValueError(f"max_entries={max_entries!r} should be a positive integer.")
        self.max_entries = max_entries
        self._entries: dict[tuple[str, Preprocessing], dict] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def prepared(self, dataset: Dataset, preprocessing: Preprocessing) -> PreparedImages:
        """The dataset's training images after `preprocessing`, prepared now if not kept."""
        return self._entry(dataset, preprocessing)["prepared"]

    def test_features(self, dataset: Dataset, preprocessing: Preprocessing) -> np.ndarray:
        """The dataset's test images after the same fitted preprocessing, computed once."""
        entry = self._entry(dataset, preprocessing)
        with self._lock:
            if "test" not in entry:
                entry["test"] = entry["prepared"].preprocessor.transform(dataset.test_images)
            return entry["test"]

    def forget(self, fingerprint: str) -> None:
        """Drop everything kept for the dataset with this fingerprint."""
        with self._lock:
            for key in [key for key in self._entries if key[0] == fingerprint]:
                del self._entries[key]

    def clear(self) -> None:
        """Drop everything kept."""
        with self._lock:
            self._entries.clear()

    def _entry(self, dataset, preprocessing):
        key = (dataset.fingerprint, preprocessing)
        with self._lock:
            if key not in self._entries:
                while len(self._entries) >= self.max_entries:
                    del self._entries[next(iter(self._entries))]
                prepared = prepare(dataset.train_images, preprocessing, image_shape=dataset.image_shape)
                self._entries[key] = {"prepared": prepared}
            return self._entries[key]
