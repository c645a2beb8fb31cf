"""The tutorial's recipe against the project's defaults, side by side, in one process.

    python bench/bench_recipe.py            # sample + full Fashion-MNIST, precise mode, memory; 3 runs
    python bench/bench_recipe.py --quick    # one run, Fashion-MNIST cut to 20,000 / 5,000, no memory

The recipe: float64 pixels / 255, ``MiniBatchKMeans(n_clusters=K)`` with default settings, each
cluster labelled by majority vote of its training images. The project: `core.analysis.sweep.sweep_k` with
its defaults (preprocessing "auto", minibatch), no on-disk cache. Both get the same seed per run.
Times are medians over the runs; a sweep's total is its wall time, data conversion and scoring
included (the project's first K also carries the preprocessing). Precise mode: the project's Lloyd
at K=256 against plain ``KMeans(n_clusters=256)`` on raw float64 pixels. Memory: the peak resident
size of a child process that loads the 70,000 Fashion-MNIST images and runs the default sweep.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import bench_paths  # noqa: F401 (puts the project and its tests on the import path)
import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans

from core.analysis.sweep import DEFAULT_KS, default_preprocessing, fit_model, sweep_k  # noqa: E402
from core.data.registry import FASHION_CREDIT, FASHION_NAMES, Dataset, load_dataset, load_idx_folder  # noqa: E402

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
PRECISE_K = 256


# --- the two recipes ---------------------------------------------------------------------------------


def majority_labels(clusters: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """Each cluster's most common label (the tutorial's `infer_cluster_labels`, vectorised)."""
    n_classes = int(y.max()) + 1
    counts = np.bincount(clusters * n_classes + y, minlength=k * n_classes).reshape(k, n_classes)
    return counts.argmax(axis=1)


def tutorial_pixels(dataset: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Train and test rows as the tutorial makes them: float64 pixels / 255."""
    return (
        dataset.train_images.reshape(dataset.n_train, -1) / 255.0,
        dataset.test_images.reshape(dataset.n_test, -1) / 255.0,
    )


def tutorial_fit(kmeans, dataset: Dataset, X, X_test):
    """Fit `kmeans` on the tutorial's rows and label clusters by vote: (seconds, test accuracy)."""
    start = time.perf_counter()
    kmeans.fit(X)
    labels = majority_labels(kmeans.labels_, dataset.train_labels.astype(np.int64), kmeans.n_clusters)
    seconds = time.perf_counter() - start
    return seconds, float(np.mean(labels[kmeans.predict(X_test)] == dataset.test_labels))


def tutorial_sweep(dataset: Dataset, ks, seed: int) -> dict:
    start = time.perf_counter()
    X, X_test = tutorial_pixels(dataset)  # once per sweep, as the tutorial does
    per_k = {
        k: tutorial_fit(MiniBatchKMeans(n_clusters=k, random_state=seed), dataset, X, X_test) for k in ks
    }
    return {"total": time.perf_counter() - start, "per_k": per_k}


def project_sweep(dataset: Dataset, ks, seed: int) -> dict:
    start = time.perf_counter()
    rows = sweep_k(dataset, ks, random_state=seed, cache=None)  # prepares afresh: nothing kept between runs
    total = time.perf_counter() - start
    return {"total": total, "per_k": {r.k: (r.fit_seconds, r.test_accuracy) for r in rows}}


# --- reporting ---------------------------------------------------------------------------------------


def median_runs(runs: list[dict], ks) -> dict:
    return {
        "total": statistics.median(r["total"] for r in runs),
        "per_k": {k: tuple(statistics.median(r["per_k"][k][i] for r in runs) for i in (0, 1)) for k in ks},
    }


def compare_sweeps(dataset: Dataset, ks, repeats: int) -> dict:
    prep = default_preprocessing(dataset)
    print(f"\n== {dataset.title}: {dataset.n_train:,} train / {dataset.n_test:,} test ==")
    print(f"project: preprocessing {prep.describe()}; minibatch; median of {repeats} run(s)")
    recipe_runs, project_runs = [], []
    for seed in range(repeats):  # interleaved, so a busy spell on the machine hits both
        recipe_runs.append(tutorial_sweep(dataset, ks, seed))
        project_runs.append(project_sweep(dataset, ks, seed))
    recipe, project = median_runs(recipe_runs, ks), median_runs(project_runs, ks)
    header = f"{'K':>5} | {'recipe s':>8} {'acc':>6} | {'project s':>9} {'acc':>6} | {'time ratio':>10} "
    print(header + f"{'acc gain':>8}")
    print("-" * 66)
    for k in ks:
        (rs, ra), (ps, pa) = recipe["per_k"][k], project["per_k"][k]
        print(f"{k:>5} | {rs:>8.2f} {ra:>6.4f} | {ps:>9.2f} {pa:>6.4f} | {ps / rs:>10.2f} {pa - ra:>+8.4f}")
    rsum = sum(recipe["per_k"][k][0] for k in ks)
    psum = sum(project["per_k"][k][0] for k in ks)
    print(f"{'fits':>5} | {rsum:>8.2f} {'':>6} | {psum:>9.2f} {'':>6} | {psum / rsum:>10.2f}")
    ratio = project["total"] / recipe["total"]
    print(
        f"{'total':>5} | {recipe['total']:>8.2f} {'':>6} | {project['total']:>9.2f} {'':>6} | {ratio:>10.2f}"
    )
    gains = [
        (p["per_k"][k][1] - r["per_k"][k][1], k, seed)
        for seed, (r, p) in enumerate(zip(recipe_runs, project_runs, strict=True))
        for k in ks
    ]
    worst, worst_k, worst_seed = min(gains)
    print(f"smallest accuracy gain over all K and runs: {worst:+.4f} (K={worst_k}, seed {worst_seed})")
    return {
        "dataset": dataset.name,
        "preprocessing": prep.describe(),
        "recipe": recipe,
        "project": project,
        "total_ratio": ratio,
        "smallest_accuracy_gain": worst,
    }


