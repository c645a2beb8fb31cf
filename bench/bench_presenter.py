"""The presenter's Audience page left open: what its refreshes cost, beside a minimal refreshing app.

    python bench/bench_presenter.py                      # 0, 24 and 200 drawings, 20 s each
    python bench/bench_presenter.py --counts 0,24 --seconds 5

The Audience page redraws its live part every 2 seconds for as long as a room is open: an hour's talk
is 1,800 refreshes. This starts the reference app, `bench/reference_refresh_app/app.py` (a fragment
run as often, with a count and one small chart), opens it in Debian's Chromium at 1280x720 and
measures, over `--seconds`, the CPU time its server and the browser use per second. Then it starts
`streamlit run app.py` (its own SQLite database in a temporary folder), opens a room on the Audience
page in presenter mode, and measures the same with the room holding each of `--counts` drawings:
real MNIST test digits, stored as a phone stores them (`RoomStore.add_drawing`), each marked with
what the room's model (K = 36, the default) reads. Printed side by side, with the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

import bench_paths  # noqa: F401 (puts the project and its tests on the import path)
import psutil  # noqa: E402
from browser_support import launch_chromium, streamlit_server, wait_until_idle  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from core.analysis.sweep import fit_model  # noqa: E402
from core.audience.database import SQLITE_FILE  # noqa: E402
from core.audience.store import open_store  # noqa: E402
from core.data.registry import load_mnist_sample  # noqa: E402

REFERENCE_REFRESH_APP = bench_paths.PROJECT / "bench" / "reference_refresh_app"
PROJECTOR = {"width": 1280, "height": 720}
#: Seconds the page is left to settle (its first refreshes, a new drawing's charts) before measuring.
SETTLE_SECONDS = 5
OPEN_MS = 180_000
#: The drawings are the sample's test digits, each stored once.
MAX_DRAWINGS = 2000


def cpu_seconds(processes) -> float:
    """User and system CPU time of `processes` so far (those that have ended count nothing)."""
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def browser_processes() -> list[psutil.Process]:
    """Chromium's processes (the browser, its renderers and GPU process), started by this script."""
    me = psutil.Process()
    return [p for p in me.children(recursive=True) if "chrom" in p.name().lower()]


def cpu_per_second(server: psutil.Process, seconds: float) -> tuple[float, float]:
    """Milliseconds of CPU per second of the server and of the browser, over `seconds` from now."""
    browser = browser_processes()
    server_before, browser_before, start = cpu_seconds([server]), cpu_seconds(browser), time.perf_counter()
    time.sleep(seconds)
    elapsed = time.perf_counter() - start
    return (
        1000 * (cpu_seconds([server]) - server_before) / elapsed,
        1000 * (cpu_seconds(browser) - browser_before) / elapsed,
    )


def open_room(page, url: str) -> str:
    """The presenter opens a room on the Audience page in presenter mode; returns its code."""
    page.goto(f"{url}/audience")
    page.get_by_text(re.compile(r"K = \d")).first.wait_for(timeout=OPEN_MS)
    wait_until_idle(page, OPEN_MS)
    page.get_by_text("Presenter mode").first.click()
    wait_until_idle(page, OPEN_MS)
    page.get_by_role("button", name="Open a room").click()
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Room code")
    metric.wait_for(timeout=OPEN_MS)
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def measure_reference(browser, folder: Path, seconds: float) -> tuple[float, float]:
    with streamlit_server(folder / "reference", app_dir=REFERENCE_REFRESH_APP) as (url, process):
        context = browser.new_context(viewport=PROJECTOR)
        page = context.new_page()
        page.goto(url)
        page.get_by_text("Reference refresh app").first.wait_for(timeout=OPEN_MS)
        time.sleep(SETTLE_SECONDS)
        figures = cpu_per_second(psutil.Process(process.pid), seconds)
        context.close()
        return figures


def measure_lab(browser, folder: Path, counts: list[int], seconds: float) -> list[tuple[float, float]]:
    sample = load_mnist_sample()
    model, _ = fit_model(sample, 36)  # the room's model: the sidebar's defaults
    reads = model.predict(sample.test_images.reshape(len(sample.test_images), -1))
    figures = []
    with streamlit_server(folder / "lab") as (url, process):
        context = browser.new_context(viewport=PROJECTOR)
        page = context.new_page()
        code = open_room(page, url)
        store = open_store(f"sqlite:///{folder / 'lab' / 'results' / SQLITE_FILE}")
        stored = 0
        for count in counts:
            for i in range(stored, count):
                label = int(sample.test_labels[i])
                store.add_drawing(code, sample.test_images[i], label, int(reads[i]), uuid.uuid4().hex)
            stored = max(stored, count)
            time.sleep(SETTLE_SECONDS)
            figures.append(cpu_per_second(psutil.Process(process.pid), seconds))
        context.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", default="0,24,200", help="drawings in the room, rising, e.g. 0,24,200")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds measured at each count")
    args = parser.parse_args(argv)
    try:
        counts = [int(c) for c in args.counts.split(",")]
    except ValueError:
        print(f"bench_presenter: --counts should be numbers with commas, e.g. 0,24,200, not {args.counts!r}")
        return 2
    if counts != sorted(counts) or min(counts) < 0 or max(counts) > MAX_DRAWINGS:
        print(f"bench_presenter: --counts should rise from 0 to at most {MAX_DRAWINGS:,}, e.g. 0,24,200")
        return 2
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        reference = measure_reference(browser, Path(tmp), args.seconds)
        lab = measure_lab(browser, Path(tmp), counts, args.seconds)
        browser.close()
    print(f"A page left open, refreshing every 2 s: CPU ms per second, over {args.seconds:g} s each")
    print(f"{'what':<36} {'server':>8} {'ratio':>7} {'browser':>8} {'ratio':>7}")
    print(f"{'reference refresh app':<36} {reference[0]:>8.1f} {'':>7} {reference[1]:>8.1f}")
    for count, (server, browser_ms) in zip(counts, lab, strict=True):
        print(
            f"{f'lab, Audience, {count} drawings':<36} {server:>8.1f} {server / reference[0]:>6.2f}x "
            f"{browser_ms:>8.1f} {browser_ms / reference[1]:>6.2f}x"
        )
    print(f"load average now: {' '.join(f'{x:.1f}' for x in psutil.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
