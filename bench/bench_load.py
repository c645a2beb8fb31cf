"""Many users at once, in Debian's Chromium: errors, leaks between sessions, rerun times, server memory.

    python bench/bench_load.py                  # 8 users, 3 rounds each, a hostile user; then 50 uploads
    python bench/bench_load.py --users 4 --rounds 2 --uploads 20 --no-hostile
    python bench/bench_load.py --scale 10,20,30 --users 0 --uploads 0   # the scaling part alone

Starts `streamlit run app.py` on a free loopback port with empty caches in a temporary folder.

- Scaling (with --scale): sessions on the Draw page, opening it --arrival s apart, each waiting
  until all have it open (page loads are not timed); then --scale-rounds times: a pause of 0 to
  2 x --think s, move K by one, a pause, draw a "1" (and clear it). First the largest count on cold
  caches, then one session alone three times (the anchor), then each count. Printed per count: the
  p50 and p95 of the interaction times (as in the users part), the p95 over the anchor's, errors,
  the server's RSS before and at its peak, the peak's growth per session, the CPU seconds of the
  server and of the rest of the machine (the browsers, which share it, unlike a real audience's,
  and Playwright), how busy the machine's cores were, the server's CPU per interaction (page loads
  included), and the fits: saves to the on-disk result cache
  (inotify; one per fit, whichever session asked) and Streamlit's cache lookups per cache from
  /_stcore/metrics (a session that waits for another's fit of the same model counts one miss).
  The anchor comes first, in the same run, with the lab's server not yet started: the same counts,
  pacing and rounds on the reference app (bench/reference_app: a K box, a caption, one small
  chart; `load_reference.py`), whose rounds type a new K twice. Printed beside the lab's rows: the
  reference's own p95 over its one session's, and the lab's p95 over the reference's at that count.

- Users: one browser, one context (one Streamlit session) per user, all at once. Each opens the
  Draw page, then per round moves K by one and draws a "1" (and clears it). The first user
  uploads a tiny dataset first. Every user then opens the Dataset picker: only the first may list
  "Your upload". Printed: per user, errors and timings; for all, the p50 and p95 of the rerun
  times (key press -> new K shown and idle; mouse-up -> prediction shown and idle). The first
  visit to each K fits a model, so the figures include fits, as users meet them.
- First (unless --no-warm) the users run once alone: the models they fit on the shared sample stay
  in the shared caches for everyone, so they are part of the starting level, not a session's cost.
- Then the users run again, and meanwhile (unless --no-hostile) a hostile user, in one more session,
  drops over and over until the users are done: six junk files of --junk-mb MB at once, an .npz
  and four IDX .gz files whose headers declare 400 MB, a zip of 100,000 members, then a good
  dataset which it forgets. Each must be refused with its message. Printed: what was refused how
  often; the server's resident memory at start, at its peak (sampled every 0.25 s), and after
  every browser context has closed and the sessions have expired. The server runs with
  Streamlit's documented ``server.disconnectedSessionTTL`` set to --session-ttl seconds (120 by
  default); an expired session is dropped at the next session's connect, so one fresh visit
  follows the wait. Also printed: the bytes Streamlit's upload store still holds, from its
  /_stcore/metrics endpoint. glibc raises its mmap threshold (to 32 MB at most) once a large
  block is freed, so later large buffers come from the heap and their pages may stay with the
  process after they are freed; --mmap-threshold fixes the threshold in the server's environment.
- Uploads: one session uploads a dataset of ~2,000 images N times in a row (each different); the
  server's resident memory (psutil) is printed every 10 uploads. It must stay bounded: each
  upload replaces the last, the uploader lets go of the file, and results kept for the upload are
  per session and capped.

Nothing is asserted; tests/test_load.py is the short version that asserts.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import bench_paths  # noqa: F401 (puts the project and its tests on the import path)
import psutil  # noqa: E402
from browser_support import CHROMIUM, CHROMIUM_ARGS, streamlit_server  # noqa: E402
from load_reference import REFERENCE_APP, run_reference_room  # noqa: E402
from load_support import (  # noqa: E402
    UPLOAD_TITLE,
    CacheWrites,
    Pace,
    hostile_uploads,
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


class PeakSampler:
    """The highest server RSS seen, sampled every 0.25 s in a thread while in the `with` block."""

    def __init__(self, server: psutil.Process):
        self.server, self.peak, self._stop = server, rss_mb(server), threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-peak", daemon=True)

    def _sample(self):
        while not self._stop.wait(0.25):
            with contextlib.suppress(psutil.Error):
                self.peak = max(self.peak, rss_mb(self.server))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def server_metrics(url: str) -> str:
    """The text of Streamlit's /_stcore/metrics endpoint (OpenMetrics)."""
    with urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=30) as response:
        return response.read().decode()


