"""The server gives large freed blocks back to the system (core.memory, applied when `ui` is imported).

Without it, glibc keeps a script thread's freed 16 MB buffers in its heap once a 30 MB block has
been freed (that raises its mmap threshold): this probe stayed 48 MB larger, and the load bench's
server about 320 MB larger after a visitor's junk uploads, once every session had ended.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import threading, psutil
import ui  # every page imports ui: this is where the app tunes the allocator

def rss_mb():
    return psutil.Process().memory_info().rss / 2**20

def uploads_come_and_go():
    big = b"y" * (30 << 20)
    del big
    blocks, pins = [], []
    for _ in range(20):
        blocks.append(b"x" * (16 << 20))  # an upload's buffer
        pins.append(b"p" * 2000)  # a small object made meanwhile, still alive
    blocks.clear()
    kept.append(pins)

kept = []
start = rss_mb()
thread = threading.Thread(target=uploads_come_and_go)
thread.start()
thread.join()
print(round(rss_mb() - start))
"""


def test_freed_upload_buffers_leave_the_process_once_the_app_is_imported():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    grown_mb = int(done.stdout.strip().splitlines()[-1])
    assert grown_mb < 8, f"the process kept {grown_mb} MB of freed buffers"
