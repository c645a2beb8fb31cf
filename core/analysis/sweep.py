"""Fit the classifier for many K and score each, with results cached on disk (the CLI is `core.cli`).

Preprocessing defaults to ``"auto"``: the measured best for the dataset (`default_preprocessing`).
``"none"`` is the tutorial's recipe (pixels / 255 straight into K-means).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, fields

from core.analysis import metrics
from core.analysis.prepared import PreparedCache
from core.data.dataset import Dataset
from core.model.cache import ResultCache, cache_key
from core.model.pipeline import FittedModel, fit_prepared
from core.model.preprocess import Preprocessing
from core.model.schema import model_to_arrays, split_params
from core.model.settings import (  # noqa: F401 (the defaults' home; importable from here too)
    DIGIT_PREPROCESSING,
    MIN_PREPROCESSED_SIDE,
    OTHER_PREPROCESSING,
    PREPROCESSING_CHOICES,
    default_preprocessing,
    is_handwriting,
    resolve_preprocessing,
)
from core.model.vote import ALGORITHMS
from core.threads import blas_threads, openmp_threads

#: The tutorial's K values.
DEFAULT_KS = (10, 16, 36, 64, 144, 256)
DEFAULT_RANDOM_STATE = 0
#: progress(fraction_done, message): called before each fit and once at the end.
ProgressCallback = Callable[[float, str], None]


@dataclass(frozen=True)
class SweepRow:
    """The scores of one K. Accuracies are by majority vote; homogeneity and friends on train.

    ``fit_seconds`` includes preprocessing the training images when this fit had to do it (the
    first uncached K of a sweep); the other K reuse that work. ``inertia`` is in the space K-means
    ran in, so it compares across K, not across preprocessing choices.
    """

    k: int
    fit_seconds: float
    inertia: float
    homogeneity: float
    completeness: float
    v_measure: float
    train_accuracy: float
    test_accuracy: float
    cached: bool = False


#: What a cache entry's record must hold, exactly.
ROW_FIELDS = tuple(field.name for field in fields(SweepRow))


def check_ks(ks: Sequence[int], n_train: int) -> list[int]:
    """Validate K values against the training set: each must be 2 <= K <= n_train."""
    ks = list(ks)
    if not ks:
        raise ValueError("give at least one K, e.g. 10,16,36.")
    for k in ks:
        if not isinstance(k, int) or k < 2:
            raise ValueError(f"K={k} is too small; K must be at least 2.")
        if k > n_train:
            raise ValueError(f"K={k} is larger than the training set ({n_train:,} images).")
    return ks


def model_params(
    k: int,
    *,
    algorithm: str = "minibatch",
    random_state: int | None = DEFAULT_RANDOM_STATE,
    preprocessing: Preprocessing = Preprocessing(),  # noqa: B008 (frozen, so shared safely)
) -> dict:
    """The model's parameters for one K (as `FittedModel.get_params`): what the cache is keyed by."""
    return {"n_clusters": k, "algorithm": algorithm, "random_state": random_state, **asdict(preprocessing)}


def fit_model(
    dataset: Dataset,
    k: int,
    *,
    algorithm: str = "minibatch",
    random_state: int | None = DEFAULT_RANDOM_STATE,
    cache: ResultCache | None = None,
    preprocessing: str | Preprocessing = "auto",
    prepared: PreparedCache | None = None,
) -> tuple[FittedModel, SweepRow]:
    """Fit (or load from the cache) the classifier for one K, and score it.

    Parameters
    ----------
    dataset : Dataset
    k : int
    algorithm : {"minibatch", "lloyd"}, default="minibatch"
    random_state : int or None, default=0
    cache : ResultCache, optional
        Fitted models on disk; None fits afresh and keeps nothing.
    preprocessing : "auto", "none" or Preprocessing, default="auto"
        "auto" is `default_preprocessing(dataset)`.
    prepared : PreparedCache, optional
        Where the preprocessed images are kept for the next K; None prepares them for this fit only.

    Returns
    -------
    model : FittedModel
    row : SweepRow with its scores; ``row.cached`` tells whether it came from the cache.
    """
    check_ks([k], dataset.n_train)
    prep = resolve_preprocessing(preprocessing, dataset)
    params = model_params(k, algorithm=algorithm, random_state=random_state, preprocessing=prep)
    return _fit_or_load(dataset, params, cache, PreparedCache() if prepared is None else prepared)


def _fit_or_load(dataset, params, cache, prepared, extra_seconds=0.0):
    """Load one K from the cache, or fit and score it (adding `extra_seconds` of shared work to its time)."""
    key = cache_key(dataset=dataset.fingerprint, **params)
    if cache is not None and (model_and_row := _load(cache, key, params)) is not None:
        return model_and_row
    vote_params, prep = split_params(params)
    start = time.perf_counter()
    images = prepared.prepared(dataset, prep)
    model = fit_prepared(images, dataset.train_labels, **vote_params)
    seconds = time.perf_counter() - start + extra_seconds
    row = _score(model, dataset, seconds, prepared.test_features(dataset, prep))
    if cache is not None:
        cache.save(key, model_to_arrays(model), asdict(row))
    return model, row


def _load(cache: ResultCache, key: str, params: dict) -> tuple[FittedModel, SweepRow] | None:
    """A cached model and its row, or None if there is none or it fails the cache's checks."""
    if (hit := cache.load(key, params, ROW_FIELDS)) is None:
        return None
    model, record = hit
    return model, SweepRow(**{**record, "cached": True})


