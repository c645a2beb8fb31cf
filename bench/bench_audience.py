"""Audience mode under load: phones send drawings to two app servers that share one PostgreSQL.

    python bench/bench_audience.py                                # 30 participants x 5 drawings
    python bench/bench_audience.py --participants 4 --drawings 2  # a quick look

Starts a throw-away PostgreSQL from Debian's binaries (tests/postgres_support.py; a free loopback
port, a temporary folder, fsync on as in production), then two `streamlit run app.py` on two free
ports, both with KMEANS_LAB_DATABASE_URL pointing at it, as two servers behind a proxy would be.

A presenter opens a room on server A (Presenter mode, 1280x720) and never clicks again: a watcher
reads its "Drawings received" every 100 ms. Participant i joins through server A if i is even, B if
odd: a phone context (390x844, touch), draws a digit with touch events, taps it under "I drew", taps
Send (every third participant taps Send twice, as impatient people do), waits for "The model read",
then taps "Draw another". All participants run at once in one Chromium.

Printed: the drawings the phones saw confirmed beside the rows in the database (all rows, distinct
send ids): equal means each drawing was stored exactly once. Times (p50, p95, max): Send tap to the
answer on the phone; a row's commit to the presenter's count reaching it (exact); and Send tap to the
presenter's count including that drawing, where a drawing's place in the count is the number of rows
stored by the time its phone showed the answer (so that figure errs on the long side). Each server's
resident memory at start, at its peak, at the end, and the machine's load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import bench_paths  # noqa: F401 (puts the project and its tests on the import path)
import psutil  # noqa: E402
from bench_load import PeakSampler, rss_mb  # noqa: E402
from browser_support import CHROMIUM, CHROMIUM_ARGS, DIGIT_STROKES, IDLE_JS, streamlit_server  # noqa: E402
from load_support import percentile  # noqa: E402
from postgres_support import PostgresUnavailable, create_database, start_postgres  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from core.audience.database import database_url, make_engine  # noqa: E402
from core.audience.schema import drawings  # noqa: E402

TIMEOUT_MS = 180_000  # 30 phones, two servers and a database on two cores: everything is slow
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
PROJECTOR = {"width": 1280, "height": 720}
DIGITS = ("7", "1", "0", "3", "9")


# --- the database and the servers (no pages needed) ----------------------------------------------


def start_database() -> tuple[object, str]:
    """A throw-away PostgreSQL server and a new database on it; returns (server, database URL)."""
    server = start_postgres(durable=True)
    return server, create_database(server.url)


def drawings_per_room(url: str) -> dict[str, tuple[int, int]]:
    """Straight from the database: room code -> (rows, distinct send ids)."""
    engine = make_engine(database_url(url))
    query = select(drawings.c.room_code, func.count(), func.count(drawings.c.send_id.distinct()))
    with engine.connect() as conn:
        found = {
            code: (rows, sends) for code, rows, sends in conn.execute(query.group_by(drawings.c.room_code))
        }
    engine.dispose()
    return found


def stored_times(url: str, code: str) -> list[float]:
    """When each drawing of the room was stored (seconds since the epoch), in order."""
    engine = make_engine(database_url(url))
    query = select(drawings.c.created_at).where(drawings.c.room_code == code).order_by(drawings.c.created_at)
    with engine.connect() as conn:
        times = [at.timestamp() for at in conn.execute(query).scalars()]
    engine.dispose()
    return times


@contextlib.contextmanager
def app_servers(count: int, url: str, folder: Path):
    """`count` app servers on free ports, all using the database at `url`; yields [(url, process)]."""
    os.environ["KMEANS_LAB_DATABASE_URL"] = url  # streamlit_server passes our environment on
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(streamlit_server(folder / f"server-{i}")) for i in range(count)]


# --- the browser side (async Playwright: every phone at once) ------------------------------------


async def idle(page) -> None:
    await page.wait_for_function(IDLE_JS, timeout=TIMEOUT_MS)


async def metric_value(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return (await metric.locator('[data-testid="stMetricValue"]').inner_text()).strip()


async def touch_strokes(page, strokes, steps: int = 6) -> None:
    """Draw with a finger (Chrome DevTools touch events) on the canvas; strokes in unit coordinates."""
    canvas = page.locator("canvas.upper-canvas").first
    await canvas.wait_for(state="visible")
    await page.wait_for_function(
        "c => c.getBoundingClientRect().width > 100", arg=await canvas.element_handle()
    )
    await canvas.scroll_into_view_if_needed()
    box = await canvas.bounding_box()
    cdp = await page.context.new_cdp_session(page)

    def at(x: float, y: float) -> dict:
        return {"x": box["x"] + x * box["width"], "y": box["y"] + y * box["height"]}

    for stroke in strokes:
        await cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [at(*stroke[0])]})
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:], strict=False):
            for i in range(1, steps + 1):
                point = at(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
                await cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        await cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    await cdp.detach()


async def open_room(page, url: str) -> str:
    """The presenter opens a room on the Audience page in Presenter mode; returns its code."""
    await page.set_viewport_size(PROJECTOR)
    await page.goto(f"{url}/audience", wait_until="domcontentloaded")
    await page.get_by_text(re.compile(r"K = \d")).first.wait_for()
    await idle(page)
    await page.get_by_text("Presenter mode").first.click()
    await idle(page)
    await page.get_by_role("button", name="Open a room").click()
    await page.locator('[data-testid="stMetric"]').filter(has_text="Room code").wait_for()
    await idle(page)
    return await metric_value(page, "Room code")


async def watch_count(page, expected: int, timeline: list[tuple[float, int]], stop: asyncio.Event) -> None:
    """Note (time, count) whenever the presenter's "Drawings received" changes, until `stop`."""
    last = None
    while not stop.is_set():
        with contextlib.suppress(Exception):  # the fragment is being redrawn: read again
            count = int((await metric_value(page, "Drawings received")).replace(",", ""))
            if count != last:
                timeline.append((time.time(), count))
                last = count
                if count >= expected:
                    return
        await asyncio.sleep(0.1)


