"""The IDX reader: real files round-trip; every malformed file is rejected with a message naming it."""

import gzip
import struct

import numpy as np
import pytest
from idx_files import idx_bytes, write_idx, write_idx_dataset

from core.data.idx import read_idx
from core.data.registry import load_idx_folder
from core.errors import DataFileError

IMAGES = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_round_trip_plain_and_gzipped(tmp_path, name):
    path = write_idx(tmp_path / name, idx_bytes(IMAGES))
    array = read_idx(path, ndim=3)
    np.testing.assert_array_equal(array, IMAGES)
    assert array.dtype == np.uint8


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty or shorter than an IDX header"),
        (b"\x01\x02" + idx_bytes(IMAGES)[2:], "not an IDX file"),
        (idx_bytes(IMAGES.astype(np.uint8), type_byte=0x0D), r"type byte 0x0D \(float\) is not supported"),
        (idx_bytes(IMAGES, type_byte=0x0B), r"type byte 0x0B \(short\)"),
        (idx_bytes(IMAGES.reshape(2, 12)), "has 2 dimensions, expected 3"),
        (idx_bytes(IMAGES)[:-5], r"truncated: header declares shape \(2, 3, 4\) \(24 bytes of data\)"),
        (idx_bytes(IMAGES) + b"\x00\x00\x00", "followed by (3 )?trailing bytes"),
        (struct.pack(">HBBIII", 0, 8, 3, 2**32 - 1, 28, 28) + bytes(1000), "more than the"),
        (struct.pack(">HBBIII", 0, 8, 3, 2**20, 28, 28) + bytes(1000), "truncated"),
        (struct.pack(">HBB", 0, 8, 3) + b"\x00\x00", "truncated header"),
    ],
    ids=[
        "empty",
        "wrong-magic",
        "float-payload",
        "short-payload",
        "wrong-ndim",
        "truncated",
        "trailing-bytes",
        "header-claims-2^32-1-images",
        "header-claims-1M-images-in-1KB",
        "truncated-header",
    ],
)
def test_malformed_files_are_rejected_with_the_file_named(tmp_path, suffix, data, message):
    path = write_idx(tmp_path / ("bad-idx3-ubyte" + suffix), data)
    with pytest.raises(DataFileError, match=message) as info:
        read_idx(path, ndim=3)
    assert str(path) in str(info.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(DataFileError, match="bad-idx3-ubyte: file not found"):
        read_idx(tmp_path / "bad-idx3-ubyte")


def test_a_file_that_is_not_gzip_but_named_gz_is_rejected(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(b"this is not gzip data at all, just text pretending")
    with pytest.raises(DataFileError, match="not a valid gzip file"):
        read_idx(path)


def test_a_gzip_bomb_is_refused_before_decompressing(tmp_path):
    # 2 GiB of zeros declared by the header compresses to a few MB; the size limit stops it unread.
    header = struct.pack(">HBBIII", 0, 8, 3, 2_800_000, 28, 28)
    path = tmp_path / "bomb-idx3-ubyte.gz"
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(header)
        f.write(bytes(1 << 20))  # a little real data; the trailer says the size
    with pytest.raises(DataFileError, match="more than the 1,073,741,824-byte limit"):
        read_idx(path, ndim=3)


def test_folder_loads_both_splits(tmp_path):
    write_idx_dataset(tmp_path, n_train=30, n_test=10, shape=(8, 8))
    dataset = load_idx_folder(tmp_path)
    assert (dataset.n_train, dataset.n_test, dataset.image_shape) == (30, 10, (8, 8))


def test_folder_with_a_missing_file_says_which(tmp_path):
    paths = write_idx_dataset(tmp_path)
    paths["test", "labels"].unlink()
    with pytest.raises(DataFileError, match=r"missing t10k-labels-idx1-ubyte\[\.gz\]"):
        load_idx_folder(tmp_path)


def test_image_and_label_counts_must_match(tmp_path):
    paths = write_idx_dataset(tmp_path, n_train=30)
    write_idx(paths["train", "labels"], idx_bytes(np.zeros(29, np.uint8)))
    with pytest.raises(DataFileError, match="holds 29 labels but train-images-idx3-ubyte.gz holds 30 images"):
        load_idx_folder(tmp_path)


def test_labels_out_of_range_are_rejected(tmp_path):
    paths = write_idx_dataset(tmp_path, n_train=30)
    labels = np.zeros(30, np.uint8)
    labels[7] = 12
    write_idx(paths["train", "labels"], idx_bytes(labels))
    with pytest.raises(DataFileError, match="label 12 at position 7 is out of range; labels must be 0 to 9"):
        load_idx_folder(tmp_path)


def test_train_and_test_image_sizes_must_agree(tmp_path):
    paths = write_idx_dataset(tmp_path, n_test=20)
    write_idx(paths["test", "images"], idx_bytes(np.zeros((20, 8, 8), np.uint8)))
    with pytest.raises(DataFileError, match="must be the same size"):
        load_idx_folder(tmp_path)
