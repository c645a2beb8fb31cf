"""The quicker mini-batch draws are numpy's own, so the engine's fits are scikit-learn's default fits."""

import numpy as np
import pytest
from sklearn.cluster import MiniBatchKMeans

from core.data.registry import load_dataset
from core.model.pipeline import prepare
from core.model.random_draws import RepeatedChoiceRandomState, lookup_right
from core.model.settings import default_preprocessing
from core.model.vote import ClusterVoteClassifier
from core.threads import openmp_threads


@pytest.mark.parametrize("seed", [0, 3])
def test_weighted_draws_are_numpy_s_call_for_call(seed):
    numpy_s, ours = np.random.RandomState(seed), RepeatedChoiceRandomState(seed)
    weights = np.full(60_000, 1 / 60_000, dtype=np.float32)
    uneven = np.arange(1.0, 101.0) / np.arange(1.0, 101.0).sum()
    for _ in range(50):
        assert np.array_equal(ours.choice(60_000, 1024, p=weights), numpy_s.choice(60_000, 1024, p=weights))
        assert ours.choice(60_000, p=weights) == numpy_s.choice(60_000, p=weights)
        assert np.array_equal(ours.choice(100, (3, 4), p=uneven), numpy_s.choice(100, (3, 4), p=uneven))
        assert ours.randint(0, 1000) == numpy_s.randint(0, 1000)


def weights_of_kind(kind: str, n: int, rng) -> np.ndarray:
    if kind == "even":
        return np.ones(n)
    if kind == "float32 even":  # as scikit-learn passes them
        return np.full(n, 1 / n, dtype=np.float32)
    if kind == "random":
        return rng.random(n)
    if kind == "skewed with zeros":  # runs of equal entries in the table
        return np.where(rng.random(n) < 0.3, 0.0, rng.random(n) ** 8) + (np.arange(n) == n - 1)
    return np.where(np.arange(n) < n // 2, 3.0, 1.0)  # two levels


@pytest.mark.parametrize("kind", ["even", "float32 even", "random", "skewed with zeros", "two levels"])
def test_the_quick_lookup_finds_numpy_s_place_for_every_number(kind):
    # The lookup guesses each number's place as if the weights were even: it must still give numpy's
    # answer when they are not, and for numbers that fall on or a hair below a table entry.
    rng = np.random.default_rng(7)
    for n in (1, 2, 7, 1000, 8000, 60_000):
        weights = weights_of_kind(kind, n, rng)
        table = np.asarray(weights / weights.sum(), dtype=np.float64).cumsum()
        table /= table[-1]
        edges = table[:-1][:200]
        values = np.concatenate(
            [rng.random(5000), [0.0, np.nextafter(1.0, 0)], edges, np.nextafter(edges, 0)]
        )
        assert np.array_equal(lookup_right(table, values), table.searchsorted(values, side="right"))
        assert lookup_right(table, values[0]) == table.searchsorted(values[0], side="right")
        grid = values[:12].reshape(3, 4)
        assert np.array_equal(lookup_right(table, grid), table.searchsorted(grid, side="right"))


def test_bad_weights_are_refused_as_numpy_refuses_them():
    with pytest.raises(ValueError, match="probabilities"):
        RepeatedChoiceRandomState(0).choice(3, 2, p=np.array([0.5, 0.6, 0.2]))


@pytest.fixture(scope="module")
def digits():
    dataset = load_dataset("mnist-sample")
    return prepare(dataset.train_images, default_preprocessing(dataset)).features, dataset.train_labels


@pytest.mark.parametrize(("k", "seed"), [(10, 0), (117, 0), (256, 2)])
def test_the_engine_s_fit_is_scikit_learn_s_default_mini_batch_fit(digits, k, seed):
    rows, labels = digits
    model = ClusterVoteClassifier(k, random_state=seed).fit(rows, labels)
    with openmp_threads(1):
        default = MiniBatchKMeans(n_clusters=k, random_state=seed).fit(rows)
    assert np.array_equal(model.cluster_centers_, default.cluster_centers_)
    assert np.array_equal(model.labels_, default.labels_)
    assert model.inertia_ == pytest.approx(default.inertia_, rel=1e-12)