def upload_store_mb(url: str) -> float:
    """The bytes Streamlit's upload store holds, in MB, from its /_stcore/metrics endpoint."""
    text = server_metrics(url)
    held = re.findall(r'cache_memory_bytes\{cache_type="UploadedFileManager"[^}]*\} (\d+)', text)
    return sum(int(n) for n in held) / 2**20


def visit_once(url: str) -> None:
    """Open the home page in a fresh browser until it shows K, and close it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_text(re.compile(r"K = \d+")).first.wait_for()
        browser.close()


def after_sessions_expire(url: str, server: psutil.Process, ttl: int) -> float:
    """Wait out the sessions' TTL, visit once (an expired session is dropped at a connect); the RSS."""
    time.sleep(ttl + 2)
    visit_once(url)
    time.sleep(5)
    return rss_mb(server)


def users_part(url: str, server: psutil.Process, args) -> None:
    n_users, rounds = args.users, args.rounds
    hostile = None if args.no_hostile else hostile_uploads(args.junk_mb)
    print(f"== {n_users} users at once, {rounds} rounds of (move K, draw) each; user0 uploads first ==")
    if hostile:
        print(
            f"   and a hostile user dropping: {'; '.join(h.what for h in hostile)}; a good upload, forgotten"
        )
    before = rss_mb(server)
    start = time.perf_counter()
    with PeakSampler(server) as sampler:
        reports, attacker = run_users(url, n_users, rounds, small_npz(), hostile)
    wall = time.perf_counter() - start
    report_users(reports, n_users)
    print(f"  wall time {wall:.1f} s")
    if attacker is not None:
        print(
            f"  hostile user: refused {attacker.refused}; good uploads forgotten "
            f"{attacker.good_uploads_forgotten}; exceptions {attacker.exceptions}; "
            f"error {attacker.error or 'none'}"
        )
    closed = rss_mb(server)
    print(
        f"  server RSS: start {before:.0f} MB, peak {sampler.peak:.0f} MB, "
        f"all contexts closed {closed:.0f} MB"
    )
    print(f"  Streamlit's upload store holds {upload_store_mb(url):.1f} MB with every context closed")
    expired = after_sessions_expire(url, server, args.session_ttl)
    print(
        f"  after the sessions expired ({args.session_ttl} s TTL, then one visit): RSS {expired:.0f} MB "
        f"({expired - before:+.0f} MB from start); upload store {upload_store_mb(url):.1f} MB"
    )


def report_users(reports, n_users: int) -> None:
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
    print(f"  users with an error or stException: {errors} of {n_users}")
    print(f"  sessions that saw another's upload (or not their own): {leaks or 'none'}")
    print(
        f"  rerun time over {len(times)} reruns: p50 {percentile(times, 50):.2f} s, "
        f"p95 {percentile(times, 95):.2f} s, max {max(times, default=float('nan')):.2f} s"
    )


def cache_lookups(url: str) -> dict[tuple[str, str], int]:
    """Streamlit's cache counts per (cache, "computed", "miss" or "hit"), from /_stcore/metrics.

    "computed" counts the runs of the cached function: for ``ui.caches.fit[shared]``, the fits (or
    reads of the disk cache) shared by every session. A session that waits for another's computation
    of the same value counts a miss, not a computation.
    """
    text, counts = server_metrics(url), {}
    for labels, value in re.findall(r"cache_lookups_total\{([^}]*)\} (\d+)", text):
        named = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        counts[named["cache"].removeprefix("ui.caches."), named["result"]] = int(value)
    for labels, value in re.findall(r"cache_compute_duration_seconds_count\{([^}]*)\} (\d+)", text):
        named = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        name = named["cache"].removeprefix("ui.caches.")
        counts[name, "computed"] = counts.get((name, "computed"), 0) + int(value)
    return counts


def lookups_between(before: dict, after: dict) -> str:
    """What the caches did between two `cache_lookups`: "fit[shared] 2 computed, 5 misses, 58 hits; ..."."""
    kinds = ("computed", "miss", "hit")
    changes = {
        name: [after.get((name, kind), 0) - before.get((name, kind), 0) for kind in kinds]
        for name in sorted({name for name, _ in after})
    }
    return "; ".join(
        f"{name} {computed} computed, {misses} misses, {hits} hits"
        for name, (computed, misses, hits) in changes.items()
        if misses or hits
    )


def cpu_seconds(server: psutil.Process) -> tuple[float, float]:
    """CPU seconds so far: (the server, the rest of the machine: the browsers, Playwright and its driver).

    The rest is the machine's busy time less the server's. Until November 29, 2026 it was this
    process's finished children, which left out Chromium's renderers (their parent, not this process,
    collects their times) and this process: 39 CPU s for the browsers in a 134 s run, when the two
    cores were busy throughout (load average 49).
    """
    times = server.cpu_times()
    machine = psutil.cpu_times()
    busy = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
    own = times.user + times.system
    return own, busy - own


