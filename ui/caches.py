"""Datasets, fitted models, sweeps and pictures, each computed once: Streamlit's caches, one mechanism.

A named dataset's results are shared by every session (`st.cache_*`, global scope); the session's
own upload has caches of its own session (``scope="session"``), which "Forget my upload" empties and
which end with the session. Nothing computed from an upload ever reaches another session.

scikit-learn and SciPy take a second to import and Explore needs neither: the functions that fit or
score import the model modules when first called, so a new server shows its first page sooner.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from core import config
from core.analysis.pictures import class_means as compute_class_means
from core.data import registry as datasets
from core.data.drawing import ink_box_fraction
from core.errors import KMeansLabError
from core.model.settings import Preprocessing, default_preprocessing
from ui.progress import clustering_seconds, loading_seconds, run_with_progress
from ui.settings import UPLOAD

if TYPE_CHECKING:
    from core.analysis.evaluation import Evaluation
    from core.analysis.prepared import PreparedCache
    from core.analysis.sweep import SweepRow
    from core.model.cache import ResultCache
    from core.model.pipeline import FittedModel

#: How many results computed from an upload a session keeps in each cache; the oldest goes first.
UPLOAD_ENTRIES = 8
#: The session-scoped caches, emptied when the session forgets its upload.
SESSION_CACHES: list = []


class Unhashed:
    """Wraps a value a cached function takes but that does not name the result (a builder, say)."""

    def __init__(self, value):
        self.value = value


def dataset_key(dataset: datasets.Dataset) -> str:
    """What identifies a dataset in a cache key: its name, or for an upload its content's fingerprint."""
    return dataset.fingerprint if dataset.name == UPLOAD else dataset.name


def per_dataset(*, max_entries: int, resource: bool = False):
    """Cache ``fn(dataset, ...)`` once per dataset and arguments; an upload's results per session.

    ``resource=True`` keeps the result itself (shared objects, read-only); otherwise callers get
    copies (`st.cache_data`). The other arguments must be hashable by Streamlit, or `Unhashed`.
    """

    def decorate(fn: Callable):
        cache = st.cache_resource if resource else st.cache_data
        options = {"show_spinner": False, "hash_funcs": {datasets.Dataset: dataset_key, Unhashed: id_free}}
        shared = cache(**options, max_entries=max_entries)(_named(fn, "shared"))
        private = cache(**options, max_entries=UPLOAD_ENTRIES, scope="session")(_named(fn, "session"))
        SESSION_CACHES.append(private)

        @functools.wraps(fn)
        def cached(dataset: datasets.Dataset, *args, **kwargs):
            return (private if dataset.name == UPLOAD else shared)(dataset, *args, **kwargs)

        return cached

    return decorate


def id_free(_value) -> int:
    """`Unhashed` values all hash alike: they never name a result."""
    return 0


def _named(fn: Callable, scope: str) -> Callable:
    """A wrapper of `fn` with its own cache name per scope (Streamlit names a cache after its function)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    wrapper.__qualname__ = f"{fn.__qualname__}[{scope}]"
    return wrapper


def forget_session_results() -> None:
    """Drop everything this session computed from its upload."""
    for cache in SESSION_CACHES:
        cache.clear()


# --- datasets --------------------------------------------------------------------------------


def uploaded_dataset() -> datasets.Dataset | None:
    """The dataset this session uploaded, or None. It lives in the session's state only."""
    return st.session_state.get("upload_dataset")


def load_dataset(name: str) -> datasets.Dataset:
    """A dataset by name: the session's upload for `UPLOAD`, else loaded once per server."""
    if name == UPLOAD:
        if (upload := uploaded_dataset()) is None:
            raise KMeansLabError("Your upload has gone (a new session?): upload it again in the sidebar.")
        return upload
    return _load_named_dataset(name)


@st.cache_resource(max_entries=4, show_spinner=False)
def _load_named_dataset(name: str) -> datasets.Dataset:
    """A named dataset, shared by every session (its arrays are read-only, so sharing is safe)."""
    return run_with_progress(
        lambda: datasets.load_dataset(name), "Loading the dataset…", loading_seconds(name)
    )


#: How long the list of named datasets (which are on disk) is kept before the disk is looked at again.
DATASET_LIST_SECONDS = 10


def dataset_infos() -> dict[str, datasets.DatasetInfo]:
    """Every dataset by name, with whether it can be loaded here.

    The session's own upload, if it has one, comes last as `UPLOAD`; no other session lists it.
    """
    infos = {info.name: info for info in _named_dataset_infos(str(config.data_dir()))}
    if (upload := uploaded_dataset()) is not None:
        infos[UPLOAD] = datasets.DatasetInfo(UPLOAD, upload.title, True)
    return infos


@st.cache_resource(ttl=DATASET_LIST_SECONDS, show_spinner=False)
def _named_dataset_infos(data_dir: str) -> tuple[datasets.DatasetInfo, ...]:
    """Which named datasets are on disk: 5 to 10 ms of looking, kept a few seconds, not redone per run."""
    return tuple(datasets.list_datasets(data_dir))


def forget_dataset_list() -> None:
    """Look at the disk again on the next `dataset_infos` (after a dataset was downloaded)."""
    _named_dataset_infos.clear()


def recommended_preprocessing(info: datasets.DatasetInfo) -> Preprocessing | None:
    """The dataset's measured best preprocessing, or None if the dataset is not available here."""
    if not info.available:
        return None
    try:
        return default_preprocessing(load_dataset(info.name))
    except KMeansLabError:
        return None  # the page reports the problem


# --- models and sweeps -----------------------------------------------------------------------


