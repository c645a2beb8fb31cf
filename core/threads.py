"""How many threads the engine's number crunching may use: OpenMP (scikit-learn's K-means loops) and
BLAS (NumPy's and SciPy's matrix products, OpenBLAS here).

On a busy 2-core machine, threads that wait on each other cost more than a second thread gains:
OpenBLAS's helper threads keep polling for the next product for a while after each one, on the core
that something else (the browser, another session, another fit) needed.
"""

from __future__ import annotations

import os

_controller = None


def _threadpools():
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller


def openmp_threads(n: int):
    """A context manager limiting OpenMP (scikit-learn's K-means loops) to `n` threads, in this thread."""
    return _threadpools().limit(limits=n, user_api="openmp")


def blas_threads(n: int):
    """A context manager limiting BLAS (matrix products) to `n` threads, for the whole process."""
    return _threadpools().limit(limits=n, user_api="blas")


def one_blas_thread_from_now_on() -> None:
    """Do every matrix product of this process on the thread that asks for it, from now on.

    For the app's server, which calls this once: its sessions' scripts already run side by side,
    and the page's browser shares the machine. Measured in one Chromium on the 2-core machine, a new K
    typed (medians of 11, bench-style A/B): Evaluate 204 -> 154 ms, the Map 171 -> 133 ms; preparing
    Fashion-MNIST's 60,000 images took 0.8-1.0 s instead of 1.2-1.5 s. BLAS libraries loaded later
    (SciPy's, when scikit-learn is first imported) start with one thread too.
    """
    from threadpoolctl import threadpool_limits

    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # read by an OpenBLAS when it loads
    threadpool_limits(limits=1, user_api="blas")  # those loaded already (NumPy's)
