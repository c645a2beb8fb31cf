"""Uploaded datasets: good ones load, and each bad one gets a message that says what was wrong."""

import gzip
import io

import numpy as np
import pytest
from idx_files import idx_bytes

from core.data.uploads import MAX_IMAGES, MAX_UPLOAD_MB, dataset_from_upload
from core.errors import DataFileError

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, size=(50, 28, 28), dtype=np.uint8)
LABELS = (np.arange(50) % 10).astype(np.uint8)


def npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def idx_upload(gz=False, **overrides):
    arrays = {
        "train-images-idx3-ubyte": idx_bytes(IMAGES[:40]),
        "train-labels-idx1-ubyte": idx_bytes(LABELS[:40]),
        "t10k-images-idx3-ubyte": idx_bytes(IMAGES[40:]),
        "t10k-labels-idx1-ubyte": idx_bytes(LABELS[40:]),
    }
    arrays.update(overrides)
    if gz:
        return [(name + ".gz", gzip.compress(data)) for name, data in arrays.items()]
    return list(arrays.items())


def test_npz_upload_splits_off_a_fifth_for_testing():
    dataset = dataset_from_upload([("mine.npz", npz_bytes(images=IMAGES, labels=LABELS))])
    assert (dataset.n_train, dataset.n_test) == (40, 10)
    assert dataset.title == "Your upload (50 images, 28x28)"
    assert "stays in this browser session" in dataset.credit


def test_npz_upload_with_its_own_test_split():
    data = npz_bytes(images=IMAGES[:30], labels=LABELS[:30], test_images=IMAGES[30:], test_labels=LABELS[30:])
    dataset = dataset_from_upload([("mine.npz", data)])
    assert (dataset.n_train, dataset.n_test) == (30, 20)


def test_an_upload_of_ten_digit_classes_is_handwriting_unless_declared_otherwise():
    data = [("mine.npz", npz_bytes(images=IMAGES, labels=LABELS))]
    assert dataset_from_upload(data).kind == "handwriting"
    assert dataset_from_upload(data, kind="other").kind == "other"
    three_classes = [("mine.npz", npz_bytes(images=IMAGES, labels=LABELS % 3))]
    assert dataset_from_upload(three_classes).kind == "other"


def test_an_npz_with_too_many_arrays_is_refused_before_reading(monkeypatch):
    monkeypatch.setattr("core.data.uploads.MAX_NPZ_MEMBERS", 3)
    data = npz_bytes(images=IMAGES, labels=LABELS, test_images=IMAGES, test_labels=LABELS)
    with pytest.raises(DataFileError, match="mine.npz: holds 4 members, more than the 3 allowed"):
        dataset_from_upload([("mine.npz", data)])


@pytest.mark.parametrize("gz", [False, True])
def test_four_idx_files_plain_or_gzipped(gz):
    dataset = dataset_from_upload(idx_upload(gz=gz))
    assert (dataset.n_train, dataset.n_test, dataset.image_shape) == (40, 10, (28, 28))
    np.testing.assert_array_equal(dataset.test_images, IMAGES[40:])


def test_too_many_images_states_the_limit(monkeypatch):
    monkeypatch.setattr("core.data.uploads.MAX_IMAGES", 40)
    with pytest.raises(DataFileError, match="50 images is over the limit of 40"):
        dataset_from_upload([("x.npz", npz_bytes(images=IMAGES, labels=LABELS))])
    assert MAX_IMAGES == 100_000


def test_oversized_file_states_the_limit(monkeypatch):
    monkeypatch.setattr("core.data.uploads.MAX_UPLOAD_MB", 1)
    with pytest.raises(DataFileError, match="2 MB is over the 1 MB upload limit"):
        dataset_from_upload([("big.npz", bytes(2 * 2**20))])
    assert MAX_UPLOAD_MB == 200
