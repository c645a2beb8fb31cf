"""A progress bar for slow work: the work runs in a worker thread while the page shows how long it has taken.

Work expected to take a while (`BAR_AT_ONCE_SECONDS`) shows its bar at once; other work gets one only
if it lasts longer than a moment (`SHOW_AFTER_SECONDS`), so a quick rerun does not flicker. The work
itself must not call Streamlit (it runs outside the script's thread).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, TimeoutError
from typing import TypeVar

import streamlit as st

T = TypeVar("T")
#: Work done sooner than this shows no bar at all, unless it was expected to take long.
SHOW_AFTER_SECONDS = 0.3
#: Work expected to take at least this long shows its bar from the start: the page around it takes as
#: long again (Fashion-MNIST's Centroids at K = 300: a 0.2 s fit in a 0.45 s wait), and a wait of over
#: half a second must show a bar (issue 12).
BAR_AT_ONCE_SECONDS = 0.15
#: How often the bar moves.
TICK_SECONDS = 0.1


def run_with_progress(work: Callable[[], T], message: str, expected_seconds: float) -> T:
    """``work()``, with a progress bar saying `message` while it runs longer than `SHOW_AFTER_SECONDS`.

    The bar fills towards 95% as the time passes, reaching about two thirds at `expected_seconds`;
    it goes when the work is done. If the script is stopped meanwhile (the user changed a setting),
    the work still runs to its end before the next run starts, so two fits never compete for the CPU.
    """
    started = time.perf_counter()
    # Its place on the page is taken on every run, bar or not: the elements after it keep their places,
    # so the browser updates them where they are instead of building them again (charts included).
    place = st.empty()
    bar = place.progress(0.0, text=f"{message} 0 s") if expected_seconds >= BAR_AT_ONCE_SECONDS else None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="progress") as pool:
        future = pool.submit(work)
        try:
            while True:
                try:
                    return future.result(timeout=TICK_SECONDS if bar else SHOW_AFTER_SECONDS)
                except TimeoutError:
                    elapsed = time.perf_counter() - started
                    text = f"{message} {elapsed:.0f} s"
                    if bar is None:
                        bar = place.progress(0.0, text=text)
                    bar.progress(fraction_done(elapsed, expected_seconds), text=text)
        finally:
            place.empty()


def fraction_done(elapsed: float, expected: float) -> float:
    """How full the bar is after `elapsed` of an `expected` number of seconds: 0 to 0.95, never backwards."""
    return min(0.95, 1 - math.exp(-elapsed / max(expected, 0.1)))


def clustering_seconds(n_rows: int, k: int) -> float:
    """About how long a mini-batch fit of `n_rows` images into `k` clusters takes on a quiet machine.

    Measured on this project's 2-core machine (50 PCA features, fit, scores and pictures): 0.03 s for
    the sample's 8,000 images at K = 117, 0.2 s for Fashion-MNIST's 60,000 at K = 300. A busy
    machine takes several times longer; the bar then keeps filling, slower and slower.
    """
    return 0.02 + 1.0e-8 * n_rows * k


def loading_seconds(dataset_name: str) -> float:
    """About how long reading a named dataset takes: the bundled sample is quick, the others hold 70,000."""
    return 0.05 if dataset_name == "mnist-sample" else 0.5
