"""Uploaded datasets: good ones load, and each bad one gets a message that says what was wrong."""

# ruff: noqa: E501  (the table of bad uploads reads best one case per line)

import gzip
import io
import pickle
import struct
import zipfile

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


def bomb_npz() -> bytes:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("images.npy", "w", force_zip64=True) as member,
    ):
        for _ in range(30):  # 480 MB of zeros, a few hundred KB compressed
            member.write(bytes(2**24))
    return buffer.getvalue()


def pickled_npz() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, images=np.array([{"a": 1}], dtype=object), labels=np.zeros(1, np.uint8))
    return buffer.getvalue()


@pytest.mark.parametrize(
    "files, message",
    [
        ([], "No file uploaded"),
        ([("empty.npz", b"")], "empty.npz: the file is empty"),
        ([("pickle.npz", pickle.dumps({"images": 1}))], "pickle.npz: not an .npz file"),
        ([("objects.npz", pickled_npz())], "holds Python objects, which the lab never unpickles"),
        ([("bomb.npz", bomb_npz())], r"bomb.npz: member images.npy would inflate to 480 MB, over the"),
        ([("x.npz", npz_bytes(pictures=IMAGES))], "x.npz: holds pictures; an .npz dataset needs 'images'"),
        ([("x.npz", npz_bytes(images=IMAGES.astype(float), labels=LABELS))], "'images' must be uint8"),
        ([("x.npz", npz_bytes(images=IMAGES, labels=LABELS[:49]))], r"'labels' must be whole numbers of shape \(50,\)"),
        ([("x.npz", npz_bytes(images=IMAGES, labels=LABELS + 200))], "labels run from 0 to 209; they must be"),
        ([("x.npz", npz_bytes(images=np.zeros((20, 100, 100), np.uint8), labels=np.zeros(20, np.uint8)))],
         "images of 100x100 pixels are outside the limit"),
        ([("x.npz", npz_bytes(images=IMAGES[:2], labels=LABELS[:2]))], "too few"),
        ([("x.npz", npz_bytes(images=IMAGES, labels=LABELS, test_images=IMAGES))], "only one of test_images"),
        (idx_upload()[:3], "Missing the test labels file"),
        (idx_upload()[:3] + [("notes.txt", b"hello")], "notes.txt: not a name the lab recognises"),
        (idx_upload(**{"train-labels-idx1-ubyte": idx_bytes(LABELS[:39])}), "holds 39 labels but train-images"),
        (idx_upload(**{"train-images-idx3-ubyte": b"\x00\x00\x08\x03" + b"\x00" * 3}), "truncated header"),
        (idx_upload(**{"t10k-images-idx3-ubyte": idx_bytes(IMAGES[40:], type_byte=0x0D)}), "type byte 0x0D"),
        (idx_upload(**{"t10k-labels-idx1-ubyte": struct.pack(">HBBI", 0, 8, 1, 2**32 - 1) + bytes(1000)}),
         "t10k-labels-idx1-ubyte: holds 4,294,967,295 labels but"),
    ],
)  # fmt: skip
def test_bad_uploads_say_what_is_wrong(files, message):
    with pytest.raises(DataFileError, match=message):
        dataset_from_upload(files)


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
