"""The catalogue of hostile files: each is refused with a message that says what is wrong, within bounds.

One table, one row a case: what the file is, and the fragment of the message the user sees. Below it,
the cases whose cost matters (time and memory) and the good files that must still be accepted.
"""

# ruff: noqa: E501  (the table reads best one case per line)

import functools
import gzip
import io
import json
import pickle
import struct
import time
import tracemalloc
import zipfile

import numpy as np
import pytest
from idx_files import idx_bytes

from core.data.dataset import Dataset
from core.data.idx import read_idx_bytes
from core.data.registry import load_dataset
from core.data.uploads import (
    MAX_IMAGE_SIDE,
    MAX_IMAGES,
    MAX_SESSION_UPLOAD_BYTES,
    check_session_budget,
    dataset_from_upload,
)
from core.errors import DataFileError
from core.model.persistence import META_KEY, export_model, import_model
from core.model.pipeline import fit_prepared, prepare

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, size=(50, 28, 28), dtype=np.uint8)
LABELS = (np.arange(50) % 10).astype(np.uint8)
IDX_HEADER = struct.Struct(">HBBIII")


def npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def idx_upload(n_train=40, gz=False, **overrides):
    files = {
        "train-images-idx3-ubyte": idx_bytes(IMAGES[:n_train]),
        "train-labels-idx1-ubyte": idx_bytes(LABELS[:n_train]),
        "t10k-images-idx3-ubyte": idx_bytes(IMAGES[40:]),
        "t10k-labels-idx1-ubyte": idx_bytes(LABELS[40:]),
    }
    if gz:
        files = {name + ".gz": gzip.compress(data) for name, data in files.items()}
    files.update(overrides)
    return list(files.items())


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


def gz_train_images(tail=b"", cut=0) -> dict:
    data = gzip.compress(idx_bytes(IMAGES[:40]))
    return {"train-images-idx3-ubyte.gz": data[: len(data) - cut] + tail}


def upload(files):
    return lambda: dataset_from_upload(files)


@functools.cache
def exported_model() -> bytes:
    digits = load_dataset("digits")
    model = fit_prepared(prepare(digits.train_images), digits.train_labels, 12, random_state=0)
    return export_model(model, dataset_name="digits", class_names=digits.class_names)


def model_import(params=None, **arrays):
    """Import the exported digits model with its `params` patched and `arrays` replaced."""

    def read():
        with np.load(io.BytesIO(exported_model()), allow_pickle=False) as npz:
            members = {key: npz[key] for key in npz.files}
        meta = json.loads(str(members.pop(META_KEY)))
        meta["params"].update(params or {})
        buffer = io.BytesIO()
        np.savez(buffer, **{META_KEY: np.array(json.dumps(meta))}, **{**members, **arrays})
        return import_model(buffer.getvalue())

    return read


def tiny_members_model(n: int):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(n):
            archive.writestr(f"junk{number}.npy", b"")
    return lambda: import_model(buffer.getvalue())


