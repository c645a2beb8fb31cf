"""The load benchmark's anchor: the same room of users on the reference app (bench/reference_app).

`bench_load.py --scale` runs it before the lab, with the same pacing: sessions open the page
``arrival_seconds`` apart and wait for each other, then, per round, pause and change K, pause and
change K again (the lab's rounds move K and draw a digit: two interactions each, as here). The
reference app has nothing of the lab in it (a K box, a caption, one small chart), so its figures
are what Streamlit itself and this machine's browsers cost a room of that size.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import numpy as np
from browser_support import IDLE_JS
from load_support import INPUT_STAMPS_JS, Pace, launch_browsers, run_in_own_thread, timed_in_page

REFERENCE_APP = Path(__file__).resolve().parent / "reference_app"
#: The K the reference app opens with.
FIRST_K = 36


async def reference_session(
    browser, url: str, i: int, rounds: int, pace: Pace, ready
) -> list[tuple[float, float]]:
    """One user of the reference app; the seconds from each Enter to the new K shown and the page idle,
    in the page and as seen from here (`load_support.timed_in_page`)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(pace.open_seconds * 1000)
    await context.add_init_script(INPUT_STAMPS_JS)
    page = await context.new_page()
    pauses = np.random.default_rng(i).uniform(0, 2 * pace.think_seconds, 2 * rounds)
    waits = []
    try:
        try:
            await asyncio.sleep(pace.arrival_seconds * i)
            await page.goto(url, wait_until="domcontentloaded")
            await page.get_by_text(re.compile(rf"K = {FIRST_K}(?!\d)")).first.wait_for()
            await page.wait_for_function(IDLE_JS)
        finally:  # a user that failed to open the page must not keep the others waiting
            if ready is not None:
                await ready.wait()
        box, k = page.get_by_role("spinbutton").first, FIRST_K
        for step, pause in zip([+1, -1] * rounds, pauses, strict=True):
            await asyncio.sleep(pause)
            k += step
            await box.fill(str(k))
            waits.append(await timed_in_page(page, lambda: box.press("Enter"), {"k": k}))
    finally:
        await context.close()
    return waits


async def _reference_room(url: str, n: int, rounds: int, pace: Pace):
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browsers = await launch_browsers(playwright, n + 1)
        try:
            ready = asyncio.Barrier(n) if pace.start_together and n > 1 else None
            sessions = [
                reference_session(browsers[(i + 1) % len(browsers)], url, i, rounds, pace, ready)
                for i in range(n)
            ]
            rooms = await asyncio.gather(*sessions, return_exceptions=True)
        finally:
            for browser in browsers:
                await browser.close()
    failed = [room for room in rooms if isinstance(room, BaseException)]
    for error in failed[:3]:  # reported, not raised: the other users' figures still count
        print(f"    a reference session failed: {type(error).__name__}: {error}".splitlines()[0])
    waits = [wait for room in rooms if not isinstance(room, BaseException) for wait in room]
    return [in_page for in_page, _ in waits], [seen for _, seen in waits], len(failed)


def run_reference_room(url: str, n: int, rounds: int, pace: Pace) -> tuple[list[float], list[float], int]:
    """`n` users of the reference app at `url` at once; every K change's wait (s) in the page and as
    Playwright saw it (`load_support.timed_in_page`), and how many users failed.

    Runs in its own thread (as `load_support.run_users`), so it works beside a sync Playwright.
    """
    return run_in_own_thread(lambda: _reference_room(url, n, rounds, pace), "the reference room")
