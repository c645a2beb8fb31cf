"""What the pages show as pictures: the mean image of each class, and the cluster centres as images."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from core.data.dataset import Dataset

if TYPE_CHECKING:
    from core.model.pipeline import FittedModel


def class_means(dataset: Dataset) -> np.ndarray:
    """The mean training image of each class.

    Returns
    -------
    ndarray of shape (n_classes, height, width), uint8
        A class with no training images gives a black image.
    """
    # One sum per class: `np.add.at` over the images took 10 s for Fashion-MNIST's 60,000 on a busy machine.
    labels, images = dataset.train_labels, dataset.train_images
    sums = np.stack([images[labels == c].sum(axis=0, dtype=np.int64) for c in range(dataset.n_classes)])
    counts = np.bincount(labels, minlength=dataset.n_classes)
    means = sums / np.maximum(counts, 1)[:, None, None]
    return np.rint(means).astype(np.uint8)


def centroid_images(model: FittedModel) -> np.ndarray:
    """A fitted model's cluster centres, in pixel space, as uint8 images.

    Returns
    -------
    ndarray of shape (n_clusters, height, width), uint8
        Square images when the model was fitted on rows rather than images.
    """
    centers = model.cluster_centers_
    shape = model.image_shape_ or square_shape(centers.shape[1])
    images = np.rint(np.clip(centers, 0, 1) * 255).astype(np.uint8)
    return images.reshape(len(images), *shape)


def square_shape(n_pixels: int) -> tuple[int, int]:
    """(side, side) for a square number of pixels; a ValueError naming the number otherwise."""
    side = math.isqrt(n_pixels)
    if side * side != n_pixels:
        raise ValueError(f"n_pixels={n_pixels} is not a square number: cannot show it as a square image.")
    return side, side