CATALOGUE = [
    ("nothing", "no file at all", upload([]), "No file uploaded"),
    ("empty", "an empty .npz", upload([("empty.npz", b"")]), "empty.npz: the file is empty"),
    ("pickle", "a pickle named .npz", upload([("pickle.npz", pickle.dumps({"images": 1}))]), "pickle.npz: not an .npz file"),
    ("objects", "an .npz of Python objects", upload([("objects.npz", pickled_npz())]), "holds Python objects, which the lab never unpickles"),
    ("npz-bomb", "480 MB of zeros in a small .npz", upload([("bomb.npz", bomb_npz())]), r"bomb.npz: member images.npy would inflate to 480 MB, over the"),
    ("no-images", "an .npz without 'images'", upload([("x.npz", npz_bytes(pictures=IMAGES))]), "x.npz: holds pictures; an .npz dataset needs 'images'"),
    ("float-images", "float images", upload([("x.npz", npz_bytes(images=IMAGES.astype(float), labels=LABELS))]), "'images' must be uint8"),
    ("labels-short", "49 labels for 50 images", upload([("x.npz", npz_bytes(images=IMAGES, labels=LABELS[:49]))]), r"'labels' must be whole numbers of shape \(50,\)"),
    ("labels-range", "labels up to 209", upload([("x.npz", npz_bytes(images=IMAGES, labels=LABELS + 200))]), "labels run from 0 to 209; they must be"),
    ("too-large-images", "100x100 images", upload([("x.npz", npz_bytes(images=np.zeros((20, 100, 100), np.uint8), labels=np.zeros(20, np.uint8)))]), "images of 100x100 pixels are outside the limit"),
    ("npz-2-images", "an .npz of 2 images", upload([("x.npz", npz_bytes(images=IMAGES[:2], labels=LABELS[:2]))]), "2 images are too few"),
    ("npz-11-images", "an .npz of 11 images (9 to train on)", upload([("x.npz", npz_bytes(images=IMAGES[:11], labels=LABELS[:11]))]), "11 images are too few: .* upload at least 12"),
    ("npz-2-train-images", "an .npz of 2 training images and its own test split", upload([("x.npz", npz_bytes(images=IMAGES[:2], labels=LABELS[:2], test_images=IMAGES, test_labels=LABELS))]), "2 training and 50 test images are too few; upload at least 10"),
    ("npz-over-image-count", "an .npz of 100,001 tiny images", upload([("x.npz", npz_bytes(images=np.zeros((MAX_IMAGES + 1, 2, 2), np.uint8), labels=np.zeros(MAX_IMAGES + 1, np.uint8)))]), "100,001 images is over the limit of 100,000"),
    ("half-test-split", "test_images without test_labels", upload([("x.npz", npz_bytes(images=IMAGES, labels=LABELS, test_images=IMAGES))]), "only one of test_images"),
    ("too-many-files", "five files", upload(idx_upload() + [("notes.txt", b"hello")]), "5 files uploaded, more than the 4 allowed"),
    ("npz-and-idx", "an .npz beside IDX files", upload(idx_upload()[:3] + [("x.npz", npz_bytes(images=IMAGES, labels=LABELS))]), "x.npz: upload an .npz alone"),
    ("idx-missing", "three IDX files", upload(idx_upload()[:3]), "Missing the test labels file"),
    ("idx-unknown-name", "an IDX set with a text file", upload(idx_upload()[:3] + [("notes.txt", b"hello")]), "notes.txt: not a name the lab recognises"),
    ("idx-1-train-image", "IDX with 1 training image", upload(idx_upload(n_train=1)), "1 training and 10 test images are too few; upload at least 10"),
    ("idx-counts-differ", "39 labels for 40 images", upload(idx_upload(**{"train-labels-idx1-ubyte": idx_bytes(LABELS[:39])})), "holds 39 labels but train-images"),
    ("idx-short-header", "an IDX header cut short", upload(idx_upload(**{"train-images-idx3-ubyte": b"\x00\x00\x08\x03" + b"\x00" * 3})), "truncated header"),
    ("idx-float", "IDX of floats", upload(idx_upload(**{"t10k-images-idx3-ubyte": idx_bytes(IMAGES[40:], type_byte=0x0D)})), "type byte 0x0D"),
    ("idx-2^32-labels", "IDX labels declaring 2^32-1 entries", upload(idx_upload(**{"t10k-labels-idx1-ubyte": struct.pack(">HBBI", 0, 8, 1, 2**32 - 1) + bytes(1000)})), "t10k-labels-idx1-ubyte: holds 4,294,967,295 labels but"),
    ("idx-size-wraps-int64", "a 16-byte IDX header declaring (2^22, 2^22, 2^20)", lambda: read_idx_bytes(IDX_HEADER.pack(0, 8, 3, 2**22, 2**22, 2**20), "x-idx3-ubyte", ndim=3), r"x-idx3-ubyte: header declares shape \(4194304, 4194304, 1048576\) \(18,446,744,073,709,551,616 bytes\), more than the"),
    ("gz-trailing-garbage", "IDX .gz followed by junk", upload(idx_upload(gz=True, **gz_train_images(tail=b"junk after the stream"))), "train-images-idx3-ubyte.gz: has data after the end of its gzip stream"),
    ("model-blur-1e7", "a model file with blur=1e7", model_import({"blur": 1e7}), "bad parameters: blur=10000000.0 should be a number from 0 to 2"),
    ("model-blur-inf", "a model file with blur=inf", model_import({"blur": float("inf")}), "bad parameters: blur=inf should be"),
    ("model-huge-centres", "a model whose centres are 1e38 (float32)", model_import(cluster_centers_model_space_=np.full((12, 64), 1e38, np.float32)), "'cluster_centers_model_space_' holds a value of size 1e\\+38, over the 1 a fitted model can hold"),
    ("model-0-pca", "a model with 0 PCA components", model_import({"pca_components": 0}), "bad parameters: pca_components=0 should be a whole number from 1"),
    ("model-200k-params", "a model naming 200,000 unknown parameters", model_import({f"p{n}": 0 for n in range(200_000)}), r"unknown parameter\(s\) p0, p1, p10, p100, p1000 … and 199,995 more; known"),
    ("model-20k-members", "a model file of 20,000 tiny members", tiny_members_model(20_000), "model.npz: holds 20,000 members, more than the 13 allowed"),
    ("gz-cut-short", "IDX .gz missing its last bytes", upload(idx_upload(gz=True, **gz_train_images(cut=6))), "train-images-idx3-ubyte.gz: truncated: the gzip stream stops before its end"),
]  # fmt: skip