def busy_share(cpu: tuple[float, float] | list[float], wall: float) -> str:
    """How busy the machine's cores were over `wall` seconds, from (server, rest) CPU seconds."""
    return f"{sum(cpu) / (wall * (os.cpu_count() or 1)):.0%}"


@dataclass
class ScaleRow:
    sessions: int
    times: list[float]  # in the page (`load_support.timed_in_page`)
    seen: list[float]  # the same waits as Playwright saw them, its queueing included
    errors: int
    rss_before: float
    rss_peak: float
    cpu: tuple[float, float]
    wall: float
    fits: int


@dataclass(frozen=True)
class Server:
    """The app's server process and its on-disk result cache."""

    process: psutil.Process
    cache: Path


def run_sessions(url: str, server: Server, n: int, rounds: int, pace: Pace) -> ScaleRow:
    """`n` sessions at once (page loads not timed); their interaction times, errors, memory and CPU."""
    before, cpu_before = rss_mb(server.process), cpu_seconds(server.process)
    server.cache.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with PeakSampler(server.process) as sampler, CacheWrites(server.cache) as fits:
        reports, _ = run_users(url, n, rounds, None, pace=pace)
    wall = time.perf_counter() - start
    cpu = [b - a for a, b in zip(cpu_before, cpu_seconds(server.process), strict=True)]
    for report in reports:
        if report.error or report.exceptions:
            print(f"    {report.name}: exceptions={report.exceptions} error={report.error or 'none'}")
    times = [t for report in reports for t in report.rerun_seconds]
    seen = [t for report in reports for t in report.seen_seconds]
    errors = sum(bool(r.error) or r.exceptions > 0 for r in reports)
    return ScaleRow(n, times, seen, errors, before, sampler.peak, (cpu[0], cpu[1]), wall, fits.writes)


def reference_part(counts: list[int], rounds: int, pace: Pace) -> dict[int, float]:
    """The same room on the reference app, alone on the machine: the p95 per count (0: one session)."""
    print(
        f"== Anchor: the reference app (bench/reference_app), paced the same; each round: pause 0-"
        f"{2 * pace.think_seconds:g} s, type a new K, pause, type another =="
    )
    p95s = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        streamlit_server(Path(tmp), app_dir=REFERENCE_APP) as (url, process),
    ):
        server = psutil.Process(process.pid)
        run_reference_room(url, 1, 1, pace)  # the first visit imports the libraries: not a session's cost
        anchor, anchor_seen = [], []
        for _ in range(3):
            times, seen, _ = run_reference_room(url, 1, rounds, pace)
            anchor, anchor_seen = anchor + times, anchor_seen + seen
        p95s[0] = percentile(anchor, 95)
        print(
            f"  one session alone, 3 runs: p50 {percentile(anchor, 50):.2f} s, p95 {p95s[0]:.2f} s "
            f"(as Playwright saw them: p95 {percentile(anchor_seen, 95):.2f} s)"
        )
        print(
            "  sessions  errors  p50 s  p95 s  p95 / one  CPU s server / rest  "
            "server CPU ms / interaction  wall s  cores busy  p95 as Playwright saw it"
        )
        for n in counts:
            cpu_before, start = cpu_seconds(server), time.perf_counter()
            times, seen, errors = run_reference_room(url, n, rounds, pace)
            cpu = [b - a for a, b in zip(cpu_before, cpu_seconds(server), strict=True)]
            wall = time.perf_counter() - start
            p95s[n] = percentile(times, 95)
            print(
                f"  {n:>8}  {errors:>6}  {percentile(times, 50):5.2f}  {p95s[n]:5.2f}  "
                f"{p95s[n] / p95s[0]:8.2f}x  "
                f"{cpu[0]:12.0f} / {cpu[1]:<8.0f} {1000 * cpu[0] / max(len(times), 1):27.0f}  "
                f"{wall:6.0f}  {busy_share(cpu, wall):>10}  {percentile(seen, 95):24.2f}"
            )
    return p95s