def result_cache() -> ResultCache:
    """The on-disk cache of fitted models (`core.config.cache_dir`)."""
    from core.model.cache import ResultCache

    return ResultCache(config.cache_dir())


@per_dataset(max_entries=24, resource=True)
def fit(
    dataset: datasets.Dataset, k: int, algorithm: str, seed: int, preprocessing: Preprocessing
) -> tuple[FittedModel, SweepRow]:
    """The classifier for these settings and its scores; a named dataset's fit also goes to disk."""
    from core.analysis.sweep import fit_model

    cache, prepared = disk_cache(dataset), prepared_images(dataset)  # Streamlit calls stay in this thread
    model, row = run_with_progress(
        lambda: fit_model(
            dataset,
            k,
            algorithm=algorithm,
            random_state=seed,
            preprocessing=preprocessing,
            cache=cache,
            prepared=prepared,
        ),
        f"Clustering {dataset.n_train:,} images into K = {k} groups…",
        clustering_seconds(dataset.n_train, k),
    )
    return model.freeze(), row  # read-only: no page can change what other sessions see


def disk_cache(dataset: datasets.Dataset) -> ResultCache | None:
    """The shared on-disk cache for a named dataset; none for an upload (it never leaves its session)."""
    return None if dataset.name == UPLOAD else result_cache()


@st.cache_resource(show_spinner=False)
def shared_prepared() -> PreparedCache:
    """The named datasets' preprocessed images, kept between fits of different K (one at a time)."""
    from core.analysis.prepared import PreparedCache

    return PreparedCache(max_entries=1)


@st.cache_resource(show_spinner=False, scope="session")
def session_prepared() -> PreparedCache:
    """The session's upload's preprocessed images, kept between fits of different K."""
    from core.analysis.prepared import PreparedCache

    return PreparedCache(max_entries=1)


SESSION_CACHES.append(session_prepared)


def prepared_images(dataset: datasets.Dataset) -> PreparedCache:
    """Where the dataset's preprocessed images are kept between fits: shared, or this session's."""
    return session_prepared() if dataset.name == UPLOAD else shared_prepared()


@per_dataset(max_entries=32)
def sweep_rows(
    dataset: datasets.Dataset, ks: tuple[int, ...], algorithm: str, seed: int, preprocessing: Preprocessing
) -> list[dict]:
    """Fit and score every K (with a progress bar while fitting); one dict per K, as `SweepRow`."""
    from core.analysis.sweep import sweep_k

    # The bar is made inside the cached function so Streamlit replays it on a cache hit.
    bar = st.progress(0.0, text="Preparing the sweep…")

    def report(fraction: float, message: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=message)

    rows = sweep_k(
        dataset,
        ks,
        algorithm=algorithm,
        random_state=seed,
        preprocessing=preprocessing,
        cache=disk_cache(dataset),
        progress=report,
        prepared=prepared_images(dataset),
    )
    bar.empty()
    return [asdict(row) for row in rows]


# --- pictures and figures --------------------------------------------------------------------


@per_dataset(max_entries=8)
def class_means(dataset: datasets.Dataset) -> np.ndarray:
    """The mean training image of each class, shape (n_classes, height, width), uint8."""
    return compute_class_means(dataset)


@per_dataset(max_entries=8)
def drawing_box_fraction(dataset: datasets.Dataset) -> float:
    """How much of the frame the dataset's images fill, so drawings are scaled to match."""
    return ink_box_fraction(dataset.train_images)


@per_dataset(max_entries=256, resource=True)
def _memo(dataset: datasets.Dataset, what: tuple, build: Unhashed):
    return build.value()


def dataset_memo(dataset: datasets.Dataset, what: tuple, build: Callable[[], object]):
    """``build()`` once per dataset and `what` (hashable): a figure or images a rerun reuses as is.

    The result itself is returned, not a copy: treat it as read-only.
    """
    return _memo(dataset, what, Unhashed(build))


@per_dataset(max_entries=32, resource=True)
def _chart_memo(dataset: datasets.Dataset, what: tuple, build: Unhashed):
    return build.value()


def chart_memo(dataset: datasets.Dataset, what: tuple, build: Callable[[], object]):
    """`dataset_memo` for finished charts, of which fewer are kept: a Map figure is up to 0.75 MB."""
    return _chart_memo(dataset, what, Unhashed(build))


# --- page results that depend on the model -----------------------------------------------------


def model_key(model: FittedModel) -> tuple:
    """What identifies a fitted model within its dataset: its parameters."""
    return tuple(sorted(model.get_params().items()))


@per_dataset(max_entries=8, resource=True)
def test_evaluation(dataset: datasets.Dataset, key: tuple, model: Unhashed) -> Evaluation:
    """The model's answers on the test split, once per dataset and model (`model_key`); read-only.

    Kept as is, not copied: a copy per rerun (`st.cache_data` pickles) cost 2-3 ms, the answers 0.6 ms.
    """
    from core.analysis import evaluation

    images, labels, names = dataset.test_images, dataset.test_labels, dataset.class_names
    features = test_features(dataset, model.value.preprocessing, model)
    result = evaluation.evaluate(model.value, images, labels, names, features=features)
    for array in (result.y_true, result.y_pred, result.nearest_cluster, result.confusion):
        array.flags.writeable = False
    return result


@per_dataset(max_entries=4, resource=True)
def test_features(dataset: datasets.Dataset, preprocessing: Preprocessing, model: Unhashed) -> np.ndarray:
    """The test images preprocessed as every model with this preprocessing does it (read-only)."""
    features = model.value.features(dataset.test_images)
    features.flags.writeable = False
    return features
