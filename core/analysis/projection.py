"""Flatten images and cluster centres to two dimensions, so a map can show where the clusters lie.

PCA (numpy only) is the default. UMAP keeps neighbours closer together but is an optional extra:
`project_2d(..., method="umap")` needs ``pip install umap-learn`` and says so when it is missing.
"""

from __future__ import annotations

import importlib

import numpy as np

from core.errors import KMeansLabError

METHODS = ("pca", "umap")
METHOD_LABELS = {"pca": "PCA (fast, always available)", "umap": "UMAP (keeps neighbours together)"}
UMAP_INSTALL_HINT = "pip install umap-learn"


class MissingDependencyError(KMeansLabError):
    """An optional package is not installed; the message says what to install."""


def umap_available() -> bool:
    """Whether the optional `umap` package can be imported here."""
    try:
        _import_umap()
    except MissingDependencyError:
        return False
    return True


def _import_umap():
    try:
        return importlib.import_module("umap")
    except ImportError as exc:
        raise MissingDependencyError(
            f"The UMAP map needs the optional package umap-learn, which is not installed: run "
            f"`{UMAP_INSTALL_HINT}` and restart the app, or choose PCA."
        ) from exc


def project_2d(
    points, centers, *, method: str = "pca", random_state: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Fit a 2D projection on `points` and place both the points and the `centers` in it.

    Parameters
    ----------
    points : array-like of shape (n_samples, n_features)
    centers : array-like of shape (n_clusters, n_features)
    method : {"pca", "umap"}, default="pca"
    random_state : int, default=0
        Seed for UMAP (PCA is deterministic).

    Returns
    -------
    points_2d : ndarray of shape (n_samples, 2), float64
    centers_2d : ndarray of shape (n_clusters, 2), float64
    """
    points, centers = np.asarray(points, dtype=np.float64), np.asarray(centers, dtype=np.float64)
    if points.ndim != 2 or centers.ndim != 2 or points.shape[1] != centers.shape[1]:
        raise ValueError(
            f"points of shape {points.shape} and centers of shape {centers.shape} should both be "
            "2D with the same number of features."
        )
    fitted = fit_projection(points, method=method, random_state=random_state)
    return fitted.points_2d, fitted.place(centers)


class Projection:
    """A 2D projection fitted on some points: where they landed, and `place` for more rows.

    Fitting is the slow part (UMAP above all); placing a model's few centres is quick, so a map
    can keep one projection per sample of images and place each new model's centres in it.

    Attributes
    ----------
    points_2d : ndarray of shape (n_samples, 2), float64
        Where the points it was fitted on landed.
    """

    def __init__(self, points_2d: np.ndarray, place, n_features: int):
        self.points_2d = points_2d
        self._place = place
        self.n_features = n_features

    def place(self, rows) -> np.ndarray:
        """Rows of the same features (e.g. cluster centres) on the map, shape (n_rows, 2), float64."""
        rows = np.asarray(rows, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != self.n_features:
            raise ValueError(
                f"rows of shape {rows.shape} should be 2D with the {self.n_features} features the "
                "projection was fitted on."
            )
        return np.asarray(self._place(rows), dtype=np.float64)


def fit_projection(points, *, method: str = "pca", random_state: int = 0) -> Projection:
    """Fit a 2D projection on `points` (see `project_2d` for the parameters)."""
    points = np.asarray(points, dtype=np.float64)
    if method not in METHODS:
        raise ValueError(f"method={method!r} should be one of {METHODS}.")
    if points.ndim != 2:
        raise ValueError(f"points of shape {points.shape} should be 2D (n_samples, n_features).")
    if len(points) < 3:
        raise ValueError(f"n_samples={len(points)} should be >= 3 to draw a map.")
    fit = _umap if method == "umap" else _pca
    points_2d, place = fit(points, random_state)
    return Projection(np.asarray(points_2d, dtype=np.float64), place, points.shape[1])


def _pca(points, _random_state):
    mean = points.mean(axis=0)
    # The top two right singular vectors of the centred sample are its first two principal axes.
    _, _, vt = np.linalg.svd(points - mean, full_matrices=False)
    axes = vt[:2]
    if len(axes) < 2:  # a single feature: the second axis is flat
        axes = np.vstack([axes, np.zeros_like(axes)])
    # Fix each axis' sign so the map does not flip between runs of LAPACK.
    signs = np.sign(axes[np.arange(2), np.argmax(np.abs(axes), axis=1)])
    axes = axes * np.where(signs == 0, 1, signs)[:, None]
    return (points - mean) @ axes.T, lambda rows: (rows - mean) @ axes.T


def _umap(points, random_state):
    umap = _import_umap()
    reducer = umap.UMAP(n_components=2, random_state=random_state, n_neighbors=min(15, len(points) - 1))
    return reducer.fit_transform(points), reducer.transform


def sample_indices(n: int, size: int, seed: int = 0) -> np.ndarray:
    """Up to `size` distinct indices out of `n`, sorted, chosen at random with `seed`."""
    if size < 1:
        raise ValueError(f"size={size} should be at least 1.")
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, min(size, n), replace=False))
