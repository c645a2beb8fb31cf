"""Full-size datasets through tensorflow-datasets' real download manager, over real loopback HTTP.

The internet is out of reach here, so a local HTTP server stands in for the dataset hosts (the
only mock in this file). For Fashion-MNIST it serves the exact upstream bytes, rebuilt from
Debian's `dataset-fashion-mnist` package, so tfds verifies them against the sizes and sha256
checksums it really registers.
"""

import dataclasses
import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from fashion_mnist_originals import ORIGINAL_HEADERS, rebuild_original
from idx_files import write_idx_dataset

from core.data.download import FILENAMES, registered_url_infos
from core.data.registry import REGISTRY, download_dataset, list_datasets, load_dataset
from core.errors import DatasetUnavailableError

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


class LoopbackServer:
    """A static file server on 127.0.0.1 that records the paths it was asked for."""

    def __init__(self, folder: Path):
        self.requests: list[str] = []
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, *args):
                server.requests.append(self.path)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    servers = []

    def start(folder):
        servers.append(LoopbackServer(folder))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def set_system_copy(monkeypatch, folder):
    """Point the Fashion-MNIST entry's system copy at `folder` (None: no system copy) for one test."""
    entry = dataclasses.replace(REGISTRY["fashion-mnist"], system_copy=folder)
    monkeypatch.setitem(REGISTRY, "fashion-mnist", entry)


def require_debian_fashion():
    """Skip without Debian's Fashion-MNIST files, except in CI, where their absence is a failure."""
    if not DEBIAN_FASHION.is_dir():
        message = "needs Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)"
        if os.environ.get("CI"):
            pytest.fail(message + "; .ci/run installs it")
        pytest.skip(message)


@pytest.fixture(scope="module")
def fashion_originals(tmp_path_factory):
    """The four upstream Fashion-MNIST files, byte for byte, in a folder to serve."""
    require_debian_fashion()
    folder = tmp_path_factory.mktemp("upstream")
    for filename in ORIGINAL_HEADERS:
        (folder / filename).write_bytes(rebuild_original(DEBIAN_FASHION / filename, filename))
    return folder


def test_tfds_registers_checksums_for_both_datasets():
    for name, train_images_size in [("mnist", 9_912_422), ("fashion-mnist", 26_421_880)]:
        infos = registered_url_infos(REGISTRY[name].url)
        assert sorted(infos) == sorted(FILENAMES)
        assert infos["train-images-idx3-ubyte.gz"].size == train_images_size
        assert all(len(info.checksum) == 64 for info in infos.values())


def test_an_address_tfds_does_not_register_is_refused_by_name():
    with pytest.raises(DatasetUnavailableError, match=r"base_url='http://example.org/': tensorflow-datasets"):
        registered_url_infos("http://example.org/")


def test_fashion_mnist_downloads_verifies_and_then_loads_offline(
    fashion_originals, serve, tmp_path, monkeypatch
):
    server = serve(fashion_originals)
    monkeypatch.setenv("KMEANS_LAB_MIRROR_URL", server.url)
    set_system_copy(monkeypatch, None)  # download, not Debian's copy
    dataset = load_dataset("fashion-mnist", data_dir=tmp_path)
    assert (dataset.n_train, dataset.n_test, dataset.image_shape) == (60_000, 10_000, (28, 28))
    assert dataset.class_names[9] == "Ankle boot"
    assert np.bincount(dataset.train_labels).tolist() == [6000] * 10
    assert sorted(server.requests) == sorted(f"/{name}" for name in FILENAMES)
    assert {info.name: info.available for info in list_datasets(tmp_path)}["fashion-mnist"]

    server.stop()
    again = load_dataset("fashion-mnist", data_dir=tmp_path)  # the server is gone: offline now
    assert again.fingerprint == dataset.fingerprint


