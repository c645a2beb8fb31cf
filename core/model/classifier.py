"""A K-means digit classifier: preprocess the images, cluster them, name each cluster by majority vote.

`KMeansDigitClassifier` is a scikit-learn estimator, so it works in pipelines, grid searches and
cross-validation. It wraps `MiniBatchKMeans` (the tutorial's choice, the default) or `KMeans`, after
the optional preprocessing of `core.model.preprocess` (deskew, blur, L2-normalise, PCA).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.cluster import KMeans, MiniBatchKMeans, kmeans_plusplus
from sklearn.metrics import pairwise_distances_argmin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from core.model.preprocess import (
    Preprocessing,
    as_float_rows,
    blur_images,
    check_blur,
    check_bool,
    check_pca_components,
    deskew_images,
    fit_pca,
    infer_image_shape,
    l2_normalize,
    project,
)

ALGORITHMS = ("minibatch", "lloyd")
#: Lloyd mode seeds k-means++ from a random sample of this many training images (or 3 K if more).
_INIT_SAMPLE = 10_000


@dataclass(frozen=True, eq=False)
class PreparedImages:
    """Images after preprocessing, ready to cluster: what `KMeansDigitClassifier.prepare` returns.

    It depends only on the images and the preprocessing parameters (not on K or the seed), so a
    sweep over K prepares once and fits many times.

    Attributes
    ----------
    pixels : ndarray of shape (n_samples, n_pixels), float32
        After deskew and blur, before normalising and PCA: what the cluster centre images average.
    features : ndarray of shape (n_samples, n_features_out), float32
        The rows K-means clusters (``pixels`` itself when there is no normalising or PCA).
    image_shape : (int, int) or None
    preprocessing : Preprocessing
        The parameters they were prepared with.
    pca_mean, pca_components : ndarray of shape (n_pixels,) and (n_components, n_pixels), or None
    """

    pixels: np.ndarray
    features: np.ndarray
    image_shape: tuple[int, int] | None
    preprocessing: Preprocessing
    pca_mean: np.ndarray | None = None
    pca_components: np.ndarray | None = None


class KMeansDigitClassifier(ClassifierMixin, TransformerMixin, BaseEstimator):
    """Classify images by the majority label of their nearest K-means centroid.

    Images are scaled to [0, 1], then optionally deskewed, blurred, L2-normalised and projected
    by PCA, in that order; K-means runs on the result. Every preprocessing option is off by
    default (the tutorial's recipe); `core.analysis.sweep.default_preprocessing` gives the measured best
    per dataset.

    Parameters
    ----------
    n_clusters : int, default=10
        K, the number of clusters. Must be at least 2 and at most the number of training images.
    algorithm : {"minibatch", "lloyd"}, default="minibatch"
        ``"minibatch"`` fits `MiniBatchKMeans` (fast, as in the tutorial); ``"lloyd"`` fits full
        `KMeans` (slower, slightly lower inertia: the precise mode).
    random_state : int, RandomState instance or None, default=None
        Seed for the centroid initialisation and mini-batches; an int gives repeatable results.
    deskew : bool, default=False
        Straighten each image by its moments (`core.model.preprocess.deskew_images`). Needs images:
        X of shape (n_samples, height, width), or rows with a square number of pixels.
    blur : float, default=0.0
        Gaussian blur's standard deviation in pixels; 0 for none. Needs images, like `deskew`.
    normalize : bool, default=False
        Scale each image to unit length, so clusters group shapes rather than amounts of ink.
    pca_components : int or None, default=None
        Cluster in the space of this many principal components of the training images (capped
        at the number of pixels and of images); None clusters the pixels themselves.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_pixels), float32
        What each cluster looks like, in pixel space ([0, 1] for uint8 input), after deskew and
        blur: reshape to `image_shape_` to show it. Without normalising or PCA these are
        K-means' own centroids; with them, the mean image of each cluster's training members
        (an empty cluster shows the training image nearest to its centroid).
    cluster_centers_model_space_ : ndarray of shape (n_clusters, n_features_out), float32
        The centroids in the space K-means ran in (after normalising and PCA), which `transform`
        and `predict` measure distances to. The same array as `cluster_centers_` when there is
        no normalising or PCA.
    cluster_labels_ : ndarray of shape (n_clusters,)
        The class each cluster predicts: the most common label among its training members.
        Ties go to the class that sorts first. A cluster with no training members (possible when
        K is close to the number of distinct images) takes the label of the training image nearest
        to its centroid.
    cluster_class_counts_ : ndarray of shape (n_clusters, n_classes)
        How many training images of each class fell in each cluster.
    labels_ : ndarray of shape (n_samples,)
        The cluster of each training image.
    inertia_ : float
        Sum of squared distances of training images to their centroid, in the model space.
    classes_ : ndarray of shape (n_classes,)
    image_shape_ : tuple of int or None
        (height, width) when fitted on an image stack (or on square rows with deskew or blur on), else None.
    pca_mean_, pca_components_ : ndarray of shape (n_pixels,) and (n_components, n_pixels), or None
        The PCA projection, when `pca_components` is set.
    n_features_in_ : int
    """

    def __init__(
        self,
        n_clusters=10,
        algorithm="minibatch",
        random_state=None,
        deskew=False,
        blur=0.0,
        normalize=False,
        pca_components=None,
    ):
        self.n_clusters = n_clusters
        self.algorithm = algorithm
        self.random_state = random_state
        self.deskew = deskew
        self.blur = blur
        self.normalize = normalize
        self.pca_components = pca_components

    def fit(self, X, y):
        """Preprocess and cluster `X`, then give each cluster the majority label of its members.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width) or (n_samples, n_features)
            uint8 pixels or floats.
        y : array-like of shape (n_samples,)
            The true class of each image.

        Returns
        -------
        self : KMeansDigitClassifier
        """
        self._check_params()
        X, image_shape = _flatten(X)
        X, y = validate_data(self, X, y, dtype=None)
        return self._fit_prepared(self._prepare_rows(X, image_shape), y)

    @property
    def preprocessing(self) -> Preprocessing:
        """The preprocessing parameters as one `Preprocessing` value."""
        return Preprocessing(self.deskew, self.blur, self.normalize, self.pca_components)

    def prepare(self, X) -> PreparedImages:
        """Preprocess training images once, for `fit_prepared` (a sweep over K shares the result).

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width) or (n_samples, n_features)

        Returns
        -------
        prepared : PreparedImages
        """
        self._check_params()
        X, image_shape = _flatten(X)
        X = validate_data(self, X, dtype=None)
        return self._prepare_rows(X, image_shape)

    def fit_prepared(self, prepared: PreparedImages, y):
        """`fit`, on images already preprocessed by `prepare` with the same preprocessing parameters.

        Parameters
        ----------
        prepared : PreparedImages
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : KMeansDigitClassifier
        """
        self._check_params()
        if prepared.preprocessing != self.preprocessing:
            raise ValueError(
                f"prepared images were preprocessed with {prepared.preprocessing}, "
                f"but this model's preprocessing is {self.preprocessing}."
            )
        y = np.asarray(y)
        if len(y) != len(prepared.features):
            n = len(prepared.features)
            raise ValueError(f"len(y)={len(y)} should equal the number of prepared images, {n}.")
        self.n_features_in_ = prepared.pixels.shape[1]
        return self._fit_prepared(prepared, y)

    def _prepare_rows(self, X, image_shape):
        pixels, image_shape = self._pixels(as_float_rows(X), image_shape)
        pca_mean = pca_components = None
        rows = l2_normalize(pixels) if self.normalize else pixels
        if self.pca_components is not None:
            pca_mean, pca_components = fit_pca(rows, min(self.pca_components, *rows.shape))
            rows = project(rows, pca_mean, pca_components)
        return PreparedImages(pixels, rows, image_shape, self.preprocessing, pca_mean, pca_components)

    def _fit_prepared(self, prepared, y):
        check_classification_targets(y)
        features = prepared.features
        if len(features) < self.n_clusters:
            raise ValueError(f"n_samples={len(features)} should be >= n_clusters={self.n_clusters}.")
        self.classes_, y_index = np.unique(y, return_inverse=True)
        kmeans = self._fit_kmeans(features)
        self.cluster_centers_model_space_ = kmeans.cluster_centers_.astype(np.float32)
        self.labels_ = kmeans.labels_
        self.inertia_ = float(kmeans.inertia_)
        self.n_iter_ = kmeans.n_iter_
        self.image_shape_ = prepared.image_shape
        self.pca_mean_, self.pca_components_ = prepared.pca_mean, prepared.pca_components
        counts = np.bincount(
            self.labels_ * len(self.classes_) + y_index,
            minlength=self.n_clusters * len(self.classes_),
        ).reshape(self.n_clusters, len(self.classes_))
        self.cluster_class_counts_ = counts
        centers = self.cluster_centers_model_space_
        winners, nearest = _majority_vote(counts, centers, features, y_index)
        self.cluster_labels_ = self.classes_[winners]
        if features is prepared.pixels:
            self.cluster_centers_ = centers
        else:
            self.cluster_centers_ = _member_means(prepared.pixels, self.labels_, self.n_clusters, nearest)
        return self

    def _pixels(self, rows, image_shape):
        """Rows after deskew and blur, and the (height, width) those needed (else `image_shape`)."""
        if not (self.deskew or self.blur):
            return rows, image_shape
        shape = image_shape or infer_image_shape(rows.shape[1])
        if shape is None:
            wanted = "deskew=True" if self.deskew else f"blur={self.blur!r}"
            raise ValueError(
                f"{wanted} needs images: n_features={rows.shape[1]} is not a square number of pixels; "
                "pass X of shape (n_samples, height, width)."
            )
        images = rows.reshape(len(rows), *shape)
        if self.deskew:
            images = deskew_images(images)
        if self.blur:
            images = blur_images(images, self.blur)
        return images.reshape(len(rows), -1), shape

    def _check_params(self):
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm={self.algorithm!r} should be one of {ALGORITHMS}.")
        if not isinstance(self.n_clusters, (int, np.integer)) or self.n_clusters < 1:
            raise ValueError(f"n_clusters={self.n_clusters!r} should be a positive integer.")
        check_bool(self.deskew, "deskew")
        check_blur(self.blur)
        check_bool(self.normalize, "normalize")
        check_pca_components(self.pca_components)

    def _fit_kmeans(self, features):
        if self.algorithm == "minibatch":
            # MiniBatchKMeans runs hundreds of tiny OpenMP regions; on a busy 2-core machine their
            # threads wait on each other (measured: a 6-K sweep's median 8.7 s with 2 threads, 1.4 s
            # with 1; equal when idle). One thread gives the same centroids, and lets a sweep run
            # two K at once (core.analysis.sweep).
            kmeans = MiniBatchKMeans(n_clusters=self.n_clusters, random_state=self.random_state)
            with openmp_threads(1):
                return kmeans.fit(features)
        # k-means++ costs as much as ~25 Lloyd iterations on 60,000 images; seeding it from a random
        # sample (as MiniBatchKMeans does) makes it cheap, and Lloyd's iterations then use every image.
        rng = check_random_state(self.random_state)
        n_sample = min(len(features), max(_INIT_SAMPLE, 3 * self.n_clusters))
        sample = features[np.sort(rng.choice(len(features), n_sample, replace=False))]
        init, _ = kmeans_plusplus(sample, self.n_clusters, random_state=rng)
        return KMeans(n_clusters=self.n_clusters, init=init, n_init=1, random_state=rng).fit(features)

    def features(self, X):
        """Images in the model space: scaled and preprocessed as in training (normalised, projected).

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out), float32
            What `transform` measures distances from; pass to `predict_features`.
        """
        check_is_fitted(self)
        X, shape = _flatten(X)
        X = validate_data(self, X, dtype=None, reset=False)
        rows = as_float_rows(X)
        if self.deskew or self.blur:
            rows, _ = self._pixels(rows, shape or self.image_shape_)
        return _features(rows, self.normalize, self.pca_mean_, self.pca_components_)

    def transform(self, X):
        """Distance from each image to each centroid, in the model space (after any normalising and PCA).

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters)
        """
        return _euclidean(self.features(X), self.cluster_centers_model_space_)

    def predict_cluster(self, X):
        """The nearest cluster of each image, shape (n_samples,)."""
        return np.argmin(self.transform(X), axis=1)

    def predict(self, X):
        """The class of each image: the label of its nearest centroid, shape (n_samples,)."""
        check_is_fitted(self)
        return self.cluster_labels_[self.predict_cluster(X)]

    def predict_features(self, features):
        """`predict` for rows already in the model space (from `features`), shape (n_samples,)."""
        check_is_fitted(self)
        distances = _euclidean(np.asarray(features, dtype=np.float32), self.cluster_centers_model_space_)
        return self.cluster_labels_[np.argmin(distances, axis=1)]

    @property
    def cluster_sizes_(self) -> np.ndarray:
        """Training images per cluster, shape (n_clusters,)."""
        return self.cluster_class_counts_.sum(axis=1)

    @property
    def cluster_purity_(self) -> np.ndarray:
        """Share of each cluster's training images that carry its label (0 for an empty cluster)."""
        sizes = self.cluster_sizes_
        top = self.cluster_class_counts_.max(axis=1)
        return np.divide(top, sizes, out=np.zeros(len(sizes)), where=sizes > 0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        # Distances are computed in float32 whatever the input: half the memory, twice the speed.
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


_controller = None


def _threadpools():
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller


def openmp_threads(n: int):
    """A context manager limiting OpenMP (scikit-learn's K-means loops) to `n` threads, in this thread."""
    return _threadpools().limit(limits=n, user_api="openmp")


def blas_threads(n: int):
    """A context manager limiting BLAS (matrix products) to `n` threads, for the whole process."""
    return _threadpools().limit(limits=n, user_api="blas")


def _flatten(X):
    """Reshape an image stack (n, h, w) to rows, remembering (h, w); leave anything else as is."""
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) == 3:
        return np.asarray(X).reshape(shape[0], -1), (int(shape[1]), int(shape[2]))
    return X, None


