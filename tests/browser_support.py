"""Drive the real app in a browser: start `streamlit run app.py`, launch Debian's Chromium, wait, draw.

Shared by the browser tests (tests/test_browser.py) and the benchmark (bench/bench_app.py). Plain
functions over Playwright's sync API; nothing here asserts.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import os
import re
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: Page title and url path of every page, in the sidebar's order. Explore is the default page, and
#: Streamlit serves the default page at the root whatever its url_path ("/explore" is "not found").
PAGES = {
    "Explore": "",
    "K sweep": "sweep",
    "Centroids": "centroids",
    "Draw": "draw",
    "Evaluate": "evaluate",
    "Map": "map",
    "Step by step": "steps",
    "Audience": "audience",
}
K_LABEL = "Number of clusters (K)"
#: Boxes closed at first, whose contents are drawn only while they are open: two in the sidebar, one
#: on Centroids.
TECHNICAL_BOX = "Algorithm, seed and preprocessing"
UPLOAD_BOX = "Use your own data"
MEMBERS_BOX = "Look inside a cluster"
EVALUATE_DETAIL_BOX = "Look closer: one cell's images, and the most mixed clusters"
PREDICTION_LABEL = "Predicted digit"
BLANK_CANVAS_HINT = "Draw a digit in the black box to classify it."

#: Generous, because CI is a loaded 2-core machine and the first visit to a K fits a model.
SLOW_MS = 60_000


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 12):
    """Points along an ellipse, from angle `start` to `end` in degrees (0 is up, clockwise)."""
    angles = [math.radians(start + (end - start) * i / n) for i in range(n + 1)]
    return [(cx + rx * math.sin(a), cy - ry * math.cos(a)) for a in angles]


#: Points of a few digits, in a unit box ((0, 0) top left, (1, 1) bottom right); a stroke each.
#: Each is recognised with a clear margin by the default models around K = 36 and at K = 256.
DIGIT_STROKES: dict[str, list[list[tuple[float, float]]]] = {
    "1": [[(0.5, 0.15), (0.5, 0.85)]],
    "0": [
        [
            (0.5 + 0.22 * math.sin(2 * math.pi * i / 36), 0.5 - 0.33 * math.cos(2 * math.pi * i / 36))
            for i in range(37)
        ]
    ],
    "7": [[(0.25, 0.2), (0.75, 0.2), (0.42, 0.85)]],
    "3": [_arc(0.48, 0.33, 0.19, 0.15, -60, 170) + _arc(0.48, 0.64, 0.21, 0.17, 10, 240)[1:]],
    "9": [_arc(0.48, 0.33, 0.18, 0.17, 90, 450) + [(0.66, 0.4), (0.6, 0.85)]],
}


def free_port() -> int:
    """A TCP port on the loopback interface that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def streamlit_command(port: int) -> list[str]:
    """`streamlit run app.py` headless on a loopback port, without the file watcher or telemetry."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        # Nobody edits files during a run; watching them only costs CPU on a busy machine.
        "--server.fileWatcherType",
        "none",
    ]


def wait_for_health(url: str, process: subprocess.Popen, log_path: Path, timeout: float = 60.0) -> None:
    """Poll ``/_stcore/health`` until it answers "ok"; fail with the server's log if it dies or hangs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"streamlit exited with code {process.returncode} before it was healthy:\n{_tail(log_path)}"
            )
        with (
            contextlib.suppress(urllib.error.URLError, OSError),
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response,
        ):
            if response.status == 200 and response.read().strip() == b"ok":
                return
        time.sleep(0.1)
    raise RuntimeError(f"streamlit was not healthy at {url} after {timeout:.0f} s:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def streamlit_server(
    workdir: Path, *, wait: bool = True, app_dir: Path = ROOT
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run the app on a free loopback port with its caches in `workdir`; yield (url, process).

    The server's output goes to ``workdir/streamlit.log``. It is stopped on exit, also when the
    body raises: terminate, then kill if it has not gone within 10 s.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "KMEANS_LAB_CACHE_DIR": str(workdir / "results"),
        "KMEANS_LAB_DATA_DIR": str(workdir / "datasets"),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = workdir / "streamlit.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            streamlit_command(port),
            cwd=app_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        if wait:
            wait_for_health(url, process, log_path)
        yield url, process
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen) -> None:
    """Stop a server started by a test: politely, then by force after 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def launch_chromium(playwright):
    """Debian's Chromium, headless: `playwright install` cannot download a browser here."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


