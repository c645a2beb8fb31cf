"""Datasets that users upload: four IDX files or one .npz, validated against stated limits.

Everything here works on bytes in memory, so an upload never touches the disk and stays with the
session that made it. Every problem raises `DataFileError` with a message that states the limit
or the fault and what to upload instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.data.dataset import Dataset, check_counts_match, check_images, check_labels
from core.data.idx import read_idx_bytes, read_idx_shape
from core.data.npz import read_npz
from core.errors import DataFileError

#: Largest upload accepted per file, in megabytes (also `server.maxUploadSize` in .streamlit/config.toml).
MAX_UPLOAD_MB = 200
#: Most images (train and test together) an upload may hold.
MAX_IMAGES = 100_000
#: Largest image side, in pixels.
MAX_IMAGE_SIDE = 64
#: Most classes an upload may have (labels 0 .. MAX_CLASSES - 1).
MAX_CLASSES = 100
#: Most arrays an uploaded .npz may hold (images, labels, test_images, test_labels and a few others).
MAX_NPZ_MEMBERS = 8
#: Share of an .npz's images kept for testing when it has no separate test arrays.
TEST_SHARE = 0.2
#: Fewest training images an upload may have (K-means needs room for K from 2 up).
MIN_TRAIN_IMAGES = 10
#: Most files one upload may hold: the four IDX files (an .npz comes alone).
MAX_UPLOAD_FILES = 4
#: Most bytes of decoded arrays a session may hold from uploads; the largest upload allowed fits.
MAX_SESSION_UPLOAD_BYTES = 512 * 2**20

_IDX_ROLES = {
    ("train", "images"): re.compile(r"^train[-_.]images"),
    ("train", "labels"): re.compile(r"^train[-_.]labels"),
    ("test", "images"): re.compile(r"^(t10k|test)[-_.]images"),
    ("test", "labels"): re.compile(r"^(t10k|test)[-_.]labels"),
}


def dataset_from_upload(
    files: Sequence[tuple[str, bytes]], name: str = "upload", kind: str | None = None
) -> Dataset:
    """Build a dataset from uploaded files: one ``.npz``, or the four IDX files.

    Parameters
    ----------
    files : sequence of (filename, content) pairs
        An .npz holding ``images`` (n, height, width) uint8 and ``labels`` (n,) — optionally also
        ``test_images`` and ``test_labels``; without them the last 20% are the test split — or the
        four IDX files named like ``train-images-idx3-ubyte[.gz]``, ``train-labels…``,
        ``t10k-images…`` (or ``test-images…``) and ``t10k-labels…``.
    name : str
        The dataset's name in the app.
    kind : {"handwriting", "other"} or None
        What the images show, if the uploader says so. None keeps the lab's rule for data of
        unknown kind (`Dataset`): ten classes 0-9 are treated as handwritten digits, anything else
        as other images, so an upload of 28x28 digits still gets the handwriting preprocessing.

    Raises
    ------
    DataFileError
        If a file is too large, malformed, or the set of files is incomplete.
    """
    if not files:
        raise DataFileError("No file uploaded: upload one .npz, or the four IDX files.")
    if len(files) > MAX_UPLOAD_FILES:
        raise DataFileError(
            f"{len(files)} files uploaded, more than the {MAX_UPLOAD_FILES} allowed: "
            "upload one .npz, or the four IDX files."
        )
    for filename, content in files:
        _check_size(filename, content)
    npz = [filename for filename, _ in files if filename.lower().endswith(".npz")]
    if npz and len(files) > 1:
        raise DataFileError(f"{npz[0]}: upload an .npz alone, or the four IDX files without it.")
    if npz:
        return _from_npz(*files[0], name=name, kind=kind)
    return _from_idx(files, name=name, kind=kind)


def check_session_budget(dataset: Dataset, held_bytes: int = 0) -> None:
    """Refuse an upload that would take the session over `MAX_SESSION_UPLOAD_BYTES` of decoded arrays.

    Parameters
    ----------
    dataset : Dataset
        The uploaded dataset, as `dataset_from_upload` returns it.
    held_bytes : int, default=0
        What the session already holds from uploads (0 when the new upload replaces the old one).

    Raises
    ------
    DataFileError
        If the dataset's arrays and `held_bytes` together exceed the budget.
    """
    arrays = (dataset.train_images, dataset.train_labels, dataset.test_images, dataset.test_labels)
    total = held_bytes + sum(array.nbytes for array in arrays)
    if total > MAX_SESSION_UPLOAD_BYTES:
        raise DataFileError(
            f"Your uploads would hold {total / 2**20:,.0f} MB, over this session's "
            f"{MAX_SESSION_UPLOAD_BYTES / 2**20:,.0f} MB budget; forget your upload, or upload fewer images."
        )


@dataclass(frozen=True)
class _Declared:
    """An array as its header declares it, before its data is read: enough for the shape checks."""

    shape: tuple[int, ...]
    dtype: np.dtype = np.dtype(np.uint8)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self) -> int:
        return self.shape[0] if self.shape else 0


def _check_declared_sizes(train_images: _Declared, test_images: _Declared) -> None:
    """The image count and size limits, checked on declared shapes before any payload is read."""
    n_images = len(train_images) + len(test_images)
    if n_images > MAX_IMAGES:
        raise DataFileError(f"{n_images:,} images is over the limit of {MAX_IMAGES:,}; upload fewer.")
    if len(train_images) < MIN_TRAIN_IMAGES or len(test_images) < 1:
        raise DataFileError(
            f"{len(train_images)} training and {len(test_images)} test images are too few; "
            f"upload at least {MIN_TRAIN_IMAGES} training images and 1 test image."
        )
    height, width = train_images.shape[1:]
    if max(height, width) > MAX_IMAGE_SIDE or min(height, width) < 2:
        raise DataFileError(
            f"images of {height}x{width} pixels are outside the limit: "
            f"each side must be 2 to {MAX_IMAGE_SIDE}."
        )
    if test_images.shape[1:] != (height, width):
        raise DataFileError(
            f"train images are {height}x{width} but test images are "
            f"{test_images.shape[1]}x{test_images.shape[2]}; they must be the same size."
        )


def _check_size(filename: str, content: bytes) -> None:
    if len(content) == 0:
        raise DataFileError(f"{filename}: the file is empty.")
    if len(content) > MAX_UPLOAD_MB * 2**20:
        raise DataFileError(
            f"{filename}: {len(content) / 2**20:,.0f} MB is over the {MAX_UPLOAD_MB} MB upload limit."
        )


def _max_bytes() -> int:
    return MAX_IMAGES * MAX_IMAGE_SIDE * MAX_IMAGE_SIDE


def _from_idx(files, name, kind):
    roles: dict[tuple[str, str], tuple[str, bytes]] = {}
    for filename, content in files:
        role = next((r for r, pattern in _IDX_ROLES.items() if pattern.match(filename.lower())), None)
        if role is None:
            raise DataFileError(
                f"{filename}: not a name the lab recognises; upload one .npz, or the four IDX files "
                "named train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and "
                "t10k-labels-idx1-ubyte (optionally .gz)."
            )
        if role in roles:
            raise DataFileError(f"{filename} and {roles[role][0]} are both {' '.join(role)}; upload one.")
        roles[role] = (filename, content)
    missing = [f"{split} {role}" for split, role in _IDX_ROLES if (split, role) not in roles]
    if missing:
        raise DataFileError(f"Missing the {', '.join(missing)} file(s): upload all four IDX files.")
    # Every header first: counts and sizes are checked together before any payload is inflated.
    declared = {
        (split, role): _Declared(read_idx_shape(content, filename, ndim=3 if role == "images" else 1))
        for (split, role), (filename, content) in roles.items()
    }
    for split in ("train", "test"):
        names = roles[split, "images"][0], roles[split, "labels"][0]
        check_counts_match(declared[split, "images"], declared[split, "labels"], *names)
    _check_declared_sizes(declared["train", "images"], declared["test", "images"])
    arrays = {
        key: read_idx_bytes(content, filename, max_bytes=math.prod(declared[key].shape))
        for key, (filename, content) in roles.items()
    }
    return _make_dataset(
        name,
        arrays["train", "images"],
        arrays["train", "labels"],
        arrays["test", "images"],
        arrays["test", "labels"],
        source="four IDX files uploaded in this session",
        kind=kind,
    )


def _from_npz(filename, content, name, kind):
    # Labels are at most 8 bytes a value; images at most MAX_IMAGE_SIDE squared bytes.
    arrays = read_npz(
        content,
        name=filename,
        max_members=MAX_NPZ_MEMBERS,
        max_member_bytes=_max_bytes(),
        max_total_bytes=_max_bytes() + 2 * 8 * MAX_IMAGES,
        check=lambda declared: _check_npz_declared(filename, declared),
    )
    images, labels = arrays["images"], arrays["labels"]
    if "test_images" in arrays:
        test_images, test_labels = arrays["test_images"], arrays["test_labels"]
    else:
        n_test = _n_test(len(images))
        images, test_images = images[:-n_test], images[-n_test:]
        labels, test_labels = labels[:-n_test], labels[-n_test:]
    return _make_dataset(
        name, images, labels, test_images, test_labels, f"{filename}, uploaded in this session", kind
    )


def _n_test(n_images: int) -> int:
    """How many of an .npz's images are kept for testing when it has no test arrays."""
    return max(1, round(n_images * TEST_SHARE))


