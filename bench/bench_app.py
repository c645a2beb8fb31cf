"""The app as a user meets it, timed in Debian's Chromium: cold start, a K rerun, a stroke's answer.

    python bench/bench_app.py              # 7 timed repeats of each interaction
    python bench/bench_app.py --repeats 15

Starts `streamlit run app.py` on a free loopback port with empty caches in a temporary folder and
drives it with Playwright. A script in the page notes, with `performance.now()`, each key press,
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
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "tests"))

from browser_support import (  # noqa: E402
    PAGES,
    SLOW_MS,
    clear_canvas,
    draw_digit,
    launch_chromium,
    move_k,
    open_page,
    predicted_digit,
    streamlit_server,
    wait_for_health,
)

#: Fitting the default sweep on a busy machine can take minutes.
SWEEP_MS = 600_000

RECORDER_JS = """
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
    new MutationObserver(look).observe(document, {subtree: true, childList: true, attributes: true});
    document.addEventListener('keydown', (e) => note('key'), true);
    document.addEventListener('mouseup', (e) => note('mouseup'), true);
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


def time_start(stack: contextlib.ExitStack, browser, workdir: Path) -> tuple[str, float, float]:
    """Start the server (stopped when `stack` closes) and render the first page.

    Returns the app's URL and the seconds from launching the server to it answering its health
    check, and to the first page rendered.
    """
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    start = time.perf_counter()
    url, process = stack.enter_context(streamlit_server(workdir, wait=False))
    wait_for_health(url, process, workdir / "streamlit.log", timeout=120)
    healthy = time.perf_counter() - start
    open_page(page, url, "Explore", timeout=SWEEP_MS)
    rendered = time.perf_counter() - start
    page.close()
    return url, healthy, rendered


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
        print("starting the server and rendering the first page (caches cold)...", file=sys.stderr)
        url, healthy, rendered = time_start(stack, browser, tmp)
        lines.append(row("server start -> healthy", None, [healthy * 1000], unit="s"))
        lines.append(row("server start -> first page rendered", None, [rendered * 1000], unit="s"))

        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(RECORDER_JS)
        page = context.new_page()
        wire = WireLog(page)
        print("fitting the default sweep on the K sweep page...", file=sys.stderr)
        open_page(page, url, "K sweep", timeout=SWEEP_MS)
        for title in PAGES:
            print(f"K moves on {title}...", file=sys.stderr)
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

    print(f"\nK-Means Digit Lab in the browser ({args.repeats} repeats; medians, min-max)")
    header = f"{'what':<44} {'target':>10} {'median':>11} {'min-max':>15} {'n':>3}"
    print(header)
    print("-" * (len(header) + 6))
    print("\n".join(lines))
    print(f"drawn -> predicted: {' '.join(answers)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
