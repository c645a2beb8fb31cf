"""The app as a user meets it, timed in Debian's Chromium beside a minimal Streamlit app, as ratios.

    python bench/bench_app.py              # 7 timed repeats of each interaction
    python bench/bench_app.py --repeats 15

The anchor is bench/reference_app/app.py: a K box, a caption and one small Plotly chart, the floor
of Streamlit's own round trip. Both apps are started cold, one after the other, in the same run,
on free loopback ports with empty caches in a temporary folder, and driven with Playwright.

- Cold start: from launching the server to the first heading on screen, for both apps, the heading's
  moment as the page itself records it (the frame after it appeared).
- The fitting floor, not the lab: bench/reference_fit_app, the reference app plus the lab's own fit
  of each new K on the sample (and nothing else), timed like the reference app at the K values the
  lab's pages are timed at. Its ratio is what fitting costs a page by itself; what a fitting page of
  the lab takes beyond it is the page. Like the lab, it freezes its loaded objects, so Streamlit's
  collection after each run is shorter than the reference app's (about 25 ms of its round trip).
- K typed: a new K typed into the K box and Enter pressed, to the page idle again with every picture
  and chart on it showing the new K (every K a value not seen before, so the lab fits a new model;
  a chart is shown once its drawing has not changed for 200 ms, and the wait ends at its last
  change: Streamlit's own chart, the reference app's, draws its new figure after the run, which
  until the eighteenth pass went uncounted; the table's line "by the rule before" gives the ratios
  without it); medians on the
  reference app and on each page of the lab, with their ratio to the reference. The reference app's
  page stays open through the run: besides the K typed at the start, 3 more are typed before each of
  the lab's series, and the lab is compared with the median of them all (in one run its median
  at the start was 65 ms against 77 ms over the run; both are printed). Also the Map with
  "Centres as pictures" ticked, and Step by step's first visit: K set to a value its steps have not
  been run for (at most 64) on Explore, then the sidebar's link clicked, to the Step by step page
  idle with its pictures shown. A picture the browser fetches after the run counts: until November
  27, 2026 only the run was waited for, and pictures served by URL came up to 3 s later. So do a
  sprite sheet's decoding and a lab chart's drawing (`ui/plotly_chart.js` draws after the run):
  since the fifth pass, the wait is to whichever comes last.

Then, for the lab alone: A script in the page notes, with `performance.now()`, each key press,
mouse-up, change of the app's script state ("running" / "notRunning") and the moment the
"Predicted digit" metric appears, so the figures are the browser's own, not Playwright's polling.

- Start: from launching the server to the first page rendered (its run finished), caches cold.
- K rerun: on each page, once the models for K=36 and 37 are fitted and the sweep cached, K is
  moved back and forth with the keyboard. "Server" is from the rerun request leaving the browser
  to the server's "script finished" message arriving, as Chromium's network stack reports the
  WebSocket frames (so it leaves out the browser's drawing); "key press -> idle" is the whole
  wait the user sees, drawing included.
- Stroke: on the Draw page, from the mouse-up that ends a stroke to the prediction on screen. It
  includes the canvas's 200 ms wait before it sends a drawing (streamlit-drawable-canvas 0.13).

Medians over the repeats; the table says whether each meets its target. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from app_fashion import ALL_PICTURES_SHOWN_JS, fashion_rows
from bench_paths import PROJECT
from browser_support import (  # noqa: E402
    PAGES,
    SLOW_MS,
    clear_canvas,
    draw_digit,
    heading_drawn_at,
    k_text,
    launch_chromium,
    move_k,
    open_page,
    predicted_digit,
    streamlit_server,
    wait_for_health,
    wait_until_idle,
    watch_for_heading,
)

#: Fitting the default sweep on a busy machine can take minutes.
SWEEP_MS = 600_000

RECORDER_JS = r"""
window.__bench = [];
(() => {
    const note = (what) => window.__bench.push([what, performance.now()]);
    let state = null, shown = false;
    const look = () => {
        const app = document.querySelector('[data-testid="stApp"]');
        const now = app && app.getAttribute('data-test-script-state');
        if (now !== state) { state = now; note('state:' + now); }
        const metric = [...document.querySelectorAll('[data-testid="stMetric"]')]
            .some((m) => m.textContent.includes('Predicted digit'));
        if (metric !== shown) { shown = metric; note(metric ? 'prediction' : 'no-prediction'); }
    };
    // Pictures drawn as CSS backgrounds (ui/picture_grid.py's sprite sheets) fire no 'load': each new
    // sheet in an added style sheet counts as shown once the browser has decoded a copy of it.
    const sheets = new Set(), SHEET = /url\(["']?(data:image\/png;base64,[^"')]+)/g;
    const decodeSheets = (records) => {
        for (const record of records) for (const node of record.addedNodes) {
            if (node.nodeType !== 1) continue;
            const styles = node.tagName === 'STYLE' ? [node] : node.querySelectorAll('style');
            for (const style of styles) {
                for (const [, uri] of style.textContent.matchAll(SHEET)) {
                    if (sheets.has(uri)) continue;
                    sheets.add(uri);
                    const copy = new Image();
                    copy.src = uri;
                    copy.decode().then(() => note('picture'), () => {});
                }
            }
        }
    };
    new MutationObserver((records) => { decodeSheets(records); look(); })
        .observe(document, {subtree: true, childList: true, attributes: true});
    // A run so short that the page drew its start and its end in one go leaves no state change (the
    // reference app's, at times): the moment a text awaited shows is then the run's end. Watched only
    // when asked for (a regular expression's source), by its own observer, until the text shows.
    window.__benchAwaitText = (source) => {
        const pattern = new RegExp(source);
        const shows = (node) => node && pattern.test(node.textContent || '');
        const watch = new MutationObserver((records) => {
            for (const record of records) {
                const nodes = record.type === 'characterData' ? [record.target] : record.addedNodes;
                if ([...nodes].some(shows)) { note('text'); watch.disconnect(); return; }
            }
        });
        watch.observe(document, {subtree: true, childList: true, characterData: true});
        // The reference apps' chart is titled with K too: the moment its title first shows the new K,
        // before Streamlit draws it once more (a stricter end for the anchor than its last change).
        const titled = new MutationObserver(() => {
            const titles = [...document.querySelectorAll('.js-plotly-plot .gtitle')];
            if (titles.some(shows)) { note('chart title'); titled.disconnect(); }
        });
        titled.observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
    };
    // A Plotly chart changing: its SVG redrawn. Streamlit's own st.plotly_chart (the reference apps')
    // draws its new figure after the run has ended, and again once it has re-applied its theme; the
    // lab's charts (ui/plotly_chart.js) also say when they are drawn ('lab-chart-drawn'). Either way,
    // a K's wait lasts until the last chart shows it.
    new MutationObserver((records) => {
        for (const record of records) {
            const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
            if (node && node.closest('.js-plotly-plot')) {
                window.__benchChartAt = performance.now();
                note('chart');
                return;
            }
        }
    }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
    document.addEventListener('keydown', (e) => note('key'), true);
    document.addEventListener('mouseup', (e) => note('mouseup'), true);
    // A picture on screen: 'load' does not bubble, but a capturing listener sees every <img> load.
    document.addEventListener('load', (e) => { if (e.target.tagName === 'IMG') note('picture'); }, true);
    // A chart drawn (ui/plotly_chart.js), after its run: it counts like a picture.
    document.addEventListener('lab-chart-drawn', () => note('picture'), true);
})();
"""


class WireLog:
    """When rerun requests leave the browser and "script finished" messages reach it (ms)."""

    KINDS = {"rerun_script", "script_finished"}

    def __init__(self, page):
        self.events: list[tuple[str, float]] = []
        page.on("websocket", self._watch)

    def _watch(self, websocket) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        websocket.on("framesent", lambda payload: self._note(payload, BackMsg))
        websocket.on("framereceived", lambda payload: self._note(payload, ForwardMsg))

    def _note(self, payload, message_class) -> None:
        now = time.perf_counter() * 1000
        if isinstance(payload, str):
            return
        message = message_class()
        try:
            message.ParseFromString(payload)
        except Exception:  # not one of Streamlit's messages: nothing to time
            return
        if (kind := message.WhichOneof("type")) in self.KINDS:
            self.events.append((kind, now))

    def drain(self) -> list[tuple[str, float]]:
        events, self.events = self.events, []
        return events


def drain(page) -> list[tuple[str, float]]:
    """The events noted since the last call, oldest first, as (what, milliseconds)."""
    return [tuple(event) for event in page.evaluate("window.__bench.splice(0)")]


def first(events, what, after=float("-inf")) -> float | None:
    return next((t for name, t in events if name == what and t >= after), None)


def last(events, what) -> float | None:
    return next((t for name, t in reversed(events) if name == what), None)


def time_cold_start(stack: contextlib.ExitStack, browser, workdir: Path, app_dir: Path, heading: str):
    """Start a server for the app in `app_dir` and open it; seconds from launch to `heading` on screen.

    Returns the URL and the seconds to the first heading and to the page idle (its first run done).
    The heading's moment is the page's own (`browser_support.watch_for_heading`): Playwright's wait,
    after its first few checks, looks only every 500 ms, so it saw a heading drawn at 1.45 s anywhere
    up to 2.05 s.
    """
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    watch_for_heading(page, heading)
    launched = time.time()
    url, process = stack.enter_context(streamlit_server(workdir, wait=False, app_dir=app_dir))
    wait_for_health(url, process, workdir / "streamlit.log", timeout=120)
    page.goto(url, wait_until="commit", timeout=SWEEP_MS)
    page.get_by_role("heading", name=heading).first.wait_for(timeout=SWEEP_MS)
    first_heading = heading_drawn_at(page, SWEEP_MS) - launched
    page.get_by_text(re.compile(r"K = \d")).first.wait_for(timeout=SWEEP_MS)
    wait_until_idle(page, SWEEP_MS)
    complete = time.time() - launched
    page.close()
    return url, first_heading, complete


def time_typed_k(
    page,
    ks: list[int],
    *,
    watch_text: bool = False,
    run_only: list | None = None,
    title_shown: list | None = None,
) -> list[float]:
    """Type each K into the K box and press Enter; per K, ms from the key press to the page idle
    with every picture and chart on it shown (a picture the page fetches after its run counts too,
    and a chart drawn after it: `page_shown_wait`; `run_only` gets the waits without the charts).

    With `watch_text` (the reference apps, whose runs are short), the moment the new "K = ..." shows
    is noted too: a run can be so short that the page draws its start and end at once, with no state
    change to note. Left out of such a K, the quickest runs would go uncounted.
    """
    waits = []
    for k in ks:
        box = page.get_by_role("spinbutton", name=re.compile(r"^(K|Number of clusters \(K\))$")).first
        box.fill(str(k))
        drain(page)
        if watch_text:
            page.evaluate("(source) => window.__benchAwaitText(source)", k_text(k).pattern)
        box.press("Enter")
        page.get_by_text(k_text(k)).first.wait_for(timeout=SWEEP_MS)
        wait = page_shown_wait(page, "key", f"K = {k}", run_only=run_only, title_shown=title_shown)
        if wait is not None:
            waits.append(wait)
    return waits


#: A chart counts as drawn once it has not changed for this long (ms). Streamlit's own chart draws a
#: new figure 25-50 ms after its run ends, then again within about 15 ms.
CHART_QUIET_MS = 200
CHARTS_QUIET_JS = f"() => performance.now() - (window.__benchChartAt || 0) > {CHART_QUIET_MS}"


def page_shown_wait(
    page, start: str, what: str, *, run_only: list | None = None, title_shown: list | None = None
) -> float | None:
    """Wait for the page idle with every picture and chart shown; ms from the first `start` event to
    whichever came last: the run's end, a picture's load, a chart's last change (None, and a note,
    if the record is incomplete).

    A chart's last change counts since the eighteenth pass: before, the reference app's wait ended with
    its run, while its chart showed the new K 10-45 ms later (bench/README.md). `run_only` gets the wait
    by the rule before, without the chart's change, for comparison with earlier figures; `title_shown`,
    on the reference apps, the wait to the moment their chart's title first showed the new K (before
    Streamlit draws the chart again), a stricter anchor than the chart's last change.
    """
    wait_until_idle(page, SWEEP_MS)
    page.wait_for_function(ALL_PICTURES_SHOWN_JS, timeout=SWEEP_MS)
    page.wait_for_function(CHARTS_QUIET_JS, timeout=SWEEP_MS)
    events = drain(page)
    # No state change: the page drew the run's start and end at once, when the awaited text came.
    began, idle = first(events, start), last(events, "state:notRunning") or last(events, "text")
    if None in (began, idle):
        print(f"  ({what} left no complete record: {events})", file=sys.stderr)
        return None
    shown = max(idle, last(events, "picture") or idle)
    if run_only is not None:
        run_only.append(shown - began)
    whole = max(shown, last(events, "chart") or shown) - began
    if title_shown is not None:
        titled = first(events, "chart title")
        title_shown.append(whole if titled is None else max(shown, titled) - began)
    return whole


def time_k_moves(page, wire: WireLog, repeats: int) -> tuple[list[float], list[float]]:
    """Move K by +1/-1 alternately; per move, the server's time and the user's wait (ms)."""
    server_ms, wall_ms = [], []
    for i in range(repeats):
        drain(page)
        wire.drain()
        move_k(page, +1 if i % 2 == 0 else -1)
        events, frames = drain(page), wire.drain()
        pressed, idle = first(events, "key"), last(events, "state:notRunning")
        requested, finished = first(frames, "rerun_script"), last(frames, "script_finished")
        if None in (pressed, idle, requested, finished):
            print(f"  (a K move left no complete record: {events} {frames})", file=sys.stderr)
            continue
        server_ms.append(finished - requested)
        wall_ms.append(idle - pressed)
    return server_ms, wall_ms


def time_strokes(page, repeats: int) -> tuple[list[float], list[str]]:
    """Draw, time mouse-up to prediction (ms), clear; cycles through 1, 0 and 7."""
    latencies, answers = [], []
    for i in range(repeats):
        digit = "107"[i % 3]
        drain(page)
        draw_digit(page, digit)
        answers.append(f"{digit}->{predicted_digit(page, timeout=SLOW_MS)}")
        events = drain(page)
        released = last(events, "mouseup")
        shown = first(events, "prediction", after=released or 0)
        if released is not None and shown is not None:
            latencies.append(shown - released)
        clear_canvas(page)
    return latencies, answers


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def row(what: str, target_ms: float | None, values_ms: list[float], unit: str = "ms") -> str:
    scale = 1000.0 if unit == "s" else 1.0
    mid = median(values_ms)
    shown = "n/a" if mid is None else f"{mid / scale:,.{2 if unit == 's' else 0}f} {unit}"
    spread = (
        "" if len(values_ms) < 2 else f"{min(values_ms) / scale:,.0f}-{max(values_ms) / scale:,.0f} {unit}"
    )
    goal = "-" if target_ms is None else f"<= {target_ms / scale:g} {unit}"
    verdict = "" if target_ms is None or mid is None else ("ok" if mid <= target_ms else "OVER")
    return f"{what:<44} {goal:>10} {shown:>11} {spread:>15} {len(values_ms):>3}  {verdict}"


REFERENCE_APP = PROJECT / "bench" / "reference_app"
#: The reference app plus the lab's fit of each new K, and nothing else of the lab.
REFERENCE_FIT_APP = PROJECT / "bench" / "reference_fit_app"


def ratio_row(what: str, reference_ms: float | None, lab_ms: list[float], target: float | None) -> str:
    """One line of the comparison: the reference's median, the lab's median and slowest, the ratios."""
    lab = median(lab_ms)
    if reference_ms is None or lab is None:
        return f"{what:<40} {'n/a':>9}"
    ratio, worst = lab / reference_ms, max(lab_ms) / reference_ms
    verdict = "" if target is None else ("ok" if ratio <= target else "OVER")
    goal = "" if target is None else f"<= {target:g}x"
    return (
        f"{what:<40} {reference_ms / 1000:>8.2f}s {lab / 1000:>8.2f}s {max(lab_ms) / 1000:>8.2f}s "
        f"{ratio:>7.2f}x {worst:>7.2f}x {goal:>7} {verdict}"
    )


#: New K typed on the reference app before each of the lab's pages, besides `repeats` at the start: its
#: round trip moves during a run (65 ms at the start of one, 77 ms over all of it), so the lab's pages
#: are compared with the reference timed around them, not only at the run's start.
REFERENCE_BETWEEN_PAGES = 3


class ReferenceRound:
    """The reference app's page, kept open through the run: `repeats` new K typed on it at the start
    (`at_start`), more now and then (`time`)."""

    def __init__(self, browser, url: str, repeats: int):
        self.context = browser.new_context(viewport={"width": 1280, "height": 720})
        self.context.add_init_script(RECORDER_JS)
        self.page = self.context.new_page()
        self.page.goto(url)
        self.page.get_by_text(k_text(36)).first.wait_for(timeout=SLOW_MS)
        wait_until_idle(self.page)
        self.next_k = 40
        self.waits: list[float] = []
        self.run_only: list[float] = []  # by the rule before the eighteenth pass (`page_shown_wait`)
        self.title_shown: list[float] = []  # to its chart's title first showing the new K
        self.at_start = self.time(repeats)

    def time(self, n: int) -> list[float]:
        """Type `n` new K; their waits (ms), also kept in `waits`."""
        ks = list(range(self.next_k, self.next_k + n))
        self.next_k += n
        waits = time_typed_k(
            self.page, ks, watch_text=True, run_only=self.run_only, title_shown=self.title_shown
        )
        self.waits += waits
        return waits

    def median(self) -> float | None:
        """The median over every K typed so far: the anchor of the lab's new-K rows."""
        return median(self.waits)


def compare_with_reference(stack, browser, tmp: Path, repeats: int) -> tuple[list[str], str]:
    """Cold start and typed K changes, reference app then lab; returns the table's lines and the lab's URL."""
    print("reference app: cold start and typed K...", file=sys.stderr)
    ref_url, ref_heading, _ = time_cold_start(
        stack, browser, tmp / "reference", REFERENCE_APP, "Reference app"
    )
    reference = ReferenceRound(browser, ref_url, repeats)
    print("reference app with the lab's fit: typed K...", file=sys.stderr)
    fitting = time_reference_fit(stack, browser, tmp / "reference-fit", repeats)

    print("the lab: cold start (caches empty)...", file=sys.stderr)
    url, heading, complete = time_cold_start(stack, browser, tmp / "lab", PROJECT, "Explore the images")
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.add_init_script(RECORDER_JS)
    page = context.new_page()
    next_k = 100
    timed = []  # (row, waits, target)
    by_page, run_only = [], []  # (page, waits); (page, waits by the rule before the eighteenth pass)
    for title in PAGES:
        reference.time(REFERENCE_BETWEEN_PAGES)
        print(f"typed K on {title}...", file=sys.stderr)
        open_page(page, url, title, timeout=SWEEP_MS)
        ks = list(range(next_k, next_k + repeats))
        next_k += repeats
        before: list[float] = []
        waits = time_typed_k(page, ks, run_only=before)
        print(f"  ms per K, in order: {[round(wait) for wait in waits]}", file=sys.stderr)
        timed.append((f"new K typed ({title})", waits, 2.0))
        by_page.append((title, waits))
        run_only.append((title, before))
    reference.time(REFERENCE_BETWEEN_PAGES)
    print("typed K on the Map with its centres as pictures...", file=sys.stderr)
    open_page(page, url, "Map", timeout=SWEEP_MS)
    page.get_by_text("Centres as pictures").first.click()
    page.get_by_text("Cluster centres (the pictures)").first.wait_for(timeout=SWEEP_MS)
    wait_until_idle(page, SWEEP_MS)
    pictures = time_typed_k(page, list(range(next_k, next_k + repeats)))
    reference.time(REFERENCE_BETWEEN_PAGES)
    print("Step by step's first visits...", file=sys.stderr)
    visits = time_first_visits(page, url, list(range(40, 40 + repeats)))
    context.close()
    reference.time(REFERENCE_BETWEEN_PAGES)
    reference_k = reference.median()
    print(f"  reference app, ms per K, in order: {[round(w) for w in reference.waits]}", file=sys.stderr)
    lines = [
        ratio_row("cold start, launch -> first heading", ref_heading * 1000, [heading * 1000], 1.4),
        ratio_row("cold start, launch -> page complete", ref_heading * 1000, [complete * 1000], None),
        ratio_row("new K typed (reference app, at the start)", reference_k, reference.at_start, None),
        ratio_row("new K typed (reference app, whole run)", reference_k, reference.waits, None),
        # Not the lab: what a new K costs a page that fits the lab's model and does nothing else.
        ratio_row("new K typed (reference app + lab's fit)", reference_k, fitting, None),
    ]
    lines += [ratio_row(what, reference_k, waits, target) for what, waits, target in timed]
    # The target over the sample's pages together: the median within 2x, the slowest within 4x.
    every_page = [wait for _, waits, _ in timed for wait in waits]
    lines.append(ratio_row("new K typed, all pages above together", reference_k, every_page, 2.0))
    if reference_k and every_page:
        slowest = max(every_page) / reference_k
        verdict = "ok" if slowest <= 4 else "OVER"
        lines.append(f"{'  slowest of them (target <= 4x)':<40} {slowest:>46.2f}x {verdict}")
    lines.append(ratios_line("by the rule before, waits to the run's end", reference.run_only, run_only))
    stricter = "against the reference app's chart first titled with the new K, stricter"
    lines.append(ratios_line(stricter, reference.title_shown, by_page))
    lines.append(ratio_row("new K typed (Map, centres as pictures)", reference_k, pictures, 4.0))
    lines.append(ratio_row("first visit (Step by step, new K)", reference_k, visits, 4.0))
    reference.context.close()
    lines += fashion_rows(browser, url, reference_k, repeats)  # bench/app_fashion.py
    return lines, url


def ratios_line(rule: str, reference: list[float], pages: list[tuple[str, list[float]]]) -> str:
    """One line of typed-K ratios by another `rule`: the reference app's median wait by it, and each
    page's ratio to that."""
    anchor = median(reference)
    if not anchor:
        return f"  {rule}: no reference figures"
    ratios = ", ".join(f"{title} {median(waits) / anchor:.2f}x" for title, waits in pages if waits)
    return f"  {rule} (reference {anchor:.0f} ms): {ratios}"


def time_reference_fit(stack, browser, workdir: Path, repeats: int) -> list[float]:
    """The fitting floor (bench/reference_fit_app): ms per new K typed, as for the reference app."""
    url, _ = stack.enter_context(streamlit_server(workdir, app_dir=REFERENCE_FIT_APP))
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.add_init_script(RECORDER_JS)
    page = context.new_page()
    page.goto(url)
    page.get_by_text(k_text(36)).first.wait_for(timeout=SWEEP_MS)
    wait_until_idle(page, SWEEP_MS)
    # The K values the lab's pages are timed at (from 100 up): a fit's cost grows with K.
    waits = time_typed_k(page, [100 + i for i in range(repeats)], watch_text=True)
    context.close()
    return waits


def time_first_visits(page, url: str, ks: list[int]) -> list[float]:
    """Per K: set it on Explore, then click the sidebar's Step by step link; ms from the click to idle.

    Each K is at most 64 (the page's cap) and new to the page, so its steps are run on the visit.
    """
    waits = []
    for k in ks:
        open_page(page, url, "Explore", timeout=SWEEP_MS)
        time_typed_k(page, [k], watch_text=True)  # not timed; K may have been fitted already
        drain(page)
        link = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]').filter(
            has_text="Step by step"
        )
        link.first.click()
        page.get_by_text(re.compile(r"Step \d+ of \d+")).first.wait_for(timeout=SWEEP_MS)
        if (wait := page_shown_wait(page, "mouseup", f"the visit at K = {k}")) is not None:
            waits.append(wait)
    return waits


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats of each interaction")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    lines = []
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-app-")))
        browser = launch_chromium(stack.enter_context(sync_playwright()))
        stack.callback(browser.close)
        comparison, url = compare_with_reference(stack, browser, tmp, args.repeats)

        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(RECORDER_JS)
        page = context.new_page()
        wire = WireLog(page)
        for title in PAGES:
            print(f"K moves between cached models on {title}...", file=sys.stderr)
            open_page(page, url, title, timeout=SWEEP_MS)
            # Warm up: fit (or load) the models for both K values the moves go between.
            move_k(page, +1, timeout=SWEEP_MS)
            move_k(page, -1, timeout=SWEEP_MS)
            server_ms, wall_ms = time_k_moves(page, wire, args.repeats)
            lines.append(row(f"K rerun, server time ({title})", 300, server_ms))
            lines.append(row(f"K rerun, key press -> idle ({title})", None, wall_ms))

        print("strokes on the Draw page...", file=sys.stderr)
        open_page(page, url, "Draw")
        latencies, answers = time_strokes(page, args.repeats)
        lines.append(row("stroke mouse-up -> prediction shown", 1000, latencies))
        context.close()

    print(f"\nThe lab against the reference app, same run ({args.repeats} repeats; medians)")
    header = (
        f"{'what':<40} {'reference':>9} {'lab':>9} {'slowest':>9} {'ratio':>8} {'slowest':>8} {'target':>7}"
    )
    print(header)
    print("-" * (len(header) + 6))
    print("\n".join(comparison))
    print(f"\nThe lab alone, cached models ({args.repeats} repeats; medians, min-max)")
    header = f"{'what':<44} {'target':>10} {'median':>11} {'min-max':>15} {'n':>3}"
    print(header)
    print("-" * (len(header) + 6))
    print("\n".join(lines))
    print(f"drawn -> predicted: {' '.join(answers)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
