"""The Fashion-MNIST rows of bench/bench_app.py: the full 60,000 training images, in the browser.

`fashion_rows(browser, url, reference_ms, repeats)` runs in bench_app's browser against its lab server
(caches cold for Fashion-MNIST) and returns the table's lines:

- First Explore: on Explore, from picking Fashion-MNIST in the sidebar to the page idle and every
  picture on it shown (the dataset is read and its pictures and charts made).
- New K typed on Centroids and on Evaluate: every K a value not seen before, so a model is fitted;
  medians against the reference app's typed K, with the Centroids target (6x).
- Evaluate at K=333 with full K-means (Lloyd), the issue's example of a slow precise fit.
- For each, whether a progress bar was on screen while the wait lasted more than half a second.

Run it alone with ``python bench/app_fashion.py`` (it starts the reference app and the lab itself).
"""

from __future__ import annotations

import contextlib
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_paths import PROJECT
from browser_support import (
    SLOW_MS,
    TECHNICAL_BOX,
    k_text,
    launch_chromium,
    open_box,
    open_page,
    streamlit_server,
    wait_until_idle,
)

FASHION_OPTION = "Fashion-MNIST"
#: Every picture on the page loaded (bench_app.py's waits end there too, if later than the run).
ALL_PICTURES_SHOWN_JS = "() => [...document.images].every((image) => image.complete)"
#: A wait longer than this must show a progress bar (issue 12).
PROGRESS_AFTER_MS = 500
#: Centroids at a new K on Fashion-MNIST: at most this many times the reference app's typed K.
CENTROIDS_TARGET = 6.0

#: Notes, with `performance.now()`, each key press and click, each change of the script state, each
#: time a progress bar (`st.progress`) appears or goes, and each picture loaded.
RECORDER_JS = """
window.__fashion = [];
(() => {
    const note = (what) => window.__fashion.push([what, performance.now()]);
    let state = null, progress = false;
    const look = () => {
        const app = document.querySelector('[data-testid="stApp"]');
        const now = app && app.getAttribute('data-test-script-state');
        if (now !== state) { state = now; note('state:' + now); }
        const bar = document.querySelector('[data-testid="stProgress"]') !== null;
        if (bar !== progress) { progress = bar; note(bar ? 'progress' : 'no-progress'); }
    };
    new MutationObserver(look).observe(document, {subtree: true, childList: true, attributes: true});
    document.addEventListener('keydown', () => note('key'), true);
    document.addEventListener('mousedown', () => note('click'), true);
    document.addEventListener('load', (e) => { if (e.target.tagName === 'IMG') note('picture'); }, true);
})();
"""


#: The events so far, and a fresh start: a bar already on screen counts as shown in the next wait.
DRAIN_JS = """() => {
    const events = window.__fashion.splice(0);
    if (document.querySelector('[data-testid="stProgress"]') !== null) {
        window.__fashion.push(['progress', performance.now()]);
    }
    return events;
}"""


def _events(page) -> list[tuple[str, float]]:
    return [tuple(event) for event in page.evaluate(DRAIN_JS)]


def _wait(events, start: str) -> tuple[float | None, bool]:
    """Ms from the first `start` event to the last "state:notRunning" or picture shown, whichever is
    later; whether a progress bar showed."""
    begin = next((t for name, t in events if name == start), None)
    end = next((t for name, t in reversed(events) if name == "state:notRunning"), None)
    if begin is None or end is None:
        return None, False
    shown = next((t for name, t in reversed(events) if name == "picture"), end)
    return max(end, shown) - begin, any(name == "progress" for name, _ in events)


def pick_fashion(page) -> tuple[float | None, bool]:
    """Pick Fashion-MNIST in the sidebar's dataset box; ms from the click on it to the page idle."""
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    option = page.get_by_role("option", name=FASHION_OPTION).first
    option.wait_for(timeout=SLOW_MS)
    _events(page)
    option.click()
    page.get_by_text("dataset: Fashion-MNIST").first.wait_for(timeout=SLOW_MS)
    wait_until_idle(page, SLOW_MS)
    page.wait_for_function(ALL_PICTURES_SHOWN_JS, timeout=SLOW_MS)
    return _wait(_events(page), "click")


def go_to(page, title: str) -> None:
    """Follow the sidebar's link (the session, and so the dataset, stays) and wait for the page."""
    page.get_by_role("link", name=title).first.click()
    page.get_by_role("heading", name=title, exact=False).first.wait_for(timeout=SLOW_MS)
    page.get_by_text(re.compile(r"K = \d")).first.wait_for(timeout=SLOW_MS)
    wait_until_idle(page, SLOW_MS)


