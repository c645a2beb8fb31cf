"""core.analysis.projection: PCA maps by hand, and UMAP both when installed and when missing."""

import sys
from types import SimpleNamespace

import numpy as np
import pytest

from core.analysis import projection
from core.analysis.projection import MissingDependencyError


def test_pca_puts_points_on_their_main_axes():
    # Points along x (spread 10) and y (spread 1): the first map axis is x, the second y.
    points = np.array([[-10, 0, 5], [10, 0, 5], [0, -1, 5], [0, 1, 5]], dtype=float)
    centers = np.array([[10, 1, 5], [0, 0, 5]], dtype=float)
    points_2d, centers_2d = projection.project_2d(points, centers)
    assert points_2d == pytest.approx(np.array([[-10, 0], [10, 0], [0, -1], [0, 1]]), abs=1e-9)
    assert centers_2d == pytest.approx(np.array([[10, 1], [0, 0]]), abs=1e-9)


def test_pca_is_repeatable_and_centres_land_amid_their_points():
    rng = np.random.default_rng(0)
    blobs = np.vstack([rng.normal(c, 0.1, size=(50, 20)) for c in (0.0, 3.0)])
    centers = np.vstack([blobs[:50].mean(axis=0), blobs[50:].mean(axis=0)])
    first = projection.project_2d(blobs, centers)
    second = projection.project_2d(blobs, centers)
    assert np.array_equal(first[0], second[0])
    points_2d, centers_2d = first
    assert centers_2d[0] == pytest.approx(points_2d[:50].mean(axis=0), abs=1e-6)


@pytest.mark.parametrize(
    ("points", "centers", "kwargs", "message"),
    [
        (np.zeros((5, 3)), np.zeros((2, 4)), {}, "same number of features"),
        (np.zeros((2, 3)), np.zeros((2, 3)), {}, "n_samples=2 should be >= 3"),
        (np.zeros((5, 3)), np.zeros((2, 3)), {"method": "tsne"}, "method='tsne' should be one of"),
    ],
)
def test_bad_input_is_explained(points, centers, kwargs, message):
    with pytest.raises(ValueError, match=message):
        projection.project_2d(points, centers, **kwargs)


@pytest.fixture
def umap_missing(monkeypatch):
    """Make `import umap` fail, as on a machine without umap-learn (None in sys.modules does that)."""
    monkeypatch.setitem(sys.modules, "umap", None)


def test_umap_missing_says_what_to_install(umap_missing):
    assert not projection.umap_available()
    with pytest.raises(MissingDependencyError, match="pip install umap-learn"):
        projection.project_2d(np.zeros((5, 3)), np.zeros((2, 3)), method="umap")


class FakeUMAP:
    """Stands in for umap.UMAP: records its arguments, projects by the first two features."""

    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def fit_transform(self, X):
        return X[:, :2] * 2

    def transform(self, X):
        return X[:, :2] * 2


def test_umap_when_installed_fits_points_and_places_centres(monkeypatch):
    monkeypatch.setitem(sys.modules, "umap", SimpleNamespace(UMAP=FakeUMAP))
    assert projection.umap_available()
    points = np.arange(15, dtype=float).reshape(5, 3)
    points_2d, centers_2d = projection.project_2d(points, points[:2], method="umap", random_state=7)
    assert points_2d == pytest.approx(points[:, :2] * 2)
    assert centers_2d == pytest.approx(points[:2, :2] * 2)


def test_sample_indices_are_sorted_distinct_and_repeatable():
    first = projection.sample_indices(100, 10, seed=3)
    assert len(set(first)) == 10 and list(first) == sorted(first)
    assert np.array_equal(first, projection.sample_indices(100, 10, seed=3))
    assert len(projection.sample_indices(5, 10)) == 5
    with pytest.raises(ValueError, match="size=0 should be at least 1"):
        projection.sample_indices(5, 0)


def test_a_fitted_projection_places_new_centres_where_project_2d_would():
    rng = np.random.default_rng(1)
    points, first, second = rng.normal(size=(40, 5)), rng.normal(size=(3, 5)), rng.normal(size=(7, 5))
    fitted = projection.fit_projection(points)
    for centers in (first, second):  # one projection, the centres of two models
        points_2d, centers_2d = projection.project_2d(points, centers)
        assert np.array_equal(fitted.points_2d, points_2d)
        assert fitted.place(centers) == pytest.approx(centers_2d)
    with pytest.raises(ValueError, match="with the 5 features the projection was fitted on"):
        fitted.place(np.zeros((2, 4)))
