"""A progress bar for slow work: the work runs in a worker thread while the page shows how long it has taken.

Only work that lasts longer than a moment (`SHOW_AFTER_SECONDS`) gets a bar, so a quick rerun does not
flicker. The work itself must not call Streamlit (it runs outside the script's thread).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, TimeoutError
from typing import TypeVar

import streamlit as st

T = TypeVar("T")
#: Work done sooner than this shows no bar at all.
SHOW_AFTER_SECONDS = 0.3
#: How often the bar moves.
TICK_SECONDS = 0.1


def run_with_progress(work: Callable[[], T], message: str, expected_seconds: float) -> T:
    """``work()``, with a progress bar saying `message` while it runs longer than `SHOW_AFTER_SECONDS`.

    The bar fills towards 95% as the time passes, reaching about two thirds at `expected_seconds`;
    it goes when the work is done. If the script is stopped meanwhile (the user changed a setting),
    the work still runs to its end before the next run starts, so two fits never compete for the CPU.
    """
    started = time.perf_counter()
    bar = None
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
                        bar = st.progress(0.0, text=text)
                    bar.progress(fraction_done(elapsed, expected_seconds), text=text)
        finally:
            if bar is not None:
                bar.empty()


def fraction_done(elapsed: float, expected: float) -> float:
    """How full the bar is after `elapsed` of an `expected` number of seconds: 0 to 0.95, never backwards."""
    return min(0.95, 1 - math.exp(-elapsed / max(expected, 0.1)))


def clustering_seconds(n_rows: int, k: int) -> float:
    """A guess at how long a fit of `n_rows` images into `k` clusters takes on a busy 2-core machine.

    Measured: about 0.35 s of CPU for Fashion-MNIST's 60,000 images at K=300 (mini-batch, 50 PCA
    features), three times that in wall time with other work running; preparing a dataset's images
    the first time adds a second or more.
    """
    return 0.5 + 6e-8 * n_rows * k
