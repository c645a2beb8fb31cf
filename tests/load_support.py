"""Many users at once: concurrent sessions of the real app in one Chromium, through Playwright's async API.

Shared by the load test (tests/test_load.py) and the load benchmark (bench/bench_load.py). One
browser, one context (so one Streamlit session) per simulated user; each moves K and draws, and
one of them uploads a dataset that no other may see. Nothing here asserts: `run_users` returns
what each user met (errors, timings, the dataset picker's options).
"""

from __future__ import annotations

import asyncio
import gzip
import io
import math
import re
import struct
import tempfile
import threading
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DIGIT_STROKES,
    IDLE_JS,
    K_LABEL,
    PREDICTION_LABEL,
    SLOW_MS,
)

UPLOAD_TITLE = "Your upload"
#: Where a user's screenshot goes when something fails (None: no screenshots).
SCREENSHOTS: Path | None = Path(__file__).resolve().parent.parent / "test-artifacts" / "load"
_K_TEXT = re.compile(r"K = (\d+)")


#: Added to every page a load run times: the moment of each key press and mouse-up, as the page
#: stamps the event (`Event.timeStamp`, on the clock of `performance.now()`).
INPUT_STAMPS_JS = """
window.__inputs = [];
for (const type of ['keydown', 'mouseup']) {
    document.addEventListener(type, (event) => window.__inputs.push(event.timeStamp), true);
}
"""

#: True once the page is idle (`IDLE_JS`) and shows what the user waits for: the caption "K = <k>"
#: (``want.k``) or the "Predicted digit" metric (``want.prediction``). The page notes the moment it
#: first sees this (``window.__shownAt``), checking on every frame, as Playwright's own wait does.
SHOWN_JS = f"""(want) => {{
    if (window.__shownAt != null) return true;
    const idle = ({IDLE_JS})();
    const texts = (testid) =>
        [...document.querySelectorAll(`[data-testid="${{testid}}"]`)].map((e) => e.textContent);
    const shown = want.k != null
        ? texts('stCaptionContainer').some((t) => new RegExp(`K = ${{want.k}}(?!\\\\d)`).test(t))
        : texts('stMetric').some((t) => t.includes({PREDICTION_LABEL!r}));
    if (!(idle && shown)) return false;
    window.__shownAt = performance.now();
    return true;
}}"""


async def timed_in_page(page, act, want: dict) -> tuple[float, float]:
    """Do `act()` (a key press or a mouse-up) and wait until the page shows `want` (see `SHOWN_JS`).

    Returns the seconds from the input to that moment as the page itself saw them, and as this
    process saw them. With dozens of pages driven from one process, the second also holds the
    time the commands and the page's answers spend queued in Playwright and its driver, which grows
    with the number of pages: the first is the user's wait. The page must have `INPUT_STAMPS_JS`.
    """
    await page.evaluate("window.__inputs = []; window.__shownAt = null")
    start = time.perf_counter()
    await act()
    await page.wait_for_function(SHOWN_JS, arg=want, timeout=SLOW_MS)
    seen = time.perf_counter() - start
    in_page = await page.evaluate("window.__inputs.length ? window.__shownAt - window.__inputs[0] : null")
    if in_page is None:  # the page saw no input event (it was reloaded meanwhile): Playwright's view
        return seen, seen
    return in_page / 1000, seen


@dataclass
class UserReport:
    """What one simulated user met. The seconds are the page's own (`timed_in_page`); Playwright's
    view of the same waits, queueing included, is in `seen_seconds`."""

    name: str
    rerun_seconds: list[float] = field(default_factory=list)
    seen_seconds: list[float] = field(default_factory=list)
    predictions: list[str] = field(default_factory=list)
    exceptions: int = 0
    picker_options: list[str] = field(default_factory=list)
    uploaded: bool = False
    error: str = ""


#: Browser contexts per Chromium in `run_users`. Contexts of one Chromium hold each other up (its shared
#: processes and network service): 20 contexts opening the Draw page at once took 170-200 s in one
#: Chromium, 41-47 s in four, on the busy 2-core machine.
CONTEXTS_PER_BROWSER = 5

#: Images in the upload of `run_users`.
UPLOAD_IMAGES = 100