def _check_npz_declared(filename: str, declared: dict) -> None:
    """Check the arrays an .npz declares (names, types, shapes, counts) before any is read."""
    arrays = {key: _Declared(shape, dtype) for key, (shape, dtype) in declared.items()}
    if not {"images", "labels"} <= set(arrays):
        raise DataFileError(
            f"{filename}: holds {', '.join(sorted(arrays)) or 'nothing'}; an .npz dataset needs "
            "'images' (n, height, width) uint8 and 'labels' (n,)."
        )
    if ("test_images" in arrays) != ("test_labels" in arrays):
        raise DataFileError(f"{filename}: has only one of test_images and test_labels; add both or neither.")
    for prefix in ("", "test_") if "test_images" in arrays else ("",):
        images, labels = arrays[f"{prefix}images"], arrays[f"{prefix}labels"]
        check_images(filename, f"{prefix}images", images)
        check_labels(filename, f"{prefix}labels", labels, len(images))
    images = arrays["images"]
    if "test_images" in arrays:
        _check_declared_sizes(images, arrays["test_images"])
        return
    n_train = len(images) - _n_test(len(images))
    if n_train < MIN_TRAIN_IMAGES:
        fewest = next(
            n for n in range(MIN_TRAIN_IMAGES, 3 * MIN_TRAIN_IMAGES) if n - _n_test(n) >= MIN_TRAIN_IMAGES
        )
        raise DataFileError(
            f"{filename}: {len(images)} images are too few: a fifth is kept for testing and the lab "
            f"needs {MIN_TRAIN_IMAGES} to train on; upload at least {fewest}."
        )
    side = images.shape[1:]
    _check_declared_sizes(_Declared((n_train, *side)), _Declared((len(images) - n_train, *side)))


def _make_dataset(name, train_images, train_labels, test_images, test_labels, source, kind):
    n_images = len(train_images) + len(test_images)
    height, width = train_images.shape[1:]
    top = int(max(train_labels.max(initial=0), test_labels.max(initial=0)))
    low = int(min(train_labels.min(initial=0), test_labels.min(initial=0)))
    if low < 0 or top >= MAX_CLASSES:
        raise DataFileError(
            f"labels run from {low} to {top}; they must be whole numbers from 0 to {MAX_CLASSES - 1}."
        )
    n_classes = max(top + 1, 2)
    return Dataset(
        name=name,
        title=f"Your upload ({n_images:,} images, {height}x{width})",
        train_images=np.ascontiguousarray(train_images),
        train_labels=train_labels.astype(np.int64),
        test_images=np.ascontiguousarray(test_images),
        test_labels=test_labels.astype(np.int64),
        class_names=tuple(str(c) for c in range(n_classes)),
        source=source,
        credit="Uploaded by you; it stays in this browser session.",
        kind=kind,
    )
