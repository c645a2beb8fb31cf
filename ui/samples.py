"""Results computed on a repeatable sample of a dataset's training images, shared by every session.

The Map's positions and hover pictures (`map_sample`) and Step by step's K-means run (`kmeans_steps`):
cached like everything in `ui.caches`, per dataset, and read-only.
"""

from __future__ import annotations

import numpy as np

from core.analysis import projection
from core.data import registry as datasets
from core.figures.hover_pictures import hover_pictures
from core.model.settings import Preprocessing
from ui.caches import Unhashed, dataset_memo, per_dataset


@per_dataset(max_entries=8, resource=True)
def map_sample(
    dataset: datasets.Dataset,
    preprocessing: Preprocessing,
    size: int,
    method: str,
    pictured: int,
    model: Unhashed,
) -> tuple[np.ndarray, projection.Projection, list[str]]:
    """A repeatable sample of training images, its 2-D map, and the hover pictures of `pictured` of them.

    None of it depends on K: every model with this preprocessing shares it (`model` lends its fitted
    preprocessing), and only its centres are placed anew (`Projection.place`). Read-only, shared.
    Returns the sample's rows, the projection, and each image's picture ("" for those without).
    """
    rows = projection.sample_indices(dataset.n_train, size, seed=0)
    features = model.value.features(dataset.train_images[rows])
    placed = projection.fit_projection(features, method=method, random_state=0)
    pictures = [""] * len(rows)
    if pictured:
        chosen = projection.sample_indices(len(rows), pictured, seed=1)
        for i, picture in zip(chosen, hover_pictures(dataset.train_images[rows[chosen]]), strict=True):
            pictures[i] = picture
    return rows, placed, pictures


@per_dataset(max_entries=8, resource=True)
def kmeans_steps(dataset: datasets.Dataset, k: int, seed: int, sample_size: int, max_iter: int, max_k: int):
    """K-means on a sample of the training images (pixels 0-1), every step recorded. Shared: read-only.

    It starts from the first k of the rows k-means++ picks for `max_k` centres: picked once per
    sample, they serve every k up to `max_k` (k-means++ picks one row after another).
    """
    from core.model.stepwise import kmeans_plusplus_rows, lloyd_steps

    rows = projection.sample_indices(dataset.n_train, sample_size, seed=seed)
    pixels = dataset.train_images[rows].reshape(len(rows), -1).astype(np.float32) / 255
    most = min(max(max_k, k), len(rows))
    start = dataset_memo(
        dataset,
        ("k-means++ rows", seed, sample_size, most),
        lambda: kmeans_plusplus_rows(pixels, most, random_state=seed, n_trials=2 + int(np.log(most))),
    )
    # tol=0: run until no image changes centre, so the last step is where K-means really stops.
    return lloyd_steps(pixels, k, max_iter=max_iter, tol=0.0, start_rows=start[:k]), rows
