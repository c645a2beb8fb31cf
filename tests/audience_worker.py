"""A second process for the audience store's tests: `python tests/audience_worker.py JOB URL ...`.

Each job waits until the wall-clock time START_AT, so two workers hit the database at the same moment,
then prints its result as JSON.

    send URL CODE START_AT N   send the drawings "shared-send-00000".. (N of them); print their ids
    open URL START_AT          open a room (creating the tables if nobody has); print its code
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from core.audience.store import open_store  # noqa: E402


def shared_send(i: int) -> tuple[np.ndarray, int, int, str]:
    """The i-th drawing both workers send: pixels, meant, read as, send id."""
    pixels = np.zeros((28, 28), dtype=np.uint8)
    pixels.flat[i % 784] = 255
    return pixels, i % 10, (i + 1) % 10, f"shared-send-{i:05d}"


def wait_until(start_at: float) -> None:
    time.sleep(max(0.0, start_at - time.time()))


def main(job: str, url: str, *args: str) -> None:
    store = open_store(url)
    if job == "send":
        code, start_at, n = args[0], float(args[1]), int(args[2])
        wait_until(start_at)
        print(json.dumps([store.add_drawing(code, *shared_send(i)).id for i in range(n)]))
    elif job == "open":
        wait_until(float(args[0]))
        print(json.dumps(store.open_room({"k": 10}).code))
    else:
        raise SystemExit(f"unknown job {job!r}: use send or open")


if __name__ == "__main__":
    main(*sys.argv[1:])
