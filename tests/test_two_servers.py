"""Two app servers behind nginx (deploy/nginx.conf), sticky per browser, sharing one on-disk result cache.

The test starts two `streamlit run app.py` on free loopback ports with one cache folder, and nginx on
a third port with deploy/nginx.conf (its ports changed) and everything else in a temporary folder.
Browser contexts open the Draw page through the proxy until each server has one; then the one on
server A moves K, and the one on server B moves K to the same value.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from browser_support import (
    ROOT,
    SLOW_MS,
    exception_count,
    free_port,
    move_k,
    open_page,
    shown_k,
    stop_process,
    streamlit_command,
    wait_for_health,
)

pytestmark = pytest.mark.browser

SITE = ROOT / "deploy" / "nginx.conf"
COOKIE = "kmeans_lab_server"
#: The same on every server, so each accepts the others' signed cookies (README, "Running several servers").
COOKIE_SECRET = "test-secret-shared-by-both-servers"
#: The most browser contexts opened to get one on each server (each lands on either with odds of one half).
MAX_CONTEXTS = 10


@pytest.fixture(scope="module")
def nginx() -> str:
    """Debian's nginx; skipped where it is not installed, except on CI."""
    path = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    if path is None:
        message = "the two-server test needs nginx: apt-get install -y nginx"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@contextlib.contextmanager
def app_server(port: int, cache: Path, workdir: Path):
    """`streamlit run app.py` on `port`, with its result cache in `cache`; yields its URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "KMEANS_LAB_CACHE_DIR": str(cache),
        "KMEANS_LAB_DATA_DIR": str(workdir / "datasets"),
        "STREAMLIT_SERVER_COOKIE_SECRET": COOKIE_SECRET,
        "PYTHONUNBUFFERED": "1",
    }
    url, log_path = f"http://127.0.0.1:{port}", workdir / "streamlit.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            streamlit_command(port), cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
    try:
        wait_for_health(url, process, log_path)
        yield url
    finally:
        stop_process(process)


def site_config(listen: int, servers: list[int]) -> str:
    """deploy/nginx.conf with its `listen` and upstream ports changed (each must be found exactly once)."""
    text = SITE.read_text()
    changes = [("listen 80;", f"listen 127.0.0.1:{listen};")]
    changes += [
        (f"server 127.0.0.1:{old};", f"server 127.0.0.1:{new};")
        for old, new in zip((8501, 8502), servers, strict=True)
    ]
    for old, new in changes:
        assert text.count(old) == 1, f"deploy/nginx.conf should hold {old!r} once"
        text = text.replace(old, new)
    return text


def main_config(folder: Path) -> str:
    """A whole nginx configuration around kmeans-lab.conf, every file of it inside `folder`."""
    # As root, nginx's workers would otherwise run as nobody, who cannot write to a private temp folder.
    user = f"user {pwd.getpwuid(0).pw_name};" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""
{user}
daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} notice;
events {{ worker_connections 512; }}
http {{
    log_format sticky '$kmeans_lab_server $upstream_addr $status "$request"';
    access_log {folder / "access.log"} sticky;
{temp}
    include {folder / "kmeans-lab.conf"};
}}
"""


@contextlib.contextmanager
def nginx_proxy(nginx: str, folder: Path, servers: list[int]):
    """nginx on a free port in front of `servers`; yields its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (folder / "kmeans-lab.conf").write_text(site_config(port, servers))
    (folder / "nginx.conf").write_text(main_config(folder))
    command = [nginx, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process, folder / "error.log")
        yield url
    finally:
        stop_process(process)


def cache_files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every entry of the result cache: name -> (inode, modification time in ns).

    A save renames a new file into place (a new inode); a load renews the modification time.
    """
    return {path.name: (path.stat().st_ino, path.stat().st_mtime_ns) for path in folder.glob("*.npz")}


def connections(url: str) -> int:
    """How many sessions have connected to the server at `url` (its /_stcore/metrics endpoint)."""
    with urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=30) as response:
        text = response.read().decode()
    return int(re.search(r'session_events_total\{type="connect"\} (\d+)', text).group(1))


def proxied_requests(access_log: Path) -> list[tuple[str, str, str]]:
    """(sticky value, server address, request line) of each request nginx has logged."""
    lines = access_log.read_text().splitlines()
    return [tuple(re.match(r'(\S+) (\S+) \d+ "(.*)"', line).groups()) for line in lines]


@dataclass
class TwoServerRun:
    """What the browsers did through the proxy, and what the servers and the cache showed."""

    servers: list[str]
    landed: dict[str, str] = field(default_factory=dict)  # server address -> sticky value
    connections: list[int] = field(default_factory=list)
    cache_before: dict = field(default_factory=dict)
    cache_after_a: dict = field(default_factory=dict)
    cache_after_b: dict = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    shown: list[int] = field(default_factory=list)
    exceptions: list[int] = field(default_factory=list)
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    plotly_js: tuple[str | None, int] = (None, 0)  # its Content-Encoding through the proxy, and its bytes