def scale_part(
    url: str, server: Server, counts: list[int], rounds: int, pace: Pace, reference: dict[int, float]
) -> None:
    print(
        f"== Scaling: one session, then {', '.join(map(str, counts))} at once on the Draw page; they open "
        f"the page {pace.arrival_seconds:g} s apart (within {pace.open_seconds:g} s each), wait for all, "
        f"then {rounds} times: pause 0-{2 * pace.think_seconds:g} s, move K, pause, draw a 1 =="
    )
    lookups = cache_lookups(url)
    row = run_sessions(url, server, max(counts), rounds, pace)
    print(
        f"  first, {row.sessions} sessions at once on cold caches: {row.errors} with errors; "
        f"{row.fits} fits (saves to the disk cache); Streamlit's caches: "
        f"{lookups_between(lookups, cache_lookups(url))}"
    )
    alone = [run_sessions(url, server, 1, rounds, pace) for _ in range(3)]
    anchor = [t for row in alone for t in row.times]
    one = percentile(anchor, 95)
    print(
        f"  one session alone, 3 runs: p50 {percentile(anchor, 50):.2f} s, p95 {one:.2f} s "
        f"(as Playwright saw them: p95 {percentile([t for row in alone for t in row.seen], 95):.2f} s)"
    )
    print(
        "  sessions  errors  p50 s  p95 s  p95 / one  RSS before -> peak MB  MB/session  "
        "CPU s server / rest  server CPU ms / interaction  wall s  p95 / one: reference's  "
        "p95 / reference's p95  cores busy  p95 as Playwright saw it"
    )
    for n in counts:
        lookups = cache_lookups(url)
        row = run_sessions(url, server, n, rounds, pace)
        p95 = percentile(row.times, 95)
        print(
            f"  {n:>8}  {row.errors:>6}  {percentile(row.times, 50):5.2f}  {p95:5.2f}  {p95 / one:8.2f}x  "
            f"{row.rss_before:9.0f} -> {row.rss_peak:5.0f}  {(row.rss_peak - row.rss_before) / n:10.1f}  "
            f"{row.cpu[0]:12.0f} / {row.cpu[1]:<8.0f} {1000 * row.cpu[0] / max(len(row.times), 1):27.0f}  "
            f"{row.wall:6.0f}  {reference[n] / reference[0]:17.2f}x  {p95 / reference[n]:20.2f}x  "
            f"{busy_share(row.cpu, row.wall):>10}  {percentile(row.seen, 95):24.2f}"
        )
        shared = lookups_between(lookups, cache_lookups(url)) or "none"
        print(f"            {row.fits} fits; Streamlit's caches: {shared}")


def warm_and_users_part(url: str, server: psutil.Process, args) -> None:
    if args.warm:  # the fits of the K values the users visit are shared, and stay: not a session's cost
        print(f"== first, {args.users} users alone (cold caches) ==")
        report_users(run_users(url, args.users, args.rounds, small_npz())[0], args.users)
        print(f"RSS {rss_mb(server):.0f} MB after a first run of the users alone (fills the shared caches)")
    print(f"RSS {after_sessions_expire(url, server, args.session_ttl):.0f} MB once their sessions expired")
    users_part(url, server, args)


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
    parser.add_argument("--no-hostile", action="store_true", help="no hostile user beside the users")
    parser.add_argument(
        "--junk-mb", type=int, default=30, help="size of each of the hostile user's 6 junk files"
    )
    parser.add_argument(
        "--no-warm", dest="warm", action="store_false", help="no first run of the users alone"
    )
    parser.add_argument(
        "--mmap-threshold",
        type=int,
        default=0,
        help="glibc's MALLOC_MMAP_THRESHOLD_ for the server, in bytes (0: glibc's dynamic default)",
    )
    parser.add_argument("--session-ttl", type=int, default=120, help="server.disconnectedSessionTTL, seconds")
    parser.add_argument(
        "--scale",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[],
        help="session counts for the scaling part, e.g. 10,20,30 (default: no scaling part)",
    )
    parser.add_argument("--scale-rounds", type=int, default=4, help="rounds of (move K, draw) per session")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause before each action, seconds")
    parser.add_argument(
        "--arrival", type=float, default=1.0, help="seconds between sessions opening the page"
    )
    parser.add_argument(
        "--open-timeout", type=float, default=180, help="seconds a session may take to open it"
    )
    args = parser.parse_args(argv)
    os.environ["STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL"] = str(args.session_ttl)  # the server inherits it
    if args.mmap_threshold:
        os.environ["MALLOC_MMAP_THRESHOLD_"] = str(args.mmap_threshold)
    pace = Pace(True, args.think, args.arrival, args.open_timeout)
    # The anchor first, with the lab's server not yet started: the two never share the machine.
    reference = reference_part(args.scale, args.scale_rounds, pace) if args.scale else {}
    with tempfile.TemporaryDirectory() as tmp, streamlit_server(Path(tmp)) as (url, process):
        server = psutil.Process(process.pid)
        print(f"server at {url}, pid {process.pid}, RSS {rss_mb(server):.0f} MB at start")
        visit_once(url)  # the first visit imports the libraries and loads the sample: not a session's cost
        print(f"RSS {rss_mb(server):.0f} MB after one visit")
        if args.scale:
            lab = Server(server, Path(tmp) / "results")
            scale_part(url, lab, args.scale, args.scale_rounds, pace, reference)
        if args.users:
            warm_and_users_part(url, server, args)
        if args.uploads:
            uploads_part(url, server, args.uploads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