def small_npz(n: int = UPLOAD_IMAGES, seed: int = 0, side: int = 28) -> bytes:
    """A tiny dataset upload: `n` random `side`x`side` images with labels 0-9 (`seed` varies the content)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, side, side), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=images, labels=(np.arange(n) % 10).astype(np.uint8))
    return buffer.getvalue()


@dataclass(frozen=True)
class HostileUpload:
    """Files a hostile user drops at once, and the start of the message the sidebar must show for them."""

    what: str
    files: list[tuple[str, bytes]]
    message: str


def declaring_npz(n_images: int) -> bytes:
    """An .npz whose 'images' header declares `n_images` 28x28 images, holding only a few bytes of them."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|u1", "fortran_order": False, "shape": (n_images, 28, 28)}
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("images.npy", header.getvalue() + bytes(64))
        archive.writestr("labels.npy", header.getvalue() + bytes(64))
    return buffer.getvalue()


def declaring_idx_gz(n_images: int) -> list[tuple[str, bytes]]:
    """The four IDX files, gzipped, each declaring `n_images` 28x28 images or labels and holding one."""
    images = struct.pack(">HBBIII", 0, 8, 3, n_images, 28, 28) + bytes(784)
    labels = struct.pack(">HBBI", 0, 8, 1, n_images) + bytes(1)
    names = (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    )
    return [(f"{name}.gz", gzip.compress(images if "images" in name else labels)) for name in names]


def many_members_zip(n: int) -> bytes:
    """A zip named .npz holding `n` empty members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(n):
            archive.writestr(f"m{number}.npy", b"")
    return buffer.getvalue()


def hostile_uploads(junk_mb: int = 30, junk_files: int = 6) -> list[HostileUpload]:
    """One round of what the hostile user of the load bench drops; each is refused, with its message."""
    junk = np.random.default_rng(1).bytes(junk_mb * 2**20)
    return [
        HostileUpload(
            f"{junk_files} junk files of {junk_mb} MB",
            [(f"junk{i}.bin", junk[i:] + junk[:i]) for i in range(junk_files)],
            f"{junk_files} files uploaded, more than the 4 allowed",
        ),
        HostileUpload(
            "an .npz declaring 400 MB", [("declares.npz", declaring_npz(500_000))], "declares.npz:"
        ),
        HostileUpload(
            "IDX .gz declaring 400 MB", declaring_idx_gz(500_000), "1,000,000 images is over the limit"
        ),
        HostileUpload(
            "a zip of 100,000 members", [("members.npz", many_members_zip(100_000))], "members.npz: holds"
        ),
    ]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


async def wait_idle(page, timeout: float = SLOW_MS) -> None:
    await page.wait_for_function(IDLE_JS, timeout=timeout)


async def open_draw_page(page, base_url: str, timeout: float = SLOW_MS) -> None:
    await page.goto(f"{base_url}/draw", wait_until="domcontentloaded", timeout=timeout)
    await page.locator("canvas.upper-canvas").first.wait_for(state="visible", timeout=timeout)
    await wait_idle(page, timeout)


async def shown_k(page) -> int:
    text = await page.get_by_text(_K_TEXT).first.inner_text()
    return int(_K_TEXT.search(text).group(1))


async def move_k(page, step: int) -> tuple[float, float]:
    """Press an arrow key on the K slider; the seconds until the page shows the new K and is idle,
    in the page and as seen from here (`timed_in_page`)."""
    before = await shown_k(page)
    slider = page.locator('[data-testid="stSlider"]').get_by_role("slider", name=K_LABEL).first
    await slider.focus()
    key = "ArrowRight" if step > 0 else "ArrowLeft"
    return await timed_in_page(page, lambda: slider.press(key), {"k": before + step})


async def draw(page, digit: str = "1") -> tuple[str, tuple[float, float]]:
    """Draw a digit and clear the canvas again; the prediction and the seconds from mouse-up to it
    (in the page and as seen from here, `timed_in_page`)."""
    canvas = page.locator("canvas.upper-canvas").first
    await canvas.scroll_into_view_if_needed()
    box = await canvas.bounding_box()
    for stroke in DIGIT_STROKES[digit]:
        points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
        await page.mouse.move(*points[0])
        await page.mouse.down()
        for point in points[1:]:
            await page.mouse.move(*point, steps=6)
    seconds = await timed_in_page(page, page.mouse.up, {"prediction": True})
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=PREDICTION_LABEL).first
    value = (await metric.locator('[data-testid="stMetricValue"]').inner_text()).strip()
    await page.get_by_role("button", name="Clear canvas").first.click()
    await metric.wait_for(state="detached", timeout=SLOW_MS)
    await wait_idle(page)
    return value, seconds


async def upload(page, filename: str, content: bytes, n_images: int, timeout: float = SLOW_MS) -> None:
    """Upload a dataset through the sidebar's "Use your own data" box; wait until it is loaded.

    `n_images` is how many the upload holds: the wait is for its title ("Your upload (120 images").
    """
    box = await drop_files(page, [(filename, content)])
    loaded = box.get_by_text(f"{UPLOAD_TITLE} ({n_images:,} images").first
    await loaded.wait_for(timeout=timeout)
    await wait_idle(page, timeout)


def upload_box(page):
    """The sidebar's "Use your own data" expander."""
    expanders = page.locator('[data-testid="stSidebar"] [data-testid="stExpander"]')
    return expanders.filter(has_text="Use your own data").first