def _euclidean(rows, centers):
    """Euclidean distances via |x|^2 - 2x.c + |c|^2, in float32, clipped at 0 against round-off."""
    sq = (rows * rows).sum(axis=1)[:, None] - 2 * rows @ centers.T + (centers * centers).sum(axis=1)
    return np.sqrt(np.maximum(sq, 0))


def _majority_vote(counts, centers, rows, y_index):
    """Per cluster, the index of its most common class; an empty cluster votes by its nearest image.

    Returns the winners, shape (n_clusters,), and for each empty cluster (in order) its nearest row.
    """
    winners = counts.argmax(axis=1)
    empty = counts.sum(axis=1) == 0
    nearest = np.zeros(0, dtype=np.intp)
    if empty.any():
        nearest = pairwise_distances_argmin(centers[empty], rows)
        winners[empty] = y_index[nearest]
    return winners, nearest


def _features(pixels, normalize, pca_mean, pca_components):
    """The rows K-means sees: `pixels` L2-normalised and projected on the PCA components, as asked."""
    rows = l2_normalize(pixels) if normalize else pixels
    return rows if pca_components is None else project(rows, pca_mean, pca_components)


def _member_means(pixels, labels, n_clusters, nearest):
    """Each cluster's mean row of `pixels`, shape (n_clusters, n_pixels); empty ones take `nearest` rows."""
    sizes = np.bincount(labels, minlength=n_clusters)
    onehot = sparse.csr_matrix(
        (np.ones(len(labels), dtype=np.float32), (labels, np.arange(len(labels)))),
        shape=(n_clusters, len(labels)),
    )
    means = np.asarray(onehot @ pixels, dtype=np.float32) / np.maximum(sizes, 1)[:, None].astype(np.float32)
    means[sizes == 0] = pixels[nearest]
    return means


