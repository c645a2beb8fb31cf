"""core.model.stepwise: K-means step by step, checked by hand and against scikit-learn."""

import numpy as np
import pytest
from sklearn.cluster import KMeans

from core.data.registry import load_mnist_sample
from core.model.stepwise import lloyd_steps

# Two tight pairs far apart: K-means with K=2 finds them in one step.
TOY = np.array([[0, 0], [0, 2], [10, 0], [10, 2]], dtype=float)


def test_toy_converges_to_the_pair_means():
    steps = lloyd_steps(TOY, 2, random_state=0)
    assert steps.converged
    final = steps.centers[-1][np.argsort(steps.centers[-1][:, 0])]
    assert final == pytest.approx(np.array([[0, 1], [10, 1]]))
    assert steps.inertia[-1] == pytest.approx(4.0)  # each point is 1 from its pair's mean
    assert steps.sizes[-1].tolist() == [2, 2]


def test_shapes_and_inertia_never_rise():
    data = load_mnist_sample()
    X = data.train_images[:800].reshape(800, -1) / 255
    steps = lloyd_steps(X, 8, max_iter=15, random_state=1)
    n = steps.n_steps
    assert 1 <= n <= 15
    assert steps.centers.shape == (n + 1, 8, 784) and steps.centers.dtype == np.float32
    assert steps.inertia.shape == (n + 1,) and steps.sizes.shape == (n + 1, 8)
    assert (steps.sizes.sum(axis=1) == 800).all()
    assert (np.diff(steps.inertia) <= 1e-6 * steps.inertia[0]).all()
    assert steps.inertia[-1] < steps.inertia[0]


def test_same_seed_same_history_and_matches_sklearn_from_the_same_start():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 1.0, size=(60, 5)) for c in (0, 4, 8)])
    steps = lloyd_steps(X, 3, max_iter=100, tol=0, random_state=5)
    again = lloyd_steps(X, 3, max_iter=100, tol=0, random_state=5)
    assert np.array_equal(steps.centers, again.centers)
    reference = KMeans(3, init=steps.centers[0], n_init=1, tol=0, algorithm="lloyd").fit(X)
    assert steps.centers[-1] == pytest.approx(reference.cluster_centers_, abs=1e-4)
    assert steps.inertia[-1] == pytest.approx(reference.inertia_, rel=1e-5)


def test_an_empty_cluster_keeps_its_centre():
    # Three identical rows and K=2: both centres start on (5, 5), one takes every row, and the
    # other, with no rows to average, must stay at (5, 5) rather than fall to 0 or NaN.
    X = np.full((3, 2), 5.0)
    steps = lloyd_steps(X, 2, random_state=0)
    assert steps.sizes[-1].tolist() in ([3, 0], [0, 3])
    empty = int(np.argmin(steps.sizes[-1]))
    np.testing.assert_array_equal(steps.centers[-1][empty], [5, 5])
    assert steps.inertia[-1] == 0


@pytest.mark.parametrize(
    ("X", "kwargs", "message"),
    [
        (np.zeros((4, 2)), {"k": 5}, "k=5 should be a whole number from 1 to n_samples=4"),
        (np.zeros((4, 2)), {"k": 0}, "k=0 should be"),
        (np.zeros(4), {"k": 2}, "X should be 2D"),
        (np.zeros((4, 2)), {"k": 2, "max_iter": 0}, "max_iter=0 should be a positive"),
        (np.zeros((4, 2)), {"k": 2, "tol": -1}, "tol=-1 should be >= 0"),
    ],
)
def test_bad_input_is_explained(X, kwargs, message):
    with pytest.raises(ValueError, match=message):
        lloyd_steps(X, **kwargs)