async def send_one(page, digit: str, double_tap: bool, report: dict) -> tuple[float, float]:
    """Draw `digit`, pick it, tap Send (twice if asked); (tap time, answer shown time).

    `report["step"]` names what the phone is waiting for, so a timeout says where it stuck.
    """
    report["step"] = f"'I drew' shown for a {digit}"
    await page.get_by_text("I drew").first.wait_for()
    await idle(page)
    await page.wait_for_timeout(500)  # the canvas takes its size
    await touch_strokes(page, DIGIT_STROKES[digit])
    await page.wait_for_timeout(300)
    await idle(page)
    report["step"] = f"digit {digit} tapped and marked"
    await page.get_by_role("button", name=digit, exact=True).tap()
    await page.locator(f'.st-key-join_digit_{digit} [data-testid="stBaseButton-primary"]').wait_for()
    await idle(page)
    send = page.get_by_role("button", name="Send")
    report["step"] = "the answer after Send"
    tapped = time.time()
    await send.tap()
    if double_tap:
        with contextlib.suppress(Exception):
            await send.tap(timeout=1_000)
    answer = page.locator('[data-testid="stMetric"]').filter(has_text="The model read")
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while await answer.count() == 0:
        if time.monotonic() > deadline:
            raise TimeoutError("no answer after Send")
        if await page.get_by_text("Please wait").count():  # the 2-second limit: wait, then send again
            report["waits"] += 1
            await page.wait_for_timeout(2_100)
            await send.tap()
        if await page.get_by_text("cannot be reached").count():
            report["database_down"] += 1
        await asyncio.sleep(0.05)
    return tapped, time.time()


async def participant(browser, join: str, index: int, rounds: int) -> dict:
    """One phone sending `rounds` drawings; its sends, errors and refusals."""
    report = {"index": index, "sends": [], "errors": [], "waits": 0, "database_down": 0}
    context = await browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    try:
        await page.goto(join, wait_until="domcontentloaded")
        for n in range(rounds):
            digit = DIGITS[(index + n) % len(DIGITS)]
            report["sends"].append(await send_one(page, digit, index % 3 == 0, report))
            await idle(page)
            if await page.locator('[data-testid="stException"]').count():
                report["errors"].append("stException on the page")
            if n < rounds - 1:
                report["step"] = "tapping Draw another"
                await page.get_by_role("button", name="Draw another").tap()
    except Exception as error:
        where = f" (waiting for {report.get('step', 'the page')})"
        report["errors"].append(f"{type(error).__name__}: {str(error).splitlines()[0]}{where}")
    finally:
        await context.close()
    return report


async def run_room(urls: list[str], participants: int, rounds: int) -> tuple[str, list[dict], list]:
    """Open a room on urls[0], warm every server's join page, then run every participant at once."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        presenter = await browser.new_page()
        presenter.set_default_timeout(TIMEOUT_MS)
        code = await open_room(presenter, urls[0])
        for url in urls:  # each server loads the room's model once before the clock starts
            warm = await browser.new_page(**{k: v for k, v in PHONE.items() if k != "has_touch"})
            warm.set_default_timeout(TIMEOUT_MS)
            await warm.goto(f"{url}/join?room={code}", wait_until="domcontentloaded")
            await warm.get_by_text("I drew").first.wait_for()
            await warm.close()
        timeline: list[tuple[float, int]] = []
        stop = asyncio.Event()
        watcher = asyncio.create_task(watch_count(presenter, participants * rounds, timeline, stop))
        phones = [
            participant(browser, f"{urls[i % len(urls)]}/join?room={code}", i, rounds)
            for i in range(participants)
        ]
        reports = await asyncio.gather(*phones)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(watcher), timeout=30)
        stop.set()
        await watcher
        await browser.close()
    return code, reports, timeline


# --- figures ---------------------------------------------------------------------------------------


def send_to_screen(reports: list[dict], timeline: list, stored: list[float]) -> list[float]:
    """Seconds from each Send tap to the presenter's count first including that drawing."""
    seconds = []
    for tapped, shown in (send for report in reports for send in report["sends"]):
        place = sum(1 for at in stored if at <= shown)
        seen = next((t for t, count in timeline if count >= place and t >= tapped), None)
        if seen is not None:
            seconds.append(seen - tapped)
    return seconds


