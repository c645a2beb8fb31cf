"""The result cache on disk: a shared folder whose entries may be damaged or tampered with.

Every bad entry is a miss (logged, refitted), never a crash or a hang; a failed write is logged and
the fit is still returned.
"""

import errno
import json
import logging
import os
import threading

import numpy as np
import pytest

from core.analysis.sweep import fit_model
from core.data.registry import load_dataset
from core.model.cache import RECORD_KEY, RESCAN_WRITES, ResultCache


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


@pytest.fixture
def cached(digits, tmp_path):
    """A cache folder holding one entry (K = 10 on the digits), and the entry's path."""
    cache = ResultCache(tmp_path / "results")
    _, row = fit_model(digits, 10, cache=cache)
    (entry,) = (tmp_path / "results").glob("*.npz")
    return cache, entry, row


def rewrite(entry, *, record=None, **arrays):
    """Write the entry again with its record text and some arrays replaced."""
    with np.load(entry, allow_pickle=False) as npz:
        content = {name: npz[name] for name in npz.files}
    if record is not None:
        content[RECORD_KEY] = np.array(record)
    content.update(arrays)
    with open(entry, "wb") as f:
        np.savez(f, **content)


def current_record(entry) -> dict:
    with np.load(entry, allow_pickle=False) as npz:
        return json.loads(str(npz[RECORD_KEY]))


def refits_with_a_warning(digits, cache, caplog, expected):
    with caplog.at_level(logging.WARNING, logger="core.model.cache"):
        model, row = fit_model(digits, 10, cache=cache)
    assert not row.cached
    assert model.score(digits.test_images, digits.test_labels) == row.test_accuracy
    assert "refitting" in caplog.text and expected in caplog.text, caplog.text


def test_an_intact_entry_is_served(digits, cached):
    cache, _, row = cached
    _, again = fit_model(digits, 10, cache=cache)
    assert again.cached and again.test_accuracy == row.test_accuracy


# One table of tampered entries: what was done to the file, and what the log says about it.
TAMPERED = [
    ("extra-record-key", lambda r: {**r, "colour": "red"}, None, "'colour'"),
    ("record-is-a-list", lambda r: list(r.values()), None, "JSON list, not an object"),
    ("record-misses-a-key", lambda r: {k: v for k, v in r.items() if k != "inertia"}, None, "are not"),
    ("score-is-text", lambda r: {**r, "test_accuracy": "perfect"}, None, "'test_accuracy' is 'perfect'"),
    ("score-is-nan", lambda r: {**r, "test_accuracy": float("nan")}, None, "not a finite number"),
    ("nan-centres", None, {"cluster_centers_": np.full((10, 64), np.nan)}, "holds NaN values"),
    ("labels-out-of-range", None, {"labels_": np.full(1437, 99)}, "cluster numbers from 0 to 9"),
    ("centres-wrong-shape", None, {"cluster_centers_model_space_": np.zeros((3, 64))}, "has shape (3, 64)"),
    ("unknown-array", None, {"payload": np.zeros(3)}, "unexpected array(s) payload"),
]


@pytest.mark.parametrize(
    ("record", "arrays", "expected"), [t[1:] for t in TAMPERED], ids=[t[0] for t in TAMPERED]
)
def test_a_tampered_entry_is_logged_and_refitted(digits, cached, caplog, record, arrays, expected):
    cache, entry, _ = cached
    text = None if record is None else json.dumps(record(current_record(entry)))
    rewrite(entry, record=text, **(arrays or {}))
    refits_with_a_warning(digits, cache, caplog, expected)


def test_deeply_nested_json_is_a_miss_not_a_recursion_error(digits, cached, caplog):
    cache, entry, _ = cached
    rewrite(entry, record="[" * 200_000 + "]" * 200_000)
    refits_with_a_warning(digits, cache, caplog, "recursion")


def test_garbage_in_place_of_an_entry_is_refitted(digits, cached, caplog):
    cache, entry, _ = cached
    entry.write_bytes(b"garbage")
    refits_with_a_warning(digits, cache, caplog, "not an .npz file")


def test_a_fifo_in_place_of_an_entry_does_not_hang(digits, cached, caplog):
    cache, entry, _ = cached
    entry.unlink()
    os.mkfifo(entry)
    done = threading.Event()
    results = []
    worker = threading.Thread(
        target=lambda: (results.append(fit_model(digits, 10, cache=cache)), done.set()), daemon=True
    )
    with caplog.at_level(logging.WARNING, logger="core.model.cache"):
        worker.start()
        finished = done.wait(timeout=60)
    if not finished:  # unblock the reader so the thread can end, then fail
        os.close(os.open(entry, os.O_WRONLY | os.O_NONBLOCK))
    assert finished, "loading a FIFO entry hung"
    assert not results[0][1].cached
    assert "not a regular file" in caplog.text


