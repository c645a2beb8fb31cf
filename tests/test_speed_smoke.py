"""Cheap speed checks in a real browser: the lab against a minimal Streamlit app started in the same test.

The reference app (bench/reference_app/app.py: a K box, a caption, one small chart) is Streamlit's own
floor. Both servers start cold here, one after the other, and the checks compare ratios, with margins
wide enough for a loaded 2-core CI machine; bench/bench_app.py holds the real targets (issue 12).
"""

from __future__ import annotations

import contextlib
import re
import statistics
import time

import pytest
from browser_support import (
    ROOT,
    SLOW_MS,
    heading_drawn_at,
    k_text,
    open_page,
    streamlit_file_list_shown,
    streamlit_server,
    type_k,
    wait_for_health,
    wait_until_idle,
    watch_for_heading,
)

pytestmark = pytest.mark.browser

REFERENCE_APP = ROOT / "bench" / "reference_app"
#: Launch to first heading: the lab at most this many times the reference app (target 1.4x).
COLD_START_MARGIN = 3.0
#: A new K typed, to the page idle: at most this many times the reference app (target 2x).
K_CHANGE_MARGIN = 6.0
#: What a K change on Explore may send to the browser: nothing on it depends on K.
EXPLORE_K_PAYLOAD_BYTES = 200_000
TYPED_KS = 3


def cold_start(stack, browser, workdir, app_dir, heading: str) -> tuple[str, float, object]:
    """Launch a server for `app_dir`, open it; (url, seconds from launch to `heading` on screen, page).

    The heading's moment is the page's own record, as in bench/bench_app.py.
    """
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    stack.callback(page.close)
    watch_for_heading(page, heading)
    launched = time.time()
    url, process = stack.enter_context(streamlit_server(workdir, wait=False, app_dir=app_dir))
    wait_for_health(url, process, workdir / "streamlit.log", timeout=120)
    page.goto(url, wait_until="commit", timeout=SLOW_MS)
    page.get_by_role("heading", name=heading).first.wait_for(timeout=SLOW_MS)
    return url, heading_drawn_at(page) - launched, page


@pytest.fixture(scope="module")
def servers(chromium, tmp_path_factory):
    """The reference app and the lab, each started cold; their URLs, cold starts and first pages."""
    workdir = tmp_path_factory.mktemp("speed")
    with contextlib.ExitStack() as stack:
        ref_url, ref_cold, _ = cold_start(stack, chromium, workdir / "ref", REFERENCE_APP, "Reference app")
        lab_url, lab_cold, lab_page = cold_start(stack, chromium, workdir / "lab", ROOT, "Explore the images")
        list_at_heading = streamlit_file_list_shown(lab_page)
        lab_page.get_by_text(re.compile(r"K = \d")).first.wait_for(timeout=SLOW_MS)
        wait_until_idle(lab_page)
        yield {
            "reference": (ref_url, ref_cold),
            "lab": (lab_url, lab_cold),
            "file list shown": list_at_heading or streamlit_file_list_shown(lab_page),
        }


def test_cold_start_to_the_first_heading_is_close_to_streamlits_own(servers):
    (_, reference), (_, lab) = servers["reference"], servers["lab"]
    assert lab <= COLD_START_MARGIN * reference, f"lab {lab:.2f} s, reference app {reference:.2f} s"


def test_streamlits_own_page_list_never_shows_on_a_cold_start(servers):
    assert not servers["file list shown"]


def typed_k_seconds(page, box, k: int) -> float:
    """Type K in `box`, press Enter; seconds until the page says K = k and is idle."""
    box.fill(str(k))
    start = time.perf_counter()
    box.press("Enter")
    page.get_by_text(k_text(k)).first.wait_for(timeout=SLOW_MS)
    wait_until_idle(page)
    return time.perf_counter() - start


def sidebar_k_box(page):
    box = page.locator('[data-testid="stSidebar"] [data-testid="stNumberInput"]').filter(has_text="K").first
    return box.get_by_role("spinbutton")


@pytest.mark.parametrize("title", ["Explore", "Centroids"])
def test_a_new_k_is_shown_nearly_as_fast_as_in_streamlits_own_app(chromium, servers, title):
    """Every K a value not seen before (a new model on Centroids), the reference and the lab in turn."""
    context = chromium.new_context(viewport={"width": 1280, "height": 720})
    try:
        reference, lab = context.new_page(), context.new_page()
        reference.goto(servers["reference"][0])
        reference.get_by_text(k_text(36)).first.wait_for(timeout=SLOW_MS)
        wait_until_idle(reference)
        open_page(lab, servers["lab"][0], title)  # the first visit fits the default model
        ref_box = reference.get_by_role("spinbutton", name="Number of clusters (K)").first
        first_k = {"Explore": 60, "Centroids": 80}[title]
        ref_times, lab_times = [], []
        for k in range(first_k, first_k + TYPED_KS):
            ref_times.append(typed_k_seconds(reference, ref_box, k))
            lab_times.append(typed_k_seconds(lab, sidebar_k_box(lab), k))
    finally:
        context.close()
    ref, ours = statistics.median(ref_times), statistics.median(lab_times)
    assert ours <= K_CHANGE_MARGIN * ref, f"{title}: lab {lab_times}, reference app {ref_times} (s)"


def test_a_k_change_on_explore_resends_no_pictures_or_charts(chromium, servers):
    """Explore shows nothing that depends on K: a new K sends little more than the caption."""
    context = chromium.new_context(viewport={"width": 1280, "height": 720})
    received: list[int] = []
    try:
        page = context.new_page()
        page.on("websocket", lambda ws: ws.on("framereceived", lambda data: received.append(len(data))))
        open_page(page, servers["lab"][0], "Explore")
        received.clear()
        type_k(page, 70)
    finally:
        context.close()
    assert 0 < sum(received) <= EXPLORE_K_PAYLOAD_BYTES, f"{sum(received):,} bytes in {len(received)} frames"


def test_the_centres_come_with_the_page_not_one_request_each(chromium, servers):
    """A new K on Centroids brings its K pictures inside the page's own message: when the run ends they
    are on screen, with no request per picture (by URL, they came up to 3 s after the page)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 720})
    fetched: list[str] = []
    try:
        page = context.new_page()
        open_page(page, servers["lab"][0], "Centroids")
        page.on("request", lambda request: fetched.append(request.url))
        type_k(page, 90)
        # Tiles of one sprite sheet (ui/picture_grid.py), a data URI in the page's own message.
        tiles = page.locator('[data-testid="stMain"] [data-testid="stHtml"] [role="img"]')
        shown = tiles.evaluate_all(
            "(tiles) => tiles.filter((t) => t.getBoundingClientRect().width > 0"
            " && getComputedStyle(t).backgroundImage.startsWith('url(\"data:image/png')).length"
        )
    finally:
        context.close()
    assert shown >= 90, f"{shown} pictures on screen when the run ended"
    assert not [url for url in fetched if "/media/" in url], fetched[:5]
