"""The classifier: a well-behaved scikit-learn estimator that reads real digits."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from core.data.registry import load_dataset
from core.model.classifier import KMeansDigitClassifier, model_from_arrays, model_to_arrays
from core.model.preprocess import as_float_rows, blur_images, deskew_images

#: The measured defaults for digits (core.analysis.sweep.DIGIT_PREPROCESSING).
DIGIT_PARAMS = {"deskew": True, "blur": 0.7, "normalize": True, "pca_components": 50}


def _float32_round_off(estimator):
    if estimator.pca_components:
        # float32 matrix products may round the last bit (1e-7) differently when rows are reordered.
        return {"check_methods_sample_order_invariance": "float32 round-off, 1e-7"}
    return {}


@parametrize_with_checks(
    [
        KMeansDigitClassifier(n_clusters=3, random_state=0),
        KMeansDigitClassifier(n_clusters=3, random_state=0, normalize=True, pca_components=2),
        KMeansDigitClassifier(n_clusters=3, algorithm="lloyd", random_state=0, pca_components=3),
    ],
    expected_failed_checks=_float32_round_off,
)
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
        ({"deskew": 1}, "deskew=1 should be True or False"),
        ({"blur": -0.5}, r"blur=-0.5 should be a number >= 0"),
        ({"normalize": "no"}, "normalize='no' should be True or False"),
        ({"pca_components": 0}, "pca_components=0 should be a positive integer, or None"),
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


@pytest.fixture(scope="module")
def preprocessed(sample):
    """K=64 with the digit defaults: deskew, blur, L2-normalise, PCA 50."""
    model = KMeansDigitClassifier(64, random_state=0, **DIGIT_PARAMS)
    return model.fit(sample.train_images, sample.train_labels)


def test_preprocessing_beats_raw_pixels(preprocessed, sample):
    raw = KMeansDigitClassifier(64, random_state=0).fit(sample.train_images, sample.train_labels)
    assert preprocessed.score(sample.test_images, sample.test_labels) > raw.score(
        sample.test_images, sample.test_labels
    )


def test_centroids_stay_images_while_distances_use_the_model_space(preprocessed, sample):
    assert preprocessed.cluster_centers_.shape == (64, 784)
    assert preprocessed.cluster_centers_.dtype == np.float32
    assert preprocessed.cluster_centers_.min() >= 0 and preprocessed.cluster_centers_.max() <= 1
    assert preprocessed.cluster_centers_model_space_.shape == (64, 50)
    assert preprocessed.image_shape_ == (28, 28)
    assert preprocessed.pca_components_.shape == (50, 784)
    distances = preprocessed.transform(sample.test_images[:40])
    assert distances.shape == (40, 64) and distances.dtype == np.float32
    np.testing.assert_array_equal(
        preprocessed.predict(sample.test_images[:40]), preprocessed.cluster_labels_[distances.argmin(axis=1)]
    )


def test_a_centroid_image_is_the_mean_of_its_members_after_deskew_and_blur(preprocessed, sample):
    pixels = blur_images(deskew_images(as_float_rows(sample.train_images).reshape(-1, 28, 28)), 0.7)
    for cluster in (0, 33):
        members = pixels[preprocessed.labels_ == cluster].reshape(-1, 784)
        np.testing.assert_allclose(preprocessed.cluster_centers_[cluster], members.mean(axis=0), atol=1e-5)


def test_preprocessed_model_reads_images_rows_and_floats_alike(preprocessed, sample):
    images = sample.test_images[:100]
    expected = preprocessed.predict(images)
    np.testing.assert_array_equal(preprocessed.predict(images.reshape(100, -1)), expected)
    np.testing.assert_array_equal(preprocessed.predict(images / 255.0), expected)
    np.testing.assert_array_equal(preprocessed.predict_features(preprocessed.features(images)), expected)


def test_fit_prepared_gives_the_same_model_as_fit(preprocessed, sample):
    other = KMeansDigitClassifier(64, random_state=0, **DIGIT_PARAMS)
    prepared = other.prepare(sample.train_images)
    assert prepared.features.shape == (8000, 50) and prepared.pixels.shape == (8000, 784)
    other.fit_prepared(prepared, sample.train_labels)
    np.testing.assert_array_equal(other.labels_, preprocessed.labels_)
    np.testing.assert_array_equal(other.cluster_centers_, preprocessed.cluster_centers_)
    with pytest.raises(ValueError, match="len.y.=10 should equal the number of prepared images, 8000"):
        other.fit_prepared(prepared, sample.train_labels[:10])
    with pytest.raises(ValueError, match=r"preprocessed with Preprocessing\(deskew=True.*but this model's"):
        KMeansDigitClassifier(64).fit_prepared(prepared, sample.train_labels)


def test_deskew_needs_images():
    X, y = np.random.default_rng(0).random((30, 10)), np.repeat([0, 1, 2], 10)
    with pytest.raises(ValueError, match="deskew=True needs images: n_features=10 is not a square"):
        KMeansDigitClassifier(3, deskew=True).fit(X, y)
    with pytest.raises(ValueError, match="blur=0.5 needs images"):
        KMeansDigitClassifier(3, blur=0.5).fit(X, y)


def test_pca_is_capped_at_the_number_of_pixels():
    X, y = np.random.default_rng(0).random((30, 4)), np.repeat([0, 1, 2], 10)
    model = KMeansDigitClassifier(3, pca_components=50, random_state=0).fit(X, y)
    assert model.cluster_centers_model_space_.shape == (3, 4)


@pytest.mark.parametrize("algorithm", ["minibatch", "lloyd"])
def test_preprocessed_model_round_trips_through_plain_arrays(algorithm, sample):
    model = KMeansDigitClassifier(20, algorithm=algorithm, random_state=0, **DIGIT_PARAMS)
    model.fit(sample.train_images[:2000], sample.train_labels[:2000])
    arrays = model_to_arrays(model)
    assert all(isinstance(a, np.ndarray) and a.dtype != object for a in arrays.values())
    restored = model_from_arrays(arrays, **model.get_params())
    np.testing.assert_array_equal(restored.predict(sample.test_images), model.predict(sample.test_images))
    np.testing.assert_array_equal(restored.cluster_centers_, model.cluster_centers_)


def test_plain_model_keeps_one_centroid_array(fitted):
    assert fitted.cluster_centers_model_space_ is fitted.cluster_centers_
    assert fitted.pca_components_ is None
    restored = model_from_arrays(model_to_arrays(fitted), **fitted.get_params())
    assert restored.cluster_centers_model_space_ is restored.cluster_centers_


def test_a_minibatch_fit_leaves_thread_limits_as_it_found_them(sample):
    from threadpoolctl import threadpool_info

    def counts():
        return sorted((pool["internal_api"], pool["num_threads"]) for pool in threadpool_info())

    before = counts()
    KMeansDigitClassifier(10, random_state=0).fit(sample.train_images[:500], sample.train_labels[:500])
    assert counts() == before