@pytest.mark.parametrize(
    "what, read, message", [case[1:] for case in CATALOGUE], ids=[case[0] for case in CATALOGUE]
)
def test_each_hostile_file_is_refused_with_a_message_that_says_what_is_wrong(what, read, message):
    with pytest.raises(DataFileError, match=message):
        read()


def measured(read):
    """Run `read`, expecting a refusal; return (seconds, peak traced bytes, the error)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(DataFileError) as info:
            read()
        return time.perf_counter() - start, tracemalloc.get_traced_memory()[1], info.value
    finally:
        tracemalloc.stop()


def zip_of_empty_members(n: int) -> bytes:
    """A real zip64 archive of `n` empty stored members, every directory entry naming one local header."""
    name = b"a.npy"
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name
    entry = struct.pack(
        "<4s6H3L5H2L", b"PK\x01\x02", 45, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0, 0, 0
    )
    directory = (entry + name) * n
    end = len(local) + len(directory)
    record64 = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, n, n, len(directory), len(local))
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, end, 1)
    record = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return local + directory + record64 + locator + record


def test_a_zip_of_1_5_million_empty_members_is_refused_fast_from_its_end_record():
    data = zip_of_empty_members(1_500_000)
    assert len(zipfile.ZipFile(io.BytesIO(zip_of_empty_members(3))).infolist()) == 3  # a valid zip
    seconds, peak, error = measured(lambda: dataset_from_upload([("many.npz", data)]))
    assert "many.npz: holds 1,500,000 members, more than the 8 allowed" in str(error)
    assert seconds < 0.5 and peak < 2**20, f"{seconds:.2f} s, {peak:,} bytes"


def gz_declaring(n_images: int) -> bytes:
    """An IDX .gz whose header declares `n_images` 64x64 images, all zeros: 400 MB in 0.4 MB."""
    compressor = zlib_gzip()
    parts = [compressor.compress(IDX_HEADER.pack(0, 8, 3, n_images, 64, 64))]
    block = bytes(2**22)
    for _ in range(n_images * 64 * 64 // len(block)):
        parts.append(compressor.compress(block))
    return b"".join(parts) + compressor.flush()


def zlib_gzip():
    import zlib

    return zlib.compressobj(1, zlib.DEFLATED, 31)


def test_idx_gz_files_declaring_400_mb_each_are_refused_from_their_headers_with_low_memory():
    images = gz_declaring(100_000)  # 100,000 images, 409.6 MB of zeros, each file under the image limit
    labels = gzip.compress(struct.pack(">HBBI", 0, 8, 1, 100_000) + bytes(100_000))
    files = [
        ("train-images-idx3-ubyte.gz", images),
        ("train-labels-idx1-ubyte.gz", labels),
        ("t10k-images-idx3-ubyte.gz", images),
        ("t10k-labels-idx1-ubyte.gz", labels),
    ]
    seconds, peak, error = measured(lambda: dataset_from_upload(files))
    assert "200,000 images is over the limit of 100,000" in str(error)
    assert seconds < 0.5 and peak < 2**20, f"{seconds:.2f} s, {peak:,} bytes"


def test_an_idx_gz_is_never_inflated_past_what_its_header_declares():
    # A header declaring 10 labels, then 400 MB of zeros: refused having inflated a few MB at most.
    compressor = zlib_gzip()
    data = compressor.compress(struct.pack(">HBBI", 0, 8, 1, 10))
    data += b"".join(compressor.compress(bytes(2**22)) for _ in range(100)) + compressor.flush()
    seconds, peak, error = measured(lambda: read_idx_bytes(data, "labels.gz", ndim=1))
    assert "labels.gz: 10 bytes of data for shape (10,) are followed by trailing bytes" in str(error)
    assert peak < 2**20, f"{peak:,} bytes"


def test_a_multi_member_gzip_is_read_as_one_stream():
    # `cat a.gz b.gz` is valid gzip: the header in one member, the images in two more.
    data = idx_bytes(IMAGES[:40])
    members = gzip.compress(data[:16]) + gzip.compress(data[16:1000]) + gzip.compress(data[1000:])
    dataset = dataset_from_upload(idx_upload(gz=True, **{"train-images-idx3-ubyte.gz": members}))
    np.testing.assert_array_equal(dataset.train_images, IMAGES[:40])


def test_zero_padding_after_a_gzip_stream_is_allowed_as_gzip_allows_it():
    data = gzip.compress(idx_bytes(LABELS)) + bytes(512)
    np.testing.assert_array_equal(read_idx_bytes(data, "labels.gz", ndim=1), LABELS)


def test_ten_training_images_are_enough_in_both_formats():
    idx = dataset_from_upload(idx_upload(n_train=10))
    npz = dataset_from_upload([("x.npz", npz_bytes(images=IMAGES[:12], labels=LABELS[:12]))])
    assert (idx.n_train, npz.n_train, npz.n_test) == (10, 10, 2)


def test_the_session_budget_refuses_an_upload_beyond_it_and_fits_the_largest_allowed():
    dataset = dataset_from_upload([("x.npz", npz_bytes(images=IMAGES, labels=LABELS))])
    check_session_budget(dataset)  # 50 small images: well within
    with pytest.raises(DataFileError, match=r"over this session's 512 MB budget; forget your upload"):
        check_session_budget(dataset, held_bytes=MAX_SESSION_UPLOAD_BYTES - 1000)
    largest = Dataset.__new__(Dataset)  # the arrays only: the largest upload the limits allow
    arrays = {
        "train_images": np.broadcast_to(np.uint8(0), (MAX_IMAGES - 1, MAX_IMAGE_SIDE, MAX_IMAGE_SIDE)),
        "test_images": np.broadcast_to(np.uint8(0), (1, MAX_IMAGE_SIDE, MAX_IMAGE_SIDE)),
        "train_labels": np.zeros(MAX_IMAGES - 1, np.int64),
        "test_labels": np.zeros(1, np.int64),
    }
    for key, value in arrays.items():
        object.__setattr__(largest, key, value)
    check_session_budget(largest)
