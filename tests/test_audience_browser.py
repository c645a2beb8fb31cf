"""Audience mode in a real browser: a presenter opens a room, three phones draw with their fingers.

Each participant is its own browser context with a phone's viewport and touch (no mouse): strokes
are real touch events (Chrome DevTools' Input.dispatchTouchEvent) on the real canvas. The presenter's
page is never clicked while the drawings arrive: its counter must move by itself.
"""

import contextlib
import os
import re
import time
from pathlib import Path

import pytest
from browser_support import DIGIT_STROKES, SLOW_MS, canvas_box, exception_count, wait_until_idle
from playwright.sync_api import expect
from sqlalchemy import select

from core.audience.database import database_url, make_engine
from core.audience.limits import SECONDS_BETWEEN_SENDS
from core.audience.schema import rooms
from core.audience.store import open_store
from core.data.registry import load_mnist_sample

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parent.parent / "docs"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "audience"
PROJECTOR = {"width": 1280, "height": 720}
#: A phone held upright (CSS pixels), as Chrome's device list has a common one.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
PARTICIPANT_DIGITS = ("7", "1", "0")
#: More drawings for the screenshot of a room in full swing: MNIST test digits, read by the room's model.
FILLER_DRAWINGS = 21


def metric_value(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def touch_strokes(page, strokes, steps: int = 6) -> None:
    """Draw strokes (unit coordinates on the canvas) with a finger: touchStart, touchMoves, touchEnd."""
    box = canvas_box(page)
    cdp = page.context.new_cdp_session(page)

    def at(x: float, y: float) -> dict:
        return {"x": box["x"] + x * box["width"], "y": box["y"] + y * box["height"]}

    for stroke in strokes:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [at(*stroke[0])]})
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:], strict=False):
            for i in range(1, steps + 1):
                point = at(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
                cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def open_room(page, url: str) -> tuple[str, str]:
    """The presenter, in presenter mode at 1280x720, opens a room; returns its code and join address."""
    page.set_viewport_size(PROJECTOR)
    page.goto(f"{url}/audience", wait_until="domcontentloaded")
    page.get_by_text(re.compile(r"K = \d")).first.wait_for(timeout=SLOW_MS)
    wait_until_idle(page)
    page.get_by_text("Presenter mode").first.click()
    wait_until_idle(page)
    page.get_by_role("button", name="Open a room").click()
    page.locator('[data-testid="stMetric"]').filter(has_text="Room code").wait_for(timeout=SLOW_MS)
    wait_until_idle(page)
    page.get_by_role("button", name="I have noted the key: hide it").click()
    page.get_by_text("Presenter key").wait_for(state="detached")
    wait_until_idle(page)
    code = metric_value(page, "Room code")
    join = page.locator(".st-key-audience_url code").first.inner_text().strip()
    return code, join


def take_part(chromium, join: str, digit: str, screenshot: Path | None = None) -> None:
    """One phone: open the join address, draw `digit` with a finger, tap it under "I drew", send."""
    context = chromium.new_context(**PHONE)
    context.set_default_timeout(SLOW_MS)
    try:
        phone = context.new_page()
        phone.goto(join, wait_until="domcontentloaded")
        phone.get_by_text("I drew").first.wait_for()
        wait_until_idle(phone)
        phone.wait_for_timeout(500)  # the canvas takes its size
        touch_strokes(phone, DIGIT_STROKES[digit])
        phone.wait_for_timeout(300)
        wait_until_idle(phone)
        phone.get_by_role("button", name=digit, exact=True).tap()
        # The chosen digit turns into a primary (filled) button once the page has run.
        phone.locator(f'.st-key-join_digit_{digit} [data-testid="stBaseButton-primary"]').wait_for()
        wait_until_idle(phone)
        if screenshot is not None:
            phone.screenshot(path=screenshot, full_page=True)
        phone.get_by_role("button", name="Send").tap()
        phone.locator('[data-testid="stMetric"]').filter(has_text="The model read").wait_for()
        wait_until_idle(phone)
        assert phone.get_by_role("button", name="Draw another").count() == 1
        assert phone.locator('[data-testid="stSidebar"]').count() == 0, "no sidebar on the phone"
        assert exception_count(phone) == 0
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=ARTIFACTS / f"phone-{digit}.png", full_page=True)
        raise
    finally:
        context.close()


