"""The K sweep: the tutorial's table, cached, with clean errors (its command line: test_cli.py)."""

import time

import numpy as np
import pytest

from core.analysis import prepared as sweep_prepare
from core.analysis.prepared import PreparedCache
from core.analysis.sweep import (
    DIGIT_PREPROCESSING,
    OTHER_PREPROCESSING,
    default_preprocessing,
    fit_model,
    resolve_preprocessing,
    sweep_k,
)
from core.data.registry import FASHION_NAMES, Dataset, load_dataset
from core.model.cache import ResultCache
from core.model.preprocess import Preprocessing


@pytest.fixture(scope="module")
def small():
    """The first 2,000 sample digits, for quick fits."""
    from core.data.registry import Dataset

    full = load_dataset("mnist-sample")
    return Dataset(
        name="small",
        title="small",
        train_images=full.train_images[:1500],
        train_labels=full.train_labels[:1500],
        test_images=full.test_images[:500],
        test_labels=full.test_labels[:500],
    )


def test_sweep_reports_progress_and_is_deterministic(small):
    calls = []
    first = sweep_k(small, [10, 20], random_state=7, progress=lambda f, m: calls.append((f, m)))
    again = sweep_k(small, [10, 20], random_state=7)
    assert [f for f, _ in calls] == [0.0, 0.5, 1.0]
    assert calls[0][1] == "Fitting K=10 (1 of 2)"
    strip = lambda rows: [{**r.__dict__, "fit_seconds": 0} for r in rows]  # noqa: E731
    assert strip(first) == strip(again)


def test_cache_returns_a_repeated_fit_at_once_and_refits_a_changed_parameter(small, tmp_path):
    cache = ResultCache(tmp_path)
    model, row = fit_model(small, 30, random_state=1, cache=cache)
    assert not row.cached
    start = time.perf_counter()
    again, hit = fit_model(small, 30, random_state=1, cache=cache)
    assert hit.cached and time.perf_counter() - start < row.fit_seconds + 0.5
    assert hit.test_accuracy == row.test_accuracy
    assert (again.predict(small.test_images) == model.predict(small.test_images)).all()
    _, other_seed = fit_model(small, 30, random_state=2, cache=cache)
    _, other_algo = fit_model(small, 30, random_state=1, algorithm="lloyd", cache=cache)
    assert not other_seed.cached and not other_algo.cached
    assert len(list(tmp_path.glob("*.npz"))) == 3


def test_a_damaged_cache_entry_is_refitted(small, tmp_path):
    cache = ResultCache(tmp_path)
    fit_model(small, 12, cache=cache)
    for entry in tmp_path.glob("*.npz"):
        entry.write_bytes(b"garbage")
    _, row = fit_model(small, 12, cache=cache)
    assert not row.cached


def test_cached_sweep_runs_again_at_once(small, tmp_path):
    cache = ResultCache(tmp_path)
    sweep_k(small, [8, 16], cache=cache)
    rows = sweep_k(small, [8, 16, 24], cache=cache)
    assert [r.cached for r in rows] == [True, True, False]


@pytest.mark.parametrize(
    "ks, message",
    [([], "give at least one K"), ([10, 1], "K=1 is too small"), ([1501], "larger than the training set")],
)
def test_sweep_rejects_bad_k(small, ks, message):
    with pytest.raises(ValueError, match=message):
        sweep_k(small, ks)


def test_cache_keys_differ_when_preprocessing_differs(small, tmp_path):
    cache = ResultCache(tmp_path)
    choices = ["none", "auto", Preprocessing(deskew=True), Preprocessing(deskew=True, blur=0.5)]
    rows = [fit_model(small, 15, cache=cache, preprocessing=p)[1] for p in choices]
    assert not any(row.cached for row in rows)
    assert len(list(tmp_path.glob("*.npz"))) == len(choices)
    _, again = fit_model(small, 15, cache=cache, preprocessing=Preprocessing(deskew=True, blur=0.5))
    assert again.cached and again.test_accuracy == rows[-1].test_accuracy


def test_auto_is_the_measured_default_and_is_what_an_explicit_choice_gives(small, tmp_path):
    assert resolve_preprocessing("auto", small) == DIGIT_PREPROCESSING
    assert resolve_preprocessing("none", small) == Preprocessing()
    cache = ResultCache(tmp_path)
    fit_model(small, 15, cache=cache)
    _, row = fit_model(small, 15, cache=cache, preprocessing=DIGIT_PREPROCESSING)
    assert row.cached
    with pytest.raises(ValueError, match="preprocessing='best' should be one of .'auto', 'none'."):
        fit_model(small, 15, preprocessing="best")


