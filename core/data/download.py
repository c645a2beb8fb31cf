"""Fetch the four IDX files of MNIST or Fashion-MNIST once, through tensorflow-datasets' download manager.

Which datasets exist and where they live is the registry's business (`core.data.registry`): this
module knows only files, folders and addresses, and imports nothing from it. Only tfds' download
manager and the checksums tfds registers for these files are used, never TensorFlow. A mirror
(``$KMEANS_LAB_MIRROR_URL``, or ``mirror_url=``) serves the same files from another address; they
are still verified against tfds' registered checksums.
"""

from __future__ import annotations

import shutil
import socket
import urllib.parse
from pathlib import Path

from core import config
from core.data.idx import IDX_FILES
from core.errors import DatasetUnavailableError

FILENAMES = [stem + ".gz" for stem in IDX_FILES.values()]


def dataset_dir(name: str, data_dir: Path) -> Path:
    """The folder holding a downloaded dataset's four IDX files (also where to put them by hand)."""
    return Path(data_dir) / name


def registered_url_infos(base_url: str) -> dict:
    """The size and sha256 that tensorflow-datasets registers for each file under `base_url`.

    Parameters
    ----------
    base_url : str
        The official address of the dataset's four files, e.g. the registry entry's ``url``.

    Returns
    -------
    dict mapping filename (e.g. ``"train-images-idx3-ubyte.gz"``) to ``tfds`` ``UrlInfo``.
    """
    from tensorflow_datasets.core.download import checksums

    all_infos = checksums.get_all_url_infos()
    missing = [f for f in FILENAMES if base_url + f not in all_infos]
    if missing:
        raise DatasetUnavailableError(
            f"base_url={base_url!r}: tensorflow-datasets registers no checksum for {', '.join(missing)}; "
            "give the official address of an MNIST-style dataset."
        )
    return {filename: all_infos[base_url + filename] for filename in FILENAMES}


def download_idx_files(name: str, base_url: str, data_dir: Path, mirror_url: str | None = None) -> Path:
    """Download the four IDX files of `name`, verify tfds' checksums, and keep them in `data_dir`.

    Parameters
    ----------
    name : str
        The dataset's name, e.g. ``"mnist"``: the folder under `data_dir`, and the name in messages.
    base_url : str
        The official address tfds registers checksums for (the registry entry's ``url``).
    data_dir : Path
        The cache root; files end up in ``data_dir / name``.
    mirror_url : str, optional
        A base URL serving the same files; defaults to `core.config.mirror_url()`, else `base_url`.

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

    registered = registered_url_infos(base_url)
    base_url = mirror_url or config.mirror_url() or base_url
    base_url = base_url if base_url.endswith("/") else base_url + "/"
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
