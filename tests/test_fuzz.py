"""Fuzzing the readers: random and damaged files give a valid value or the project's error, within memory.

Hypothesis with a fixed seed (derandomize) and a bounded number of examples, so the run is the same
every time and takes about 15 s here. The memory bound: 64 MB traced at peak per call.
"""

import gzip
import io
import tracemalloc

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from idx_files import idx_bytes

from core.data.idx import read_idx_bytes
from core.data.npz import read_npz
from core.data.uploads import dataset_from_upload
from core.errors import KMeansLabError

PEAK_BYTES = 64 * 2**20
FUZZ = settings(
    derandomize=True, max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, size=(14, 6, 6), dtype=np.uint8)
LABELS = (np.arange(14) % 10).astype(np.uint8)


def npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


SEEDS = [
    idx_bytes(IMAGES),
    gzip.compress(idx_bytes(IMAGES), mtime=0),
    npz_bytes(images=IMAGES, labels=LABELS),
    npz_bytes(images=IMAGES[:11], labels=LABELS[:11], test_images=IMAGES[11:], test_labels=LABELS[11:]),
]


@st.composite
def damaged(draw) -> bytes:
    """A valid file with bytes flipped, inserted or cut off, or random bytes."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=400))
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "insert", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[at:]
    return bytes(data)


def outcome_within_bounds(read):
    """Call `read`; a crash other than the project's error fails the test, as does memory over the bound."""
    tracemalloc.start()
    try:
        try:
            result = read()
        except KMeansLabError:
            result = None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"{peak:,} bytes traced"
    return result


@FUZZ
@given(damaged())
def test_the_idx_reader_returns_uint8_or_refuses(data):
    array = outcome_within_bounds(lambda: read_idx_bytes(data, "x-idx3-ubyte", max_bytes=2**20))
    assert array is None or array.dtype == np.uint8


@FUZZ
@given(damaged())
def test_the_npz_reader_returns_arrays_or_refuses(data):
    limits = {"max_members": 8, "max_member_bytes": 2**20, "max_total_bytes": 2**21}
    arrays = outcome_within_bounds(lambda: read_npz(data, name="x.npz", **limits))
    assert arrays is None or all(isinstance(a, np.ndarray) for a in arrays.values())


@FUZZ
@given(damaged(), st.sampled_from(["x.npz", "train-images-idx3-ubyte.gz"]))
def test_the_upload_reader_returns_a_dataset_or_refuses(data, name):
    if name.endswith(".npz"):
        files = [(name, data)]
    else:
        files = [
            (name, data),
            ("train-labels-idx1-ubyte", idx_bytes(LABELS)),
            ("t10k-images-idx3-ubyte", idx_bytes(IMAGES[:3])),
            ("t10k-labels-idx1-ubyte", idx_bytes(LABELS[:3])),
        ]
    dataset = outcome_within_bounds(lambda: dataset_from_upload(files))
    assert dataset is None or dataset.n_train >= 10