async def drop_files(page, files: list[tuple[str, bytes]], folder: Path | None = None):
    """Add `files` to the sidebar's "Use your own data" box at once and send them; returns the box's locator.

    With a `folder`, the files are written there first and sent from disk (for more than 50 MB);
    it must outlive the upload.
    """
    box = upload_box(page)
    if await box.locator("details[open]").count() == 0:  # closed: its content is inert until opened
        await box.locator("summary").first.click()
    for _attempt in range(1 + UPLOAD_RETRIES):
        await add_files(box, files, folder)
        failed = await failed_uploads(box)
        if not failed:
            break
        # Streamlit's own upload request for a file failed (an error chip), which happens on a loaded
        # machine: the send would go without that file, and the app would rightly answer another
        # message. Not what these users test, so the files are taken out and added again.
        for chip in await box.locator('[data-testid="stFileChip"]').all():
            await chip.locator('[data-testid="stFileChipDeleteBtn"]').click()
        await box.locator('[data-testid="stFileChip"]').first.wait_for(state="detached")
    else:
        raise RuntimeError(f"the browser could not upload {', '.join(failed)}, {1 + UPLOAD_RETRIES} times")
    # The send button is enabled once no file is uploading any more; click waits for that.
    await box.locator('[data-testid="stChatInputSubmitButton"]').first.click()
    return box


#: How many times `drop_files` adds the files again when Streamlit's upload of one of them failed.
UPLOAD_RETRIES = 2


async def add_files(box, files: list[tuple[str, bytes]], folder: Path | None) -> None:
    """Put `files` in the box's file input, and wait until none is uploading any more."""
    uploader = box.locator('[data-testid="stChatInput"] input[type="file"]').first
    if folder is None:
        await uploader.set_input_files(
            files=[
                {"name": name, "mimeType": "application/octet-stream", "buffer": data} for name, data in files
            ]
        )
    else:  # Playwright takes at most 50 MB of buffers; the browser reads the files as it sends them
        paths = [Path(folder, name) for name, _ in files]
        for path, (_, data) in zip(paths, files, strict=True):
            path.write_bytes(data)
        await uploader.set_input_files(paths)
    chips = box.locator('[data-testid="stFileChip"]')
    await chips.nth(len(files) - 1).wait_for()
    await box.locator('[data-testid="stFileChipIconSpinner"]').first.wait_for(state="detached")


async def failed_uploads(box) -> list[str]:
    """The names of the files in the box whose upload failed (shown with an error icon)."""
    failed = box.locator('[data-testid="stFileChip"]').filter(
        has=box.page.locator('[data-testid="stFileChipIconError"]')
    )
    return [name.strip() for name in await failed.locator('[data-testid="stFileChipName"]').all_inner_texts()]


async def picker_options(page) -> list[str]:
    """The labels the sidebar's Dataset picker offers (it is opened, read and closed)."""
    picker = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Dataset")
    await picker.first.click()
    options = page.get_by_role("option")
    await options.first.wait_for(timeout=SLOW_MS)
    labels = [text.strip() for text in await options.all_inner_texts()]
    await page.keyboard.press("Escape")
    return labels


async def exception_count(page) -> int:
    return await page.locator('[data-testid="stException"]').count()


class CacheWrites:
    """Counts the entries saved in the on-disk result cache while in the `with` block (inotify).

    `ResultCache.save` writes a temporary file and renames it to ``KEY.npz``: one rename is one
    entry saved, so one fit, whichever session asked for it. The folder must exist.
    """

    def __init__(self, folder: Path):
        from watchdog.events import FileMovedEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        counter = self

        class Saves(FileSystemEventHandler):
            def on_moved(self, event):
                if isinstance(event, FileMovedEvent) and str(event.dest_path).endswith(".npz"):
                    counter.writes += 1

        self.writes = 0
        self._observer = Observer()
        self._observer.schedule(Saves(), str(folder))

    def __enter__(self):
        self._observer.start()
        return self

    def __exit__(self, *exc):
        time.sleep(0.5)  # the last events reach the observer's thread
        self._observer.stop()
        self._observer.join()