# --- Waiting for the app -------------------------------------------------------------------------

IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app !== null && app.getAttribute('data-test-script-state') === 'notRunning'
        && document.querySelector('[data-testid="stStatusWidget"]') === null
        && document.querySelector('[data-testid="stSkeleton"]') === null
        && [...document.querySelectorAll('[data-testid="stBidiComponentRegular"]')]
            .every((c) => c.querySelector('.lab-chart:not([data-drawing])') !== null);
}"""


def wait_until_idle(page, timeout: float = SLOW_MS) -> None:
    """Wait until the script is not running, the "Running..." widget has gone, nothing is a skeleton
    and every chart is drawn (`ui/plotly_chart.js` marks a chart ``data-drawing`` until it is; a
    chart whose script has not started yet has no ``.lab-chart`` at all).

    Only meaningful once a run has started (the state reads "notRunning" before the first run and
    for a moment after a widget changes), so callers first wait for the text they expect.
    """
    page.wait_for_function(IDLE_JS, timeout=timeout)


#: Notes, in ms since the epoch, the frame after a first-level heading holding the given text (%s, as
#: JSON) first appeared in the page.
HEADING_DRAWN_JS = r"""
(() => {
    const wanted = %s;
    new MutationObserver((records, observer) => {
        const found = [...document.querySelectorAll('h1')].some((h) => h.textContent.includes(wanted));
        if (!found) return;
        observer.disconnect();
        requestAnimationFrame(() => { window.__headingDrawn = performance.timeOrigin + performance.now(); });
    }).observe(document, {subtree: true, childList: true, characterData: true});
})();
"""


def watch_for_heading(page, heading: str) -> None:
    """Have `page` note when a heading with this text is first drawn; call before it opens the app.

    Read the moment with `heading_drawn_at`. Playwright's own wait for an element looks after 0, 20,
    50, 100 and 100 ms, then every 500 ms, so it may see a heading up to half a second late.
    """
    page.add_init_script(HEADING_DRAWN_JS % json.dumps(heading))


def heading_drawn_at(page, timeout: float = SLOW_MS) -> float:
    """When the heading `watch_for_heading` watches for was first drawn, in seconds since the epoch."""
    page.wait_for_function("() => window.__headingDrawn !== undefined", timeout=timeout)
    return page.evaluate("window.__headingDrawn") / 1000


def open_page(page, base_url: str, title: str, timeout: float = SLOW_MS) -> None:
    """Go to one page of the app by its url path and wait until its first run has finished."""
    page.goto(f"{base_url}/{PAGES[title]}", wait_until="domcontentloaded", timeout=timeout)
    page.get_by_text(re.compile(r"K = \d")).first.wait_for(timeout=timeout)
    wait_until_idle(page, timeout)


def exception_count(page) -> int:
    return page.locator('[data-testid="stException"]').count()


def k_text(k: int) -> re.Pattern:
    """The text "K = <k>", not matching a longer number ("K = 3" must not match "K = 36")."""
    return re.compile(rf"K = {k}(?!\d)")


def shown_k(page) -> int:
    """The K the page says it uses, from its "K = <k>" text."""
    text = page.get_by_text(re.compile(r"K = \d")).first.inner_text()
    return int(re.search(r"K = (\d+)", text).group(1))


def k_slider(page):
    """The thumb of the K slider: an ``<input type="range">`` (ARIA role slider) named by its label."""
    return page.locator('[data-testid="stSlider"]').get_by_role("slider", name=K_LABEL).first


def move_k(page, steps: int, timeout: float = SLOW_MS) -> int:
    """Press ArrowRight (or ArrowLeft, for negative `steps`) on the K slider; wait for the new K.

    Returns the K the page shows afterwards.
    """
    before = shown_k(page)
    slider = k_slider(page)
    slider.focus()
    key = "ArrowRight" if steps > 0 else "ArrowLeft"
    for _ in range(abs(steps)):
        slider.press(key)
    page.get_by_text(k_text(before + steps)).first.wait_for(timeout=timeout)
    wait_until_idle(page, timeout)
    return before + steps


# --- The Draw page's canvas -------------------------------------------------------------------------


def canvas_box(page, timeout: float = SLOW_MS) -> dict:
    """The bounding box of the drawing canvas, once it is on the page and has its size."""
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(state="visible", timeout=timeout)
    # The canvas lives in the component's shadow root: locators reach it, document.querySelector not.
    page.wait_for_function("c => c.getBoundingClientRect().width > 100", arg=canvas.element_handle())
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    if box is None:
        raise RuntimeError("the canvas has no bounding box")
    return box


def draw_strokes(page, strokes: Sequence[Sequence[tuple[float, float]]], *, steps: int = 6) -> None:
    """Draw strokes given in unit coordinates with the mouse; each point pair is joined in `steps`.

    The last mouse-up is the caller's moment zero for timing the prediction.
    """
    box = canvas_box(page)

    def at(point):
        return box["x"] + point[0] * box["width"], box["y"] + point[1] * box["height"]

    for stroke in strokes:
        page.mouse.move(*at(stroke[0]))
        page.mouse.down()
        for point in stroke[1:]:
            page.mouse.move(*at(point), steps=steps)
        page.mouse.up()


def draw_digit(page, digit: str) -> None:
    draw_strokes(page, DIGIT_STROKES[digit])


def prediction_metric(page):
    """The "Predicted digit" metric (a locator: it may not be on the page)."""
    return page.locator('[data-testid="stMetric"]').filter(has_text=PREDICTION_LABEL)


def predicted_digit(page, timeout: float = SLOW_MS) -> str:
    """Wait for the prediction to show and the run to finish; return the metric's value."""
    metric = prediction_metric(page)
    metric.first.wait_for(timeout=timeout)
    wait_until_idle(page, timeout)
    return metric.first.locator('[data-testid="stMetricValue"]').inner_text().strip()


