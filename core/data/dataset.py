"""`Dataset`, the immutable value every loader returns, and the checks its arrays must pass."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from core.errors import DataFileError

DIGIT_NAMES = tuple(str(d) for d in range(10))
#: What a dataset holds, which decides its default preprocessing (deskew and blur help handwriting only).
KINDS = ("handwriting", "other")


@dataclass(frozen=True, eq=False)
class Dataset:
    """One dataset: train and test images with their labels, and what to call and credit it.

    Arrays are read-only, so a `Dataset` can be shared (and cached) without copies.

    Attributes
    ----------
    name : str
        The name it is loaded by, e.g. ``"mnist-sample"``.
    title : str
        A human title, as the registry entry or the upload gives it.
    train_images, test_images : ndarray of shape (n, height, width), dtype uint8
        0 is background, 255 is full ink.
    train_labels, test_labels : ndarray of shape (n,), dtype uint8
        Class indices into `class_names`.
    class_names : tuple of str
    source : str
        Where the data came from, in one line.
    credit : str
        Who made it and its licence, in one line.
    kind : {"handwriting", "other"} or None
        What the images show; the registry declares it for every named dataset. None (not declared,
        e.g. an upload or an IDX folder) means ``"handwriting"`` when the classes are the ten digits
        0-9, as the lab has always treated such data, and ``"other"`` otherwise.
    """

    name: str
    title: str
    train_images: np.ndarray = field(repr=False)
    train_labels: np.ndarray = field(repr=False)
    test_images: np.ndarray = field(repr=False)
    test_labels: np.ndarray = field(repr=False)
    class_names: tuple[str, ...] = DIGIT_NAMES
    source: str = ""
    credit: str = ""
    kind: str | None = None

    def __post_init__(self):
        if self.kind is None:
            object.__setattr__(self, "kind", "handwriting" if self.class_names == DIGIT_NAMES else "other")
        if self.kind not in KINDS:
            raise ValueError(f"kind={self.kind!r} should be one of {', '.join(KINDS)}.")
        for split in ("train", "test"):
            images = getattr(self, f"{split}_images")
            labels = getattr(self, f"{split}_labels")
            _check_split(self.name, split, images, labels, len(self.class_names))
            for array in (images, labels):
                array.flags.writeable = False

    @property
    def image_shape(self) -> tuple[int, int]:
        """(height, width) of every image."""
        return tuple(self.train_images.shape[1:])

    @property
    def n_train(self) -> int:
        return len(self.train_images)

    @property
    def n_test(self) -> int:
        return len(self.test_images)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @cached_property
    def fingerprint(self) -> str:
        """A sha256 of the images and labels: the same data gives the same fingerprint."""
        digest = hashlib.sha256()
        for array in (self.train_images, self.train_labels, self.test_images, self.test_labels):
            digest.update(repr(array.shape).encode())
            digest.update(np.ascontiguousarray(array).data)
        return digest.hexdigest()[:16]


def _check_split(name, split, images, labels, n_classes):
    check_images(name, f"{split}_images", images)
    if labels.ndim != 1 or len(labels) != len(images):
        raise DataFileError(
            f"{name}: {len(images):,} {split} images but {len(labels):,} labels; they must match."
        )
    if len(images) == 0:
        raise DataFileError(f"{name}: the {split} split holds no images.")
    if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= n_classes:
        raise DataFileError(
            f"{name}: {split} labels must be whole numbers from 0 to {n_classes - 1}, "
            f"found values from {labels.min()} to {labels.max()}."
        )


def check_images(where: str, key: str, images: np.ndarray) -> None:
    """Raise `DataFileError` unless `images` is uint8 of shape (n, height, width); `where` names the file."""
    if images.dtype != np.uint8 or images.ndim != 3:
        raise DataFileError(
            f"{where}: '{key}' must be uint8 of shape (n, height, width), got {images.dtype} "
            f"of shape {images.shape}."
        )


def check_labels(where: str, key: str, labels: np.ndarray, n: int) -> None:
    """Raise `DataFileError` unless `labels` holds `n` whole numbers; `where` names the file."""
    if labels.dtype.kind not in "iu" or labels.shape != (n,):
        raise DataFileError(
            f"{where}: '{key}' must be whole numbers of shape ({n},), "
            f"got {labels.dtype} of shape {labels.shape}."
        )


def check_counts_match(images, labels, images_name, labels_name) -> None:
    """Raise `DataFileError` naming both files when images and labels differ in number."""
    if len(images) != len(labels):
        raise DataFileError(
            f"{labels_name}: holds {len(labels):,} labels but {images_name} holds "
            f"{len(images):,} images; they must match."
        )