@dataclass(frozen=True)
class Pace:
    """How users pace themselves. User i opens the page `arrival_seconds` x i after the first (a
    room fills over a while), within `open_seconds`; with `start_together`, every user waits until
    all have the page open; then a pause of 0 to 2 x `think_seconds` (random, mean `think_seconds`)
    before each action."""

    start_together: bool = False
    think_seconds: float = 0.0
    arrival_seconds: float = 0.0
    open_seconds: float = SLOW_MS / 1000


async def user_session(
    browser,
    base_url: str,
    name: str,
    *,
    rounds: int,
    upload_content: bytes | None,
    pace: Pace = Pace(),
    everyone_ready: asyncio.Barrier | None = None,
    arrives_after: float = 0.0,
):
    """One user: open Draw, (maybe upload), then `rounds` times move K and draw; report what happened.

    With `everyone_ready`, the user waits there after opening the page (the page loads are not
    timed: a room opens the page, then everyone starts moving K).
    """
    report = UserReport(name)
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(SLOW_MS)
    await context.add_init_script(INPUT_STAMPS_JS)
    page = await context.new_page()
    pauses = np.random.default_rng(zlib.crc32(name.encode())).uniform(0, 2 * pace.think_seconds, 2 * rounds)
    try:
        try:
            await asyncio.sleep(arrives_after)
            await open_draw_page(page, base_url, pace.open_seconds * 1000)
            if upload_content is not None:
                await upload(page, f"{name}.npz", upload_content, UPLOAD_IMAGES)
                report.uploaded = True
        finally:  # a user that failed to open the page must not keep the others waiting
            if everyone_ready is not None:
                await everyone_ready.wait()
        for i in range(rounds):
            await asyncio.sleep(pauses[2 * i])
            in_page, seen = await move_k(page, +1 if i % 2 == 0 else -1)
            report.rerun_seconds.append(in_page)
            report.seen_seconds.append(seen)
            await asyncio.sleep(pauses[2 * i + 1])
            prediction, (in_page, seen) = await draw(page, "1")
            report.predictions.append(prediction)
            report.rerun_seconds.append(in_page)
            report.seen_seconds.append(seen)
        report.picker_options = await picker_options(page)
        report.exceptions = await exception_count(page)
    except Exception as exc:  # reported, not raised: the other users carry on
        report.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        report.exceptions = await exception_count(page)
        if SCREENSHOTS is not None:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    finally:
        await context.close()
    return report


@dataclass
class HostileReport:
    """What the hostile user met: how often each file was refused as it should be, and what went wrong."""

    refused: dict[str, int] = field(default_factory=dict)
    good_uploads_forgotten: int = 0
    exceptions: int = 0
    error: str = ""


async def wait_for_message(box, message: str) -> None:
    """Wait for the box's error `message`; if it does not come, fail saying what the box says instead."""
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError

    try:
        await box.locator('[data-testid="stAlertContentError"]').filter(has_text=message).wait_for()
    except PlaywrightTimeoutError:
        said = " | ".join((await box.inner_text()).split("\n"))
        raise AssertionError(f"no {message!r} in the upload box, which says: {said}") from None


async def hostile_session(browser, base_url: str, uploads: list[HostileUpload], stop: asyncio.Event):
    """Drop each of `uploads` and wait for its message, then upload a good dataset and forget it; again
    until `stop` is set (once at least). Stops at the first message that does not come."""
    report = HostileReport()
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(SLOW_MS)
    page = await context.new_page()
    folder = tempfile.TemporaryDirectory()
    try:
        await page.goto(base_url, wait_until="domcontentloaded", timeout=SLOW_MS)
        await page.get_by_text(_K_TEXT).first.wait_for(timeout=SLOW_MS)
        await wait_idle(page)
        while not (stop.is_set() and report.good_uploads_forgotten):  # one round at least
            for hostile in uploads:
                box = await drop_files(page, hostile.files, Path(folder.name))
                await wait_for_message(box, hostile.message)
                report.refused[hostile.what] = report.refused.get(hostile.what, 0) + 1
            n_images = UPLOAD_IMAGES + report.good_uploads_forgotten % 50
            await upload(page, "good.npz", small_npz(n_images, seed=report.good_uploads_forgotten), n_images)
            await page.get_by_role("button", name="Forget my upload").click()
            await page.get_by_role("button", name="Forget my upload").wait_for(state="detached")
            # The box stays open for the next files, and says nothing is loaded any more.
            await upload_box(page).locator('[data-testid="stAlertContentSuccess"]').wait_for(state="detached")
            await wait_idle(page)
            report.good_uploads_forgotten += 1
            report.exceptions += await exception_count(page)
    except Exception as exc:  # reported, not raised
        report.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        report.exceptions += await exception_count(page)
        if SCREENSHOTS is not None:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=SCREENSHOTS / "hostile.png", full_page=True)
    finally:
        await context.close()
        folder.cleanup()
    return report


