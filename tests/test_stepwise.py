"""core.model.stepwise: K-means step by step, checked by hand and against scikit-learn."""

import numpy as np
import pytest
from sklearn.cluster import KMeans

from core.data.registry import load_mnist_sample
from core.model.stepwise import kmeans_plusplus_rows, lloyd_steps

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


def test_matches_sklearn_on_real_images_where_late_steps_move_few_centres():
    # Late steps recompute the distances to the moved centres only: the run must still be Lloyd's.
    X = load_mnist_sample().train_images[:1000].reshape(1000, -1).astype(np.float32) / 255
    steps = lloyd_steps(X, 12, max_iter=200, tol=0, random_state=3)
    assert steps.converged
    assert (steps.sizes[-1] == steps.sizes[-2]).all()  # the last step changed no image's centre
    reference = KMeans(12, init=steps.centers[0], n_init=1, tol=0, max_iter=200, algorithm="lloyd").fit(X)
    assert steps.centers[-1] == pytest.approx(reference.cluster_centers_, abs=1e-4)
    assert steps.inertia[-1] == pytest.approx(reference.inertia_, rel=1e-4)


def test_pixels_blank_in_every_image_stay_blank_in_every_centre_at_full_width():
    # The steps run without the blank border's columns (quicker), and give them back as zeros.
    X = load_mnist_sample().train_images[:600].reshape(600, -1).astype(np.float32) / 255
    blank = ~X.any(axis=0)
    assert blank.sum() > 50  # MNIST's border
    steps = lloyd_steps(X, 10, max_iter=100, tol=0, random_state=2)
    assert steps.centers.shape[1:] == (10, 784)
    assert (steps.centers[:, :, blank] == 0).all() and steps.centers[:, :, ~blank].any()
    reference = KMeans(10, init=steps.centers[0], n_init=1, tol=0, max_iter=100, algorithm="lloyd").fit(X)
    assert steps.centers[-1] == pytest.approx(reference.cluster_centers_, abs=1e-4)


def test_kmeans_plusplus_picks_one_row_per_far_apart_group_and_keeps_its_order_for_smaller_k():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.1, size=(50, 2)) for c in ((0, 0), (20, 0), (0, 20))])
    rows = kmeans_plusplus_rows(X, 3, random_state=4)
    assert sorted(row // 50 for row in rows) == [0, 1, 2]
    many = kmeans_plusplus_rows(X, 9, random_state=4, n_trials=3)
    assert len(set(many.tolist())) == 9
    assert kmeans_plusplus_rows(X, 5, random_state=4, n_trials=3).tolist() == many[:5].tolist()


def test_start_rows_are_the_first_centres():
    steps = lloyd_steps(TOY, 2, start_rows=[1, 2])
    assert steps.centers[0].tolist() == [[0, 2], [10, 0]]
    final = steps.centers[-1][np.argsort(steps.centers[-1][:, 0])]
    assert final == pytest.approx(np.array([[0, 1], [10, 1]]))


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
        (np.zeros((4, 2)), {"k": 2, "start_rows": [0, 4]}, r"row numbers of X \(0 to 3"),
        (np.zeros((4, 2)), {"k": 2, "start_rows": [0]}, "start_rows should be 2 row numbers"),
    ],
)
def test_bad_input_is_explained(X, kwargs, message):
    with pytest.raises(ValueError, match=message):
        lloyd_steps(X, **kwargs)


def test_bad_kmeans_plusplus_input_is_explained():
    with pytest.raises(ValueError, match="k=7 should be a whole number from 1 to n_samples=4"):
        kmeans_plusplus_rows(np.zeros((4, 2)), 7)
    with pytest.raises(ValueError, match="n_trials=0 should be a positive whole number"):
        kmeans_plusplus_rows(np.zeros((4, 2)), 2, n_trials=0)