def stored_to_screen(timeline: list, stored: list[float]) -> list[float]:
    """Seconds from each row's commit to the presenter's count first reaching its place (exact)."""
    seconds = []
    for place, at in enumerate(stored, start=1):
        seen = next((t for t, count in timeline if count >= place), None)
        if seen is not None:
            seconds.append(max(0.0, seen - at))
    return seconds


def spread(values: list[float]) -> str:
    if not values:
        return "no data"
    return (
        f"p50 {percentile(values, 50):.2f} s, p95 {percentile(values, 95):.2f} s, "
        f"max {max(values):.2f} s ({len(values)})"
    )


def report_figures(args, code, reports, timeline, stored, rows_by_room, memory) -> None:
    confirmed = sum(len(r["sends"]) for r in reports)
    rows, sends = rows_by_room.get(code, (0, 0))
    print(f"== {args.participants} participants x {args.drawings} drawings over {len(memory)} servers ==")
    print(f"confirmed on the phones {confirmed} / expected {args.participants * args.drawings}")
    print(f"rows in the database    {rows} (distinct send ids {sends})  ->", end=" ")
    print("each stored exactly once" if rows == sends == confirmed else "MISMATCH")
    errors = [f"participant {r['index']}: {e}" for r in reports for e in r["errors"]]
    waits, down = sum(r["waits"] for r in reports), sum(r["database_down"] for r in reports)
    print(f"errors {len(errors)}; 'please wait' refusals {waits}; 'database cannot be reached' seen {down}")
    for line in errors[:10]:
        print("   ", line)
    on_phone = [shown - tapped for r in reports for tapped, shown in r["sends"]]
    print(f"Send -> the answer on the phone:            {spread(on_phone)}")
    print(f"stored -> on the presenter's page (exact):  {spread(stored_to_screen(timeline, stored))}")
    print(f"Send -> on the presenter's page:            {spread(send_to_screen(reports, timeline, stored))}")
    print(f"presenter's count reached {timeline[-1][1] if timeline else 0}")
    for name, (start, peak, end) in memory.items():
        print(f"server {name} RSS: start {start:.0f} MB, peak {peak:.0f} MB, end {end:.0f} MB")


def measure(args, url: str):
    """Run the room on fresh servers; the room's code, the phones' reports, the count's timeline, RSS."""
    with (
        tempfile.TemporaryDirectory(prefix="bench-audience-") as folder,
        app_servers(args.servers, url, Path(folder)) as servers,
    ):
        processes = {chr(ord("A") + i): psutil.Process(p.pid) for i, (_, p) in enumerate(servers)}
        start = {name: rss_mb(p) for name, p in processes.items()}
        with contextlib.ExitStack() as stack:
            samplers = {name: stack.enter_context(PeakSampler(p)) for name, p in processes.items()}
            urls = [server_url for server_url, _ in servers]
            code, reports, timeline = asyncio.run(run_room(urls, args.participants, args.drawings))
        end = {name: rss_mb(p) for name, p in processes.items()}
    memory = {name: (start[name], samplers[name].peak, end[name]) for name in processes}
    return code, reports, timeline, memory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--drawings", type=int, default=5, help="drawings each participant sends")
    parser.add_argument("--servers", type=int, default=2)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"needs Debian's Chromium at {CHROMIUM}: apt-get install -y chromium")
        return 1
    if not (Path(__file__).resolve().parent.parent / "pages" / "join.py").exists():
        print("needs the audience pages (pages/join.py, pages/audience.py): not on this branch yet")
        return 1
    try:
        database, url = start_database()
    except PostgresUnavailable as error:
        print(f"needs PostgreSQL's binaries (apt-get install -y postgresql): {error}")
        return 1
    try:
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        code, reports, timeline, memory = measure(args, url)
        print(f"load average after:  {os.getloadavg()[0]:.1f}")
        report_figures(args, code, reports, timeline, stored_times(url, code), drawings_per_room(url), memory)
    finally:
        database.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main())
