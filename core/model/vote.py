"""The cluster-and-vote estimator: K-means on rows, each cluster named by the majority of its members.

`ClusterVoteClassifier` only clusters and votes; preprocessing is the job of the transformers in
front of it (`core.model.pipeline.make_classifier`). It wraps `MiniBatchKMeans` (the tutorial's
choice, the default) or `KMeans`.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import pairwise_distances_argmin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from core.model.random_draws import RepeatedChoiceRandomState
from core.model.seeding import kmeans_plusplus_start
from core.model.settings import ALGORITHMS
from core.threads import openmp_threads

#: Lloyd mode seeds k-means++ from a random sample of this many training rows (or 3 K if more).
INIT_SAMPLE = 10_000
_FLOATS = [np.float32, np.float64]


class ClusterVoteClassifier(ClassifierMixin, TransformerMixin, BaseEstimator):
    """Classify rows by the majority label of their nearest K-means centroid.

    Parameters
    ----------
    n_clusters : int, default=10
        K, the number of clusters. Must be at least 1 and at most the number of training rows.
    algorithm : {"minibatch", "lloyd"}, default="minibatch"
        ``"minibatch"`` fits `MiniBatchKMeans` (fast, as in the tutorial); ``"lloyd"`` fits full
        `KMeans` (slower, slightly lower inertia: the precise mode).
    random_state : int, RandomState instance or None, default=None
        Seed for the centroid initialisation and mini-batches; an int gives repeatable results.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        K-means' centroids, in X's float dtype; `transform` measures distances to them.
    cluster_labels_ : ndarray of shape (n_clusters,)
        The class each cluster predicts: the most common label among its training members. Ties
        go to the class that sorts first. A cluster with no training members (possible when K is
        close to the number of distinct rows) takes the label of the training row nearest to it.
    cluster_class_counts_ : ndarray of shape (n_clusters, n_classes)
        How many training rows of each class fell in each cluster.
    labels_ : ndarray of shape (n_samples,)
        The cluster of each training row.
    inertia_ : float
        Sum of squared distances of training rows to their centroid.
    n_iter_ : int
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    """

    def __init__(self, n_clusters=10, algorithm="minibatch", random_state=None):
        self.n_clusters = n_clusters
        self.algorithm = algorithm
        self.random_state = random_state

    def fit(self, X, y):
        """Cluster `X`, then give each cluster the majority label of its members.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            The true class of each row.

        Returns
        -------
        self : ClusterVoteClassifier
        """
        self._check_params()
        X, y = validate_data(self, X, y, dtype=_FLOATS)
        check_classification_targets(y)
        if len(X) < self.n_clusters:
            raise ValueError(f"n_samples={len(X)} should be >= n_clusters={self.n_clusters}.")
        self.classes_, y_index = np.unique(y, return_inverse=True)
        kmeans = self._fit_kmeans(X)
        self.cluster_centers_ = kmeans.cluster_centers_
        self.labels_ = kmeans.labels_
        self.inertia_ = float(kmeans.inertia_)
        self.n_iter_ = kmeans.n_iter_
        counts = cluster_class_counts(self.labels_, y_index, self.n_clusters, len(self.classes_))
        self.cluster_class_counts_ = counts
        winners = counts.argmax(axis=1)
        empty = counts.sum(axis=1) == 0
        if empty.any():
            winners[empty] = y_index[pairwise_distances_argmin(self.cluster_centers_[empty], X)]
        self.cluster_labels_ = self.classes_[winners]
        return self

    def _check_params(self):
        check_vote_params(self.n_clusters, self.algorithm)

    def _fit_kmeans(self, X):
        if self.algorithm == "minibatch":
            # MiniBatchKMeans runs hundreds of tiny OpenMP regions; on a busy 2-core machine their
            # threads wait on each other (measured: a 6-K sweep's median 8.7 s with 2 threads, 1.4 s
            # with 1; equal when idle). One thread gives the same centroids, and lets a sweep run
            # two K at once (core.analysis.sweep).
            # The same k-means++ start as scikit-learn's default, computed faster (core.model.seeding);
            # with a callable start, n_init must be given (1 is what "auto" gives k-means++).
            # Its mini-batch draws, quicker and the same (core.model.random_draws).
            random_state = self.random_state
            if random_state is None or isinstance(random_state, (int, np.integer)):
                random_state = RepeatedChoiceRandomState(random_state)
            kmeans = MiniBatchKMeans(
                n_clusters=self.n_clusters,
                random_state=random_state,
                init=kmeans_plusplus_start,
                n_init=1,
            )
            with openmp_threads(1):
                return kmeans.fit(X)
        # k-means++ costs as much as ~25 Lloyd iterations on 60,000 images; seeding it from a random
        # sample (as MiniBatchKMeans does) makes it cheap, and Lloyd's iterations then use every row.
        rng = check_random_state(self.random_state)
        n_sample = min(len(X), max(INIT_SAMPLE, 3 * self.n_clusters))
        sample = X[np.sort(rng.choice(len(X), n_sample, replace=False))]
        init = kmeans_plusplus_start(sample, self.n_clusters, random_state=rng)
        return KMeans(n_clusters=self.n_clusters, init=init, n_init=1, random_state=rng).fit(X)

    def transform(self, X):
        """Distance from each row to each centroid, shape (n_samples, n_clusters)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=_FLOATS, reset=False)
        return euclidean(X, self.cluster_centers_.astype(X.dtype, copy=False))

    def predict_cluster(self, X):
        """The nearest cluster of each row, shape (n_samples,)."""
        return np.argmin(self.transform(X), axis=1)

    def predict(self, X):
        """The class of each row: the label of its nearest centroid, shape (n_samples,)."""
        check_is_fitted(self)
        return self.cluster_labels_[self.predict_cluster(X)]

    @property
    def cluster_sizes_(self) -> np.ndarray:
        """Training rows per cluster, shape (n_clusters,)."""
        return self.cluster_class_counts_.sum(axis=1)

    @property
    def cluster_purity_(self) -> np.ndarray:
        """Share of each cluster's training rows that carry its label (0 for an empty cluster)."""
        sizes = self.cluster_sizes_
        top = self.cluster_class_counts_.max(axis=1)
        return np.divide(top, sizes, out=np.zeros(len(sizes)), where=sizes > 0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def check_vote_params(n_clusters, algorithm) -> None:
    """Raise ValueError naming `n_clusters` or `algorithm` if it is not one `ClusterVoteClassifier` takes."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm={algorithm!r} should be one of {ALGORITHMS}.")
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, (int, np.integer)) or n_clusters < 1:
        raise ValueError(f"n_clusters={n_clusters!r} should be a positive integer.")


def cluster_class_counts(clusters, classes, n_clusters: int, n_classes: int) -> np.ndarray:
    """How many rows of each class fell in each cluster, shape (n_clusters, n_classes), empty ones included.

    Parameters
    ----------
    clusters, classes : array-like of int >= 0, shape (n_samples,)
        Each row's cluster index and class index.

    Notes
    -----
    One `np.bincount`: 0.1 ms on 60,000 rows at K=256, against 1.5 ms for scikit-learn's
    `contingency_matrix`, which also drops empty clusters (their rows must stay, as zeros).
    """
    clusters, classes = np.asarray(clusters, dtype=np.int64), np.asarray(classes, dtype=np.int64)
    flat = np.bincount(clusters * n_classes + classes, minlength=n_clusters * n_classes)
    return flat.reshape(n_clusters, n_classes)


def euclidean(rows: np.ndarray, centers: np.ndarray, *, squared: bool = False) -> np.ndarray:
    """Distances from each row to each centre, shape (n_rows, n_centers), in the rows' dtype.

    Computed as |x|^2 - 2x.c + |c|^2, clipped at 0 against round-off. Twice as fast as
    scikit-learn's `euclidean_distances`, which upcasts float32 to float64 in chunks: 4.4 ms against
    8.1 ms for 10,000 rows of 50 features to 256 centres, 26 ms against 56 ms for 784 features
    (`pairwise_distances_argmin`: 9.3 ms against 5.4 ms for the argmin of these).
    """
    sq = np.einsum("ij,ij->i", rows, rows)[:, None] - 2 * rows @ centers.T
    sq += np.einsum("ij,ij->i", centers, centers)[None, :]
    np.maximum(sq, 0, out=sq)
    return sq if squared else np.sqrt(sq, out=sq)