_LEARNED = (
    "cluster_centers_",
    "cluster_centers_model_space_",
    "cluster_labels_",
    "cluster_class_counts_",
    "labels_",
    "classes_",
    "inertia_",
    "n_iter_",
    "n_features_in_",
)

#: Learned attributes that are None when the option is off (stored only when set).
_OPTIONAL = ("pca_mean_", "pca_components_")


def model_to_arrays(model: KMeansDigitClassifier) -> dict[str, np.ndarray]:
    """A fitted model's learned state as plain arrays (for the cache and for export)."""
    check_is_fitted(model)
    arrays = {name: np.asarray(getattr(model, name)) for name in _LEARNED}
    arrays["image_shape_"] = np.asarray(model.image_shape_ or (), dtype=np.int64)
    for name in _OPTIONAL:
        if getattr(model, name) is not None:
            arrays[name] = np.asarray(getattr(model, name))
    return arrays


def model_from_arrays(arrays: dict[str, np.ndarray], **params) -> KMeansDigitClassifier:
    """Rebuild a fitted model from `model_to_arrays` output and its parameters."""
    model = KMeansDigitClassifier(**params)
    for name in _LEARNED:
        value = arrays[name]
        setattr(model, name, value.item() if value.ndim == 0 else value)
    shape = tuple(int(v) for v in arrays["image_shape_"])
    model.image_shape_ = shape or None
    for name in _OPTIONAL:
        setattr(model, name, arrays.get(name))
    if not (model.normalize or model.pca_components):
        model.cluster_centers_model_space_ = model.cluster_centers_  # one array, as after `fit`
    return model
