"""K-means one step at a time, recording every step, so a page can replay how the centres settle.

`lloyd_steps` starts from k-means++ centres (seeded) and runs Lloyd's two moves in turn: give every
image to its nearest centre, then move each centre to the mean of its images. It keeps the centres,
inertia and cluster sizes after each step; all of it is vectorised with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.cluster import kmeans_plusplus

from core.model.vote import blas_threads, euclidean


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


def lloyd_steps(X, k: int, *, max_iter: int = 30, tol: float = 1e-4, random_state: int = 0) -> KMeansSteps:
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

    Returns
    -------
    steps : KMeansSteps
    """
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise ValueError(f"X should be 2D (n_samples, n_features), got shape {X.shape}.")
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= len(X):
        raise ValueError(f"k={k!r} should be a whole number from 1 to n_samples={len(X)}.")
    if not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter={max_iter!r} should be a positive whole number.")
    if tol < 0:
        raise ValueError(f"tol={tol!r} should be >= 0.")
    # One BLAS thread: its many small products stall when the other core is busy (measured on the
    # shared 2-core machine: K = 36 on 3,000 images took 10 to 14 s with two threads, 0.9 to 1.3 s with one).
    with blas_threads(1):
        return _lloyd_steps(X, int(k), int(max_iter), float(tol), random_state)


def _lloyd_steps(X, k, max_iter, tol, random_state):
    centers, _ = kmeans_plusplus(X, k, random_state=random_state)
    centers = centers.astype(np.float32)
    history, inertias, sizes = [centers], [], []
    converged = False
    for _ in range(max_iter):
        labels, inertia = _assign(X, centers)
        inertias.append(inertia)
        sizes.append(np.bincount(labels, minlength=k))
        new = _update(X, labels, centers)
        shift = float(np.max(np.einsum("ij,ij->i", new - centers, new - centers)))
        centers = new
        history.append(centers)
        if shift <= tol:
            converged = True
            break
    labels, inertia = _assign(X, centers)
    inertias.append(inertia)
    sizes.append(np.bincount(labels, minlength=k))
    return KMeansSteps(np.stack(history), np.asarray(inertias), np.stack(sizes), converged)


def _assign(X, centers):
    """Each row's nearest centre and the total squared distance (float64 sum)."""
    sq = euclidean(X, centers, squared=True)
    labels = np.argmin(sq, axis=1)
    return labels, float(sq[np.arange(len(X)), labels].sum(dtype=np.float64))


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