def clear_canvas(page, timeout: float = SLOW_MS) -> None:
    """Empty the canvas with the app's "Clear canvas" button if it has one, else the toolbar's bin."""
    clear_button = page.get_by_role("button", name="Clear canvas")
    if clear_button.count():
        clear_button.first.click()
    else:
        # The toolbar shows while the pointer is over the canvas.
        box = canvas_box(page)
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 10)
        page.get_by_role("button", name="Reset canvas & history").first.click(timeout=timeout)
    prediction_metric(page).first.wait_for(state="detached", timeout=timeout)
    wait_until_idle(page, timeout)


# --- What the server tells the browser ---------------------------------------------------------


class ScriptRuns:
    """Counts the script runs the server starts for one browser page, from its websocket messages.

    Streamlit sends a ``new_session`` message at the start of every run of a page's script; the
    messages are protobufs (`ForwardMsg`), read here as the browser receives them.
    """

    def __init__(self, page):
        self.pages: list[str] = []
        page.on("websocket", lambda socket: socket.on("framereceived", self._read))

    def _read(self, payload) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if not isinstance(payload, bytes):
            return
        message = ForwardMsg.FromString(payload)
        if message.WhichOneof("type") == "new_session":
            self.pages.append(message.new_session.page_script_hash)

    @property
    def count(self) -> int:
        return len(self.pages)


def sidebar_links(page) -> list[str]:
    """The page titles the sidebar links to, in order (a link's text is its icon's name, then its title)."""
    texts = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]').all_inner_texts()
    return [text.split("\n")[-1].strip() for text in texts]


