"""The safe .npz reader: good files read back exactly; every hostile one is refused by name, unread."""

import io
import os
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest

from core.data.npz import read_npz
from core.errors import DataFileError

LIMITS = {"max_members": 4, "max_member_bytes": 2**20, "max_total_bytes": 2**21}
IMAGES = np.random.default_rng(0).integers(0, 256, size=(20, 8, 8), dtype=np.uint8)


def npz_bytes(compressed=True, **arrays) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def npy_header(shape, descr="|u1") -> bytes:
    """A version 1.0 .npy header declaring `shape`, written by hand so it can lie about the data."""
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape!r}, }}"
    text += " " * (-(len(text) + 11) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1")


def zip_of(members: dict[str, bytes], method=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("compressed", [False, True])
def test_arrays_read_back_exactly_from_bytes_and_from_a_file(tmp_path, compressed):
    data = npz_bytes(compressed, images=IMAGES, labels=np.arange(20), meta=np.array("{}"))
    path = tmp_path / "data.npz"
    path.write_bytes(data)
    for source in (data, path):
        arrays = read_npz(source, **LIMITS)
        assert sorted(arrays) == ["images", "labels", "meta"]
        np.testing.assert_array_equal(arrays["images"], IMAGES)
        assert str(arrays["meta"]) == "{}"


@pytest.mark.parametrize(
    "members, message",
    [
        ({"notes.txt": b"hello"}, "up.npz: member notes.txt is not a .npy array"),
        ({"a.npy": b"not an array at all"}, "up.npz: member a.npy has no valid .npy header"),
        ({"a.npy": npy_header("(3,")[:-1] + b"\n"}, "up.npz: member a.npy has no valid .npy header"),
        ({"a.npy": npy_header((2, 2), descr="<x9")}, "up.npz: member a.npy has no valid .npy header"),
        ({"a.npy": npy_header((4,)) + bytes(2)}, "declares 4 bytes of data but it holds 2; the file"),
        ({"a.npy": npy_header((4,)) + bytes(9)}, "declares 4 bytes of data but it holds 9"),
        ({"a.npy": npy_header((1,), descr="|O") + bytes(8)}, "member a.npy holds Python objects"),
    ],
)  # fmt: skip
def test_members_that_are_not_plain_arrays_are_refused_by_name(members, message):
    with pytest.raises(DataFileError, match=message):
        read_npz(zip_of(members), name="up.npz", **LIMITS)


def test_a_huge_declared_shape_is_refused_before_anything_is_allocated():
    # 10^12 bytes declared in a file of a few hundred bytes: only the header may be read.
    data = zip_of({"images.npy": npy_header((1_000_000, 1000, 1000)) + bytes(64)})
    tracemalloc.start()
    try:
        with pytest.raises(DataFileError, match=r"member images.npy declares shape \(1000000, 1000, 1000\)"):
            read_npz(data, name="big.npz", **LIMITS)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20, f"{peak:,} bytes allocated while refusing"


def test_a_zip_bomb_is_refused_from_the_zip_directory_without_inflating():
    data = zip_of({"images.npy": npy_header((2**22,)) + bytes(2**22)}, zipfile.ZIP_DEFLATED)
    assert len(data) < 2**15  # a small file that inflates to 4 MB
    with pytest.raises(
        DataFileError, match="bomb.npz: member images.npy would inflate to 4 MB, over the 1 MB"
    ):
        read_npz(data, name="bomb.npz", **LIMITS)


def test_the_total_of_all_members_is_limited():
    half = np.zeros(2**19 + 1, np.uint8)  # each under the 1 MB member limit, together over 1 MB
    limits = {**LIMITS, "max_total_bytes": 2**20}
    with pytest.raises(DataFileError, match="x.npz: its arrays declare 1 MB together, over the 1 MB limit"):
        read_npz(npz_bytes(a=half, b=half), name="x.npz", **limits)


def test_too_many_members_are_refused_by_count():
    arrays = {f"a{i}": np.zeros(1) for i in range(5)}
    with pytest.raises(DataFileError, match="x.npz: holds 5 members, more than the 4 allowed"):
        read_npz(npz_bytes(**arrays), name="x.npz", **LIMITS)


def test_only_regular_files_are_opened(tmp_path):
    with pytest.raises(DataFileError, match="not a regular file"):
        read_npz(tmp_path, **LIMITS)
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)  # opening it would block forever: the reader must not
    with pytest.raises(DataFileError, match=f"{fifo}: not a regular file"):
        read_npz(fifo, **LIMITS)
    with pytest.raises(DataFileError, match="gone.npz: file not found"):
        read_npz(tmp_path / "gone.npz", **LIMITS)


def test_a_file_that_is_not_a_zip_says_how_to_make_one():
    with pytest.raises(DataFileError, match=r"x.npz: not an .npz file .* save the arrays with numpy.savez"):
        read_npz(b"just some bytes", name="x.npz", **LIMITS)


def test_damaged_compressed_data_is_a_data_file_error():
    data = bytearray(npz_bytes(images=IMAGES))
    start = data.index(b"images.npy") + 200  # inside the deflated payload, past the header
    data[start : start + 8] = bytes(8)
    with pytest.raises(DataFileError, match="member images.npy cannot be read"):
        read_npz(bytes(data), name="x.npz", **LIMITS)


def test_random_damage_gives_a_data_file_error_or_the_right_arrays():
    good = npz_bytes(images=IMAGES, labels=np.arange(20))
    rng = np.random.default_rng(1)
    for _ in range(1000):
        data = bytearray(good)
        for position in rng.integers(0, len(data), size=3):
            data[position] = rng.integers(0, 256)
        try:
            arrays = read_npz(bytes(data), name="x.npz", **LIMITS)
        except DataFileError as exc:
            assert str(exc).startswith("x.npz")
        else:  # damage the CRC cannot see (e.g. in a zip comment field) must not change the arrays
            np.testing.assert_array_equal(arrays["images"], IMAGES)