def test_defaults_deskew_handwriting_only(small):
    clothes = Dataset(
        name="fashion-mnist",
        title="clothes",
        train_images=small.train_images,
        train_labels=small.train_labels,
        test_images=small.test_images,
        test_labels=small.test_labels,
        class_names=FASHION_NAMES,
    )
    assert default_preprocessing(small).deskew and not default_preprocessing(clothes).deskew
    assert default_preprocessing(clothes) == OTHER_PREPROCESSING
    assert default_preprocessing(load_dataset("digits")) == Preprocessing()  # 8x8: too small to help


def test_a_sweep_preprocesses_once_and_not_at_all_when_cached(small, tmp_path, monkeypatch):
    calls = []
    prepare = sweep_prepare.prepare
    monkeypatch.setattr(sweep_prepare, "prepare", lambda *args, **kw: calls.append(1) or prepare(*args, **kw))
    cache = ResultCache(tmp_path)
    sweep_k(small, [8, 16, 24], cache=cache)
    assert len(calls) == 1
    rows = sweep_k(small, [8, 16, 24], cache=cache)
    assert all(row.cached for row in rows) and len(calls) == 1
    rows = sweep_k(small, [8, 16, 24, 32], cache=cache)
    assert [r.cached for r in rows] == [True, True, True, False] and len(calls) == 2


def test_the_callers_prepared_cache_serves_every_k_until_forgotten(small, monkeypatch):
    calls = []
    prepare = sweep_prepare.prepare
    monkeypatch.setattr(sweep_prepare, "prepare", lambda *args, **kw: calls.append(1) or prepare(*args, **kw))
    prepared = PreparedCache()
    for k in (8, 16):
        fit_model(small, k, prepared=prepared)
    sweep_k(small, [10, 12], prepared=prepared)
    assert len(calls) == 1 and len(prepared) == 1
    prepared.forget(small.fingerprint)
    assert len(prepared) == 0
    fit_model(small, 8, prepared=prepared)
    assert len(calls) == 2
    fit_model(small, 8, prepared=prepared, preprocessing="none")  # another preprocessing takes the one slot
    assert len(calls) == 3 and len(prepared) == 1
    prepared.clear()
    assert len(prepared) == 0


def test_a_prepared_cache_needs_a_positive_size():
    with pytest.raises(ValueError, match="max_entries=0 should be a positive integer"):
        PreparedCache(0)


def test_a_cached_model_scores_like_a_fresh_one(small, tmp_path):
    cache = ResultCache(tmp_path)
    model, row = fit_model(small, 25, algorithm="lloyd", cache=cache)
    again, hit = fit_model(small, 25, algorithm="lloyd", cache=cache)
    assert hit.cached
    assert again.score(small.test_images, small.test_labels) == row.test_accuracy
    np.testing.assert_array_equal(again.cluster_centers_, model.cluster_centers_)
    np.testing.assert_array_equal(again.cluster_centers_model_space_, model.cluster_centers_model_space_)


def _thread_counts():
    from threadpoolctl import threadpool_info

    return sorted((pool["internal_api"], pool["num_threads"]) for pool in threadpool_info())


def test_fitting_two_k_at_once_gives_the_same_rows_and_restores_thread_limits(small):
    before = _thread_counts()
    together = sweep_k(small, [6, 12, 18], random_state=4, n_jobs=2)
    assert _thread_counts() == before
    one_by_one = sweep_k(small, [6, 12, 18], random_state=4, n_jobs=1)
    strip = lambda rows: [{**r.__dict__, "fit_seconds": 0} for r in rows]  # noqa: E731
    assert strip(together) == strip(one_by_one)
    # Lloyd on one OpenMP thread sums in another order: the same clusters, inertia equal to round-off.
    lloyd = sweep_k(small, [6, 12], algorithm="lloyd", random_state=4, n_jobs=2)
    lloyd_one_by_one = sweep_k(small, [6, 12], algorithm="lloyd", random_state=4, n_jobs=1)
    for a, b in zip(lloyd, lloyd_one_by_one, strict=True):
        assert a.inertia == pytest.approx(b.inertia, rel=1e-5)
        assert a.homogeneity == b.homogeneity and a.test_accuracy == b.test_accuracy


def test_sweep_rejects_a_bad_n_jobs(small):
    with pytest.raises(ValueError, match="n_jobs=0 should be a positive integer, or None"):
        sweep_k(small, [5], n_jobs=0)