def type_k(page, k: int) -> tuple[float | None, bool]:
    """Type K into the sidebar's K box and press Enter; ms from the key press to the page idle."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stNumberInput"]').filter(has_text="K").first
    field = box.get_by_role("spinbutton")
    field.fill(str(k))
    _events(page)
    field.press("Enter")
    page.get_by_text(k_text(k)).first.wait_for(timeout=SLOW_MS)
    wait_until_idle(page, SLOW_MS)
    page.wait_for_function(ALL_PICTURES_SHOWN_JS, timeout=SLOW_MS)
    return _wait(_events(page), "key")


def choose_algorithm(page, label: str) -> None:
    """Pick the algorithm in the sidebar and wait for the page's run with it (a fit) to end."""
    open_box(page, TECHNICAL_BOX).get_by_text(label).first.click()
    page.get_by_text(re.compile(r"K = \d")).first.wait_for(timeout=SLOW_MS)
    page.wait_for_timeout(500)  # the run the click starts, not the page before it
    wait_until_idle(page, SLOW_MS)


def _progress_note(waits: list[tuple[float | None, bool]]) -> str:
    """Whether the waits longer than `PROGRESS_AFTER_MS` showed a progress bar ("" if none was that long)."""
    long = [shown for ms, shown in waits if ms is not None and ms > PROGRESS_AFTER_MS]
    if not long:
        return ""
    missing = long.count(False)
    return "progress bar shown" if not missing else f"NO PROGRESS BAR in {missing} of {len(long)}"


def _line(what: str, reference_ms: float | None, waits, target: float | None) -> str:
    values = [ms for ms, _ in waits if ms is not None]
    if not values:
        return f"{what:<34} {'n/a':>9}"
    mid, worst = statistics.median(values), max(values)
    if reference_ms is None:
        return f"{what:<34} {'':>9} {mid / 1000:>8.2f}s {worst / 1000:>8.2f}s  {_progress_note(waits)}"
    ratio = mid / reference_ms
    goal = "" if target is None else f"<= {target:g}x"
    verdict = "" if target is None else ("ok" if ratio <= target else "OVER")
    return (
        f"{what:<34} {reference_ms / 1000:>8.2f}s {mid / 1000:>8.2f}s {worst / 1000:>8.2f}s "
        f"{ratio:>7.2f}x {worst / reference_ms:>7.2f}x {goal:>7} {verdict}  {_progress_note(waits)}"
    )


def fashion_rows(browser, url: str, reference_ms: float | None, repeats: int) -> list[str]:
    """The Fashion-MNIST rows of the comparison table (see the module docstring), in one new session."""
    from core.data.registry import list_datasets

    if not any(info.name == "fashion-mnist" and info.available for info in list_datasets()):
        return ["Fashion-MNIST rows: not installed here (apt-get install -y dataset-fashion-mnist)"]
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.add_init_script(RECORDER_JS)
    page = context.new_page()
    try:
        open_page(page, url, "Explore", timeout=SLOW_MS)
        lines = [_line("Fashion: first Explore", reference_ms, [pick_fashion(page)], None)]
        for title, first_k, target in (("Centroids", 300, CENTROIDS_TARGET), ("Evaluate", 400, None)):
            print(f"Fashion-MNIST: typed K on {title}...", file=sys.stderr)
            go_to(page, title)
            waits = [type_k(page, k) for k in range(first_k, first_k + repeats)]
            lines.append(_line(f"Fashion: new K typed ({title})", reference_ms, waits, target))
        print("Fashion-MNIST: Evaluate at K=333 with Lloyd...", file=sys.stderr)
        choose_algorithm(page, "Full K-means (Lloyd, slower)")
        lines.append(_line("Fashion: Evaluate, Lloyd, K=333", reference_ms, [type_k(page, 333)], None))
    finally:
        context.close()
    return lines


def reference_typed_k(browser, url: str, repeats: int) -> float | None:
    """The reference app's median wait from Enter on a new K to idle, in ms."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.add_init_script(RECORDER_JS)
    page = context.new_page()
    page.goto(url)
    page.get_by_text(k_text(36)).first.wait_for(timeout=SLOW_MS)
    wait_until_idle(page)
    box = page.get_by_role("spinbutton", name="Number of clusters (K)").first
    waits = []
    for k in range(40, 40 + repeats):
        box.fill(str(k))
        _events(page)
        box.press("Enter")
        page.get_by_text(k_text(k)).first.wait_for(timeout=SLOW_MS)
        wait_until_idle(page)
        waits.append(_wait(_events(page), "key")[0])
    context.close()
    values = [ms for ms in waits if ms is not None]
    return statistics.median(values) if values else None


def main() -> int:
    from playwright.sync_api import sync_playwright

    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-fashion-")))
        browser = launch_chromium(stack.enter_context(sync_playwright()))
        stack.callback(browser.close)
        ref_url, _ = stack.enter_context(
            streamlit_server(tmp / "reference", app_dir=PROJECT / "bench" / "reference_app")
        )
        reference_ms = reference_typed_k(browser, ref_url, repeats)
        url, _ = stack.enter_context(streamlit_server(tmp / "lab"))
        start = time.perf_counter()
        lines = fashion_rows(browser, url, reference_ms, repeats)
        print(f"\nFashion-MNIST 60k ({repeats} repeats; {time.perf_counter() - start:.0f} s)")
        print(f"{'what':<34} {'reference':>9} {'lab':>9} {'slowest':>9} {'ratio':>8} {'slowest':>8}")
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