def streamlit_file_list_shown(page) -> bool:
    """Whether Streamlit's own list of the pages/ files (its sidebar navigation) is on the screen."""
    return page.locator('[data-testid="stSidebarNav"]').count() > 0


def box_labelled(page, label: str):
    """The expander labelled `label`: in the sidebar ("Algorithm, seed and preprocessing", "Use your own
    data") or on the page ("Look inside a cluster")."""
    return (
        page.locator('[data-testid="stExpander"]').filter(has=page.locator("summary", has_text=label)).first
    )


def open_box(page, label: str, timeout: float = SLOW_MS):
    """Open the box labelled `label` if it is closed; wait for the run that draws its contents (they
    are drawn only while it is open). Returns the box."""
    box = box_labelled(page, label)
    if box.locator("details[open]").count() == 0:
        box.locator("summary").first.click()
        box.locator('[data-testid="stExpanderDetails"] [data-testid="stElementContainer"]').first.wait_for(
            timeout=timeout
        )
        wait_until_idle(page, timeout)
    return box


def type_k(page, k: int, timeout: float = SLOW_MS) -> None:
    """Type K into the number box beside the slider, press Enter, and wait for the page to show it."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stNumberInput"]').filter(has_text="K").first
    field = box.get_by_role("spinbutton")
    field.fill(str(k))
    field.press("Enter")
    page.get_by_text(k_text(k)).first.wait_for(timeout=timeout)
    wait_until_idle(page, timeout)


# --- The Map's dots ------------------------------------------------------------------------------

#: What a test needs to find a Map dot on the screen: WebGL dots are not page elements. The figure
#: the page was sent (ui/plotly_chart.js keeps it), the axes' ranges Plotly settled on, and the
#: plot area (Plotly's drag cover spans it exactly).
MAP_GEOMETRY_JS = """() => {
    const chart = document.querySelector('.lab-chart');
    const box = chart.querySelector('.nsewdrag').getBoundingClientRect();
    const figure = window.kmeansLabFigures.get('map_chart').figure;
    return {
        area: [box.left, box.top, box.width, box.height],
        x_range: chart.layout.xaxis.range, y_range: chart.layout.yaxis.range,
        traces: figure.data.map((t) => ({x: t.x, y: t.y, pictures: t.text || []})),
    };
}"""


def _numbers(values) -> list[float]:
    """A trace's coordinates as sent: a list, or Plotly's typed-array form {"dtype", "bdata"}."""
    if isinstance(values, dict):
        raw = base64.b64decode(values["bdata"])
        code = {"f8": "d", "f4": "f", "i4": "i", "i2": "h", "i1": "b", "u1": "B"}[values["dtype"]]
        return list(struct.unpack(f"<{len(raw) // struct.calcsize(code)}{code}", raw))
    return list(values)


def map_dot_with_picture(page) -> tuple[float, float]:
    """Where on the screen a Map dot is that shows its picture when hovered, as far from other dots
    as such a dot is (so the mouse there hovers that dot and no other)."""
    geometry = page.evaluate(MAP_GEOMETRY_JS)
    left, top, width, height = geometry["area"]
    (x0, x1), (y0, y1) = geometry["x_range"], geometry["y_range"]
    dots = []  # (screen x, screen y, has a picture)
    for trace in geometry["traces"]:
        pictures = trace["pictures"]  # a dot's picture goes under its hover text (core/figures/maps.py)
        for i, (x, y) in enumerate(zip(_numbers(trace["x"]), _numbers(trace["y"]), strict=True)):
            screen = (left + (x - x0) / (x1 - x0) * width, top + (y1 - y) / (y1 - y0) * height)
            dots.append((*screen, i < len(pictures) and "<br>" in pictures[i]))

    def room(dot):
        return min(math.dist(dot[:2], other[:2]) for other in dots if other is not dot)

    inside = [
        d
        for d in dots
        if d[2] and left + 10 < d[0] < left + width - 10 and top + 10 < d[1] < top + height - 10
    ]
    best = max(inside, key=room)
    return best[0], best[1]