def wait_for_count(page, expected: int, seconds: float) -> float:
    """Seconds until the presenter's "Drawings received" shows `expected`; fails after `seconds`."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if metric_value(page, "Drawings received") == str(expected):
            return time.monotonic() - start
        page.wait_for_timeout(100)
    raise AssertionError(f"Drawings received is {metric_value(page, 'Drawings received')}, not {expected}")


def fill_the_room(workdir: Path, code: str) -> None:
    """Add MNIST test digits to the room, each with what the room's model (the default) reads."""
    from core.analysis.sweep import fit_model
    from core.model.cache import ResultCache

    dataset = load_mnist_sample()
    model, _ = fit_model(dataset, 36, random_state=0, cache=ResultCache(workdir / "results"))
    url = os.environ.get("KMEANS_LAB_DATABASE_URL") or f"sqlite:///{workdir / 'results' / 'audience.sqlite3'}"
    store = open_store(url)
    images, labels = dataset.test_images[100 : 100 + FILLER_DRAWINGS], dataset.test_labels[100:]
    for i, (image, read) in enumerate(zip(images, model.predict(images), strict=False)):
        store.add_drawing(code, image, int(labels[i]), int(read), f"screenshot-filler-{i:04d}")


def test_three_phones_draw_and_the_presenter_sees_them_live(chromium, app_server, app_page):
    url, workdir = app_server
    presenter = app_page
    code, join = open_room(presenter, url)
    assert join == f"{url}/join?room={code}"
    assert metric_value(presenter, "Drawings received") == "0"
    DOCS.mkdir(exist_ok=True)
    for n, digit in enumerate(PARTICIPANT_DIGITS):
        take_part(chromium, join, digit, screenshot=DOCS / "audience-phone.png" if n == 0 else None)
    seconds = wait_for_count(presenter, 3, 5.0)  # no click on the presenter's page
    print(f"the third drawing reached the presenter's page in {seconds:.1f} s")
    wall = presenter.locator(".st-key-audience_wall [data-testid='stImageCaption']")
    expect(wall).to_have_count(3, timeout=5_000)  # the wall refreshes on its own too
    assert any("meant 7" in text for text in wall.all_inner_texts())
    presenter.get_by_role("button", name="Delete", exact=True).click()
    wait_for_count(presenter, 2, 10.0)
    assert exception_count(presenter) == 0
    fill_the_room(workdir, code)
    wait_for_count(presenter, 2 + FILLER_DRAWINGS, 10.0)
    presenter.wait_for_timeout(1500)  # the charts take their size
    presenter.locator('[data-testid="stMain"]').evaluate("main => main.scrollTo(0, 0)")
    presenter.screenshot(path=DOCS / "audience.png")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    presenter.locator('[data-testid="stMain"]').evaluate("main => main.scrollTo(0, main.scrollHeight)")
    presenter.wait_for_timeout(500)
    presenter.screenshot(path=ARTIFACTS / "presenter-charts.png")
    assert exception_count(presenter) == 0


def phone_page(chromium):
    """A new phone (its own browser context with touch); returns (context, page)."""
    context = chromium.new_context(**PHONE)
    context.set_default_timeout(SLOW_MS)
    return context, context.new_page()


def draw_and_pick(phone, digit: str) -> None:
    """Draw `digit` with a finger and tap it under "I drew"."""
    phone.get_by_text("I drew").first.wait_for()
    wait_until_idle(phone)
    phone.wait_for_timeout(500)  # the canvas takes its size
    touch_strokes(phone, DIGIT_STROKES[digit])
    phone.wait_for_timeout(300)
    wait_until_idle(phone)
    phone.get_by_role("button", name=digit, exact=True).tap()
    phone.locator(f'.st-key-join_digit_{digit} [data-testid="stBaseButton-primary"]').wait_for()
    wait_until_idle(phone)


def double_tap_while_storing(phone, workdir: Path, code: str, release_ms: int) -> None:
    """Tap Send twice 60 ms apart while the database is busy; let it go `release_ms` after the second tap.

    The first tap's run waits to store. The second tap starts a new run at once (Streamlit's fast
    reruns) and asks the first to stop at its next step; the first still commits its row when the
    database lets go. Which of the two gets where first depends on `release_ms`.
    """
    box = phone.get_by_role("button", name="Send").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    with room_held(workdir, code) as release:
        phone.touchscreen.tap(x, y)
        phone.wait_for_timeout(60)
        phone.touchscreen.tap(x, y)
        time.sleep(release_ms / 1000)
        release()


def store_url(workdir: Path) -> str:
    return (
        os.environ.get("KMEANS_LAB_DATABASE_URL") or f"sqlite:///{workdir / 'results' / 'audience.sqlite3'}"
    )


def room_count(workdir: Path, code: str) -> int:
    return open_store(store_url(workdir)).count_drawings(code)


