"""The app's server does its matrix products on one thread (core.threads, applied when `ui` is imported).

A second OpenBLAS thread polls for work for a while after each product, on the core the browser
needed to draw the page: a new K on Evaluate took 204 ms with it and 154 ms without (bench-style A/B).
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json
import ui  # every page imports ui: this is where the server sets its thread counts
from threadpoolctl import threadpool_info
from core.data import registry
from core.analysis.sweep import fit_model, sweep_k

def pools():
    return {pool["filepath"]: pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

seen = {"imported": pools()}
sample = registry.load_dataset("mnist-sample")
fit_model(sample, 12)
sweep_k(sample, [10, 16], n_jobs=2)
seen["after fits"] = pools()
print(json.dumps(seen))
"""


def test_the_server_keeps_one_blas_thread_through_fits_and_sweeps():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    # NumPy's OpenBLAS is loaded with the app; SciPy's only with scikit-learn, after `ui` set the limit.
    assert len(seen["after fits"]) >= 2, f"expected NumPy's and SciPy's BLAS, found {seen['after fits']}"
    for when, pools in seen.items():
        assert set(pools.values()) == {1}, f"{when}: BLAS threads per library {pools}"
