"""The K sweep and its command line: the tutorial's table, cached, with clean errors."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.cache import ResultCache
from core.datasets import load_dataset
from core.sweep import DEFAULT_KS, fit_model, main, sweep_k

PROJECT = Path(__file__).resolve().parent.parent


def run_cli(*args, cache_dir):
    env = {**os.environ, "KMEANS_LAB_CACHE_DIR": str(cache_dir)}
    return subprocess.run(
        [sys.executable, "-m", "core.sweep", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def tutorial_table(tmp_path_factory):
    """The tutorial's sweep (MiniBatch, K from 10 to 256, seed 0) on the sample, via the CLI."""
    result = run_cli("--json", cache_dir=tmp_path_factory.mktemp("cache"))
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_cli_reproduces_the_tutorials_table(tutorial_table):
    assert [row["k"] for row in tutorial_table] == list(DEFAULT_KS)
    assert set(tutorial_table[0]) == {
        "k", "fit_seconds", "inertia", "homogeneity", "completeness", "v_measure",
        "train_accuracy", "test_accuracy",
    }  # fmt: skip
    test_acc = [row["test_accuracy"] for row in tutorial_table]
    assert test_acc == sorted(test_acc), f"accuracy should rise with K: {test_acc}"
    assert test_acc[-1] >= 0.86, f"test accuracy at K=256 is {test_acc[-1]}"
    inertia = [row["inertia"] for row in tutorial_table]
    assert inertia == sorted(inertia, reverse=True)
    homogeneity = [row["homogeneity"] for row in tutorial_table]
    assert homogeneity == sorted(homogeneity)


def test_cli_prints_a_readable_table(tmp_path):
    result = run_cli("--k", "10,16", cache_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("MNIST sample (10,000 digits, bundled): 8,000 train / 2,000 test")
    assert "test acc" in lines[1]
    assert [line.split()[0] for line in lines[3:]] == ["10", "16"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dataset", "mnits"], "unknown dataset 'mnits'"),
        (["--k", "1"], "K=1 is too small; K must be at least 2"),
        (["--k", "10,ten"], "--k expects whole numbers separated by commas"),
        (["--k", "9000"], r"K=9000 is larger than the training set \(8,000 images\)"),
        (["--algorithm", "elkan"], "invalid choice: 'elkan'"),
        (["--dataset", "idx:/no/such/folder"], "/no/such/folder: not a folder"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(tmp_path, args, message):
    result = run_cli(*args, cache_dir=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert __import__("re").search(message, lines[0]), lines[0]


def test_cli_rejects_an_invalid_idx_folder_in_one_line(tmp_path, capsys):
    from idx_files import write_idx_dataset

    paths = write_idx_dataset(tmp_path / "idx")
    paths["train", "images"].write_bytes(b"\x1f\x8bnot really gzip")
    assert main(["--dataset", f"idx:{tmp_path / 'idx'}", "--k", "5"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "train-images-idx3-ubyte.gz: not a valid gzip file" in err


@pytest.fixture(scope="module")
def small():
    """The first 2,000 sample digits, for quick fits."""
    from core.datasets import Dataset

    full = load_dataset("mnist-sample")
    return Dataset(
        name="small",
        title="small",
        train_images=full.train_images[:1500],
        train_labels=full.train_labels[:1500],
        test_images=full.test_images[:500],
        test_labels=full.test_labels[:500],
    )


def test_sweep_reports_progress_and_is_deterministic(small):
    calls = []
    first = sweep_k(small, [10, 20], random_state=7, progress=lambda f, m: calls.append((f, m)))
    again = sweep_k(small, [10, 20], random_state=7)
    assert [f for f, _ in calls] == [0.0, 0.5, 1.0]
    assert calls[0][1] == "Fitting K=10 (1 of 2)"
    strip = lambda rows: [{**r.__dict__, "fit_seconds": 0} for r in rows]  # noqa: E731
    assert strip(first) == strip(again)


def test_cache_returns_a_repeated_fit_at_once_and_refits_a_changed_parameter(small, tmp_path):
    cache = ResultCache(tmp_path)
    model, row = fit_model(small, 30, random_state=1, cache=cache)
    assert not row.cached
    start = time.perf_counter()
    again, hit = fit_model(small, 30, random_state=1, cache=cache)
    assert hit.cached and time.perf_counter() - start < row.fit_seconds + 0.5
    assert hit.test_accuracy == row.test_accuracy
    assert (again.predict(small.test_images) == model.predict(small.test_images)).all()
    _, other_seed = fit_model(small, 30, random_state=2, cache=cache)
    _, other_algo = fit_model(small, 30, random_state=1, algorithm="lloyd", cache=cache)
    assert not other_seed.cached and not other_algo.cached
    assert len(list(tmp_path.glob("*.npz"))) == 3


def test_a_damaged_cache_entry_is_refitted(small, tmp_path):
    cache = ResultCache(tmp_path)
    fit_model(small, 12, cache=cache)
    for entry in tmp_path.glob("*.npz"):
        entry.write_bytes(b"garbage")
    _, row = fit_model(small, 12, cache=cache)
    assert not row.cached


def test_cached_sweep_runs_again_at_once(small, tmp_path):
    cache = ResultCache(tmp_path)
    sweep_k(small, [8, 16], cache=cache)
    rows = sweep_k(small, [8, 16, 24], cache=cache)
    assert [r.cached for r in rows] == [True, True, False]


@pytest.mark.parametrize(
    "ks, message",
    [([], "give at least one K"), ([10, 1], "K=1 is too small"), ([1501], "larger than the training set")],
)
def test_sweep_rejects_bad_k(small, ks, message):
    with pytest.raises(ValueError, match=message):
        sweep_k(small, ks)
