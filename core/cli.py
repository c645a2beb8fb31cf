"""The command line: cluster a dataset for several K and print the tutorial's table.

python -m core.cli --dataset mnist-sample --k 10,16,36,64,144,256 --json
python -m core.cli --preprocess none          # the tutorial's recipe
python -m core.cli --no-deskew --pca 0        # the defaults without deskewing and PCA

Exit codes: 0 done; 2 bad input (one line on stderr, never a traceback); 1 the output could not
be written: silently when the reader has gone (``--json | head -c 1``), with one line otherwise
(stdout on a full disk). A cache folder that cannot be written only warns: the fits are still shown.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import stat
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path

from core import config
from core.analysis.k_values import MAX_K, parse_ks
from core.analysis.sweep import (
    DEFAULT_KS,
    DEFAULT_RANDOM_STATE,
    PREPROCESSING_CHOICES,
    SweepRow,
    check_ks,
    resolve_preprocessing,
    sweep_k,
)
from core.data.registry import DEFAULT_DATASET, Dataset, load_dataset
from core.errors import KMeansLabError
from core.model.cache import ResultCache
from core.model.preprocess import MAX_BLUR, MAX_PCA_COMPONENTS, Preprocessing
from core.model.vote import ALGORITHMS

PROG = "python -m core.cli"
#: numpy's seeds are 32-bit.
MAX_RANDOM_STATE = 2**32 - 1
# ASCII only: str.isdigit and float() also take "١٢" (Arabic-Indic) and "1_0".
_DIGITS = re.compile(r"[0-9]{1,12}")
_DECIMAL = re.compile(r"[0-9]{1,6}(\.[0-9]{0,12})?|\.[0-9]{1,12}")


def format_table(rows: Sequence[SweepRow]) -> str:
    """The sweep as a plain-text table, one line per K."""
    header = (
        f"{'K':>5} {'fit s':>7} {'inertia':>12} {'homog.':>7} {'compl.':>7} "
        f"{'V-meas.':>7} {'train acc':>9} {'test acc':>9}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r.k:>5} {r.fit_seconds:>7.2f} {r.inertia:>12,.0f} {r.homogeneity:>7.4f} "
            f"{r.completeness:>7.4f} {r.v_measure:>7.4f} {r.train_accuracy:>9.4f} "
            f"{r.test_accuracy:>9.4f}" + ("  (cached)" if r.cached else "")
        )
    return "\n".join(lines)


class _OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _parse_ks(text: str) -> list[int]:
    # The K sweep page's rules: ASCII digits only, repeats removed, 2 <= K <= MAX_K; the training
    # set's size is checked once the dataset is loaded.
    try:
        return list(parse_ks(text, n_train=MAX_K))
    except KMeansLabError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _blur(text: str) -> float:
    value = float(text) if _DECIMAL.fullmatch(text.strip()) else math.nan
    if not 0 <= value <= MAX_BLUR:  # NaN fails too
        raise argparse.ArgumentTypeError(
            f"expects a number from 0 to {MAX_BLUR:g} (pixels; 0 turns blurring off), e.g. 0.7; got {text!r}"
        )
    return value


def _whole_number(largest: int, example: int) -> Callable[[str], int]:
    """An argparse type for a whole number from 0 to `largest`, in ASCII digits only."""

    def parse(text: str) -> int:
        digits = text.strip()
        if not (_DIGITS.fullmatch(digits) and int(digits) <= largest):
            raise argparse.ArgumentTypeError(
                f"expects a whole number from 0 to {largest:,}, e.g. {example}; got {text!r}"
            )
        return int(digits)

    return parse


def _folder(text: str) -> Path:
    path = Path(text).expanduser()
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return path  # made on the first download
    except OSError as exc:  # a symlink loop, a path through a file...
        raise argparse.ArgumentTypeError(
            f"{text!r} cannot be a folder ({exc.strerror}); give a folder where datasets can be kept"
        ) from None
    if not stat.S_ISDIR(mode):
        raise argparse.ArgumentTypeError(
            f"{text!r} is a file, not a folder; give a folder where datasets can be kept"
        )
    return path


def preprocessing_from_args(args: argparse.Namespace, dataset: Dataset) -> Preprocessing:
    """The CLI's `Preprocessing`: --preprocess's choice, with each step flag given applied on top."""
    prep = resolve_preprocessing(args.preprocess, dataset)
    changes = {}
    if args.deskew is not None:
        changes["deskew"] = args.deskew
    if args.blur is not None:
        changes["blur"] = args.blur
    if args.normalize is not None:
        changes["normalize"] = args.normalize
    if args.pca is not None:
        changes["pca_components"] = args.pca or None
    return replace(prep, **changes)


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog=PROG,
        description="Cluster a dataset with K-means for several K and report the tutorial's table.",
    )
    parser.add_argument(
        "--dataset",
        default=DEFAULT_DATASET,
        help="mnist-sample (default), mnist, fashion-mnist, digits or idx:FOLDER",
    )
    parser.add_argument(
        "--k",
        type=_parse_ks,
        default=list(DEFAULT_KS),
        help="comma-separated K values (default 10,16,36,64,144,256)",
    )
    parser.add_argument(
        "--algorithm",
        choices=ALGORITHMS,
        default="minibatch",
        help="minibatch (fast, default) or lloyd (full K-means, the precise mode)",
    )
    prep = parser.add_argument_group(
        "preprocessing",
        "--preprocess picks a starting point; the flags after it change one step each.",
    )
    prep.add_argument(
        "--preprocess",
        choices=PREPROCESSING_CHOICES,
        default="auto",
        help="auto: the measured best for the dataset (default); none: the tutorial's recipe",
    )
    prep.add_argument(
        "--deskew", action=argparse.BooleanOptionalAction, default=None, help="straighten slanted images"
    )
    prep.add_argument(
        "--blur", type=_blur, metavar="SIGMA", help=f"Gaussian blur in pixels, 0 to {MAX_BLUR:g} (0: off)"
    )
    prep.add_argument(
        "--normalize",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="scale each image to unit length",
    )
    prep.add_argument(
        "--pca",
        type=_whole_number(MAX_PCA_COMPONENTS, 50),
        metavar="N",
        help=f"PCA to N components, up to {MAX_PCA_COMPONENTS} (0: off)",
    )
    parser.add_argument(
        "--random-state",
        type=_whole_number(MAX_RANDOM_STATE, DEFAULT_RANDOM_STATE),
        default=DEFAULT_RANDOM_STATE,
        help="the seed: the same seed gives the same results (default 0)",
    )
    parser.add_argument("--data-dir", type=_folder, help="where downloaded datasets are kept")
    parser.add_argument("--no-cache", action="store_true", help="fit everything afresh")
    parser.add_argument("--json", action="store_true", help="one JSON object per K per line")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed its one line (or --help)
        return exc.code
    logging.basicConfig(format=f"{PROG}: warning: %(message)s")  # the cache's failed writes, one line each
    try:
        try:
            rows = _sweep(args)
        except (KMeansLabError, ValueError) as exc:
            print(f"{PROG}: error: {exc}", file=sys.stderr)
            return 2
        _print_rows(rows, args.json)
        sys.stdout.flush()  # here, not at exit, where a failure would print a traceback
    except BrokenPipeError:  # the reader has gone (`| head`): nothing left to tell anyone
        _discard_stdout()
        return 1
    except OSError as exc:
        _discard_stdout()
        print(f"{PROG}: error: cannot write the output ({exc.strerror or exc}).", file=sys.stderr)
        return 1
    return 0


def _sweep(args: argparse.Namespace) -> list[SweepRow]:
    try:
        dataset = load_dataset(args.dataset, data_dir=args.data_dir)
    except OSError as exc:  # e.g. a --data-dir that cannot hold a download
        where = f"--data-dir {args.data_dir}" if args.data_dir else args.dataset
        raise KMeansLabError(
            f"{where}: {exc.strerror or exc}; give a folder the lab can write to with --data-dir."
        ) from None
    check_ks(args.k, dataset.n_train)
    cache = None if args.no_cache else ResultCache(config.cache_dir())
    prep = preprocessing_from_args(args, dataset)
    if not args.json:
        print(f"{dataset.title}: {dataset.n_train:,} train / {dataset.n_test:,} test images")
        print(f"Preprocessing: {prep.describe()}; algorithm: {args.algorithm}")

    def report(fraction, message):
        print(f"  {message}", file=sys.stderr, flush=True)

    return sweep_k(
        dataset,
        args.k,
        algorithm=args.algorithm,
        random_state=args.random_state,
        cache=cache,
        progress=None if args.json else report,
        preprocessing=prep,
    )


def _print_rows(rows: Sequence[SweepRow], as_json: bool) -> None:
    if not as_json:
        print(format_table(rows))
        return
    for row in rows:
        record = asdict(row)
        record.pop("cached")
        print(json.dumps(record))


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush of what is left cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file behind stdout (io.UnsupportedOperation is both)
        pass


if __name__ == "__main__":
    sys.exit(main())
