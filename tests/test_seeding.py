"""The faster k-means++ start picks exactly the centres scikit-learn's would, so every fit is unchanged.

The models, their accuracy and every figure in bench/README.md rest on scikit-learn's k-means++ start;
`core.model.seeding` only computes it faster. These tests compare the two on real digits.
"""

import numpy as np
import pytest
from sklearn.cluster import KMeans, MiniBatchKMeans, kmeans_plusplus

from core.data.registry import load_dataset
from core.model.pipeline import prepare
from core.model.seeding import KEPT_BYTES, kept_bytes, kmeans_plusplus_start
from core.model.settings import default_preprocessing
from core.model.vote import ClusterVoteClassifier
from core.threads import openmp_threads


@pytest.fixture(scope="module")
def digits():
    """The bundled sample as the engine clusters it: 8,000 rows of 50 float32 features."""
    dataset = load_dataset("mnist-sample")
    return prepare(dataset.train_images, default_preprocessing(dataset)).features, dataset.train_labels


@pytest.mark.parametrize("k", [1, 2, 10, 36, 117, 256])
@pytest.mark.parametrize("seed", [0, 5])
def test_the_start_is_scikit_learn_s_k_means_plus_plus(digits, k, seed):
    rows = digits[0][:3000]
    expected, _ = kmeans_plusplus(rows, k, random_state=seed)
    assert np.array_equal(kmeans_plusplus_start(rows, k, random_state=seed), expected)


def test_float64_rows_get_the_same_start_as_scikit_learn_gives_them(digits):
    rows = digits[0][:2000].astype(np.float64)
    expected, _ = kmeans_plusplus(rows, 40, random_state=3)
    assert np.array_equal(kmeans_plusplus_start(rows, 40, random_state=3), expected)


@pytest.mark.parametrize("k", [10, 64, 144])
def test_a_mini_batch_fit_from_it_is_the_default_fit(digits, k):
    rows = digits[0]
    with openmp_threads(1):
        default = MiniBatchKMeans(n_clusters=k, random_state=1).fit(rows)
        fast = MiniBatchKMeans(n_clusters=k, random_state=1, init=kmeans_plusplus_start, n_init=1).fit(rows)
    assert np.array_equal(fast.cluster_centers_, default.cluster_centers_)
    assert np.array_equal(fast.labels_, default.labels_)


def test_the_engine_s_precise_mode_starts_where_scikit_learn_would(digits):
    rows, labels = digits
    model = ClusterVoteClassifier(n_clusters=20, algorithm="lloyd", random_state=4).fit(rows, labels)
    rng = np.random.RandomState(4)
    sample = rows[np.sort(rng.choice(len(rows), 10_000 if len(rows) > 10_000 else len(rows), replace=False))]
    init, _ = kmeans_plusplus(sample, 20, random_state=rng)
    expected = KMeans(n_clusters=20, init=init, n_init=1, random_state=rng).fit(rows)
    assert np.array_equal(model.cluster_centers_, expected.cluster_centers_)


@pytest.mark.parametrize("k", [0, 3001])
def test_an_impossible_k_is_refused(digits, k):
    with pytest.raises(ValueError, match="should be from 1 to the 3000 rows"):
        kmeans_plusplus_start(digits[0][:3000], k, random_state=0)


def test_k_values_picked_out_of_order_each_start_where_scikit_learn_would(digits):
    # Ks of one candidate count continue one picked sequence: longer, shorter and longer again.
    rows = digits[0][:3000]
    for k in (160, 150, 175, 149, 160):
        expected, _ = kmeans_plusplus(rows, k, random_state=7)
        assert np.array_equal(kmeans_plusplus_start(rows, k, random_state=7), expected), k


def test_the_generator_is_left_where_scikit_learn_s_start_leaves_it(digits):
    rows = digits[0][:3000]
    for k in (30, 40, 25):  # the second and third continue or shorten the first's sequence
        ours, theirs = np.random.RandomState(11), np.random.RandomState(11)
        kmeans_plusplus_start(rows, k, random_state=ours)
        kmeans_plusplus(rows, k, random_state=theirs)
        assert ours.randint(0, 2**31, size=5).tolist() == theirs.randint(0, 2**31, size=5).tolist()


def test_other_rows_or_another_seed_get_their_own_start(digits):
    rows = digits[0]
    for sample, seed in ((rows[:2000], 3), (rows[2000:4000], 3), (rows[:2000], 4)):
        expected, _ = kmeans_plusplus(sample, 60, random_state=seed)
        assert np.array_equal(kmeans_plusplus_start(sample, 60, random_state=seed), expected)


def test_a_new_k_on_the_sample_fits_as_scikit_learn_would_after_other_ks(digits):
    rows = digits[0]
    for k in (150, 152, 151):
        with openmp_threads(1):
            default = MiniBatchKMeans(n_clusters=k, random_state=0).fit(rows)
            fast = MiniBatchKMeans(k, random_state=0, init=kmeans_plusplus_start, n_init=1).fit(rows)
        assert np.array_equal(fast.cluster_centers_, default.cluster_centers_)


def test_the_kept_starts_stay_within_their_memory_budget(digits):
    # Raw pixels make the biggest rows a start keeps (784 float64 features); many seeds must not pile up.
    rows = np.random.RandomState(0).rand(3072, 784).astype(np.float32)
    for seed in range(8):  # 19 MB each
        kmeans_plusplus_start(rows, 5, random_state=seed)
    assert 0 < kept_bytes() <= KEPT_BYTES
