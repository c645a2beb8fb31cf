"""k-means++ seeding as scikit-learn does it, with each step's distances in one float64 product.

scikit-learn's k-means++ (`sklearn.cluster.kmeans_plusplus`, and `MiniBatchKMeans`'s default start)
computes the distances from each step's candidates to every row of float32 data in float64 chunks,
checking and converting them afresh each time: on the bundled sample at K = 117 that start was about
60% of a whole mini-batch fit. `kmeans_plusplus_start` makes the same choices from the same random
numbers, with the rows converted to float64 and their norms computed once. The arithmetic is the
one scikit-learn does on each chunk (``-2 x.y + |x|^2 + |y|^2`` in float64, then float32), so the
centres are the same: tests/test_seeding.py compares them with scikit-learn's over many K and
seeds, and the engine's fits (and every figure in bench/README.md) are unchanged.

k-means++ picks one centre after another, and K only sets how many candidates each step tries
(``2 + int(log K)``). So every K with the same number of candidates, on the same rows from the same
generator state, picks a prefix of the same sequence: K = 149 to 403 all try 7. A seed-0 fit draws
the same rows to start from at every K, so the start of a new K continues the longest sequence
already picked (`_SEQUENCES`) instead of starting over: on the sample at K = 300 that is about
35 ms of a 90 ms fit, and after it the generator is where scikit-learn's start would leave it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np
from sklearn.utils import check_random_state

#: Rows per distance product (scikit-learn's chunks are about this size for such data too).
BLOCK_ROWS = 1024
#: How much memory the picked sequences may hold together: each keeps its rows in float64, 1.2 MB for
#: a mini-batch start on 50 features, 19 MB on 784 raw pixels. The least recently used go first.
KEPT_BYTES = 64 * 2**20


def kmeans_plusplus_start(X, n_clusters: int, *, random_state=None) -> np.ndarray:
    """The k-means++ starting centres scikit-learn would pick for `X`, shape (n_clusters, n_features).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        The rows to pick from, all weighted equally.
    n_clusters : int
        How many centres to pick, from 1 to n_samples.
    random_state : int, RandomState instance or None
        The generator, consumed exactly as scikit-learn's k-means++ consumes it.

    A callable with this signature is what `MiniBatchKMeans(init=...)` accepts.
    """
    X = np.asarray(X)
    if X.ndim != 2 or not 1 <= n_clusters <= len(X):
        raise ValueError(f"n_clusters={n_clusters} should be from 1 to the {len(X)} rows of a 2-D X.")
    rng = check_random_state(random_state)
    n_local_trials = 2 + int(np.log(n_clusters))
    key = _sequence_key(X, rng, n_local_trials)
    with _LOCK:
        sequence = _SEQUENCES.get(key)
        if sequence is not None:
            _SEQUENCES.move_to_end(key)
    if sequence is None:
        sequence = _Sequence(X, rng, n_local_trials)
    ids = sequence.first(n_clusters)
    with _LOCK:
        _SEQUENCES[key] = sequence
        while len(_SEQUENCES) > 1 and sum(kept.nbytes for kept in _SEQUENCES.values()) > KEPT_BYTES:
            _SEQUENCES.popitem(last=False)
    # Leave the generator where picking n_clusters centres leaves it: one draw for the first centre
    # (`choice` with weights draws one uniform), then n_local_trials for each of the others.
    rng.set_state(sequence.start_state)
    rng.random_sample(1 + (n_clusters - 1) * n_local_trials)
    return X[ids]


_LOCK = threading.Lock()
_SEQUENCES: OrderedDict[tuple, _Sequence] = OrderedDict()


def kept_bytes() -> int:
    """How much memory the picked sequences kept for later K hold now (at most `KEPT_BYTES`, or one)."""
    with _LOCK:
        return sum(kept.nbytes for kept in _SEQUENCES.values())


def _sequence_key(X: np.ndarray, rng: np.random.RandomState, n_local_trials: int) -> tuple:
    """What a picked sequence depends on: the rows (by content), the generator's state, the trials."""
    state = rng.get_state()
    digest = hashlib.blake2b(np.ascontiguousarray(X).view(np.uint8), digest_size=16)
    digest.update(np.asarray(state[1]).tobytes())
    return (X.shape, X.dtype.str, digest.hexdigest(), *state[2:], n_local_trials)


class _Sequence:
    """One k-means++ run that can be continued: the rows it picked, and what the next step needs."""

    def __init__(self, X: np.ndarray, rng: np.random.RandomState, n_local_trials: int):
        self.start_state = rng.get_state()
        self.n_local_trials = n_local_trials
        self._rows = X.astype(np.float64)
        self._norms = np.einsum("ij,ij->i", self._rows, self._rows)
        self._weights = np.ones(len(X), dtype=X.dtype)  # scikit-learn's default sample weights
        self._dtype = X.dtype
        self._rng = np.random.RandomState()
        self._rng.set_state(self.start_state)
        self._lock = threading.Lock()
        center_id = self._rng.choice(len(X), p=self._weights / self._weights.sum())
        self.ids = [int(center_id)]
        self._closest_dist_sq = self._distances([center_id])
        self._current_pot = self._closest_dist_sq @ self._weights

    @property
    def nbytes(self) -> int:
        return self._rows.nbytes + self._norms.nbytes + 2 * self._weights.nbytes

    def first(self, n_clusters: int) -> list[int]:
        """The first `n_clusters` rows picked, picking more when the sequence is shorter."""
        with self._lock:
            while len(self.ids) < n_clusters:
                self._pick_one()
            return self.ids[:n_clusters]

    def _distances(self, ids) -> np.ndarray:
        rows, norms = self._rows, self._norms
        picked, picked_norms = rows[ids], norms[ids][:, None]
        d = np.empty((len(picked), len(rows)), dtype=self._dtype)
        # In blocks of rows: each product stays small enough for BLAS to run it on one thread, which
        # is quicker than two threads for products this size and does not stall when a core is busy.
        for start in range(0, len(rows), BLOCK_ROWS):
            block = slice(start, start + BLOCK_ROWS)
            part = -2 * (picked @ rows[block].T)
            part += picked_norms
            part += norms[None, block]
            d[:, block] = part
        return np.maximum(d, 0, out=d)

    def _pick_one(self) -> None:
        weights, closest_dist_sq = self._weights, self._closest_dist_sq
        rand_vals = self._rng.uniform(size=self.n_local_trials) * self._current_pot
        candidate_ids = np.searchsorted(np.cumsum(weights * closest_dist_sq), rand_vals)
        np.clip(candidate_ids, None, closest_dist_sq.size - 1, out=candidate_ids)
        to_candidates = self._distances(candidate_ids)
        np.minimum(closest_dist_sq, to_candidates, out=to_candidates)
        candidates_pot = to_candidates @ weights.reshape(-1, 1)
        best = np.argmin(candidates_pot)
        self._current_pot = candidates_pot[best]
        self._closest_dist_sq = to_candidates[best]
        self.ids.append(int(candidate_ids[best]))
