"""Fit the classifier for many K and score each, with results cached on disk; also the CLI.

python -m core.sweep --dataset mnist-sample --k 10,16,36,64,144,256 --json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from core import metrics
from core.cache import ResultCache, cache_key, default_cache_dir
from core.datasets import DEFAULT_DATASET, Dataset, load_dataset
from core.errors import KMeansLabError
from core.model import ALGORITHMS, KMeansDigitClassifier, model_from_arrays, model_to_arrays

#: The tutorial's K values.
DEFAULT_KS = (10, 16, 36, 64, 144, 256)
DEFAULT_RANDOM_STATE = 0

#: progress(fraction_done, message): called before each fit and once at the end.
ProgressCallback = Callable[[float, str], None]


@dataclass(frozen=True)
class SweepRow:
    """The scores of one K. Accuracies are by majority vote; homogeneity and friends on train."""

    k: int
    fit_seconds: float
    inertia: float
    homogeneity: float
    completeness: float
    v_measure: float
    train_accuracy: float
    test_accuracy: float
    cached: bool = False


def check_ks(ks: Sequence[int], n_train: int) -> list[int]:
    """Validate K values against the training set: each must be 2 <= K <= n_train."""
    ks = list(ks)
    if not ks:
        raise ValueError("give at least one K, e.g. 10,16,36.")
    for k in ks:
        if not isinstance(k, int) or k < 2:
            raise ValueError(f"K={k} is too small; K must be at least 2.")
        if k > n_train:
            raise ValueError(f"K={k} is larger than the training set ({n_train:,} images).")
    return ks


def fit_model(
    dataset: Dataset,
    k: int,
    *,
    algorithm: str = "minibatch",
    random_state: int | None = DEFAULT_RANDOM_STATE,
    cache: ResultCache | None = None,
) -> tuple[KMeansDigitClassifier, SweepRow]:
    """Fit (or load from the cache) the classifier for one K, and score it.

    Returns
    -------
    model : fitted KMeansDigitClassifier
    row : SweepRow with its scores; ``row.cached`` tells whether it came from the cache.
    """
    check_ks([k], dataset.n_train)
    params = {"n_clusters": k, "algorithm": algorithm, "random_state": random_state}
    key = cache_key(dataset=dataset.fingerprint, **params)
    if cache is not None and (hit := cache.load(key)) is not None:
        arrays, record = hit
        return model_from_arrays(arrays, **params), SweepRow(**{**record, "cached": True})
    start = time.perf_counter()
    model = KMeansDigitClassifier(**params).fit(dataset.train_images, dataset.train_labels)
    seconds = time.perf_counter() - start
    row = _score(model, dataset, seconds)
    if cache is not None:
        cache.save(key, model_to_arrays(model), asdict(row))
    return model, row


def _score(model: KMeansDigitClassifier, dataset: Dataset, seconds: float) -> SweepRow:
    h, c, v = (
        metrics.homogeneity(dataset.train_labels, model.labels_),
        metrics.completeness(dataset.train_labels, model.labels_),
        metrics.v_measure(dataset.train_labels, model.labels_),
    )
    return SweepRow(
        k=model.n_clusters,
        fit_seconds=round(seconds, 4),
        inertia=model.inertia_,
        homogeneity=h,
        completeness=c,
        v_measure=v,
        train_accuracy=metrics.accuracy(dataset.train_labels, model.cluster_labels_[model.labels_]),
        test_accuracy=model.score(dataset.test_images, dataset.test_labels),
    )


def sweep_k(
    dataset: Dataset,
    ks: Sequence[int] = DEFAULT_KS,
    *,
    algorithm: str = "minibatch",
    random_state: int | None = DEFAULT_RANDOM_STATE,
    cache: ResultCache | None = None,
    progress: ProgressCallback | None = None,
) -> list[SweepRow]:
    """Fit and score every K in `ks`, in order; cached K values return at once.

    Parameters
    ----------
    dataset : Dataset
    ks : sequence of int, default=(10, 16, 36, 64, 144, 256)
    algorithm : {"minibatch", "lloyd"}, default="minibatch"
    random_state : int or None, default=0
        The same seed gives the same results.
    cache : ResultCache, optional
        Where fitted models persist; None fits everything afresh.
    progress : callable(fraction, message), optional

    Returns
    -------
    rows : list of SweepRow, one per K, in the order given.
    """
    ks = check_ks(ks, dataset.n_train)
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm={algorithm!r} should be one of {ALGORITHMS}.")
    rows = []
    for i, k in enumerate(ks):
        if progress:
            progress(i / len(ks), f"Fitting K={k} ({i + 1} of {len(ks)})")
        rows.append(fit_model(dataset, k, algorithm=algorithm, random_state=random_state, cache=cache)[1])
    if progress:
        progress(1.0, f"Done: {len(ks)} values of K")
    return rows


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


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="python -m core.sweep",
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
    parser.add_argument("--algorithm", choices=ALGORITHMS, default="minibatch")
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
        cache = None if args.no_cache else ResultCache(default_cache_dir())
        if not args.json:
            print(f"{dataset.title}: {dataset.n_train:,} train / {dataset.n_test:,} test images")

        def report(fraction, message):
            print(f"  {message}", file=sys.stderr, flush=True)

        rows = sweep_k(
            dataset,
            args.k,
            algorithm=args.algorithm,
            random_state=args.random_state,
            cache=cache,
            progress=None if args.json else report,
        )
    except (KMeansLabError, ValueError) as exc:
        print(f"python -m core.sweep: error: {exc}", file=sys.stderr)
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