def server_of(sticky: str, access_log: Path) -> str | None:
    """The server that answered the requests logged for a sticky value (None: none logged yet)."""
    return next((server for value, server, _ in proxied_requests(access_log) if value == sticky), None)


def one_page_per_server(chromium, proxy: str, access_log: Path, run: TwoServerRun) -> list:
    """Open the Draw page in new contexts until each server has one; the other contexts are closed."""
    pages = {}
    for _ in range(MAX_CONTEXTS):
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(SLOW_MS)
        page = context.new_page()
        open_page(page, proxy, "Draw")
        sticky = next(c["value"] for c in context.cookies() if c["name"] == COOKIE)
        server = server_of(sticky, access_log)
        if server in pages:
            context.close()
            continue
        pages[server], run.landed[server] = page, sticky
        if len(pages) == 2:
            break
    return list(pages.values())


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory, nginx, chromium):
    folder = tmp_path_factory.mktemp("two-servers")
    cache = folder / "shared-results"
    ports = [free_port(), free_port()]
    with (
        app_server(ports[0], cache, folder / "a") as url_a,
        app_server(ports[1], cache, folder / "b") as url_b,
        nginx_proxy(nginx, folder / "nginx", ports) as proxy,
    ):
        access_log = folder / "nginx" / "access.log"
        run = TwoServerRun(servers=[f"127.0.0.1:{port}" for port in ports])
        pages = one_page_per_server(chromium, proxy, access_log, run)
        run.cache_before = cache_files(cache)
        if len(pages) == 2:
            for page, snapshot in zip(pages, ("cache_after_a", "cache_after_b"), strict=True):
                start = time.perf_counter()
                move_k(page, +1)
                run.seconds.append(time.perf_counter() - start)
                setattr(run, snapshot, cache_files(cache))
        run.shown = [shown_k(page) for page in pages]
        run.exceptions = [exception_count(page) for page in pages]
        for page in pages:
            page.context.close()
        time.sleep(1)  # nginx logs a WebSocket when it closes
        run.connections = [connections(url_a), connections(url_b)]
        run.plotly_js = fetched_compressed(f"{proxy}/app/static/plotly.min.js")
        run.requests = proxied_requests(access_log)
        yield run


def fetched_compressed(url: str) -> tuple[str | None, int]:
    """(Content-Encoding, bytes received) of `url` for a browser that accepts gzip."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers.get("Content-Encoding"), len(response.read())


def test_the_proxy_sends_plotly_js_compressed(two_servers):
    encoding, size = two_servers.plotly_js
    # Streamlit compresses it (4.8 MB on disk, 1.5 MB sent); the proxy must pass that through.
    assert encoding == "gzip" and 0 < size < 2_000_000, two_servers.plotly_js


def test_both_servers_get_sessions_through_the_proxy(two_servers):
    assert sorted(two_servers.landed) == sorted(two_servers.servers), two_servers.landed
    assert all(count >= 1 for count in two_servers.connections), two_servers.connections


def test_every_request_of_a_browser_reaches_the_same_server(two_servers):
    by_sticky: dict[str, set[str]] = {}
    for sticky, server, _ in two_servers.requests:
        by_sticky.setdefault(sticky, set()).add(server)
    assert all(len(servers) == 1 for servers in by_sticky.values()), by_sticky
    streams = {server for _, server, request in two_servers.requests if "/_stcore/stream" in request}
    assert streams == set(two_servers.servers)  # each server held a WebSocket


def test_a_fit_made_on_one_server_is_read_from_the_shared_cache_by_the_other(two_servers):
    before, after_a, after_b = two_servers.cache_before, two_servers.cache_after_a, two_servers.cache_after_b
    written_by_a = {name for name in after_a if before.get(name, (None,))[0] != after_a[name][0]}
    assert written_by_a, "moving K on server A should have fitted a model and saved it in the cache"
    # B wrote nothing (same files, same inodes) and read what A wrote (the load renews its time).
    assert {name: inode for name, (inode, _) in after_b.items()} == {n: i for n, (i, _) in after_a.items()}
    assert any(after_b[name][1] > after_a[name][1] for name in written_by_a)
    fitted, read = two_servers.seconds
    print(f"K change: on server A (fits) {fitted:.2f} s, on B (reads A's fit) {read:.2f} s")


def test_no_errors_and_both_pages_show_the_new_k(two_servers):
    assert two_servers.exceptions == [0, 0]
    assert len(set(two_servers.shown)) == 1