def test_a_tampered_file_is_rejected_and_not_kept(fashion_originals, serve, tmp_path):
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    for filename in FILENAMES:
        data = bytearray((fashion_originals / filename).read_bytes())
        if filename == "train-labels-idx1-ubyte.gz":
            data[-100] ^= 0xFF
        (tampered / filename).write_bytes(bytes(data))
    server = serve(tampered)

    with pytest.raises(DatasetUnavailableError, match="does not match the checksum") as info:
        download_dataset("fashion-mnist", tmp_path / "data", mirror_url=server.url)
    assert "train-labels-idx1-ubyte.gz" in str(info.value)
    assert not (tmp_path / "data" / "fashion-mnist").exists()


def test_files_that_are_not_the_registered_mnist_are_rejected(serve, tmp_path):
    # Valid IDX files, but not the bytes tfds registers for MNIST: the checksums catch it.
    write_idx_dataset(tmp_path / "fake")
    server = serve(tmp_path / "fake")
    with pytest.raises(DatasetUnavailableError, match="mnist: the download of .* does not match"):
        download_dataset("mnist", tmp_path / "data", mirror_url=server.url)


def test_no_network_says_so_quickly_and_how_to_supply_files(tmp_path, serve, monkeypatch):
    server = serve(tmp_path)
    server.stop()  # a port nobody listens on
    monkeypatch.setenv("KMEANS_LAB_MIRROR_URL", server.url)
    with pytest.raises(DatasetUnavailableError) as info:
        load_dataset("mnist", data_dir=tmp_path / "data")
    message = str(info.value)
    assert message.startswith("mnist: download failed")
    assert "put the four files train-images-idx3-ubyte.gz" in message
    assert str(tmp_path / "data" / "mnist") in message


def test_files_put_in_place_by_hand_load_without_any_download(tmp_path):
    write_idx_dataset(tmp_path / "mnist", n_train=40, n_test=10)
    dataset = load_dataset("mnist", data_dir=tmp_path)
    assert (dataset.n_train, dataset.n_test) == (40, 10)


def test_a_system_packages_copy_is_used_without_downloading(tmp_path, monkeypatch):
    write_idx_dataset(tmp_path / "system", n_train=30, n_test=10)
    set_system_copy(monkeypatch, tmp_path / "system")
    monkeypatch.setenv("KMEANS_LAB_MIRROR_URL", "http://127.0.0.1:9/")  # a download would fail
    assert {i.name: i.available for i in list_datasets(tmp_path / "data")}["fashion-mnist"]
    dataset = load_dataset("fashion-mnist", data_dir=tmp_path / "data")
    assert (dataset.n_train, dataset.n_test, dataset.class_names[0]) == (30, 10, "T-shirt/top")
    assert dataset.kind == "other"  # the registry's word: clothes are not handwriting
    assert str(tmp_path / "system") in dataset.source
    assert not (tmp_path / "data" / "fashion-mnist").exists()


def test_an_idx_folder_that_is_a_known_system_copy_keeps_that_datasets_names_and_kind(tmp_path, monkeypatch):
    write_idx_dataset(tmp_path / "system", n_train=30, n_test=10)
    write_idx_dataset(tmp_path / "elsewhere", n_train=30, n_test=10)
    set_system_copy(monkeypatch, tmp_path / "system")
    copy = load_dataset(f"idx:{tmp_path / 'system'}")
    assert (copy.class_names[9], copy.kind) == ("Ankle boot", "other")
    # Any other folder of ten classes is taken as digits, as the lab always did.
    other = load_dataset(f"idx:{tmp_path / 'elsewhere'}")
    assert (other.class_names[9], other.kind) == ("9", "handwriting")


def test_debians_fashion_mnist_is_offered_in_the_picker(tmp_path):
    require_debian_fashion()
    assert {i.name: i.available for i in list_datasets(tmp_path)}["fashion-mnist"]
    dataset = load_dataset("fashion-mnist", data_dir=tmp_path)
    assert (dataset.n_train, dataset.n_test) == (60_000, 10_000)
