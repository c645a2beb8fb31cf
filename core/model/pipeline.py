"""The classifier as a scikit-learn `Pipeline`: preprocessing transformers, then cluster-and-vote.

`make_classifier` builds it. `prepare` runs the preprocessing once, so that many K can be fitted
on the result (`fit_prepared`); both give a `FittedModel`, the fitted pipeline together with the
pixel-space picture of each cluster that the app shows.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import numpy as np
from scipy import sparse
from sklearn import config_context
from sklearn.metrics import pairwise_distances_argmin
from sklearn.pipeline import Pipeline

from core.model.preprocess import PICTURE_STEPS, Preprocessing, preprocessing_of, preprocessing_steps
from core.model.vote import ClusterVoteClassifier


def make_classifier(
    n_clusters: int = 10,
    *,
    algorithm: str = "minibatch",
    random_state=None,
    preprocessing: Preprocessing = Preprocessing(),  # noqa: B008 (frozen, so shared safely)
    image_shape: tuple[int, int] | None = None,
) -> Pipeline:
    """The classifier, unfitted: the steps `preprocessing` asks for, then a `ClusterVoteClassifier`.

    Parameters
    ----------
    n_clusters : int, default=10
        K, the number of clusters.
    algorithm : {"minibatch", "lloyd"}, default="minibatch"
    random_state : int, RandomState instance or None, default=None
    preprocessing : Preprocessing, default=Preprocessing()
        Every step off by default (the tutorial's recipe); `core.analysis.sweep.default_preprocessing`
        gives the measured best per dataset.
    image_shape : (int, int) or None, default=None
        (height, width) of the images, for deskew and blur; None reads it from 3-D input or a square.

    Returns
    -------
    pipeline : Pipeline
        Steps "scale", then "deskew", "blur", "normalize", "pca" as asked, then "vote". It takes
        X of shape (n_samples, height, width) or (n_samples, n_features), uint8 or floats in [0, 1].
    """
    vote = ClusterVoteClassifier(n_clusters, algorithm=algorithm, random_state=random_state)
    return Pipeline([*preprocessing_steps(preprocessing, image_shape), ("vote", vote)])


@dataclass(frozen=True, eq=False)
class PreparedImages:
    """Training images after preprocessing, ready to cluster: what `prepare` returns.

    It depends only on the images and the preprocessing (not on K or the seed), so a sweep over
    K prepares once and fits many times.

    Attributes
    ----------
    preprocessor : Pipeline
        The fitted preprocessing steps.
    pixels : ndarray of shape (n_samples, n_pixels)
        After the picture steps (scale, deskew, blur): what the cluster pictures average.
    features : ndarray of shape (n_samples, n_features)
        After every step: the rows K-means clusters (``pixels`` itself without normalising or PCA).
    """

    preprocessor: Pipeline
    pixels: np.ndarray
    features: np.ndarray

    @property
    def preprocessing(self) -> Preprocessing:
        return preprocessing_of(self.preprocessor.steps)


def prepare(
    images,
    preprocessing: Preprocessing = Preprocessing(),  # noqa: B008 (frozen, so shared safely)
    *,
    image_shape: tuple[int, int] | None = None,
) -> PreparedImages:
    """Fit the preprocessing steps on training `images` and keep their output, for `fit_prepared`.

    Parameters
    ----------
    images : array-like of shape (n_samples, height, width) or (n_samples, n_features)
    preprocessing : Preprocessing, default=Preprocessing()
    image_shape : (int, int) or None, default=None
        As in `make_classifier`.

    Returns
    -------
    prepared : PreparedImages
    """
    steps = preprocessing_steps(preprocessing, image_shape)
    rows = images
    pixels = None
    # Each step checks its input for NaN and Inf: 9 passes over the rows, 76 ms of a 0.43 s preparation
    # of Fashion-MNIST's 60,000 images. Images of whole numbers are finite, so every step's output is.
    finite = np.asarray(images).dtype.kind in "ui"
    with config_context(assume_finite=finite):
        for name, step in steps:
            rows = step.fit_transform(rows)
            if name in PICTURE_STEPS:
                pixels = rows
    return PreparedImages(Pipeline(steps), pixels, rows)


def fit_prepared(
    prepared: PreparedImages, y, n_clusters: int, *, algorithm: str = "minibatch", random_state=None
) -> FittedModel:
    """Cluster and vote on prepared images: the same model as `make_classifier(...).fit`, without
    preprocessing again.

    Parameters
    ----------
    prepared : PreparedImages
    y : array-like of shape (n_samples,)
    n_clusters : int
    algorithm : {"minibatch", "lloyd"}, default="minibatch"
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    model : FittedModel
    """
    y = np.asarray(y)
    if len(y) != len(prepared.features):
        n = len(prepared.features)
        raise ValueError(f"len(y)={len(y)} should equal the number of prepared images, {n}.")
    pipeline = make_classifier(
        n_clusters, algorithm=algorithm, random_state=random_state, preprocessing=prepared.preprocessing
    )
    # The steps before the vote come fitted from `prepared`, as copies (small: PCA's arrays at most),
    # so refitting this model leaves `prepared` alone.
    pipeline.set_params(**dict(copy.deepcopy(prepared.preprocessor.steps)))
    vote = pipeline["vote"].fit(prepared.features, y)
    return FittedModel(pipeline, cluster_pictures(vote, prepared.pixels, prepared.features))


def cluster_pictures(vote: ClusterVoteClassifier, pixels: np.ndarray, features: np.ndarray) -> np.ndarray:
    """What each cluster looks like in pixel space, shape (n_clusters, n_pixels).

    When K-means ran on the pixels themselves (``features is pixels``), its own centroids; otherwise
    the mean of each cluster's training `pixels`, and for an empty cluster the training image nearest
    to its centroid in `features`.
    """
    if features is pixels:
        return vote.cluster_centers_
    k, labels = vote.n_clusters, vote.labels_
    sizes = np.bincount(labels, minlength=k)
    onehot = sparse.csr_matrix(
        (np.ones(len(labels), dtype=pixels.dtype), (labels, np.arange(len(labels)))), shape=(k, len(labels))
    )
    means = np.asarray(onehot @ pixels) / np.maximum(sizes, 1)[:, None].astype(pixels.dtype)
    empty = sizes == 0
    if empty.any():
        means[empty] = pixels[pairwise_distances_argmin(vote.cluster_centers_[empty], features)]
    return means


@dataclass(frozen=True, eq=False)
class FittedModel:
    """A fitted classifier pipeline and its cluster pictures, read by the app, the cache and the export.

    Everything the pages read is here under one name: the vote's learned attributes, the pictures,
    and methods that take images (each runs the pipeline's preprocessing first).

    Attributes
    ----------
    pipeline : Pipeline
        Fitted; its last step, "vote", is a `ClusterVoteClassifier`.
    cluster_centers_ : ndarray of shape (n_clusters, n_pixels)
        What each cluster looks like, after deskew and blur; reshape to `image_shape_` to show it
        (see `cluster_pictures`).
    """

    pipeline: Pipeline
    cluster_centers_: np.ndarray

    @classmethod
    def from_pipeline(cls, pipeline: Pipeline, X) -> FittedModel:
        """A fitted `make_classifier` pipeline with its pictures, from the images `X` it was fitted on."""
        start = next(i for i, (name, _) in enumerate(pipeline.steps) if name not in PICTURE_STEPS)
        pixels = pipeline[:start].transform(X)
        features = pixels if start == len(pipeline) - 1 else pipeline[start:-1].transform(pixels)
        return cls(pipeline, cluster_pictures(pipeline[-1], pixels, features))

    @property
    def vote(self) -> ClusterVoteClassifier:
        return self.pipeline[-1]

    @property
    def preprocessing(self) -> Preprocessing:
        return preprocessing_of(self.pipeline.steps[:-1])

    def get_params(self) -> dict:
        """K, algorithm, seed and preprocessing in one flat dict (what the cache and the export key on)."""
        params = self.vote.get_params()
        return {key: params[key] for key in ("n_clusters", "algorithm", "random_state")} | asdict(
            self.preprocessing
        )

    # --- the vote's learned attributes --------------------------------------------------------

    n_clusters = property(lambda self: self.vote.n_clusters)
    cluster_labels_ = property(lambda self: self.vote.cluster_labels_)
    cluster_class_counts_ = property(lambda self: self.vote.cluster_class_counts_)
    cluster_sizes_ = property(lambda self: self.vote.cluster_sizes_)
    cluster_purity_ = property(lambda self: self.vote.cluster_purity_)
    labels_ = property(lambda self: self.vote.labels_)
    classes_ = property(lambda self: self.vote.classes_)
    inertia_ = property(lambda self: self.vote.inertia_)
    #: K-means' centroids in the space it ran in (after normalising and PCA).
    cluster_centers_model_space_ = property(lambda self: self.vote.cluster_centers_)

    @property
    def image_shape_(self) -> tuple[int, int] | None:
        """(height, width) of the images it takes, or None for rows that are not images."""
        return self.pipeline["scale"].image_shape_

    @property
    def n_features_in_(self) -> int:
        return self.pipeline["scale"].n_features_in_

    # --- methods on images ---------------------------------------------------------------------

    def features(self, X) -> np.ndarray:
        """Images preprocessed as in training, shape (n_samples, n_features): what K-means compares."""
        return self.pipeline[:-1].transform(X)

    def transform(self, X) -> np.ndarray:
        """Distance from each image to each centroid in the model space, shape (n_samples, n_clusters)."""
        return self.pipeline.transform(X)

    def predict(self, X) -> np.ndarray:
        """The class of each image, shape (n_samples,)."""
        return self.pipeline.predict(X)

    def predict_cluster(self, X) -> np.ndarray:
        """The nearest cluster of each image, shape (n_samples,)."""
        return self.vote.predict_cluster(self.features(X))

    def score(self, X, y) -> float:
        """Share of the images `X` classified as `y`."""
        return float(self.pipeline.score(X, y))

    def freeze(self) -> FittedModel:
        """Make every learned array read-only (for a model shared between sessions); returns self."""
        steps = [step for _, step in self.pipeline.steps]
        for owner in [*steps, *(step.pca_ for step in steps if hasattr(step, "pca_"))]:
            for value in vars(owner).values():
                if isinstance(value, np.ndarray):
                    value.flags.writeable = False
        self.cluster_centers_.flags.writeable = False
        return self