@contextlib.contextmanager
def room_held(workdir: Path, code: str):
    """Hold the room for writing, as another busy writer would; yields a function that lets it go."""
    engine = make_engine(database_url(store_url(workdir)))
    conn = engine.execution_options(immediate=True).connect()  # SQLite: BEGIN IMMEDIATE, the file's lock
    transaction = conn.begin()
    conn.execute(select(rooms.c.code).where(rooms.c.code == code).with_for_update())  # PostgreSQL
    try:
        yield transaction.rollback
    finally:
        if transaction.is_active:
            transaction.rollback()
        conn.close()
        engine.dispose()


#: When the busy database lets go after the second tap (ms): the run cut short and the new one race.
RELEASE_DELAYS_MS = (0, 10, 20, 35, 50, 80)


def test_a_double_tap_on_send_stores_once_and_shows_the_answer(chromium, app_server, app_page):
    url, workdir = app_server
    code, join = open_room(app_page, url)
    context, phone = phone_page(chromium)
    answer = phone.locator('[data-testid="stMetric"]').filter(has_text="The model read")
    refused = phone.get_by_text("Please wait")
    try:
        phone.goto(join, wait_until="domcontentloaded")
        for n, release_ms in enumerate(RELEASE_DELAYS_MS):
            draw_and_pick(phone, PARTICIPANT_DIGITS[n % len(PARTICIPANT_DIGITS)])
            phone.wait_for_timeout(2_100)  # the 2-second limit since the last drawing is not in the way
            double_tap_while_storing(phone, workdir, code, release_ms)
            answer.or_(refused).first.wait_for()
            wait_until_idle(phone)
            assert refused.count() == 0, f"a double tap was refused (database let go {release_ms} ms after)"
            assert answer.count() == 1
            assert room_count(workdir, code) == n + 1, "each drawing stored exactly once"
            phone.get_by_role("button", name="Draw another").tap()
        assert exception_count(phone) == 0
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=ARTIFACTS / "phone-double-tap.png", full_page=True)
        raise
    finally:
        context.close()


def test_a_send_too_soon_after_draw_another_keeps_the_drawing(chromium, app_server, app_page):
    url, workdir = app_server
    code, join = open_room(app_page, url)
    context, phone = phone_page(chromium)
    try:
        phone.goto(join, wait_until="domcontentloaded")
        draw_and_pick(phone, "1")
        first_tap = time.monotonic()
        phone.get_by_role("button", name="Send").tap()
        phone.locator('[data-testid="stMetric"]').filter(has_text="The model read").wait_for()
        sent = time.monotonic()
        phone.get_by_role("button", name="Draw another").tap()
        phone.get_by_text("I drew").first.wait_for()
        wait_until_idle(phone)
        # A 7: three points, drawn in well under a second (each touch event takes some 30 ms here, and
        # a 0 of 216 took 7 s, which left the second send never too soon).
        touch_strokes(phone, DIGIT_STROKES["7"])
        phone.get_by_role("button", name="7", exact=True).tap()
        phone.locator('.st-key-join_digit_7 [data-testid="stBaseButton-primary"]').wait_for()
        second_tap = time.monotonic()
        phone.get_by_role("button", name="Send").tap()
        wait = phone.get_by_text("Please wait")
        wait.or_(phone.locator('[data-testid="stMetric"]').filter(has_text="The model read")).first.wait_for()
        answered = time.monotonic()
        wait_until_idle(phone)
        told_to_wait = wait.count() == 1
        # The server times the two sends itself, at moments between first_tap and sent, and between
        # second_tap and answered: so its gap is surely under the 2 s limit, or surely not, only beyond
        # these bounds (on a busy machine the gap can straddle the limit either way).
        if answered - first_tap < SECONDS_BETWEEN_SENDS:
            assert told_to_wait
        if second_tap - sent >= SECONDS_BETWEEN_SENDS:
            assert not told_to_wait
        if told_to_wait:
            # Nothing is lost: the digit stays chosen and the drawing stays on the canvas.
            assert phone.locator('.st-key-join_digit_7 [data-testid="stBaseButton-primary"]').count() == 1
            phone.wait_for_timeout(2_100)
            phone.get_by_role("button", name="Send").tap()
        phone.locator('[data-testid="stMetric"]').filter(has_text="The model read").wait_for()
        wait_until_idle(phone)
        assert "7" in phone.get_by_text("You drew").first.inner_text()
        assert room_count(workdir, code) == 2
        assert exception_count(phone) == 0
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=ARTIFACTS / "phone-draw-another.png", full_page=True)
        raise
    finally:
        context.close()
