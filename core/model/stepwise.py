"""K-means one step at a time, recording every step, so a page can replay how the centres settle.

`lloyd_steps` starts from k-means++ centres (seeded, `kmeans_plusplus_rows`) and runs Lloyd's two
moves in turn: give every image to its nearest centre, then move each centre to the mean of its
images. It keeps the centres, inertia and cluster sizes after each step; all of it is vectorised
with numpy, on float32.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from core.threads import blas_threads


@dataclass(frozen=True, eq=False)
class KMeansSteps:
    """The history of one K-means run.

    Attributes
    ----------
    centers : ndarray of shape (n_steps + 1, k, n_features), float32
        ``centers[0]`` is the k-means++ start; ``centers[t]`` the centres after iteration t.
    inertia : ndarray of shape (n_steps + 1,)
        Sum of squared distances from each image to its nearest centre in ``centers[t]``.
    sizes : ndarray of shape (n_steps + 1, k), int
        How many images are nearest to each centre in ``centers[t]``.
    converged : bool
        True if the centres stopped moving (by less than `tol`) before `max_iter` iterations.
    """

    centers: np.ndarray
    inertia: np.ndarray
    sizes: np.ndarray
    converged: bool

    @property
    def n_steps(self) -> int:
        """Iterations recorded after the start (``len(inertia) - 1``)."""
        return len(self.inertia) - 1


def lloyd_steps(
    X,
    k: int,
    *,
    max_iter: int = 30,
    tol: float = 1e-4,
    random_state: int = 0,
    start_rows=None,
) -> KMeansSteps:
    """Run K-means (Lloyd) from a seeded k-means++ start and record every iteration.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    k : int
        The number of clusters; at least 1 and at most n_samples.
    max_iter : int, default=30
        Most iterations to run; stops earlier when no centre moves by more than `tol`.
    tol : float, default=1e-4
        Largest squared distance a centre may move in one iteration and still count as settled.
    random_state : int, default=0
        Seed for the k-means++ start.
    start_rows : array-like of k ints, optional
        The rows of `X` to start from instead, such as the first k of `kmeans_plusplus_rows(X, 64)`.

    Returns
    -------
    steps : KMeansSteps
    """
    X = _pixels(X)
    _check_k(k, X)
    if not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter={max_iter!r} should be a positive whole number.")
    if tol < 0:
        raise ValueError(f"tol={tol!r} should be >= 0.")
    if start_rows is not None:
        start_rows = np.asarray(start_rows)
        whole = np.issubdtype(start_rows.dtype, np.integer)
        if not whole or start_rows.shape != (k,) or not ((start_rows >= 0) & (start_rows < len(X))).all():
            raise ValueError(f"start_rows should be {k} row numbers of X (0 to {len(X) - 1}).")
    # One BLAS thread: its many small products stall when the other core is busy (measured on the
    # shared 2-core machine: K = 36 on 3,000 images took 10 to 14 s with two threads, 0.9 to 1.3 s with one).
    with blas_threads(1):
        if start_rows is None:
            norms = np.einsum("ij,ij->i", X, X)
            start_rows = _kmeans_plusplus_rows(X, norms, int(k), random_state, 2 + int(np.log(k)))
        # A column that is 0 in every row is 0 in every centre too (each centre is a mean of rows), so it
        # adds nothing to any distance: the steps run without it, the same steps. Images have wide blank
        # borders (MNIST: 135 of 784 pixels blank in 3,000 images): K = 40-46 took 56-85 ms, now 42-64.
        used = X.any(axis=0)
        if used.all():
            return _lloyd_steps(X, np.einsum("ij,ij->i", X, X), X[start_rows], int(max_iter), float(tol))
        inked = np.compress(used, X, axis=1)  # 1.2 ms; X[:, used] takes 2.6-5 ms
        steps = _lloyd_steps(
            inked, np.einsum("ij,ij->i", inked, inked), inked[start_rows], int(max_iter), float(tol)
        )
    centers = np.zeros((*steps.centers.shape[:2], X.shape[1]), dtype=np.float32)
    centers[:, :, used] = steps.centers
    return KMeansSteps(centers, steps.inertia, steps.sizes, steps.converged)


def kmeans_plusplus_rows(X, k: int, *, random_state: int = 0, n_trials: int | None = None) -> np.ndarray:
    """The rows "greedy" k-means++ picks as starting centres, in the order it picks them.

    The first row is drawn at random; each next one is the best of `n_trials` rows (default
    ``2 + log(k)``, as scikit-learn) drawn with probability proportional to their squared distance
    to the nearest centre so far. With `n_trials` given, the first j rows for k are the rows for j:
    one run for the largest K gives the start for every smaller one.

    Returns
    -------
    rows : ndarray of shape (k,), int
    """
    X = _pixels(X)
    _check_k(k, X)
    trials = 2 + int(np.log(k)) if n_trials is None else n_trials
    if not isinstance(trials, (int, np.integer)) or trials < 1:
        raise ValueError(f"n_trials={n_trials!r} should be a positive whole number.")
    with blas_threads(1):
        return _kmeans_plusplus_rows(X, np.einsum("ij,ij->i", X, X), int(k), random_state, int(trials))


def _pixels(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise ValueError(f"X should be 2D (n_samples, n_features), got shape {X.shape}.")
    return X


def _check_k(k, X) -> None:
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= len(X):
        raise ValueError(f"k={k!r} should be a whole number from 1 to n_samples={len(X)}.")


def _lloyd_steps(X, norms, centers, max_iter, tol):
    # Squared distances from every row to every centre; after a step only the columns of the
    # centres that moved are computed again (late steps move few: about half the work overall).
    sq = _squared_distances(X, norms, centers)
    history, inertias, sizes = [centers], [], []
    converged = False
    for _ in range(max_iter):
        labels = _record(sq, inertias, sizes)
        new = _update(X, labels, centers)
        moved = np.flatnonzero((new != centers).any(axis=1))
        step = new[moved] - centers[moved]
        shift = float(np.einsum("ij,ij->i", step, step).max(initial=0.0))
        centers = new
        history.append(centers)
        sq[:, moved] = _squared_distances(X, norms, centers[moved])
        if shift <= tol:
            converged = True
            break
    _record(sq, inertias, sizes)
    return KMeansSteps(np.stack(history), np.asarray(inertias), np.stack(sizes), converged)


def _kmeans_plusplus_rows(X, norms, k, random_state, trials):
    # Float32 with the row norms computed once: scikit-learn's `kmeans_plusplus` works in float64
    # (float32 pixels upcast in chunks at every draw) and took 0.09 s for K = 46 on 3,000 images,
    # given float32 or float64; this takes 0.035 s.
    rng = np.random.default_rng(random_state)
    rows = [int(rng.integers(len(X)))]
    closest = _squared_distances(X, norms, X[rows])[:, 0]
    for _ in range(1, k):
        drawn = rng.uniform(size=trials) * closest.sum(dtype=np.float64)
        candidates = np.minimum(np.searchsorted(np.cumsum(closest, dtype=np.float64), drawn), len(X) - 1)
        sq = np.minimum(_squared_distances(X, norms, X[candidates]), closest[:, None])
        best = int(np.argmin(sq.sum(axis=0, dtype=np.float64)))
        rows.append(int(candidates[best]))
        closest = sq[:, best]
    return np.asarray(rows)


def _squared_distances(X, norms, centers):
    """|x|^2 - 2x.c + |c|^2 for each row and centre, clipped at 0 against round-off; shape (n, k)."""
    sq = norms[:, None] - 2 * (X @ centers.T)
    sq += np.einsum("ij,ij->i", centers, centers)[None, :]
    return np.maximum(sq, 0, out=sq)


def _record(sq, inertias, sizes):
    """Each row's nearest centre; appends the inertia (float64 sum) and the cluster sizes."""
    labels = np.argmin(sq, axis=1)
    inertias.append(float(np.take_along_axis(sq, labels[:, None], axis=1).sum(dtype=np.float64)))
    sizes.append(np.bincount(labels, minlength=sq.shape[1]))
    return labels


def _update(X, labels, centers):
    """Each centre moved to the mean of its rows; a centre with no rows stays where it is."""
    k = len(centers)
    counts = np.bincount(labels, minlength=k)
    onehot = sparse.csr_matrix(
        (np.ones(len(labels), dtype=np.float32), (labels, np.arange(len(labels)))), shape=(k, len(labels))
    )
    sums = np.asarray(onehot @ X, dtype=np.float32)
    means = sums / np.maximum(counts, 1)[:, None].astype(np.float32)
    return np.where((counts > 0)[:, None], means, centers).astype(np.float32)
