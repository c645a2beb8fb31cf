"""Metrics on hand-worked cases, and a plain sentence for every metric the pages show."""

import numpy as np
import pytest

from core.analysis import metrics

# 3 clusters over 2 classes: cluster 0 = {a, a, b}, cluster 1 = {b, b}, cluster 2 = {a}.
Y = np.array([0, 0, 1, 1, 1, 0])
CLUSTERS = np.array([0, 0, 0, 1, 1, 2])


def test_majority_vote_accuracy_by_hand():
    # Cluster 0 votes a (2 right of 3), cluster 1 votes b (2 of 2), cluster 2 votes a (1 of 1): 5/6.
    assert metrics.majority_vote_accuracy(Y, CLUSTERS) == pytest.approx(5 / 6)


def test_matched_accuracy_pairs_clusters_one_to_one():
    # Best pairing: cluster 0 -> a (2), cluster 1 -> b (2); cluster 2 is left unpaired: 4/6.
    assert metrics.matched_accuracy(Y, CLUSTERS) == pytest.approx(4 / 6)


def test_matched_accuracy_recovers_a_permuted_labelling():
    y = np.array([0, 0, 1, 1, 2, 2])
    assert metrics.matched_accuracy(y, (y + 1) % 3) == 1.0


def test_majority_vote_accuracy_takes_any_label_values():
    # The same clustering under other names for clusters and classes scores the same.
    assert metrics.majority_vote_accuracy(Y * 7 + 3, CLUSTERS * -2) == pytest.approx(5 / 6)


def test_purity_and_size_by_hand():
    purity, size = metrics.cluster_purity_and_size(Y, CLUSTERS, n_clusters=4)
    np.testing.assert_allclose(purity, [2 / 3, 1, 1, 0])
    np.testing.assert_array_equal(size, [3, 2, 1, 0])


def test_inertia_by_hand():
    X = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 10.0]])
    centers = np.array([[1.0, 0.0], [10.0, 10.0]])
    assert metrics.inertia(X, centers, [0, 0, 1]) == pytest.approx(2.0)


def test_perfect_clustering_scores_one():
    scores = metrics.clustering_scores([0, 0, 1, 1], [5, 5, 3, 3])
    assert scores == pytest.approx(
        {k: 1.0 for k in ("homogeneity", "completeness", "v_measure", "ari", "nmi")}
    )


def test_one_cluster_per_image_is_homogeneous_but_incomplete():
    y = [0, 0, 1, 1]
    assert metrics.homogeneity(y, [0, 1, 2, 3]) == pytest.approx(1.0)
    assert metrics.completeness(y, [0, 1, 2, 3]) < 0.6


def test_accuracy_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match=r"len\(y_true\)=2 should equal len\(y_pred\)=3"):
        metrics.accuracy([1, 2], [1, 2, 3])


def _counts(y_true, clusters, n_clusters):
    classes = np.unique(y_true, return_inverse=True)[1]
    return np.bincount(classes * n_clusters + clusters, minlength=(classes.max() + 1) * n_clusters).reshape(
        -1, n_clusters
    )


@pytest.mark.parametrize("seed", range(12))
def test_scores_from_counts_equal_scikit_learn_s_exactly(seed):
    # A fit scores itself from its table of counts; the figures must be scikit-learn's to the last bit.
    from sklearn.metrics import homogeneity_completeness_v_measure

    rng = np.random.RandomState(seed)
    n, k = rng.randint(50, 3000), rng.randint(2, 300)
    y_true = rng.randint(0, 10, n)
    clusters = (y_true * 7 + rng.randint(0, 3, n)) % k if seed % 2 else rng.randint(0, k, n)
    counts = _counts(y_true, clusters, k + 3)  # three empty clusters too
    expected = tuple(float(x) for x in homogeneity_completeness_v_measure(y_true, clusters))
    assert metrics.homogeneity_completeness_v_measure_from_counts(counts) == expected


def test_scores_from_counts_of_one_class_or_one_cluster():
    assert metrics.homogeneity_completeness_v_measure_from_counts([[5, 3, 0]]) == (1.0, 0.0, 0.0)
    assert metrics.homogeneity_completeness_v_measure_from_counts([[5], [3]]) == (0.0, 1.0, 0.0)
