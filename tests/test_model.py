"""The classifier: a well-behaved scikit-learn estimator that reads real digits."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from core.datasets import load_dataset
from core.model import KMeansDigitClassifier, model_from_arrays, model_to_arrays


@parametrize_with_checks([KMeansDigitClassifier(n_clusters=3, random_state=0)])
def test_passes_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def sample():
    return load_dataset("mnist-sample")


@pytest.fixture(scope="module")
def fitted(sample):
    return KMeansDigitClassifier(n_clusters=36, random_state=0).fit(sample.train_images, sample.train_labels)


def test_reads_real_digits_far_better_than_chance(fitted, sample):
    assert fitted.score(sample.test_images, sample.test_labels) > 0.7
    assert fitted.cluster_centers_.shape == (36, 784)
    assert fitted.image_shape_ == (28, 28)
    assert set(fitted.cluster_labels_) == set(range(10))  # every digit has a cluster at K=36


def test_cluster_labels_are_the_majority_of_each_cluster(fitted, sample):
    for cluster in (0, 17, 35):
        members = sample.train_labels[fitted.labels_ == cluster]
        assert fitted.cluster_labels_[cluster] == np.bincount(members, minlength=10).argmax()
    assert fitted.cluster_sizes_.sum() == sample.n_train
    assert np.all((fitted.cluster_purity_ > 0.1) & (fitted.cluster_purity_ <= 1))


def test_images_and_flat_rows_uint8_and_float_give_the_same_predictions(fitted, sample):
    images = sample.test_images[:200]
    expected = fitted.predict(images)
    np.testing.assert_array_equal(fitted.predict(images.reshape(200, -1)), expected)
    np.testing.assert_array_equal(fitted.predict(images / 255.0), expected)


def test_transform_gives_distances_and_predict_takes_the_nearest(fitted, sample):
    distances = fitted.transform(sample.test_images[:50])
    assert distances.shape == (50, 36) and np.all(distances >= 0)
    np.testing.assert_array_equal(
        fitted.predict(sample.test_images[:50]), fitted.cluster_labels_[distances.argmin(axis=1)]
    )


def test_same_seed_same_model(sample):
    a = KMeansDigitClassifier(10, random_state=3).fit(sample.train_images[:2000], sample.train_labels[:2000])
    b = KMeansDigitClassifier(10, random_state=3).fit(sample.train_images[:2000], sample.train_labels[:2000])
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)


@pytest.mark.parametrize("algorithm", ["minibatch", "lloyd"])
def test_both_algorithms_fit(algorithm, sample):
    model = KMeansDigitClassifier(10, algorithm=algorithm, random_state=0)
    model.fit(sample.train_images[:1000], sample.train_labels[:1000])
    assert model.score(sample.test_images, sample.test_labels) > 0.4


@pytest.mark.filterwarnings("ignore:Number of distinct clusters")
def test_empty_clusters_take_the_label_of_the_nearest_image():
    # 4 distinct images, 6 clusters: at least 2 clusters end up with no members.
    X = np.repeat(np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0], [5.0, 6.0]]), 3, axis=0)
    y = np.repeat([0, 0, 1, 1], 3)
    model = KMeansDigitClassifier(6, algorithm="lloyd", random_state=0).fit(X, y)
    empty = model.cluster_sizes_ == 0
    assert empty.any()
    for center, label in zip(model.cluster_centers_[empty], model.cluster_labels_[empty], strict=True):
        nearest = np.argmin(((X - center) ** 2).sum(axis=1))
        assert label == y[nearest]
    assert model.score(X, y) == 1.0


def test_works_in_a_pipeline(sample):
    pipe = make_pipeline(
        FunctionTransformer(lambda X: X.reshape(len(X), -1)), KMeansDigitClassifier(10, random_state=0)
    )
    pipe.fit(sample.train_images[:1000], sample.train_labels[:1000])
    assert pipe.score(sample.test_images[:500], sample.test_labels[:500]) > 0.4


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_clusters": 0}, "n_clusters=0 should be a positive integer"),
        ({"n_clusters": 2.5}, "n_clusters=2.5 should be a positive integer"),
        ({"algorithm": "elkan"}, r"algorithm='elkan' should be one of \('minibatch', 'lloyd'\)"),
        ({"n_clusters": 50}, "n_samples=20 should be >= n_clusters=50"),
    ],
)
def test_bad_parameters_are_named(params, message, sample):
    with pytest.raises(ValueError, match=message):
        KMeansDigitClassifier(**params).fit(sample.train_images[:20], sample.train_labels[:20])


def test_round_trips_through_plain_arrays(fitted, sample):
    arrays = model_to_arrays(fitted)
    assert all(isinstance(a, np.ndarray) and a.dtype != object for a in arrays.values())
    restored = model_from_arrays(arrays, **fitted.get_params())
    np.testing.assert_array_equal(restored.predict(sample.test_images), fitted.predict(sample.test_images))
    assert restored.image_shape_ == (28, 28) and restored.inertia_ == fitted.inertia_
