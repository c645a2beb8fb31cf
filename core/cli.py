"""The command line: cluster a dataset for several K and print the tutorial's table.

python -m core.cli --dataset mnist-sample --k 10,16,36,64,144,256 --json
python -m core.cli --preprocess none          # the tutorial's recipe
python -m core.cli --no-deskew --pca 0        # the defaults without deskewing and PCA

Bad input exits with code 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, replace

from core import config
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
from core.model.preprocess import Preprocessing
from core.model.vote import ALGORITHMS


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
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--k expects whole numbers separated by commas, e.g. 10,16,36; got {text!r}"
        ) from None


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expects a number >= 0, e.g. 0.7; got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expects a whole number >= 0, e.g. 50; got {text!r}")
    return int(text)


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
        prog="python -m core.cli",
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
        "--blur", type=_non_negative_float, metavar="SIGMA", help="Gaussian blur in pixels (0: off)"
    )
    prep.add_argument(
        "--normalize",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="scale each image to unit length",
    )
    prep.add_argument("--pca", type=_non_negative_int, metavar="N", help="PCA to N components (0: off)")
    parser.add_argument("--random-state", type=int, default=DEFAULT_RANDOM_STATE)
    parser.add_argument("--data-dir", help="where downloaded datasets are kept")
    parser.add_argument("--no-cache", action="store_true", help="fit everything afresh")
    parser.add_argument("--json", action="store_true", help="one JSON object per K per line")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        dataset = load_dataset(args.dataset, data_dir=args.data_dir)
        check_ks(args.k, dataset.n_train)
        cache = None if args.no_cache else ResultCache(config.cache_dir())
        prep = preprocessing_from_args(args, dataset)
        if not args.json:
            print(f"{dataset.title}: {dataset.n_train:,} train / {dataset.n_test:,} test images")
            print(f"Preprocessing: {prep.describe()}; algorithm: {args.algorithm}")

        def report(fraction, message):
            print(f"  {message}", file=sys.stderr, flush=True)

        rows = sweep_k(
            dataset,
            args.k,
            algorithm=args.algorithm,
            random_state=args.random_state,
            cache=cache,
            progress=None if args.json else report,
            preprocessing=prep,
        )
    except (KMeansLabError, ValueError) as exc:
        print(f"python -m core.cli: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        for row in rows:
            record = asdict(row)
            record.pop("cached")
            print(json.dumps(record))
    else:
        print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
