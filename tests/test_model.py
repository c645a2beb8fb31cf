"""The classifier: a scikit-learn Pipeline in front of a cluster-and-vote estimator that reads real digits."""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from core.data.registry import load_dataset
from core.model.images import as_float_rows, blur_images, deskew_images
from core.model.pipeline import FittedModel, fit_prepared, make_classifier, prepare
from core.model.preprocess import Preprocessing
from core.model.schema import check_model_arrays, model_from_arrays, model_to_arrays
from core.model.vote import ClusterVoteClassifier

#: The measured defaults for digits (core.analysis.sweep.DIGIT_PREPROCESSING).
DIGITS = Preprocessing(deskew=True, blur=0.7, normalize=True, pca_components=50)


@parametrize_with_checks(
    [
        ClusterVoteClassifier(n_clusters=3, random_state=0),
        ClusterVoteClassifier(n_clusters=3, algorithm="lloyd", random_state=0),
    ]
)
def test_the_vote_passes_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def sample():
    return load_dataset("mnist-sample")


@pytest.fixture(scope="module")
def fitted(sample):
    pipeline = make_classifier(36, random_state=0).fit(sample.train_images, sample.train_labels)
    return FittedModel.from_pipeline(pipeline, sample.train_images)


def test_reads_real_digits_far_better_than_chance(fitted, sample):
    assert fitted.score(sample.test_images, sample.test_labels) > 0.7
    assert fitted.cluster_centers_.shape == (36, 784)
    assert fitted.image_shape_ == (28, 28)
    assert set(fitted.cluster_labels_) == set(range(10))  # every digit has a cluster at K=36


def test_the_pipeline_has_the_steps_asked_and_ends_in_the_vote():
    names = [name for name, _ in make_classifier(5, preprocessing=DIGITS).steps]
    assert names == ["scale", "deskew", "blur", "normalize", "pca", "vote"]
    assert [name for name, _ in make_classifier(5).steps] == ["scale", "vote"]


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
    nearest = distances.argmin(axis=1)
    np.testing.assert_array_equal(fitted.predict(sample.test_images[:50]), fitted.cluster_labels_[nearest])
    np.testing.assert_array_equal(fitted.predict_cluster(sample.test_images[:50]), nearest)


def test_same_seed_same_model(sample):
    X, y = sample.train_images[:2000], sample.train_labels[:2000]
    a = make_classifier(10, random_state=3).fit(X, y)
    b = make_classifier(10, random_state=3).fit(X, y)
    np.testing.assert_array_equal(a["vote"].cluster_centers_, b["vote"].cluster_centers_)


@pytest.mark.parametrize("algorithm", ["minibatch", "lloyd"])
def test_both_algorithms_fit(algorithm, sample):
    model = make_classifier(10, algorithm=algorithm, random_state=0)
    model.fit(sample.train_images[:1000], sample.train_labels[:1000])
    assert model.score(sample.test_images, sample.test_labels) > 0.4


@pytest.mark.filterwarnings("ignore:Number of distinct clusters")
def test_empty_clusters_take_the_label_of_the_nearest_row():
    # 4 distinct rows, 6 clusters: at least 2 clusters end up with no members.
    X = np.repeat(np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0], [5.0, 6.0]]), 3, axis=0)
    y = np.repeat([0, 0, 1, 1], 3)
    vote = ClusterVoteClassifier(6, algorithm="lloyd", random_state=0).fit(X, y)
    empty = vote.cluster_sizes_ == 0
    assert empty.any()
    for center, label in zip(vote.cluster_centers_[empty], vote.cluster_labels_[empty], strict=True):
        nearest = np.argmin(((X - center) ** 2).sum(axis=1))
        assert label == y[nearest]
    assert vote.score(X, y) == 1.0


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
        make_classifier(**params).fit(sample.train_images[:20], sample.train_labels[:20])


def test_a_bad_preprocessing_is_named():
    with pytest.raises(ValueError, match="preprocessing='deskew' should be a Preprocessing"):
        make_classifier(5, preprocessing="deskew")


def test_round_trips_through_plain_arrays(fitted, sample):
    arrays = model_to_arrays(fitted)
    assert all(isinstance(a, np.ndarray) and a.dtype != object for a in arrays.values())
    check_model_arrays(arrays, fitted.get_params())
    restored = model_from_arrays(arrays, fitted.get_params())
    np.testing.assert_array_equal(restored.predict(sample.test_images), fitted.predict(sample.test_images))
    assert restored.image_shape_ == (28, 28) and restored.inertia_ == fitted.inertia_
    assert restored.get_params() == fitted.get_params()


@pytest.fixture(scope="module")
def preprocessed(sample):
    """K=64 with the digit defaults: deskew, blur, L2-normalise, PCA 50."""
    pipeline = make_classifier(64, random_state=0, preprocessing=DIGITS)
    return FittedModel.from_pipeline(
        pipeline.fit(sample.train_images, sample.train_labels), sample.train_images
    )


def test_preprocessing_beats_raw_pixels(preprocessed, sample):
    raw = make_classifier(64, random_state=0).fit(sample.train_images, sample.train_labels)
    assert preprocessed.score(sample.test_images, sample.test_labels) > raw.score(
        sample.test_images, sample.test_labels
    )