# --- writes that fail -------------------------------------------------------------------------------


def fit_into(digits, folder, caplog):
    with caplog.at_level(logging.WARNING, logger="core.model.cache"):
        model, row = fit_model(digits, 10, cache=ResultCache(folder))
    assert not row.cached
    assert model.score(digits.test_images, digits.test_labels) == row.test_accuracy
    assert "could not write to the result cache" in caplog.text, caplog.text


def test_a_file_in_place_of_the_cache_folder_is_logged_and_the_fit_returned(digits, tmp_path, caplog):
    (tmp_path / "results").write_text("not a folder")
    fit_into(digits, tmp_path / "results", caplog)


def test_a_cache_folder_under_a_file_is_logged_and_the_fit_returned(digits, tmp_path, caplog):
    (tmp_path / "file").write_text("not a folder")
    fit_into(digits, tmp_path / "file" / "results", caplog)


def test_a_full_disk_is_logged_the_fit_returned_and_no_temporary_file_left(
    digits, tmp_path, caplog, monkeypatch
):
    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    fit_into(digits, tmp_path / "results", caplog)
    assert list((tmp_path / "results").iterdir()) == []


# --- A bounded folder ------------------------------------------------------------------------------


def entries(folder) -> set[str]:
    return {path.name for path in folder.glob("*.npz")}


def test_the_folder_keeps_to_its_size_by_dropping_the_least_recently_used(digits, tmp_path):
    folder = tmp_path / "results"
    fit_model(digits, 10, cache=ResultCache(folder))
    (entry_size,) = {path.stat().st_size for path in folder.glob("*.npz")}
    cache = ResultCache(folder, max_mb=2.5 * entry_size / 2**20)  # room for two entries
    first = entries(folder)
    fit_model(digits, 11, cache=cache)
    second = entries(folder) - first
    past = os.stat(folder / next(iter(first))).st_mtime - 60
    for name in first | second:  # both written a minute ago; then K = 10 is read again
        os.utime(folder / name, (past, past))
    _, row = fit_model(digits, 10, cache=cache)
    assert row.cached

    fit_model(digits, 12, cache=cache)

    assert len(entries(folder)) == 2
    assert first <= entries(folder)  # read a moment ago, so kept
    assert not second & entries(folder)  # the least recently used went


def test_a_write_lists_the_folder_only_when_it_may_be_full(tmp_path, monkeypatch):
    # Listing a folder of 1,000 entries took 5.7 ms, on every fit: now only when it may be over its size.
    cache = ResultCache(tmp_path, max_mb=100)
    listed, prune = [], ResultCache.prune
    monkeypatch.setattr(ResultCache, "prune", lambda self: listed.append(1) or prune(self))
    arrays = {"centres": np.zeros((10, 10), dtype=np.float32)}
    for i in range(2 * RESCAN_WRITES):
        assert cache.save(f"entry{i}", arrays, {"k": i})
    assert len(entries(tmp_path)) == 2 * RESCAN_WRITES
    assert len(listed) == 2  # the first write, then once after RESCAN_WRITES writes


def test_entries_another_process_writes_count_within_rescan_writes(tmp_path):
    arrays = {"centres": np.zeros((100, 100), dtype=np.float32)}
    ResultCache(tmp_path).save("mine", arrays, {"k": 0})
    (size,) = {path.stat().st_size for path in tmp_path.glob("*.npz")}
    cache = ResultCache(tmp_path, max_mb=10.5 * size / 2**20)  # room for ten entries
    cache.save("mine", arrays, {"k": 0})  # this process now thinks the folder holds one entry
    for i in range(20):  # another app server fills it past its size
        (tmp_path / f"theirs{i}.npz").write_bytes((tmp_path / "mine.npz").read_bytes())
    for i in range(RESCAN_WRITES):
        cache.save(f"mine{i}", arrays, {"k": i})
    assert len(entries(tmp_path)) <= 10


def test_the_cache_size_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KMEANS_LAB_CACHE_MB", "3")
    assert ResultCache(tmp_path).max_bytes == 3 * 2**20
    monkeypatch.setenv("KMEANS_LAB_CACHE_MB", "lots")
    with pytest.raises(ValueError, match="KMEANS_LAB_CACHE_MB='lots' should be a whole number"):
        ResultCache(tmp_path)
