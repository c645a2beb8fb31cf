"""k-means++ seeding as scikit-learn does it, with each step's distances in one float64 product.

scikit-learn's k-means++ (`sklearn.cluster.kmeans_plusplus`, and `MiniBatchKMeans`'s default start)
computes the distances from each step's candidates to every row of float32 data in float64 chunks,
checking and converting them afresh each time: on the bundled sample at K = 117 that start was about
60% of a whole mini-batch fit. `kmeans_plusplus_start` makes the same choices from the same random
numbers, with the rows converted to float64 and their norms computed once. The arithmetic is the
one scikit-learn does on each chunk (``-2 x.y + |x|^2 + |y|^2`` in float64, then float32), so the
centres are the same: tests/test_seeding.py compares them with scikit-learn's over many K and
seeds, and the engine's fits (and every figure in bench/README.md) are unchanged.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

#: Rows per distance product (scikit-learn's chunks are about this size for such data too).
BLOCK_ROWS = 1024


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
    n_samples = len(X)
    weights = np.ones(n_samples, dtype=X.dtype)  # scikit-learn's default sample weights
    n_local_trials = 2 + int(np.log(n_clusters))
    rows = X.astype(np.float64)
    norms = np.einsum("ij,ij->i", rows, rows)

    def distances(ids) -> np.ndarray:
        picked, picked_norms = rows[ids], norms[ids][:, None]
        d = np.empty((len(picked), n_samples), dtype=X.dtype)
        # In blocks of rows: each product stays small enough for BLAS to run it on one thread, which
        # is quicker than two threads for products this size and does not stall when a core is busy.
        for start in range(0, n_samples, BLOCK_ROWS):
            block = slice(start, start + BLOCK_ROWS)
            part = -2 * (picked @ rows[block].T)
            part += picked_norms
            part += norms[None, block]
            d[:, block] = part
        return np.maximum(d, 0, out=d)

    centers = np.empty((n_clusters, X.shape[1]), dtype=X.dtype)
    center_id = rng.choice(n_samples, p=weights / weights.sum())
    centers[0] = X[center_id]
    closest_dist_sq = distances([center_id])
    current_pot = closest_dist_sq @ weights
    for c in range(1, n_clusters):
        rand_vals = rng.uniform(size=n_local_trials) * current_pot
        candidate_ids = np.searchsorted(np.cumsum(weights * closest_dist_sq), rand_vals)
        np.clip(candidate_ids, None, closest_dist_sq.size - 1, out=candidate_ids)
        to_candidates = distances(candidate_ids)
        np.minimum(closest_dist_sq, to_candidates, out=to_candidates)
        candidates_pot = to_candidates @ weights.reshape(-1, 1)
        best = np.argmin(candidates_pot)
        current_pot = candidates_pot[best]
        closest_dist_sq = to_candidates[best]
        centers[c] = X[candidate_ids[best]]
    return centers