def _score(model: FittedModel, dataset: Dataset, seconds: float, test_features) -> SweepRow:
    h, c, v = metrics.homogeneity_completeness_v_measure_from_counts(model.cluster_class_counts_.T)
    return SweepRow(
        k=model.n_clusters,
        fit_seconds=round(seconds, 4),
        inertia=model.inertia_,
        homogeneity=h,
        completeness=c,
        v_measure=v,
        train_accuracy=metrics.accuracy(dataset.train_labels, model.cluster_labels_[model.labels_]),
        test_accuracy=metrics.accuracy(dataset.test_labels, model.vote.predict(test_features)),
    )


def sweep_k(
    dataset: Dataset,
    ks: Sequence[int] = DEFAULT_KS,
    *,
    algorithm: str = "minibatch",
    random_state: int | None = DEFAULT_RANDOM_STATE,
    cache: ResultCache | None = None,
    progress: ProgressCallback | None = None,
    preprocessing: str | Preprocessing = "auto",
    n_jobs: int | None = None,
    prepared: PreparedCache | None = None,
) -> list[SweepRow]:
    """Fit and score every K in `ks`, in order; cached K values return at once.

    The images are preprocessed once for all K (and only if some K is not cached).

    Parameters
    ----------
    dataset : Dataset
    ks : sequence of int, default=(10, 16, 36, 64, 144, 256)
    algorithm : {"minibatch", "lloyd"}, default="minibatch"
    random_state : int or None, default=0
        The same seed gives the same results.
    cache : ResultCache, optional
        Where fitted models persist; None fits everything afresh.
    progress : callable(fraction, message), optional
        Always called from the calling thread, even when fits run in worker threads.
    preprocessing : "auto", "none" or Preprocessing, default="auto"
        See `fit_model`.
    n_jobs : int or None, default=None
        How many K to fit at once, in threads; None is `sweep_threads(algorithm, len(ks))`, the
        measured best. The clusters are the same whatever the number (Lloyd's inertia may differ
        in the last digits: one OpenMP thread per fit adds in another order).
    prepared : PreparedCache, optional
        Where the preprocessed images are kept; None keeps them for this sweep only.

    Returns
    -------
    rows : list of SweepRow, one per K, in the order given.
    """
    ks = check_ks(ks, dataset.n_train)
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm={algorithm!r} should be one of {ALGORITHMS}.")
    prep = resolve_preprocessing(preprocessing, dataset)
    params = [model_params(k, algorithm=algorithm, random_state=random_state, preprocessing=prep) for k in ks]
    jobs = sweep_threads(algorithm, len(ks)) if n_jobs is None else n_jobs
    if jobs < 1:
        raise ValueError(f"n_jobs={n_jobs!r} should be a positive integer, or None for the measured best.")
    prepared = PreparedCache() if prepared is None else prepared
    if jobs == 1:
        results = (_fit_or_load(dataset, p, cache, prepared)[1] for p in params)
        return _with_progress(results, ks, progress)
    return _sweep_in_threads(dataset, params, cache, prepared, jobs, progress)


def sweep_threads(algorithm: str, n_ks: int) -> int:
    """How many K to fit at once: 2 (on 2 or more cores), each fit on one OpenMP thread.

    Measured on Fashion-MNIST's 60,000 images, preprocessed, 6 K, on the shared 2-core machine:

    - minibatch, medians of 7: one K at a time with 2 OpenMP threads 8.7 s (1.2 to 21 s: its tiny
      parallel loops stall when another process holds a core), with 1 thread 1.4 s, two K at once
      1.4 s (best runs 1.2, 1.3 and 0.9 s);
    - Lloyd, medians of 3: one K at a time 18.8 s (best 8.4 s), two K at once 4.9 s (best 4.8 s);
    - processes instead of threads (joblib's loky): 0.7 s for minibatch once the workers run, but
      5 s to start them, so no gain for a sweep run once.

    `algorithm` is accepted for the day the answer differs between them; today it does not.
    """
    return max(1, min(2, os.cpu_count() or 1, n_ks))


def _with_progress(results, ks, progress):
    """Collect `results` (one row per K, produced lazily) and report progress before each one."""
    rows = []
    for i, k in enumerate(ks):
        if progress:
            progress(i / len(ks), f"Fitting K={k} ({i + 1} of {len(ks)})")
        rows.append(next(results))
    if progress:
        progress(1.0, f"Done: {len(ks)} values of K")
    return rows


def _fit_on_one_thread(dataset, params, cache, prepared, extra_seconds):
    with openmp_threads(1):  # this worker's K-means loops only; the other worker has the other core
        return _fit_or_load(dataset, params, cache, prepared, extra_seconds)


def _sweep_in_threads(dataset, params, cache, prepared, jobs, progress):
    """Fit K values `jobs` at a time in threads (scikit-learn's loops release the GIL), 1 OpenMP thread each.

    The images are prepared first, alone, so that step keeps every BLAS thread; during the fits
    BLAS is held at 1 thread (scikit-learn sets that limit around each fit; holding it here keeps
    concurrent fits from restoring each other's setting). Progress is reported from this thread.
    """
    keys = [cache_key(dataset=dataset.fingerprint, **p) for p in params]
    todo = [i for i, key in enumerate(keys) if cache is None or not cache.contains(key)]
    extra = [0.0] * len(params)
    if todo:
        start = time.perf_counter()
        prepared.prepared(dataset, split_params(params[todo[0]])[1])
        extra[todo[0]] = time.perf_counter() - start  # the first K to fit carries the shared work
    with blas_threads(1), ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [
            pool.submit(_fit_on_one_thread, dataset, p, cache, prepared, seconds)
            for p, seconds in zip(params, extra, strict=True)
        ]
        results = (future.result()[1] for future in futures)
        return _with_progress(results, [p["n_clusters"] for p in params], progress)
