"""Many users at once, in Debian's Chromium: errors, leaks between sessions, rerun times, server memory.

    python bench/bench_load.py                  # 8 users, 3 rounds each, then 50 uploads
    python bench/bench_load.py --users 4 --rounds 2 --uploads 20

Starts `streamlit run app.py` on a free loopback port with empty caches in a temporary folder.

- Users: one browser, one context (one Streamlit session) per user, all at once. Each opens the
  Draw page, then per round moves K by one and draws a "1" (and clears it). The first user
  uploads a tiny dataset first. Every user then opens the Dataset picker: only the first may list
  "Your upload". Printed: per user, errors and timings; for all, the p50 and p95 of the rerun
  times (key press -> new K shown and idle; mouse-up -> prediction shown and idle). The first
  visit to each K fits a model, so the figures include fits, as users meet them.
- Uploads: one session uploads a dataset of ~2,000 images N times in a row (each different); the
  server's resident memory (psutil) is printed every 10 uploads. It must stay bounded: each
  upload replaces the last, the uploader lets go of the file, and results kept for the upload are
  per session and capped.

Nothing is asserted; tests/test_load.py is the short version that asserts.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "tests"))

import psutil  # noqa: E402
from browser_support import streamlit_server  # noqa: E402
from load_support import (  # noqa: E402
    UPLOAD_TITLE,
    percentile,
    repeat_uploads,
    run_users,
    small_npz,
)

UPLOAD_BASE_IMAGES = 2_000


def rss_mb(process: psutil.Process) -> float:
    """Resident memory of the server and its children, in MB."""
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        with contextlib.suppress(psutil.Error):  # a child that has just exited
            total += child.memory_info().rss
    return total / 2**20


def users_part(url: str, server: psutil.Process, n_users: int, rounds: int) -> None:
    print(f"== {n_users} users at once, {rounds} rounds of (move K, draw) each; user0 uploads first ==")
    before = rss_mb(server)
    start = time.perf_counter()
    reports = run_users(url, n_users, rounds, small_npz())
    wall = time.perf_counter() - start
    leaks = []
    for report in reports:
        sees_upload = any(UPLOAD_TITLE in option for option in report.picker_options)
        if sees_upload != report.uploaded:
            leaks.append(report.name)
        times = ", ".join(f"{t:.2f}" for t in report.rerun_seconds)
        print(
            f"  {report.name}: uploaded={report.uploaded!s:5} sees 'Your upload'={sees_upload!s:5} "
            f"exceptions={report.exceptions} predictions={report.predictions} "
            f"error={report.error or 'none'}\n      rerun seconds: {times}"
        )
    times = [t for report in reports for t in report.rerun_seconds]
    errors = sum(bool(r.error) or r.exceptions > 0 for r in reports)
    print(f"  wall time {wall:.1f} s; server memory {before:.0f} -> {rss_mb(server):.0f} MB")
    print(f"  users with an error or stException: {errors} of {n_users}")
    print(f"  sessions that saw another's upload (or not their own): {leaks or 'none'}")
    print(
        f"  rerun time over {len(times)} reruns: p50 {percentile(times, 50):.2f} s, "
        f"p95 {percentile(times, 95):.2f} s, max {max(times, default=float('nan')):.2f} s"
    )


def uploads_part(url: str, server: psutil.Process, n_uploads: int) -> None:
    print(f"== {n_uploads} uploads of ~{UPLOAD_BASE_IMAGES:,} images (1.5 MB each) in one session ==")
    uploads = [(small_npz(UPLOAD_BASE_IMAGES + i, seed=i), UPLOAD_BASE_IMAGES + i) for i in range(n_uploads)]
    samples = [(0, rss_mb(server))]
    start = time.perf_counter()

    def after_each(done: int) -> None:
        if done % 10 == 0 or done == n_uploads:
            samples.append((done, rss_mb(server)))

    repeat_uploads(url, uploads, after_each)
    seconds = time.perf_counter() - start
    print(f"  {n_uploads} uploads in {seconds:.1f} s ({seconds / n_uploads:.2f} s each)")
    for done, mb in samples:
        print(f"  after {done:>3} uploads: server RSS {mb:7.0f} MB ({mb - samples[0][1]:+.0f} MB)")
    later = [mb for done, mb in samples if done >= 20]
    if len(later) >= 2:
        print(f"  growth from 20 uploads to {samples[-1][0]}: {later[-1] - later[0]:+.0f} MB")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--uploads", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, streamlit_server(Path(tmp)) as (url, process):
        server = psutil.Process(process.pid)
        print(f"server at {url}, pid {process.pid}, RSS {rss_mb(server):.0f} MB at start")
        users_part(url, server, args.users, args.rounds)
        uploads_part(url, server, args.uploads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