async def _run_users(base_url, n_users, rounds, upload_content, hostile, pace):
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browsers = await launch_browsers(playwright, n_users + 1)
        browser = browsers[0]
        try:
            stop = asyncio.Event()
            attacker = (
                asyncio.create_task(hostile_session(browser, base_url, hostile, stop)) if hostile else None
            )
            ready = asyncio.Barrier(n_users) if pace.start_together else None
            users = await asyncio.gather(
                *(
                    user_session(
                        browsers[(i + 1) % len(browsers)],
                        base_url,
                        f"user{i}",
                        rounds=rounds,
                        upload_content=upload_content if i == 0 else None,
                        pace=pace,
                        everyone_ready=ready,
                        arrives_after=pace.arrival_seconds * i,
                    )
                    for i in range(n_users)
                )
            )
            stop.set()
            return users, (await attacker if attacker else None)
        finally:
            for each in browsers:
                await each.close()


def run_users(
    base_url: str,
    n_users: int,
    rounds: int,
    upload_content: bytes | None,
    hostile: list[HostileUpload] | None = None,
    pace: Pace = Pace(),
) -> tuple[list[UserReport], HostileReport | None]:
    """Run `n_users` concurrent users (user0 uploads `upload_content`), and a hostile user if `hostile`
    is given, who drops those files over and over (see `hostile_session`) until the users are done.

    Returns one report per user, and the hostile user's report (None without one). Runs in its own
    thread, so it works beside a sync Playwright already running in this one. All browser contexts
    are closed when it returns. `pace` sets whether the users start together and pause between actions;
    `upload_content=None`: nobody uploads.
    """
    return run_in_own_thread(
        lambda: _run_users(base_url, n_users, rounds, upload_content, hostile, pace), "the load run"
    )


async def launch_browsers(playwright, n_contexts: int) -> list:
    """Enough of Debian's Chromium for `n_contexts` browser contexts, `CONTEXTS_PER_BROWSER` to each."""
    return [
        await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for _ in range(math.ceil(n_contexts / CONTEXTS_PER_BROWSER))
    ]


def run_in_own_thread(make_coroutine, what: str):
    """``asyncio.run(make_coroutine())`` in a thread of its own, so that it works beside a sync
    Playwright already running in this one; its result. `what` names it if it fails."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(make_coroutine())), name=what)
    thread.start()
    thread.join()
    if not result:
        raise RuntimeError(f"{what} failed before reporting; see the traceback above")
    return result[0]


async def _repeat_uploads(base_url: str, uploads: list[tuple[bytes, int]], after_each) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = await browser.new_context(viewport={"width": 1400, "height": 1000})
            page = await context.new_page()
            await page.goto(base_url, wait_until="domcontentloaded", timeout=SLOW_MS)
            await page.get_by_text(_K_TEXT).first.wait_for(timeout=SLOW_MS)
            await wait_idle(page)
            for i, (content, n_images) in enumerate(uploads):
                await upload(page, f"upload-{i}.npz", content, n_images)
                after_each(i + 1)
        finally:
            await browser.close()


def repeat_uploads(base_url: str, uploads: list[tuple[bytes, int]], after_each=lambda n: None) -> None:
    """Upload each (content, n_images) in turn in one session, on Explore; `after_each(n_done)` after each.

    Consecutive uploads must differ in their number of images (that is how a finished one is told).
    """
    errors: list = []

    def target():
        try:
            asyncio.run(_repeat_uploads(base_url, uploads, after_each))
        except Exception as exc:
            errors.append(exc)

    thread = threading.Thread(target=target, name="load-uploads")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
