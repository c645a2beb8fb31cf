"""Give freed memory back to the operating system, and keep garbage collection cheap.

So that a server's size follows its sessions: glibc raises its mmap threshold (up to 32 MB) each
time a large block is freed, after which blocks of that size come from the heap, and the heap is
rarely given back: after a visitor sent a few 30 MB files, the server stayed about 320 MB larger
once every session had ended (bench/bench_load.py). A fixed threshold of 1 MB serves every larger
block with mmap, returned on free (the same run: +0 MB). Elsewhere than glibc this does nothing.

So that a rerun does not wait on the collector: `freeze_loaded_objects`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

LOGGER = logging.getLogger(__name__)
#: glibc's mallopt parameter number for the mmap threshold (malloc.h: M_MMAP_THRESHOLD).
M_MMAP_THRESHOLD = -3
#: Blocks at least this large are mapped on their own and returned to the system when freed.
MMAP_THRESHOLD_BYTES = 1 << 20

_done = False


def return_large_blocks_to_the_system(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Fix glibc's mmap threshold at `threshold` bytes for this process; True if glibc took it.

    Called once per process (again is harmless). Does nothing and returns False without glibc.
    """
    global _done
    if _done:
        return True
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows): nothing to tune
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    _done = mallopt(M_MMAP_THRESHOLD, threshold) == 1
    if not _done:
        LOGGER.warning("glibc refused an mmap threshold of %d bytes", threshold)
    return _done


def freeze_loaded_objects() -> None:
    """Collect garbage once, then leave every object alive now out of later garbage collections.

    Streamlit runs a full collection after every script run (``runner.postScriptGC``). With
    scikit-learn, SciPy, Plotly and Streamlit loaded, that walks about 180,000 objects: about 0.1 s
    on every rerun, more than Streamlit's whole round trip. Almost all of them are modules,
    functions and classes that live as long as the server, so after the imports they are frozen
    (`gc.freeze`): a collection then walks only what the sessions made since. Frozen objects are
    still freed as soon as nothing refers to them; only reference cycles among them stay.
    """
    gc.collect()
    gc.freeze()
