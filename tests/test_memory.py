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


#: What a full garbage collection walks in a server once the model modules are loaded. Streamlit
#: collects after every rerun; before the warm-up froze them it walked about 180,000 objects (0.1 s).
WARM_SERVER = """
import gc, time
from ui.frame import run_page  # what a page imports
from ui.warm_up import warm_up_in_background

warm_up_in_background()  # what the first page does when it has been shown
deadline = time.monotonic() + 90
while gc.get_freeze_count() == 0 and time.monotonic() < deadline:
    time.sleep(0.05)
import sklearn  # loaded by the warm-up
print(len(gc.get_objects()), gc.get_freeze_count())
"""


def test_after_the_warm_up_a_rerun_s_garbage_collection_walks_few_objects():
    done = subprocess.run(
        [sys.executable, "-c", WARM_SERVER], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    walked, frozen = map(int, done.stdout.split())
    assert frozen > 100_000, "the warm-up froze nothing"
    assert walked < 10_000, f"a collection still walks {walked:,} objects"