def test_centroids_stay_images_while_distances_use_the_model_space(preprocessed, sample):
    assert preprocessed.cluster_centers_.shape == (64, 784)
    assert preprocessed.cluster_centers_.dtype == np.float32
    assert preprocessed.cluster_centers_.min() >= 0 and preprocessed.cluster_centers_.max() <= 1
    assert preprocessed.cluster_centers_model_space_.shape == (64, 50)
    assert preprocessed.image_shape_ == (28, 28)
    assert preprocessed.features(sample.test_images[:5]).shape == (5, 50)
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
    np.testing.assert_array_equal(preprocessed.vote.predict(preprocessed.features(images)), expected)


def test_fit_prepared_gives_the_same_model_as_the_pipelines_fit(preprocessed, sample):
    prepared = prepare(sample.train_images, DIGITS)
    assert prepared.features.shape == (8000, 50) and prepared.pixels.shape == (8000, 784)
    assert prepared.preprocessing == DIGITS
    other = fit_prepared(prepared, sample.train_labels, 64, random_state=0)
    np.testing.assert_array_equal(other.labels_, preprocessed.labels_)
    np.testing.assert_array_equal(other.cluster_centers_, preprocessed.cluster_centers_)
    assert other.get_params() == preprocessed.get_params()
    with pytest.raises(ValueError, match="len.y.=10 should equal the number of prepared images, 8000"):
        fit_prepared(prepared, sample.train_labels[:10], 64)


def test_refitting_a_model_leaves_the_prepared_images_alone(sample):
    prepared = prepare(sample.train_images[:500], Preprocessing(pca_components=10))
    model = fit_prepared(prepared, sample.train_labels[:500], 10, random_state=0)
    model.pipeline.set_params(pca__n_components=3).fit(sample.train_images[:500], sample.train_labels[:500])
    assert prepared.preprocessor.transform(sample.test_images[:2]).shape == (2, 10)


def test_deskew_needs_images():
    X, y = np.random.default_rng(0).random((30, 10)), np.repeat([0, 1, 2], 10)
    with pytest.raises(ValueError, match="Deskew needs images: n_features=10 is not a square"):
        make_classifier(3, preprocessing=Preprocessing(deskew=True)).fit(X, y)
    with pytest.raises(ValueError, match="GaussianBlur needs images"):
        make_classifier(3, preprocessing=Preprocessing(blur=0.5)).fit(X, y)


def test_pca_is_capped_at_the_number_of_pixels():
    X, y = np.random.default_rng(0).random((30, 4)), np.repeat([0, 1, 2], 10)
    model = make_classifier(3, random_state=0, preprocessing=Preprocessing(pca_components=50)).fit(X, y)
    assert model["vote"].cluster_centers_.shape == (3, 4)


@pytest.mark.parametrize("algorithm", ["minibatch", "lloyd"])
def test_preprocessed_model_round_trips_through_plain_arrays(algorithm, sample):
    prepared = prepare(sample.train_images[:2000], DIGITS)
    model = fit_prepared(prepared, sample.train_labels[:2000], 20, algorithm=algorithm, random_state=0)
    arrays = model_to_arrays(model)
    assert {"pca_mean_", "pca_components_"} <= set(arrays)
    restored = model_from_arrays(arrays, model.get_params())
    np.testing.assert_array_equal(restored.predict(sample.test_images), model.predict(sample.test_images))
    np.testing.assert_array_equal(restored.cluster_centers_, model.cluster_centers_)


def test_plain_model_keeps_one_centroid_array(fitted):
    assert fitted.cluster_centers_model_space_ is fitted.cluster_centers_
    assert "pca_components_" not in model_to_arrays(fitted)
    restored = model_from_arrays(model_to_arrays(fitted), fitted.get_params())
    assert restored.cluster_centers_model_space_ is restored.cluster_centers_


@pytest.mark.parametrize(
    "change, message",
    [
        ({"cluster_labels_": np.zeros(5, np.int64)}, r"'cluster_labels_' has shape \(5,\); it needs \(36,\)"),
        (
            {"cluster_centers_": np.zeros((36, 9), np.float32)},
            r"it needs \(36, 784\) \(K = 36, n_pixels = 784\)",
        ),
        ({"labels_": None}, r"missing the array\(s\) labels_"),
    ],
)
def test_the_schema_names_the_array_at_fault(fitted, change, message):
    arrays = {**model_to_arrays(fitted), **change}
    arrays = {name: value for name, value in arrays.items() if value is not None}
    with pytest.raises(ValueError, match=message):
        check_model_arrays(arrays, fitted.get_params())


def test_a_frozen_model_refuses_changes(sample):
    model = fit_prepared(prepare(sample.train_images[:300]), sample.train_labels[:300], 5, random_state=0)
    model.freeze()
    with pytest.raises(ValueError, match="read-only"):
        model.cluster_labels_[0] = 1


def test_a_minibatch_fit_leaves_thread_limits_as_it_found_them(sample):
    from threadpoolctl import threadpool_info

    def counts():
        return sorted((pool["internal_api"], pool["num_threads"]) for pool in threadpool_info())

    before = counts()
    make_classifier(10, random_state=0).fit(sample.train_images[:500], sample.train_labels[:500])
    assert counts() == before