def compare_precise(dataset: Dataset, repeats: int) -> dict:
    print(f"\n== precise mode: K={PRECISE_K} on {dataset.n_train:,} images, median of {repeats} run(s) ==")
    sk_runs, project_runs = [], []
    for seed in range(repeats):
        start = time.perf_counter()
        X, X_test = tutorial_pixels(dataset)
        _, accuracy = tutorial_fit(KMeans(n_clusters=PRECISE_K, random_state=seed), dataset, X, X_test)
        sk_runs.append((time.perf_counter() - start, accuracy))  # conversion and test scoring included
        start = time.perf_counter()
        _, row = fit_model(dataset, PRECISE_K, algorithm="lloyd", random_state=seed, cache=None)
        project_runs.append((time.perf_counter() - start, row.test_accuracy))
    sk = [statistics.median(v) for v in zip(*sk_runs, strict=True)]
    pr = [statistics.median(v) for v in zip(*project_runs, strict=True)]
    print(f"scikit-learn KMeans, {'raw float64 pixels':>24}: {sk[0]:7.2f} s  test accuracy {sk[1]:.4f}")
    steps = default_preprocessing(dataset).describe()
    print(f"project lloyd, {steps:>24}: {pr[0]:7.2f} s  test accuracy {pr[1]:.4f}")
    print(f"time ratio project / scikit-learn: {pr[0] / sk[0]:.3f} (target <= 0.25)")
    return {"sklearn": sk, "project": pr, "time_ratio": pr[0] / sk[0]}


# --- memory, in a child process ----------------------------------------------------------------------


def memory_child(which: str) -> None:
    """Load the 70,000 Fashion-MNIST images and run a full sweep; print the peak RSS in MB."""
    dataset = load_fashion()
    if which == "project":
        sweep_k(dataset, DEFAULT_KS, random_state=0, cache=None)
    elif which == "recipe":
        tutorial_sweep(dataset, DEFAULT_KS, 0)
    print(json.dumps({"peak_rss_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's peak resident size. VmHWM, not ru_maxrss: Linux carries ru_maxrss over from
    the parent through fork and exec, so a child of a big process would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_memory() -> dict:
    print("\n== peak memory (RSS) of a full sweep on the 70,000 Fashion-MNIST images, in a child process ==")
    peaks = {}
    for which in ("load only", "recipe", "project"):
        result = subprocess.run(
            [sys.executable, __file__, "--memory-child", which.split()[0]],
            capture_output=True,
            text=True,
            check=True,
        )
        peaks[which] = json.loads(result.stdout.splitlines()[-1])["peak_rss_mb"]
        print(f"{which:>10}: {peaks[which]:7.0f} MB")
    print(f"project sweep peak: {peaks['project'] / 1024:.2f} GB (target <= 1.5 GB)")
    return peaks


# --- data and machine --------------------------------------------------------------------------------


def load_fashion(n_train: int | None = None, n_test: int | None = None) -> Dataset:
    full = load_idx_folder(
        FASHION_DIR,
        name="fashion-mnist",
        title="Fashion-MNIST",
        class_names=FASHION_NAMES,
        credit=FASHION_CREDIT,
    )
    if n_train is None:
        return full
    return Dataset(
        name="fashion-mnist",
        title=f"Fashion-MNIST (first {n_train:,} / {n_test:,})",
        train_images=full.train_images[:n_train],
        train_labels=full.train_labels[:n_train],
        test_images=full.test_images[:n_test],
        test_labels=full.test_labels[:n_test],
        class_names=FASHION_NAMES,
    )


def describe_machine() -> str:
    import sklearn
    from threadpoolctl import threadpool_info

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    blas = ", ".join(
        f"{p['internal_api']} {p.get('version') or ''} ({p['num_threads']} threads)"
        for p in threadpool_info()
    )
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem_gb:.0f} GB; Python {platform.python_version()}, "
        f"numpy {np.__version__}, scikit-learn {sklearn.__version__}; {blas}; "
        f"load average {os.getloadavg()[0]:.2f}"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="one run; Fashion-MNIST cut to 20,000 / 5,000; no memory"
    )
    parser.add_argument("--repeats", type=int, help="runs per comparison (default 3, or 1 with --quick)")
    parser.add_argument("--skip-precise", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    parser.add_argument("--memory-child", choices=("load", "recipe", "project"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        memory_child(args.memory_child)
        return 0
    repeats = args.repeats or (1 if args.quick else 3)
    print(describe_machine())
    results = {"machine": describe_machine(), "repeats": repeats}
    results["sample"] = compare_sweeps(load_dataset("mnist-sample"), DEFAULT_KS, repeats)
    if not FASHION_DIR.is_dir():
        print(
            f"\n{FASHION_DIR} not found: apt-get install -y dataset-fashion-mnist for the full-size figures."
        )
    else:
        fashion = load_fashion(20_000, 5_000) if args.quick else load_fashion()
        results["fashion"] = compare_sweeps(fashion, DEFAULT_KS, repeats)
        if not args.skip_precise:
            results["precise"] = compare_precise(fashion, repeats)
        if not (args.quick or args.skip_memory):
            results["memory_mb"] = measure_memory()
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
