"""Fetch MNIST and Fashion-MNIST once through tensorflow-datasets' download manager, then load offline.

Only tfds' download manager and the checksums tfds registers for these files are used, never
TensorFlow. A mirror (``$KMEANS_LAB_MIRROR_URL``, or ``mirror_url=``) serves the same files from
another address; they are still verified against tfds' registered checksums.
"""

from __future__ import annotations

import os
import shutil
import socket
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from core.data.registry import (
    DIGIT_NAMES,
    FASHION_CREDIT,
    FASHION_NAMES,
    IDX_FILES,
    MNIST_CREDIT,
    Dataset,
    load_idx_folder,
)
from core.errors import DatasetUnavailableError


@dataclass(frozen=True)
class RemoteDataset:
    """Where a downloadable dataset lives, as tensorflow-datasets registers it."""

    title: str
    base_url: str
    class_names: tuple[str, ...]
    credit: str
    download_mb: int


REMOTE_DATASETS = {
    "mnist": RemoteDataset(
        "MNIST (70,000 digits)",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        DIGIT_NAMES,
        MNIST_CREDIT,
        12,
    ),
    "fashion-mnist": RemoteDataset(
        "Fashion-MNIST (70,000 clothing images)",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        FASHION_NAMES,
        FASHION_CREDIT,
        31,
    ),
}
FILENAMES = [stem + ".gz" for stem in IDX_FILES.values()]
#: Copies a system package installs, used when the dataset has not been downloaded: Debian's
#: ``dataset-fashion-mnist`` puts the four Fashion-MNIST files here.
SYSTEM_COPIES = {"fashion-mnist": Path("/usr/share/datasets/fashion-mnist")}


def dataset_dir(name: str, data_dir: Path) -> Path:
    """The folder holding a downloaded dataset's four IDX files (also where to put them by hand)."""
    return Path(data_dir) / name


def is_cached(name: str, data_dir: Path) -> bool:
    """Whether the four IDX files of `name` are already in `data_dir` (no download needed)."""
    return is_cached_in(dataset_dir(name, data_dir))


def system_copy(name: str) -> Path | None:
    """The folder of a system package's copy of `name` holding all four files, or None."""
    folder = SYSTEM_COPIES.get(name)
    if folder is None or not is_cached_in(folder):
        return None
    return folder


def is_cached_in(folder: Path) -> bool:
    """Whether `folder` holds the four IDX files, plain or gzipped."""
    return all((folder / f).is_file() or (folder / f.removesuffix(".gz")).is_file() for f in FILENAMES)


def registered_url_infos(name: str) -> dict:
    """The size and sha256 that tensorflow-datasets registers for each of the dataset's files.

    Returns
    -------
    dict mapping filename (e.g. ``"train-images-idx3-ubyte.gz"``) to ``tfds`` ``UrlInfo``.
    """
    from tensorflow_datasets.core.download import checksums

    spec = REMOTE_DATASETS[name]
    all_infos = checksums.get_all_url_infos()
    return {filename: all_infos[spec.base_url + filename] for filename in FILENAMES}


def download_dataset(name: str, data_dir: Path, mirror_url: str | None = None) -> Path:
    """Download the four IDX files of `name`, verify tfds' checksums, and keep them in `data_dir`.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist"}
    data_dir : Path
        The cache root; files end up in ``data_dir / name``.
    mirror_url : str, optional
        A base URL serving the same files; defaults to ``$KMEANS_LAB_MIRROR_URL`` or the
        address tfds registers.

    Returns
    -------
    folder : Path holding the four verified files.

    Raises
    ------
    DatasetUnavailableError
        If a download fails or a file does not match its registered checksum.
    """
    # Imported here: tfds' download manager is heavy and only needed the first time.
    from tensorflow_datasets.core.download import DownloadManager
    from tensorflow_datasets.core.download.download_manager import NonMatchingChecksumError

    spec = REMOTE_DATASETS[name]
    base_url = mirror_url or os.environ.get("KMEANS_LAB_MIRROR_URL") or spec.base_url
    base_url = base_url if base_url.endswith("/") else base_url + "/"
    registered = registered_url_infos(name)
    urls = {filename: base_url + filename for filename in FILENAMES}
    # A mirror's files must match the checksums tfds registers for the official ones.
    url_infos = {urls[f]: registered[f] for f in FILENAMES}
    folder = dataset_dir(name, data_dir)
    _check_reachable(name, base_url, folder)
    manager = DownloadManager(
        download_dir=Path(data_dir) / "downloads",
        url_infos=url_infos,
        dataset_name=name,
        force_checksums_validation=True,
    )
    try:
        paths = manager.download(urls)
    except NonMatchingChecksumError as exc:
        bad = next((u for u in urls.values() if u in str(exc)), base_url)
        raise DatasetUnavailableError(
            f"{name}: the download of {bad} does not match the checksum tensorflow-datasets "
            "registers for it (a damaged or tampered file); it was not used. Try again, "
            f"or put the four IDX files in {folder} by hand."
        ) from None
    except Exception as exc:  # requests/urllib raise many types; all mean "no download"
        raise DatasetUnavailableError(
            f"{name}: download from {base_url} failed ({type(exc).__name__}). "
            f"Connect to the internet and try again, or put the four files "
            f"{', '.join(FILENAMES)} in {folder} by hand."
        ) from None
    folder.mkdir(parents=True, exist_ok=True)
    for filename, path in paths.items():
        shutil.copyfile(path, folder / filename)
    return folder


def _check_reachable(name: str, base_url: str, folder: Path, timeout: float = 5.0) -> None:
    """Fail in seconds, not minutes, when the server cannot be reached (tfds retries 10 times)."""
    parts = urllib.parse.urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=timeout).close()
    except OSError as exc:
        raise DatasetUnavailableError(
            f"{name}: download failed: cannot reach {parts.hostname}:{port} ({exc.strerror or exc}). "
            f"Connect to the internet and try again, or put the four files "
            f"{', '.join(FILENAMES)} in {folder} by hand."
        ) from None


def load_remote_dataset(name: str, data_dir: Path, mirror_url: str | None = None) -> Dataset:
    """Load `name` from `data_dir`, else from a system package's copy, else download it first."""
    spec = REMOTE_DATASETS[name]
    folder = dataset_dir(name, data_dir)
    source = f"{spec.base_url} via tensorflow-datasets' download manager"
    if not is_cached(name, data_dir):
        if (copy := system_copy(name)) is not None:
            folder, source = copy, f"the files a system package installed in {copy}"
        else:
            download_dataset(name, data_dir, mirror_url)
    return load_idx_folder(
        folder, name=name, title=spec.title, class_names=spec.class_names, source=source, credit=spec.credit
    )
